"""ONNX export: the exported graph passes onnx.checker and onnxruntime reproduces predict."""

import numpy as np
import pytest

import ember as keras
from ember import layers

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def _run(path, inputs):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feed = {i.name: x for i, x in zip(session.get_inputs(), inputs)}
    return session.run(None, feed)


def _assert_parity(model, inputs, path):
    keras.saving.export_onnx(model, str(path))
    onnx.checker.check_model(onnx.load(str(path)))
    expected = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
    expected = expected if isinstance(expected, list) else [expected]
    got = _run(path, inputs)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.shape == e.shape
        np.testing.assert_allclose(g, e, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh", "softmax", "elu", "selu",
                                        "softplus", "softsign", "gelu", "silu", "leaky_relu",
                                        "relu6", "hard_sigmoid", "hard_silu", "mish",
                                        "exponential", "log_softmax", "linear"])
def test_mlp_with_each_activation(tmp_path, activation):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(12,)),
                              layers.Dense(16, activation=activation),
                              layers.Dense(4)])
    x = np.random.default_rng(0).normal(size=(7, 12)).astype("float32")
    _assert_parity(model, [x], tmp_path / "mlp.onnx")


def test_trained_digit_network_and_layer_mix(tmp_path):
    keras.utils.set_random_seed(1)
    model = keras.Sequential([
        keras.Input(shape=(6, 4)),
        layers.Flatten(),
        layers.Dense(32), layers.ReLU(max_value=6.0), layers.Dropout(0.3),
        layers.Dense(12), layers.LeakyReLU(0.1), layers.PReLU(), layers.ELU(0.5),
        layers.Reshape((3, 4)), layers.Permute((2, 1)), layers.Flatten(),
        layers.Swish(), layers.Activation("tanh"), layers.GaussianNoise(0.1),
        layers.Dense(10), layers.Softmax(),
    ])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 6, 4)).astype("float32")
    y = rng.integers(0, 10, 64)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, verbose=0)
    _assert_parity(model, [x[:9]], tmp_path / "mix.onnx")


def test_functional_two_inputs_two_outputs_with_nested_model(tmp_path):
    a = keras.Input(shape=(8,), name="a")
    b = keras.Input(shape=(4,), name="b")
    h = layers.Dense(5, activation="relu")(a)
    joined = layers.Concatenate()([h, b])
    out1 = layers.Dense(2, name="out1")(joined)
    inner = keras.Sequential([keras.Input(shape=(5,)), layers.Dense(3, activation="tanh")])
    shared = layers.Dense(3)
    out2 = layers.Average()([layers.Add()([inner(h), shared(h)]),
                             layers.Multiply()([shared(h), layers.Dense(3)(h)]),
                             layers.Maximum()([shared(h), inner(h)]),
                             layers.Subtract()([shared(h), inner(h)])])
    model = keras.Model([a, b], [out1, out2])
    rng = np.random.default_rng(1)
    inputs = [rng.normal(size=(5, 8)).astype("float32"), rng.normal(size=(5, 4)).astype("float32")]
    _assert_parity(model, inputs, tmp_path / "functional.onnx")


def test_repeat_vector_and_minimum(tmp_path):
    x_in = keras.Input(shape=(3,))
    rep = layers.RepeatVector(4)(x_in)
    out = layers.Minimum()([rep, layers.Dense(3)(rep)])
    model = keras.Model(x_in, out)
    x = np.random.default_rng(2).normal(size=(2, 3)).astype("float32")
    _assert_parity(model, [x], tmp_path / "repeat.onnx")


def test_unmapped_layer_and_subclassed_model_give_clear_errors(tmp_path):
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Lambda(lambda t: t * 2)])
    with pytest.raises(ValueError, match="no ONNX mapping for layer 'lambda.*Lambda"):
        keras.saving.export_onnx(model, str(tmp_path / "x.onnx"))

    class Sub(keras.Model):
        def call(self, x):
            return x

    with pytest.raises(ValueError, match="has no layer graph"):
        keras.saving.export_onnx(Sub(), str(tmp_path / "y.onnx"))
    assert not (tmp_path / "x.onnx").exists()


def test_convnet_with_pooling_normalization_and_padding(tmp_path):
    keras.utils.set_random_seed(2)
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(8, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(6, (3, 2), strides=2, padding="same", dilation_rate=1),
        layers.BatchNormalization(),
        layers.AveragePooling2D(2, padding="same"),
        layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same"),
        layers.SeparableConv2D(4, 3, activation="tanh"),
        layers.ZeroPadding2D(1),
        layers.UpSampling2D(2),
        layers.Conv2D(4, 3, groups=2, padding="same"),
        layers.GlobalAveragePooling2D(),
        layers.Dense(10, activation="softmax"),
    ])
    rng = np.random.default_rng(3)
    x = rng.random((32, 28, 28, 1)).astype("float32")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, rng.integers(0, 10, 32), epochs=1, batch_size=16, verbose=0)
    _assert_parity(model, [x[:5]], tmp_path / "cnn.onnx")


def test_simple_mnist_convnet(tmp_path):
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Flatten(), layers.Dropout(0.5), layers.Dense(10, activation="softmax"),
    ])
    x = np.random.default_rng(4).random((4, 28, 28, 1)).astype("float32")
    _assert_parity(model, [x], tmp_path / "convnet.onnx")


def test_conv1d_causal_layer_norm_global_max(tmp_path):
    model = keras.Sequential([keras.Input(shape=(10, 5)),
                              layers.Conv1D(4, 3, padding="causal", dilation_rate=2),
                              layers.LayerNormalization(), layers.GlobalMaxPooling1D()])
    x = np.random.default_rng(5).random((3, 10, 5)).astype("float32")
    _assert_parity(model, [x], tmp_path / "conv1d.onnx")


@pytest.mark.parametrize("make", [
    lambda: layers.LSTM(7),
    lambda: layers.LSTM(7, return_sequences=True, go_backwards=True),
    lambda: layers.GRU(6),
    lambda: layers.GRU(6, reset_after=False, return_sequences=True),
    lambda: layers.SimpleRNN(5, return_sequences=True),
])
def test_recurrent_layers(tmp_path, make):
    rng = np.random.default_rng(6)
    model = keras.Sequential([keras.Input(shape=(9, 4)), make(), layers.Dense(3)])
    for v in model.weights:
        v.assign(rng.normal(size=v.shape) * 0.5)
    x = rng.random((3, 9, 4)).astype("float32")
    _assert_parity(model, [x], tmp_path / "rnn.onnx")


def test_sequential_mnist_lstm_trained(tmp_path):
    keras.utils.set_random_seed(7)
    model = keras.Sequential([keras.Input(shape=(28, 28)), layers.LSTM(16),
                              layers.Dense(10, activation="softmax")])
    rng = np.random.default_rng(7)
    x = rng.random((32, 28, 28)).astype("float32")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, rng.integers(0, 10, 32), epochs=1, verbose=0)
    _assert_parity(model, [x[:4]], tmp_path / "lstm.onnx")


def test_recurrent_states_and_masks_are_refused(tmp_path):
    inputs = keras.Input(shape=(5, 3))
    _, h, c = layers.LSTM(4, return_state=True)(inputs)
    model = keras.Model(inputs, h)
    with pytest.raises(ValueError, match="return_state has no mapping"):
        keras.saving.export_onnx(model, str(tmp_path / "state.onnx"))
