"""Keras 3's ``.keras`` format: ember writes files that Keras 3 loads, and loads files that
Keras 3 writes, with the same predictions and optimizer state.

The layout tests need only h5py. The interchange tests run real Keras 3 (``KERAS_BACKEND``,
default ``torch``) in one subprocess, so that ember's and Keras's imports never mix; they
skip when Keras cannot be imported there (``make keras-interop`` installs it).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from test_roundtrip_all_layers import CASES, _predict, _randomize

import ember
from ember import layers as L

h5py = pytest.importorskip("h5py")

NOT_IN_KERAS = {"Lambda", "Swish", "InstanceNormalization"}
ATOL = 1e-5


@pytest.fixture(autouse=True)
def _seeded():
    ember.utils.set_random_seed(3)


def _h5(path) -> tuple:
    """``{dataset path: shape}`` and ``{group path: attrs}`` of a .keras file's weights."""
    with zipfile.ZipFile(path) as zf:
        data = zf.read("model.weights.h5")
    shapes, attrs = {}, {}
    with h5py.File(io.BytesIO(data), "r") as f:
        f.visititems(lambda name, obj: shapes.__setitem__(name, obj.shape)
                     if hasattr(obj, "shape") else attrs.__setitem__(name, dict(obj.attrs)))
    return shapes, attrs


def _config(path) -> dict:
    with zipfile.ZipFile(path) as zf:
        return json.loads(zf.read("config.json"))


# ---- ember's models for Keras ---------------------------------------------------------------
def branchy_mlp():
    """Two Dense branches whose Keras numbering differs from their order of creation, batch
    normalization, dropout; compiled with Adam and trained."""
    inputs = ember.Input(shape=(6,), name="features")
    short = L.Dense(5, activation="relu", name="short")(inputs)
    deep = L.Dense(3, activation="tanh", name="deep")(L.Dense(4, name="first")(inputs))
    x = L.Concatenate()([short, deep])
    x = L.BatchNormalization()(x)
    x = L.Dropout(0.3)(x)
    model = ember.Model(inputs, L.Dense(3, activation="softmax", name="head")(x))
    model.compile(optimizer=ember.optimizers.Adam(learning_rate=0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 6)).astype("float32")
    model.fit(x, rng.integers(0, 3, size=32), batch_size=8, epochs=2, verbose=0)
    return model, x[:5]


def cnn():
    model = ember.Sequential([
        ember.Input(shape=(8, 8, 3)),
        L.Conv2D(4, 3, padding="same", activation="relu"),
        L.BatchNormalization(),
        L.MaxPooling2D(2),
        L.Conv2D(6, 3, kernel_regularizer=ember.regularizers.L2(1e-3)),
        L.Flatten(),
        L.Dense(2),
    ])
    model.compile(optimizer=ember.optimizers.SGD(learning_rate=0.05, momentum=0.9), loss="mse")
    rng = np.random.default_rng(1)
    x = rng.normal(size=(16, 8, 8, 3)).astype("float32")
    model.fit(x, rng.normal(size=(16, 2)).astype("float32"), batch_size=8, verbose=0)
    return model, x[:4]


def lstm():
    """Masked sequences: Embedding(mask_zero=True) into stacked LSTMs; RMSprop."""
    inputs = ember.Input(shape=(7,), dtype="int32")
    x = L.Embedding(12, 5, mask_zero=True)(inputs)
    x = L.LSTM(6, return_sequences=True)(x)
    x = L.LSTM(4)(x)
    model = ember.Model(inputs, L.Dense(1)(x))
    model.compile(optimizer=ember.optimizers.RMSprop(learning_rate=0.01, momentum=0.5,
                                                     centered=True), loss="mse")
    rng = np.random.default_rng(2)
    x = rng.integers(1, 12, size=(16, 7)).astype("int32")
    x[::2, 4:] = 0  # padding the mask hides
    model.fit(x, rng.normal(size=(16, 1)).astype("float32"), batch_size=8, verbose=0)
    return model, x[:6]


EMBER_MODELS = {"mlp": branchy_mlp, "cnn": cnn, "lstm": lstm}


# ---- the layout, without Keras -------------------------------------------------------------
def test_file_layout(tmp_path):
    model, _ = branchy_mlp()
    path = tmp_path / "mlp.keras"
    model.save(path)
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
        metadata = json.loads(zf.read("metadata.json"))
    assert metadata["keras_version"].startswith("3.") and "date_saved" in metadata

    config = _config(path)
    assert {k: config[k] for k in ("module", "class_name", "registered_name")} == {
        "module": "keras.src.models.functional", "class_name": "Functional",
        "registered_name": "Functional"}
    assert config["build_config"] == {"input_shape": None}
    compile_config = config["compile_config"]
    assert compile_config["loss"] == "sparse_categorical_crossentropy"
    assert compile_config["optimizer"]["module"] == "keras.optimizers"
    assert compile_config["optimizer"]["class_name"] == "Adam"
    assert compile_config["optimizer"]["config"]["learning_rate"] == pytest.approx(0.01)

    entries = {e["name"]: e for e in config["config"]["layers"]}
    assert entries["features"]["class_name"] == "InputLayer"
    assert entries["features"]["config"]["batch_shape"] == [None, 6]
    first = entries["first"]
    assert (first["module"], first["class_name"], first["registered_name"]) == (
        "keras.layers", "Dense", None)
    assert first["build_config"] == {"input_shape": [None, 6]}
    assert first["config"]["dtype"] == {"module": "keras", "class_name": "DTypePolicy",
                                        "config": {"name": "float32"}, "registered_name": None}
    assert first["config"]["kernel_initializer"] == {
        "module": "keras.initializers", "class_name": "GlorotUniform",
        "config": {"seed": None}, "registered_name": None}
    assert entries["short"]["config"]["activation"] == "relu"
    history = entries["concatenate"]["inbound_nodes"][0]["args"][0][1]
    assert history["class_name"] == "__keras_tensor__"
    assert history["config"]["keras_history"] == ["deep", 0, 0]
    assert config["config"]["output_layers"] == ["head", 0, 0]

    shapes, attrs = _h5(path)
    # Keras numbers same-class layers by depth from the output: the deepest Dense first.
    assert shapes["layers/dense/vars/0"] == (6, 4)  # first
    assert shapes["layers/dense_1/vars/0"] == (6, 5)  # short
    assert shapes["layers/dense_2/vars/0"] == (4, 3)  # deep
    assert shapes["layers/dense_3/vars/0"] == (8, 3)  # head
    assert [shapes[f"layers/batch_normalization/vars/{i}"] for i in range(4)] == [(8,)] * 4
    assert attrs["layers/dense/vars"] == {"name": "first"}
    assert attrs["vars"] == {"name": model.name}
    assert "layers/input_layer/vars" in attrs and "layers/dropout/vars" in attrs
    n_trainable = len(model.trainable_weights)
    optimizer = sorted((k for k in shapes if k.startswith("optimizer/vars/")),
                       key=lambda k: int(k.rsplit("/", 1)[1]))
    assert len(optimizer) == 2 + 2 * n_trainable
    # iteration, learning_rate, then momentum and velocity interleaved per variable.
    assert [shapes[k] for k in optimizer[:6]] == [(), (), (6, 4), (6, 4), (4,), (4,)]


def test_sequential_and_recurrent_layout(tmp_path):
    model, _ = cnn()
    model.save(tmp_path / "cnn.keras")
    config = _config(tmp_path / "cnn.keras")
    assert {k: config[k] for k in ("module", "class_name", "registered_name")} == {
        "module": "keras", "class_name": "Sequential", "registered_name": None}
    assert config["build_config"] == {"input_shape": [None, 8, 8, 3]}
    layers = config["config"]["layers"]
    assert [entry["class_name"] for entry in layers] == [
        "InputLayer", "Conv2D", "BatchNormalization", "MaxPooling2D", "Conv2D", "Flatten",
        "Dense"]
    assert layers[4]["config"]["kernel_regularizer"] == {
        "module": "keras.regularizers", "class_name": "L2", "config": {"l2": 0.001},
        "registered_name": None}
    shapes, _ = _h5(tmp_path / "cnn.keras")
    assert shapes["layers/conv2d/vars/0"] == (3, 3, 3, 4)
    assert shapes["layers/conv2d_1/vars/0"] == (3, 3, 4, 6)
    assert "layers/input_layer/vars/0" not in shapes  # Keras's Sequential.layers skips it
    # iteration, learning_rate, one momentum per trainable weight
    assert sum(k.startswith("optimizer/vars/") for k in shapes) == 2 + 8

    model, _ = lstm()
    model.save(tmp_path / "lstm.keras")
    shapes, attrs = _h5(tmp_path / "lstm.keras")
    assert shapes["layers/embedding/vars/0"] == (12, 5)
    assert [shapes[f"layers/lstm/cell/vars/{i}"] for i in range(3)] == [(5, 24), (6, 24), (24,)]
    assert [shapes[f"layers/lstm_1/cell/vars/{i}"] for i in range(3)] == [(6, 16), (4, 16),
                                                                            (16,)]
    assert attrs["layers/lstm/cell/vars"] == {"name": "lstm_cell"}


def test_nested_layers_follow_keras_paths(tmp_path):
    """The paths Keras 3.15 writes for this model (read from a file Keras saved)."""
    inputs = ember.Input(shape=(5, 3))
    x = L.Bidirectional(L.LSTM(3, return_sequences=True))(inputs)
    x = L.TimeDistributed(L.Dense(2))(x)
    x = L.RNN(L.StackedRNNCells([L.GRUCell(3), L.LSTMCell(2)]), return_sequences=True)(x)
    x = L.RNN(L.SimpleRNNCell(2))(x)
    inner = ember.Sequential([L.Dense(2), L.Dense(2)])
    model = ember.Model(inputs, L.Add()([inner(x), L.Dense(2)(x)]))
    _randomize(model)
    model.save(tmp_path / "nested.keras")
    shapes, _ = _h5(tmp_path / "nested.keras")
    assert shapes == {
        "layers/bidirectional/backward_layer/cell/vars/0": (3, 12),
        "layers/bidirectional/backward_layer/cell/vars/1": (3, 12),
        "layers/bidirectional/backward_layer/cell/vars/2": (12,),
        "layers/bidirectional/forward_layer/cell/vars/0": (3, 12),
        "layers/bidirectional/forward_layer/cell/vars/1": (3, 12),
        "layers/bidirectional/forward_layer/cell/vars/2": (12,),
        "layers/dense/vars/0": (2, 2),
        "layers/dense/vars/1": (2,),
        "layers/rnn/cell/cells/gru_cell/vars/0": (2, 9),
        "layers/rnn/cell/cells/gru_cell/vars/1": (3, 9),
        "layers/rnn/cell/cells/gru_cell/vars/2": (2, 9),
        "layers/rnn/cell/cells/lstm_cell/vars/0": (3, 8),
        "layers/rnn/cell/cells/lstm_cell/vars/1": (2, 8),
        "layers/rnn/cell/cells/lstm_cell/vars/2": (8,),
        "layers/rnn_1/cell/vars/0": (2, 2),
        "layers/rnn_1/cell/vars/1": (2, 2),
        "layers/rnn_1/cell/vars/2": (2,),
        "layers/sequential/layers/dense/vars/0": (2, 2),
        "layers/sequential/layers/dense/vars/1": (2,),
        "layers/sequential/layers/dense_1/vars/0": (2, 2),
        "layers/sequential/layers/dense_1/vars/1": (2,),
        "layers/time_distributed/layer/vars/0": (6, 2),
        "layers/time_distributed/layer/vars/1": (2,),
    }
    loaded = ember.saving.load_model(tmp_path / "nested.keras")
    x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
    assert np.array_equal(_predict(model, x)[0], _predict(loaded, x)[0])


@pytest.mark.parametrize("case", sorted(set(CASES) - NOT_IN_KERAS))
def test_every_layer_round_trips_through_the_keras_format(case, tmp_path):
    model, x = CASES[case]()
    _randomize(model)
    model.save(tmp_path / "m.keras")
    loaded = ember.saving.load_model(tmp_path / "m.keras")
    assert [type(la) for la in loaded.layers] == [type(la) for la in model.layers]
    for a, b in zip(_predict(model, x), _predict(loaded, x)):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("case", sorted(NOT_IN_KERAS))
def test_layers_keras_does_not_have_are_refused(case, tmp_path):
    model, _ = CASES[case]()
    with pytest.raises(ValueError, match=f"{case} '.*' has no counterpart in Keras 3"):
        model.save(tmp_path / "m.keras")
    assert not (tmp_path / "m.keras").exists()


def test_subclassed_model_is_refused(tmp_path):
    class Net(ember.Model):
        def __init__(self):
            super().__init__()
            self.dense = L.Dense(2)

        def call(self, x):
            return self.dense(x)

    model = Net()
    model(np.ones((1, 3), dtype="float32"))
    with pytest.raises(ValueError, match="subclassed Net.*'.ember'"):
        model.save(tmp_path / "net.keras")


def test_optimizer_state_round_trips_through_the_keras_format(tmp_path):
    model, x = branchy_mlp()
    model.save(tmp_path / "mlp.keras")
    loaded = ember.saving.load_model(tmp_path / "mlp.keras")
    expected = {v.name: v.numpy() for v in model.optimizer.variables}
    assert {v.name: v.numpy().shape for v in loaded.optimizer.variables} == {
        k: v.shape for k, v in expected.items()}
    for v in loaded.optimizer.variables:
        assert np.array_equal(v.numpy(), expected[v.name])
    y = np.array([0, 1, 2, 0, 1])
    model.layers[-2].rate = loaded.layers[-2].rate = 0.0  # no dropout: the same steps
    ember.utils.set_random_seed(9)
    model.train_on_batch(x, y)
    ember.utils.set_random_seed(9)
    loaded.train_on_batch(x, y)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        assert np.array_equal(a, b)


# ---- damaged and foreign .keras files -------------------------------------------------------
def _rewrite(source, target, member, change) -> None:
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for name in zin.namelist():
            data = zin.read(name)
            zout.writestr(name, change(data) if name == member else data)


def _edit_config(edit):
    def change(data: bytes) -> bytes:
        config = json.loads(data)
        edit(config)
        return json.dumps(config).encode()
    return change


@pytest.fixture
def keras_file(tmp_path):
    model = ember.Sequential([ember.Input(shape=(4,)), L.Dense(3, name="hidden"),
                              L.Dense(2, name="out")])
    path = tmp_path / "good.keras"
    model.save(path)
    return path


def test_damaged_keras_files(keras_file, tmp_path):
    path = tmp_path / "bad.keras"
    data = keras_file.read_bytes()
    for damaged in (data[: len(data) // 2], np.random.default_rng(0).bytes(2000)):
        path.write_bytes(damaged)
        with pytest.raises(ValueError, match="bad.keras"):
            ember.saving.load_model(path)
    _rewrite(keras_file, path, "model.weights.h5", lambda d: d[:100])
    with pytest.raises(ValueError, match="bad.keras.*not a valid HDF5 weights file"):
        ember.saving.load_model(path)


def test_damaged_weights_inside_an_intact_zip(keras_file, tmp_path):
    """HDF5 bytes overwritten everywhere (the zip rewritten, so its checksums pass): a
    ValueError naming the file or a model, never an exception from inside h5py."""
    with zipfile.ZipFile(keras_file) as zf:
        data = zf.read("model.weights.h5")
    path = tmp_path / "damaged.keras"
    raised = 0
    for i, offset in enumerate(range(0, len(data), len(data) // 75)):
        pattern = (b"\xff" * 8, bytes(8), b"\x01")[i % 3]

        def damage(d, offset=offset, pattern=pattern):
            return d[:offset] + pattern + d[offset + len(pattern):]

        _rewrite(keras_file, path, "model.weights.h5", damage)
        try:
            ember.saving.load_model(path)
        except ValueError as exc:
            assert "damaged.keras" in str(exc)
            raised += 1
    assert raised > 0


def test_unknown_keras_class(keras_file, tmp_path):
    path = tmp_path / "unknown.keras"
    _rewrite(keras_file, path, "config.json", _edit_config(
        lambda c: c["config"]["layers"][1].update(class_name="RandomFlip")))
    with pytest.raises(ValueError, match="unknown.keras.*Unknown layer: 'RandomFlip'"):
        ember.saving.load_model(path)


def test_keras_lambda_is_never_run(keras_file, tmp_path):
    path = tmp_path / "lambda.keras"
    _rewrite(keras_file, path, "config.json", _edit_config(
        lambda c: c["config"]["layers"][1].update(
            class_name="Lambda", config={"name": "fn", "function": {"class_name": "__lambda__",
                                                                    "config": {"code": "4wE"}}})))
    with pytest.raises(ValueError, match="Lambda 'fn'.*bytecode"):
        ember.saving.load_model(path)


def test_keras_options_ember_lacks(keras_file, tmp_path):
    path = tmp_path / "options.keras"
    _rewrite(keras_file, path, "config.json", _edit_config(
        lambda c: c["config"]["layers"][1]["config"].update(quantization_config=None,
                                                            lora_alpha=None)))
    ember.saving.load_model(path)  # neutral values are dropped
    _rewrite(keras_file, path, "config.json", _edit_config(
        lambda c: c["config"]["layers"][1]["config"].update(quantization_config={"mode": "int8"})))
    with pytest.raises(ValueError, match="Dense 'hidden'.*no option 'quantization_config'"):
        ember.saving.load_model(path)


def test_weights_that_do_not_match(keras_file, tmp_path):
    def alter(data: bytes) -> bytes:
        buffer = io.BytesIO(data)
        with h5py.File(buffer, "a") as f:
            del f["layers/dense_1/vars/1"]
            del f["layers/dense/vars/0"]
            f.create_dataset("layers/dense/vars/0", data=np.zeros((4, 5)))
            f.create_dataset("layers/extra/vars/0", data=np.zeros(3))
        return buffer.getvalue()

    path = tmp_path / "mismatch.keras"
    _rewrite(keras_file, path, "model.weights.h5", alter)
    with pytest.raises(ValueError) as info:
        ember.saving.load_model(path)
    message = str(info.value)
    assert "mismatch.keras" in message
    assert ("layers/dense/vars (Dense 'hidden'): kernel expected shape (4, 3), the file has "
            "(4, 5)") in message
    assert "layers/dense_1/vars (Dense 'out'): expected 2 arrays, the file has 1" in message
    assert "in the file but not in the model: ['layers/extra/vars']" in message


# ---- real Keras 3 ---------------------------------------------------------------------------
KERAS_SCRIPT = r"""
import json, sys, warnings
try:
    import keras
except Exception as exc:
    print(f"cannot import keras: {exc!r}")
    sys.exit(3)
import numpy as np

folder = sys.argv[1]
manifest = json.load(open(f"{folder}/manifest.json"))
report = {}


def arrays(path):
    data = np.load(path)
    return [data[f"arr_{i}"] for i in range(len(data.files))]


def as_list(out):
    return [keras.ops.convert_to_numpy(o)
            for o in (out if isinstance(out, (list, tuple)) else [out])]


def optimizer_state(model):
    return {v.path.split("/")[-1]: np.asarray(v.numpy()) for v in model.optimizer.variables}


# ember's files, read by Keras, predicted, and saved again by Keras.
for name, n_inputs in manifest.items():
    inputs = arrays(f"{folder}/{name}.inputs.npz")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = keras.saving.load_model(f"{folder}/{name}.keras")
    outputs = model(inputs if n_inputs > 1 else inputs[0], training=False)
    np.savez(f"{folder}/{name}.by_keras.npz", *as_list(outputs))
    report[name] = [str(w.message) for w in caught]
    if getattr(model, "optimizer", None) is not None and model.optimizer.variables:
        np.savez(f"{folder}/{name}.keras_optimizer.npz", **optimizer_state(model))
    model.save(f"{folder}/{name}.resaved.keras")

# Keras's own models.
keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
L = keras.layers


def keep(name, model, x, y=None):
    model.save(f"{folder}/keras_{name}.keras")
    np.savez(f"{folder}/keras_{name}.io.npz", x, *as_list(model.predict(x, verbose=0)))
    if y is not None:  # the state ember restores, then one more step on both sides
        np.save(f"{folder}/keras_{name}.labels.npy", y)
        np.savez(f"{folder}/keras_{name}.optimizer.npz", **optimizer_state(model))
        model.train_on_batch(x, y)
        np.savez(f"{folder}/keras_{name}.stepped.npz",
                 **{v.path: np.asarray(v.numpy()) for v in model.weights})


mlp = keras.Sequential([keras.Input((6,)), L.Dense(16, activation="relu"),
                        L.BatchNormalization(), L.Dense(3, activation="softmax")])
mlp.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
            metrics=["accuracy"])
x, y = rng.normal(size=(32, 6)).astype("float32"), rng.integers(0, 3, 32)
mlp.fit(x, y, batch_size=8, epochs=2, verbose=0)
keep("mlp", mlp, x[:8], y[:8])

inputs = keras.Input((8, 8, 3))
h = L.Conv2D(4, 3, padding="same", activation="relu")(inputs)
h = L.BatchNormalization()(h)
h = L.Add()([h, L.Conv2D(4, 3, padding="same")(h)])
h = L.MaxPooling2D(2)(h)
h = L.Conv2D(6, 3, activation="relu")(h)
h = L.GlobalAveragePooling2D()(h)
cnn = keras.Model(inputs, L.Dense(3, activation="softmax")(L.Dropout(0.2)(h)))
cnn.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9), loss="categorical_crossentropy")
x = rng.normal(size=(16, 8, 8, 3)).astype("float32")
cnn.fit(x, np.eye(3)[rng.integers(0, 3, 16)], batch_size=8, verbose=0)
keep("cnn", cnn, x[:4])

inputs = keras.Input((7,), dtype="int32")
h = L.Embedding(12, 5, mask_zero=True)(inputs)
h = L.LSTM(6, return_sequences=True)(h)
h = L.GRU(4)(h)
lstm = keras.Model(inputs, L.Dense(1)(h))
lstm.compile(optimizer=keras.optimizers.RMSprop(0.01, momentum=0.5, centered=True), loss="mse")
x = rng.integers(1, 12, size=(16, 7)).astype("int32")
x[::2, 4:] = 0
lstm.fit(x, rng.normal(size=(16, 1)).astype("float32"), batch_size=8, verbose=0)
keep("lstm", lstm, x[:6])

json.dump(report, open(f"{folder}/report.json", "w"))
"""


@pytest.fixture(scope="module")
def keras_run(tmp_path_factory):
    """Write ember's models, run Keras 3 once on them and on its own models; the folder."""
    folder = tmp_path_factory.mktemp("keras")
    manifest = {}
    ember.utils.set_random_seed(3)
    for name, build in EMBER_MODELS.items():
        model, x = build()
        model.save(folder / f"{name}.keras")
        np.savez(folder / f"{name}.inputs.npz", x)
        np.savez(folder / f"{name}.expected.npz", *_predict(model, x))
        if model.optimizer is not None:
            np.savez(folder / f"{name}.ember_optimizer.npz",
                     **{v.name: v.numpy() for v in model.optimizer.variables})
        manifest[name] = 1
    for case in sorted(set(CASES) - NOT_IN_KERAS):
        model, x = CASES[case]()
        _randomize(model)
        model.save(folder / f"layer-{case}.keras")
        xs = x if isinstance(x, list) else [x]
        np.savez(folder / f"layer-{case}.inputs.npz", *xs)
        np.savez(folder / f"layer-{case}.expected.npz", *_predict(model, x))
        manifest[f"layer-{case}"] = len(xs)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    env = dict(os.environ)
    env.setdefault("KERAS_BACKEND", "torch")
    done = subprocess.run([sys.executable, "-c", KERAS_SCRIPT, str(folder)], cwd=folder,
                          env=env, capture_output=True, text=True, timeout=900)
    if done.returncode == 3:
        pytest.skip(f"Keras 3 is not importable ({done.stdout.strip()[-200:]})")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return folder


def _arrays(path) -> list:
    data = np.load(path)
    return [data[f"arr_{i}"] for i in range(len(data.files))]


def _load_report(folder) -> dict:
    return json.loads((folder / "report.json").read_text())


@pytest.mark.parametrize("name", sorted(EMBER_MODELS))
def test_ember_model_loads_in_keras(keras_run, name):
    loading_warnings = [w for w in _load_report(keras_run)[name]
                        if "load" in w.lower() or "skip" in w.lower()]
    assert loading_warnings == []
    for got, expected in zip(_arrays(keras_run / f"{name}.by_keras.npz"),
                             _arrays(keras_run / f"{name}.expected.npz")):
        np.testing.assert_allclose(got, expected, atol=ATOL, rtol=0)
    keras_state = np.load(keras_run / f"{name}.keras_optimizer.npz")
    ember_state = np.load(keras_run / f"{name}.ember_optimizer.npz")
    assert sorted(keras_state.files) == sorted(ember_state.files)
    for key in ember_state.files:
        np.testing.assert_array_equal(keras_state[key].astype(ember_state[key].dtype),
                                      ember_state[key], err_msg=key)


def test_every_ember_layer_loads_in_keras(keras_run):
    report = _load_report(keras_run)
    failures = []
    for case in sorted(set(CASES) - NOT_IN_KERAS):
        name = f"layer-{case}"
        got = _arrays(keras_run / f"{name}.by_keras.npz")
        expected = _arrays(keras_run / f"{name}.expected.npz")
        if report[name] or not all(np.allclose(a, b, atol=ATOL, rtol=0)
                                   for a, b in zip(got, expected)):
            failures.append(case)
    assert failures == []


def test_keras_resaved_files_load_in_ember(keras_run):
    """Keras's own writing of every model above reads back into ember unchanged."""
    failures = []
    for name in sorted(json.loads((keras_run / "manifest.json").read_text())):
        loaded = ember.saving.load_model(keras_run / f"{name}.resaved.keras")
        inputs = _arrays(keras_run / f"{name}.inputs.npz")
        got = _predict(loaded, inputs if len(inputs) > 1 else inputs[0])
        if not all(np.allclose(a, b, atol=ATOL, rtol=0)
                   for a, b in zip(got, _arrays(keras_run / f"{name}.expected.npz"))):
            failures.append(name)
    assert failures == []


@pytest.mark.parametrize("name", ["mlp", "cnn", "lstm"])
def test_keras_model_loads_in_ember(keras_run, name):
    x, *expected = _arrays(keras_run / f"keras_{name}.io.npz")
    model = ember.saving.load_model(keras_run / f"keras_{name}.keras")
    for got, want in zip(_predict(model, x), expected):
        np.testing.assert_allclose(got, want, atol=ATOL, rtol=0)
    assert model.optimizer is not None and model.optimizer.built


def test_keras_optimizer_state_continues_in_ember(keras_run):
    """Keras's Adam state loads into ember's Adam, and one more step from it lands where
    Keras's step lands (a fresh optimizer does not)."""
    x, *_ = _arrays(keras_run / "keras_mlp.io.npz")
    y = np.load(keras_run / "keras_mlp.labels.npy")
    model = ember.saving.load_model(keras_run / "keras_mlp.keras")
    keras_state = np.load(keras_run / "keras_mlp.optimizer.npz")
    # Keras names the variables of a Sequential it built under the model's name.
    keras_state = {k.removeprefix(f"{model.name}_"): keras_state[k] for k in keras_state.files}
    state = {v.name: v.numpy() for v in model.optimizer.variables}
    assert sorted(state) == sorted(keras_state)
    for key, value in state.items():
        np.testing.assert_array_equal(value, keras_state[key].astype(value.dtype), err_msg=key)

    stepped = np.load(keras_run / "keras_mlp.stepped.npz")
    stepped = {k.removeprefix(f"{model.name}/"): stepped[k] for k in stepped.files}
    fresh = ember.saving.load_model(keras_run / "keras_mlp.keras", compile=False)
    fresh.compile(optimizer=ember.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    distance = {}
    for candidate, label in ((model, "restored"), (fresh, "fresh")):
        candidate.train_on_batch(x, y)
        weights = {v.path: v.numpy() for v in candidate.weights}
        assert sorted(weights) == sorted(stepped)
        distance[label] = max(float(np.max(np.abs(weights[k] - stepped[k]))) for k in stepped)
    assert distance["restored"] < ATOL < distance["fresh"]
