"""Convolution layers: the layer contract for every class and configuration, values against
the direct-loop references, Keras's names, shapes and parameter counts, and clear errors."""

from __future__ import annotations

import conv_reference as ref
import numpy as np
import pytest
from layer_contract import check_layer

import ember
from ember import layers

CONTRACT = [
    # factory, input shape, expected output shape, number of weights
    (lambda **kw: layers.Conv1D(4, 3, **kw), (2, 7, 3), (2, 5, 4), 2),
    (lambda **kw: layers.Conv1D(4, 3, padding="causal", dilation_rate=2, **kw), (2, 7, 3),
     (2, 7, 4), 2),
    (lambda **kw: layers.Conv1D(6, 2, strides=2, padding="same", groups=3, **kw), (1, 7, 3),
     (1, 4, 6), 2),
    (lambda **kw: layers.Conv2D(3, (3, 2), strides=(2, 1), padding="same", **kw),
     (2, 5, 4, 2), (2, 3, 4, 3), 2),
    (lambda **kw: layers.Conv2D(4, 3, dilation_rate=2, use_bias=False, activation="tanh",
                                **kw), (1, 6, 6, 2), (1, 2, 2, 4), 1),
    (lambda **kw: layers.Conv2D(4, 2, groups=2, activation="relu", **kw), (2, 4, 4, 2),
     (2, 3, 3, 4), 2),
    (lambda **kw: layers.Conv3D(2, 2, strides=2, padding="same", **kw), (1, 3, 4, 3, 2),
     (1, 2, 2, 2, 2), 2),
    (lambda **kw: layers.DepthwiseConv1D(3, depth_multiplier=2, **kw), (2, 6, 3), (2, 4, 6), 2),
    (lambda **kw: layers.DepthwiseConv2D((2, 3), strides=2, padding="same", depth_multiplier=2,
                                         **kw), (2, 5, 5, 2), (2, 3, 3, 4), 2),
    (lambda **kw: layers.SeparableConv1D(4, 3, padding="same", **kw), (2, 6, 2), (2, 6, 4), 3),
    (lambda **kw: layers.SeparableConv2D(3, 2, depth_multiplier=2, use_bias=False, **kw),
     (1, 4, 5, 2), (1, 3, 4, 3), 2),
    (lambda **kw: layers.Conv1DTranspose(3, 3, strides=2, **kw), (2, 4, 2), (2, 9, 3), 2),
    (lambda **kw: layers.Conv2DTranspose(3, (3, 2), strides=2, padding="same", **kw),
     (1, 3, 3, 2), (1, 6, 6, 3), 2),
    (lambda **kw: layers.Conv2DTranspose(2, 3, strides=2, output_padding=1, **kw),
     (2, 3, 2, 2), (2, 8, 6, 2), 2),
    (lambda **kw: layers.Conv3DTranspose(2, 2, strides=2, **kw), (1, 2, 2, 2, 2),
     (1, 4, 4, 4, 2), 2),
]


@pytest.mark.parametrize("factory, shape, expected, n_weights", CONTRACT)
def test_layer_contract(factory, shape, expected, n_weights):
    check_layer(factory, shape, expected, n_weights=n_weights)


def _weights(layer, x):
    layer(ember.tensor(x))  # build
    rng = np.random.default_rng(1)
    layer.set_weights([rng.standard_normal(w.shape) for w in layer.get_weights()])
    return [w.numpy() for w in layer.weights]


def test_conv_layers_match_the_loop_reference():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 6, 5, 3))
    layer = layers.Conv2D(4, (3, 2), strides=(2, 1), padding="same", dtype="float64")
    kernel, bias = _weights(layer, x)
    np.testing.assert_allclose(layer(ember.tensor(x)).numpy(),
                               ref.conv(x, kernel, (2, 1), "same", (1, 1)) + bias, rtol=1e-10)

    x1 = rng.standard_normal((2, 7, 2))
    causal = layers.Conv1D(3, 3, padding="causal", dilation_rate=2, use_bias=False,
                           dtype="float64")
    (kernel,) = _weights(causal, x1)
    np.testing.assert_allclose(causal(ember.tensor(x1)).numpy(),
                               ref.conv(x1, kernel, (1,), [(4, 0)], (2,)), rtol=1e-10)
    # Causal: output t does not depend on inputs after t.
    changed = x1.copy()
    changed[:, 5:] += 1.0
    np.testing.assert_array_equal(causal(ember.tensor(changed)).numpy()[:, :5],
                                  causal(ember.tensor(x1)).numpy()[:, :5])


def test_depthwise_separable_and_transpose_layers_match_the_loop_reference():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5, 6, 3))
    depthwise = layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2, dtype="float64")
    kernel, bias = _weights(depthwise, x)
    np.testing.assert_allclose(depthwise(ember.tensor(x)).numpy(),
                               ref.depthwise_conv(x, kernel, (1, 1), "same", (1, 1)) + bias,
                               rtol=1e-10)

    separable = layers.SeparableConv2D(4, 2, strides=2, dtype="float64")
    dw, pw, bias = _weights(separable, x)
    expected = ref.conv(ref.depthwise_conv(x, dw, (2, 2), "valid", (1, 1)), pw, (1, 1),
                        "valid", (1, 1)) + bias
    np.testing.assert_allclose(separable(ember.tensor(x)).numpy(), expected, rtol=1e-10)

    transpose = layers.Conv2DTranspose(3, (3, 2), strides=2, padding="same",
                                       output_padding=(1, 0), dtype="float64")
    kernel, bias = _weights(transpose, x)
    expected = ref.conv_transpose(x, kernel, (2, 2), "same", (1, 0), (1, 1)) + bias
    np.testing.assert_allclose(transpose(ember.tensor(x)).numpy(), expected, rtol=1e-10)


def test_keras_names_shapes_and_parameter_counts():
    ember.backend.clear_session()
    model = ember.Sequential([
        ember.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.Conv2DTranspose(8, 3, strides=2, padding="same"),
        layers.SeparableConv2D(4, 3),
        layers.DepthwiseConv2D(3),
    ])
    names = [layer.name for layer in model.layers]
    assert names == ["conv2d", "max_pooling2d", "conv2d_1", "conv2d_transpose",
                     "separable_conv2d", "depthwise_conv2d"]
    shapes = [layer.output.shape for layer in model.layers]
    assert shapes == [(None, 26, 26, 32), (None, 13, 13, 32), (None, 11, 11, 64),
                      (None, 22, 22, 8), (None, 20, 20, 4), (None, 18, 18, 4)]
    counts = [layer.count_params() for layer in model.layers]
    assert counts == [320, 0, 18496, 64 * 8 * 9 + 8, 8 * 9 + 8 * 4 + 4, 4 * 9 + 4]
    assert layers.Convolution2D is layers.Conv2D
    assert layers.Conv2D(2, 3).kernel_size == (3, 3)


def test_conv_transpose_undoes_the_shape_of_a_strided_conv():
    x = ember.zeros(2, 28, 28, 1)
    down = layers.Conv2D(8, 3, strides=2, padding="same")(x)
    up = layers.Conv2DTranspose(1, 3, strides=2, padding="same")(down)
    assert down.shape == (2, 14, 14, 8) and up.shape == x.shape


def test_unknown_spatial_sizes_stay_unknown():
    inputs = ember.Input(shape=(None, None, 3))
    x = layers.Conv2D(4, 3, padding="same")(inputs)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2DTranspose(2, 3, strides=2)(x)
    x = layers.UpSampling2D()(x)
    assert x.shape == (None, None, None, 2)
    outputs = layers.GlobalAveragePooling2D()(x)
    model = ember.Model(inputs, outputs)
    for size in (8, 11):
        assert model.predict(np.zeros((1, size, size + 1, 3), "float32"),
                             verbose=0).shape == (1, 2)


def test_float32_training_step_reduces_the_loss():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 8, 8, 1)).astype("float32")
    y = (x[:, 2:6, 2:6, 0].mean(axis=(1, 2)) > 0).astype("int64")
    ember.utils.set_random_seed(0)
    model = ember.Sequential([
        ember.Input(shape=(8, 8, 1)),
        layers.Conv2D(4, 3, activation="relu", padding="same"),
        layers.MaxPooling2D(),
        layers.SeparableConv2D(4, 2),
        layers.GlobalAveragePooling2D(),
        layers.Dense(2, activation="softmax"),
    ])
    model.compile(optimizer=ember.optimizers.Adam(0.02), loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=30, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < losses[0] * 0.5
    assert all(w.dtype == np.float32 for w in model.get_weights())


def test_saved_model_reloads_with_the_same_predictions(tmp_path):
    model = ember.Sequential([
        ember.Input(shape=(6, 6, 2)),
        layers.Conv2D(3, 3, padding="same", activation="relu"),
        layers.Conv2DTranspose(2, 2, strides=2),
        layers.AveragePooling2D(),
        layers.Flatten(),
    ])
    x = np.random.default_rng(0).standard_normal((2, 6, 6, 2)).astype("float32")
    path = tmp_path / "cnn.ember"
    model.save(path)
    restored = ember.saving.load_model(path)
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize("make, message", [
    (lambda: layers.Conv2D(8, 3, name="conv2d")(ember.zeros(28, 28)),
     r"Conv2D 'conv2d': expected input with 4 dimensions \(batch, height, width, channels\), "
     r"got shape \(28, 28\)"),
    (lambda: layers.Conv1D(8, 3, name="c1")(ember.zeros(2, 5, 5, 1)),
     r"Conv1D 'c1': expected input with 3 dimensions \(batch, steps, channels\), got shape "
     r"\(2, 5, 5, 1\)"),
    (lambda: layers.Conv2D(8, 3, name="cf", data_format="channels_first"),
     r"Conv2D 'cf': data_format='channels_first' is not supported; ember's images are "
     r"channels-last"),
    (lambda: layers.Conv2D(8, 3, padding="causal", name="cc"),
     r"Conv2D 'cc': expected padding to be one of \('valid', 'same'\), received "
     r"padding='causal'"),
    (lambda: layers.Conv2D(8, 3, strides=2, dilation_rate=2, name="sd"),
     r"Conv2D 'sd': strides > 1 cannot be combined with dilation_rate > 1"),
    (lambda: layers.Conv2D(6, 3, groups=4, name="g"),
     r"Conv2D 'g': expected filters divisible by groups, received filters=6, groups=4"),
    (lambda: layers.Conv2D(4, 3, groups=2, name="g2")(ember.zeros(1, 5, 5, 3)),
     r"Conv2D 'g2': expected a known number of input channels divisible by groups=2, got "
     r"input shape \(1, 5, 5, 3\)"),
    (lambda: layers.Conv2D(0, 3, name="f0"),
     r"Conv2D 'f0': expected a positive integer filters, received filters=0"),
    (lambda: layers.Conv2D(4, (3, 3, 3), name="ks"),
     r"Conv2D 'ks': expected kernel_size to be an int or 2 ints, received "
     r"kernel_size=\(3, 3, 3\)"),
    (lambda: layers.Conv2D(4, 5, name="small")(ember.zeros(1, 4, 8, 1)),
     r"Conv2D 'small': the input shape \(1, 4, 8, 1\) is too small for a window of "
     r"kernel_size=\(5, 5\)"),
    (lambda: layers.Conv2DTranspose(4, 3, strides=2, output_padding=2, name="op"),
     r"Conv2DTranspose 'op': expected output_padding < strides, received "
     r"output_padding=\(2, 2\), strides=\(2, 2\)"),
    (lambda: layers.DepthwiseConv2D(3, depth_multiplier=0, name="dm"),
     r"DepthwiseConv2D 'dm': expected a positive integer depth_multiplier"),
])
def test_errors_name_the_layer_and_the_values(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_wrong_channels_after_build_name_the_layer():
    layer = layers.Conv2D(2, 3, name="built")
    layer(ember.zeros(1, 5, 5, 3))
    with pytest.raises(ValueError, match=r"Conv2D 'built': expected last axis 3, got input of "
                                         r"shape \(1, 5, 5, 4\)"):
        layer(ember.zeros(1, 5, 5, 4))
