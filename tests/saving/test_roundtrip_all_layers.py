"""Every layer in ``ember.layers`` survives ``model.save`` / ``ember.saving.load_model`` and
``save_weights`` / ``load_weights`` with identical predictions; optimizer state, corrupt files
and custom layers too."""

from __future__ import annotations

import inspect
import json
import zipfile

import numpy as np
import pytest

import ember
from ember import layers

RNG_SEED = 11


@pytest.fixture(autouse=True)
def _seeded():
    ember.utils.set_random_seed(RNG_SEED)


def double(x):
    return x * 2.0


def _data(shape, kind="float"):
    rng = np.random.default_rng(3)
    if kind == "int":
        return rng.integers(1, 9, size=shape).astype("int32")
    return rng.normal(size=shape).astype("float32")


def single(layer, shape, kind="float", before=()):
    """A functional model ``Input(shape[1:]) -> *before -> layer`` and a batch of inputs."""
    def build():
        inputs = ember.Input(shape=shape[1:], dtype="int32" if kind == "int" else None)
        x = inputs
        for extra in before:
            x = extra()(x)
        return ember.Model(inputs, layer()(x)), _data(shape, kind)
    return build


def merge(layer, shapes):
    """A two- or three-input functional model merged by ``layer``."""
    def build():
        inputs = [ember.Input(shape=s[1:]) for s in shapes]
        return ember.Model(inputs, layer()(inputs)), [_data(s) for s in shapes]
    return build


def sequential(shape, *stack):
    """A ``Sequential`` model of ``stack`` (layer factories) on inputs of ``shape``."""
    def build():
        model = ember.Sequential([ember.Input(shape=shape[1:])] + [f() for f in stack])
        return model, _data(shape)
    return build


L = layers
IMG1, IMG2, IMG3 = (2, 8, 3), (2, 6, 6, 3), (2, 4, 4, 4, 2)
SEQ = (2, 5, 3)

CASES = {
    # core
    "Dense": single(lambda: L.Dense(4, activation="tanh", kernel_regularizer="l2"), (3, 5)),
    "Activation": single(lambda: L.Activation("softmax"), (3, 5)),
    "Identity": single(lambda: L.Identity(), (3, 5)),
    "Lambda": single(lambda: L.Lambda(double), (3, 5)),
    # activation
    "ReLU": single(lambda: L.ReLU(max_value=0.8, negative_slope=0.1), (3, 5)),
    "LeakyReLU": single(lambda: L.LeakyReLU(negative_slope=0.2), (3, 5)),
    "PReLU": single(lambda: L.PReLU(shared_axes=[1]), (3, 4, 5)),
    "ELU": single(lambda: L.ELU(alpha=0.5), (3, 5)),
    "Softmax": single(lambda: L.Softmax(axis=1), (3, 4, 5)),
    "Swish": single(lambda: L.Swish(beta=1.5), (3, 5)),
    # merge
    "Add": merge(L.Add, [(2, 3), (2, 3)]),
    "Subtract": merge(L.Subtract, [(2, 3), (2, 3)]),
    "Multiply": merge(L.Multiply, [(2, 3), (2, 3), (2, 3)]),
    "Average": merge(L.Average, [(2, 3), (2, 3)]),
    "Maximum": merge(L.Maximum, [(2, 3), (2, 3)]),
    "Minimum": merge(L.Minimum, [(2, 3), (2, 3)]),
    "Concatenate": merge(lambda: L.Concatenate(axis=1), [(2, 3, 4), (2, 1, 4)]),
    "Dot": merge(lambda: L.Dot(axes=(1, 2), normalize=True), [(2, 3, 5), (2, 4, 3)]),
    # reshaping
    "Flatten": single(lambda: L.Flatten(), (2, 3, 4)),
    "Reshape": single(lambda: L.Reshape((-1, 2)), (2, 3, 4)),
    "Permute": single(lambda: L.Permute((2, 1)), (2, 3, 4)),
    "RepeatVector": single(lambda: L.RepeatVector(3), (2, 4)),
    # regularization (identity in inference: a Dense before them gives them something to do)
    "Dropout": sequential((3, 5), lambda: L.Dense(4), lambda: L.Dropout(0.5, seed=1)),
    "SpatialDropout1D": single(lambda: L.SpatialDropout1D(0.5), IMG1),
    "SpatialDropout2D": single(lambda: L.SpatialDropout2D(0.5), IMG2),
    "SpatialDropout3D": single(lambda: L.SpatialDropout3D(0.5), IMG3),
    "GaussianNoise": single(lambda: L.GaussianNoise(0.1, seed=2), (3, 5)),
    "GaussianDropout": single(lambda: L.GaussianDropout(0.3), (3, 5)),
    "AlphaDropout": single(lambda: L.AlphaDropout(0.2), (3, 5)),
    "ActivityRegularization": single(lambda: L.ActivityRegularization(l1=0.01), (3, 5)),
    # convolution
    "Conv1D": single(lambda: L.Conv1D(4, 3, padding="same", dilation_rate=2), IMG1),
    "Conv2D": single(lambda: L.Conv2D(4, 3, strides=2, activation="relu"), IMG2),
    "Conv3D": single(lambda: L.Conv3D(3, 2), IMG3),
    "Conv1DTranspose": single(lambda: L.Conv1DTranspose(4, 3, strides=2), IMG1),
    "Conv2DTranspose": single(lambda: L.Conv2DTranspose(4, 3, padding="same"), IMG2),
    "Conv3DTranspose": single(lambda: L.Conv3DTranspose(2, 2, strides=2), IMG3),
    "DepthwiseConv1D": single(lambda: L.DepthwiseConv1D(3, depth_multiplier=2), IMG1),
    "DepthwiseConv2D": single(lambda: L.DepthwiseConv2D(3, padding="same"), IMG2),
    "SeparableConv1D": single(lambda: L.SeparableConv1D(4, 3), IMG1),
    "SeparableConv2D": single(lambda: L.SeparableConv2D(4, 3, depth_multiplier=2), IMG2),
    # pooling
    "MaxPooling1D": single(lambda: L.MaxPooling1D(2), IMG1),
    "MaxPooling2D": single(lambda: L.MaxPooling2D(2, padding="same"), IMG2),
    "MaxPooling3D": single(lambda: L.MaxPooling3D(2), IMG3),
    "AveragePooling1D": single(lambda: L.AveragePooling1D(3, strides=1), IMG1),
    "AveragePooling2D": single(lambda: L.AveragePooling2D(2), IMG2),
    "AveragePooling3D": single(lambda: L.AveragePooling3D(2), IMG3),
    "GlobalMaxPooling1D": single(lambda: L.GlobalMaxPooling1D(), IMG1),
    "GlobalMaxPooling2D": single(lambda: L.GlobalMaxPooling2D(keepdims=True), IMG2),
    "GlobalMaxPooling3D": single(lambda: L.GlobalMaxPooling3D(), IMG3),
    "GlobalAveragePooling1D": single(lambda: L.GlobalAveragePooling1D(), IMG1),
    "GlobalAveragePooling2D": single(lambda: L.GlobalAveragePooling2D(), IMG2),
    "GlobalAveragePooling3D": single(lambda: L.GlobalAveragePooling3D(keepdims=True), IMG3),
    # image reshaping
    "Cropping1D": single(lambda: L.Cropping1D((1, 2)), IMG1),
    "Cropping2D": single(lambda: L.Cropping2D(((1, 0), (0, 2))), IMG2),
    "Cropping3D": single(lambda: L.Cropping3D(1), IMG3),
    "UpSampling1D": single(lambda: L.UpSampling1D(2), IMG1),
    "UpSampling2D": single(lambda: L.UpSampling2D(2, interpolation="bilinear"), IMG2),
    "UpSampling3D": single(lambda: L.UpSampling3D(2), IMG3),
    "ZeroPadding1D": single(lambda: L.ZeroPadding1D((1, 2)), IMG1),
    "ZeroPadding2D": single(lambda: L.ZeroPadding2D(((1, 0), (2, 1))), IMG2),
    "ZeroPadding3D": single(lambda: L.ZeroPadding3D(1), IMG3),
    # normalization
    "BatchNormalization": single(lambda: L.BatchNormalization(momentum=0.9), IMG2),
    "LayerNormalization": single(lambda: L.LayerNormalization(epsilon=1e-4), (3, 4, 5)),
    "GroupNormalization": single(lambda: L.GroupNormalization(groups=2), (2, 5, 4)),
    "InstanceNormalization": single(lambda: L.InstanceNormalization(), IMG2),
    "RMSNormalization": single(lambda: L.RMSNormalization(), (3, 5)),
    "UnitNormalization": single(lambda: L.UnitNormalization(), (3, 5)),
    # embedding
    "Embedding": single(lambda: L.Embedding(10, 4), (2, 5), kind="int"),
    "Masking": single(lambda: L.LSTM(3), SEQ, before=(lambda: L.Masking(0.0),)),
    # recurrent
    "SimpleRNN": single(lambda: L.SimpleRNN(4, return_sequences=True), SEQ),
    "LSTM": single(lambda: L.LSTM(4, go_backwards=True), SEQ),
    "GRU": single(lambda: L.GRU(4, reset_after=False), SEQ),
    "RNN-SimpleRNNCell": single(lambda: L.RNN(L.SimpleRNNCell(4)), SEQ),
    "RNN-LSTMCell": single(lambda: L.RNN(L.LSTMCell(4), return_sequences=True), SEQ),
    "RNN-GRUCell": single(lambda: L.RNN(L.GRUCell(4)), SEQ),
    "StackedRNNCells": single(lambda: L.RNN(L.StackedRNNCells([L.GRUCell(3), L.LSTMCell(2)])),
                              SEQ),
    "Bidirectional": single(lambda: L.Bidirectional(L.LSTM(3, return_sequences=True),
                                                    merge_mode="sum"), SEQ),
    "TimeDistributed": single(lambda: L.TimeDistributed(L.Dense(2)), SEQ),
}


def _all_layer_classes(model) -> set:
    return {type(layer) for layer in model._flatten_layers(include_self=False)}


def test_every_layer_class_has_a_round_trip_case():
    """A layer added to ember.layers without a case here fails this test."""
    public = {obj for name, obj in vars(layers).items()
              if inspect.isclass(obj) and issubclass(obj, layers.Layer)
              and not name.startswith("_")}
    covered = set()
    for build in CASES.values():
        covered |= _all_layer_classes(build()[0])
    # ``Layer`` itself is covered by the custom-layer tests below.
    missing = {cls.__name__ for cls in public - covered - {layers.Layer}}
    assert missing == set()


def _randomize(model) -> None:
    """Non-default values in every weight (moving variances kept positive), so that a weight
    not restored shows in the predictions."""
    rng = np.random.default_rng(5)
    for v in model.weights:
        values = rng.uniform(-1.0, 1.0, size=v.shape)
        if "variance" in v.path:
            values = np.abs(values) + 0.5
        v.assign(values.astype(v.dtype))


def _predict(model, x) -> list:
    out = model(x, training=False)
    return [t.numpy() for t in (out if isinstance(out, (list, tuple)) else [out])]


def _assert_identical(expected: list, got: list) -> None:
    assert len(expected) == len(got)
    for a, b in zip(expected, got):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert np.array_equal(a, b)


@pytest.mark.parametrize("case", sorted(CASES))
def test_round_trip(case, tmp_path):
    model, x = CASES[case]()
    _randomize(model)
    expected = _predict(model, x)
    custom = {"double": double}

    model.save(tmp_path / "m.ember")
    loaded = ember.saving.load_model(tmp_path / "m.ember", custom_objects=custom)
    assert type(loaded) is type(model)
    assert [type(la) for la in loaded.layers] == [type(la) for la in model.layers]
    assert loaded.get_config() == model.get_config()
    _assert_identical(expected, _predict(loaded, x))

    for name in ("w.weights.safetensors", "w.npz"):
        model.save_weights(tmp_path / name)
        with ember.saving.custom_object_scope(custom):
            clone = type(model).from_config(model.get_config())
        if model.weights:
            assert not all(np.array_equal(a, b) for a, b in zip(clone.get_weights(),
                                                                 model.get_weights()))
        clone.load_weights(tmp_path / name)
        _assert_identical(expected, _predict(clone, x))


# ---- optimizer state ------------------------------------------------------------------------
def _trained_model(seed: int):
    ember.utils.set_random_seed(seed)
    model = ember.Sequential([ember.Input(shape=(6,)), L.Dense(8, activation="tanh"),
                              L.BatchNormalization(), L.Dense(3)])
    model.compile(optimizer=ember.optimizers.Adam(learning_rate=0.01), loss="mse",
                  metrics=["mae"])
    return model


def _continue(model, x, y) -> list:
    ember.utils.set_random_seed(1)
    model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    return model.get_weights()


def test_optimizer_state_round_trip_continues_training_bit_identically(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 6)).astype("float32"), rng.normal(size=(16, 3)).astype("float32")
    model = _trained_model(seed=4)
    model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    model.save(tmp_path / "trained.ember")

    loaded = ember.saving.load_model(tmp_path / "trained.ember")
    assert type(loaded.optimizer) is ember.optimizers.Adam
    assert int(loaded.optimizer.iterations.numpy()) == int(model.optimizer.iterations.numpy())
    without_state = ember.saving.load_model(tmp_path / "trained.ember", compile=False)
    without_state.compile(optimizer=ember.optimizers.Adam(learning_rate=0.01), loss="mse")

    expected = _continue(model, x, y)
    _assert_identical(expected, _continue(loaded, x, y))
    # The check can fail: fresh Adam slots give other weights.
    assert not all(np.array_equal(a, b) for a, b in zip(expected, _continue(without_state, x, y)))


# ---- damaged and foreign files --------------------------------------------------------------
@pytest.fixture
def saved(tmp_path):
    model, _ = sequential((3, 5), lambda: L.Dense(4), lambda: L.Dense(2))()
    model.compile(optimizer="adam", loss="mse")
    model.fit(_data((4, 5)), _data((4, 2)), verbose=0)
    path = tmp_path / "good.ember"
    model.save(path)
    return path


def _rezip(source, target, drop=(), replace=None) -> None:
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for name in zin.namelist():
            if name in drop:
                continue
            data = zin.read(name)
            if replace and name in replace:
                data = replace[name](data)
            zout.writestr(name, data)


def test_random_bytes_are_not_a_model(tmp_path):
    path = tmp_path / "noise.ember"
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(ValueError, match="noise.ember.*not an ember model file"):
        ember.saving.load_model(path)


def test_truncated_file(saved, tmp_path):
    path = tmp_path / "cut.ember"
    data = saved.read_bytes()
    for length in (0, 10, len(data) // 2, len(data) - 1):
        path.write_bytes(data[:length])
        with pytest.raises(ValueError, match="cut.ember"):
            ember.saving.load_model(path)


def test_damaged_bytes_anywhere_raise_or_load_the_same_weights(saved, tmp_path):
    """Bytes overwritten at every offset: a ValueError naming the file, or (damage to zip
    header fields that nothing reads) the original weights; never another exception."""
    expected = ember.saving.load_model(saved).get_weights()
    data = saved.read_bytes()
    path = tmp_path / "damaged.ember"
    raised = 0
    for i, offset in enumerate(range(0, len(data), 5)):
        pattern = (bytes(8), b"\xff\xff")[i % 2]
        damaged = bytearray(data)
        damaged[offset:offset + len(pattern)] = pattern
        path.write_bytes(bytes(damaged))
        try:
            weights = ember.saving.load_model(path).get_weights()
        except ValueError as exc:
            assert "damaged.ember" in str(exc)
            raised += 1
        else:
            _assert_identical(expected, weights)
    assert raised > len(data) // 10


def test_zip_without_config(saved, tmp_path):
    path = tmp_path / "partial.ember"
    _rezip(saved, path, drop=("config.json",))
    with pytest.raises(ValueError, match=r"partial.ember.*missing \['config.json'\]"):
        ember.saving.load_model(path)


def test_unknown_layer_class_in_config(saved, tmp_path):
    path = tmp_path / "unknown.ember"
    _rezip(saved, path, replace={"config.json": _edit(
        lambda c: c["config"]["layers"][1].update(class_name="Dens"))})
    with pytest.raises(ValueError, match="unknown.ember.*Unknown layer: 'Dens'.*Did you mean"):
        ember.saving.load_model(path)


def test_unknown_optimizer_in_compile_config(saved, tmp_path):
    path = tmp_path / "optimizer.ember"
    _rezip(saved, path, replace={"config.json": _edit(
        lambda c: c["compile_config"]["optimizer"].update(class_name="Adamm"))})
    with pytest.raises(ValueError, match="optimizer.ember.*Unknown optimizer: 'Adamm'"):
        ember.saving.load_model(path)
    ember.saving.load_model(path, compile=False)


def _edit(change):
    def rewrite(data: bytes) -> bytes:
        config = json.loads(data)
        change(config)
        return json.dumps(config).encode()
    return rewrite


@pytest.mark.parametrize("config", [b"[1, 2]", b'{"config": {}}', b"{not json"])
def test_malformed_config(saved, tmp_path, config):
    path = tmp_path / "malformed.ember"
    _rezip(saved, path, replace={"config.json": lambda _: config})
    with pytest.raises(ValueError, match="malformed.ember"):
        ember.saving.load_model(path)


def test_optimizer_state_of_another_model(saved, tmp_path):
    other = tmp_path / "other.ember"
    model = ember.Sequential([ember.Input(shape=(5,)), L.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(_data((4, 5)), _data((4, 2)), verbose=0)
    model.save(other)
    with zipfile.ZipFile(other) as zf:
        foreign = zf.read("optimizer.safetensors")
    path = tmp_path / "mixed.ember"
    _rezip(saved, path, replace={"optimizer.safetensors": lambda _: foreign})
    with pytest.raises(ValueError, match="mixed.ember.*optimizer state has 6 variables"):
        ember.saving.load_model(path)


def test_load_weights_into_different_layers_lists_every_mismatch(tmp_path):
    inputs = ember.Input(shape=(5,))
    source = ember.Model(inputs, L.Dense(2, name="out")(L.Dense(4, name="hidden")(inputs)))
    source.save_weights(tmp_path / "w.weights.safetensors")
    inputs = ember.Input(shape=(5,))
    hidden = L.Dense(3, name="hidden")(inputs)
    target = ember.Model(inputs, L.Dense(2, name="head", use_bias=False)(hidden))
    with pytest.raises(ValueError) as info:
        target.load_weights(tmp_path / "w.weights.safetensors")
    message = str(info.value)
    assert "w.weights.safetensors" in message
    assert "missing from the file: ['head/kernel']" in message
    assert "in the file but not in the model: ['out/bias', 'out/kernel']" in message
    assert "hidden/kernel: model (5, 3) vs file (5, 4)" in message
    assert "hidden/bias: model (3,) vs file (4,)" in message


# ---- custom layers --------------------------------------------------------------------------
class Scale(ember.layers.Layer):
    """A custom layer: multiplies by a learned per-feature scale."""

    def __init__(self, init: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.init = init

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), name="scale",
                                     initializer=ember.initializers.Constant(self.init))

    def call(self, inputs):
        return inputs * self.scale

    def get_config(self):
        return {**super().get_config(), "init": self.init}


@ember.saving.register_serializable(package="roundtrip")
class RegisteredScale(Scale):
    """``Scale``, registered: it reloads by name alone."""


def _custom_model(cls):
    inputs = ember.Input(shape=(3,))
    model = ember.Model(inputs, L.Dense(2)(cls(init=2.5)(inputs)))
    _randomize(model)
    return model


def test_registered_custom_layer_reloads_by_name(tmp_path):
    model = _custom_model(RegisteredScale)
    model.save(tmp_path / "custom.ember")
    config = json.loads(zipfile.ZipFile(tmp_path / "custom.ember").read("config.json"))
    assert config["config"]["layers"][1]["registered_name"] == "roundtrip>RegisteredScale"
    loaded = ember.saving.load_model(tmp_path / "custom.ember")
    assert type(loaded.layers[1]) is RegisteredScale and loaded.layers[1].init == 2.5
    x = _data((4, 3))
    _assert_identical(_predict(model, x), _predict(loaded, x))


def test_custom_layer_reloads_through_custom_objects(tmp_path):
    model = _custom_model(Scale)
    model.save(tmp_path / "custom.ember")
    with pytest.raises(ValueError, match="Unknown layer: 'Scale'.*custom_objects"):
        ember.saving.load_model(tmp_path / "custom.ember")
    loaded = ember.saving.load_model(tmp_path / "custom.ember", custom_objects={"Scale": Scale})
    assert type(loaded.layers[1]) is Scale
    x = _data((4, 3))
    _assert_identical(_predict(model, x), _predict(loaded, x))
