"""UpSampling, ZeroPadding, Cropping (1-D, 2-D, 3-D) and SpatialDropout (1-D, 2-D, 3-D):
the layer contract, values against NumPy and a loop reference of TensorFlow's bilinear
resize, Keras's argument forms, and clear errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from layer_contract import check_layer

import ember
from ember import layers

CONTRACT = [
    (lambda **kw: layers.UpSampling1D(3, **kw), (2, 4, 3), (2, 12, 3)),
    (lambda **kw: layers.UpSampling2D((2, 3), **kw), (2, 3, 2, 2), (2, 6, 6, 2)),
    (lambda **kw: layers.UpSampling2D(interpolation="bilinear", **kw), (1, 3, 4, 2),
     (1, 6, 8, 2)),
    (lambda **kw: layers.UpSampling3D((1, 2, 2), **kw), (1, 2, 2, 3, 2), (1, 2, 4, 6, 2)),
    (lambda **kw: layers.ZeroPadding1D((1, 2), **kw), (2, 4, 3), (2, 7, 3)),
    (lambda **kw: layers.ZeroPadding2D(((1, 0), (2, 1)), **kw), (2, 3, 3, 2), (2, 4, 6, 2)),
    (lambda **kw: layers.ZeroPadding3D(1, **kw), (1, 2, 2, 2, 2), (1, 4, 4, 4, 2)),
    (lambda **kw: layers.Cropping1D((1, 2), **kw), (2, 6, 3), (2, 3, 3)),
    (lambda **kw: layers.Cropping2D(((1, 0), (0, 2)), **kw), (2, 4, 5, 2), (2, 3, 3, 2)),
    (lambda **kw: layers.Cropping3D(1, **kw), (1, 4, 3, 4, 2), (1, 2, 1, 2, 2)),
]


@pytest.mark.parametrize("factory, shape, expected", CONTRACT)
def test_layer_contract(factory, shape, expected):
    check_layer(factory, shape, expected)


@pytest.mark.parametrize("factory, shape", [
    (lambda **kw: layers.SpatialDropout1D(0.5, seed=3, **kw), (4, 5, 6)),
    (lambda **kw: layers.SpatialDropout2D(0.5, seed=3, **kw), (4, 3, 3, 6)),
    (lambda **kw: layers.SpatialDropout3D(0.5, seed=3, **kw), (4, 2, 2, 2, 6)),
])
def test_spatial_dropout_contract(factory, shape):
    check_layer(factory, shape, shape, training_changes_output=True)


def _bilinear_reference(x, fy, fx):
    """tf.image.resize(bilinear, half_pixel_centers=True), one output pixel at a time."""
    n, h, w, c = x.shape
    out = np.zeros((n, h * fy, w * fx, c))
    for i in range(h * fy):
        sy = (i + 0.5) / fy - 0.5
        y0, y1, ly = max(math.floor(sy), 0), min(math.ceil(sy), h - 1), sy - math.floor(sy)
        for j in range(w * fx):
            sx = (j + 0.5) / fx - 0.5
            x0, x1, lx = max(math.floor(sx), 0), min(math.ceil(sx), w - 1), sx - math.floor(sx)
            top = (1 - lx) * x[:, y0, x0] + lx * x[:, y0, x1]
            bottom = (1 - lx) * x[:, y1, x0] + lx * x[:, y1, x1]
            out[:, i, j] = (1 - ly) * top + ly * bottom
    return out


def test_upsampling_values():
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 2)).astype("float32")
    nearest = layers.UpSampling2D((2, 3))(ember.tensor(x)).numpy()
    np.testing.assert_array_equal(nearest, x.repeat(2, axis=1).repeat(3, axis=2))
    np.testing.assert_array_equal(layers.UpSampling1D(2)(ember.tensor(x[:, 0])).numpy(),
                                  x[:, 0].repeat(2, axis=1))
    bilinear = layers.UpSampling2D((2, 3), interpolation="bilinear")(ember.tensor(x))
    assert bilinear.dtype == np.float32
    np.testing.assert_allclose(bilinear.numpy(), _bilinear_reference(x, 2, 3), rtol=1e-5,
                               atol=1e-6)
    square = ember.tensor([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 2, 2, 1)
    out = layers.UpSampling2D(interpolation="bilinear")(square).numpy()[0, :, :, 0]
    np.testing.assert_allclose(out, [[1.0, 1.25, 1.75, 2.0], [1.5, 1.75, 2.25, 2.5],
                                     [2.5, 2.75, 3.25, 3.5], [3.0, 3.25, 3.75, 4.0]])


def test_padding_and_cropping_values():
    x = np.random.default_rng(0).standard_normal((2, 4, 5, 3)).astype("float32")
    padded = layers.ZeroPadding2D(((1, 0), (2, 1)))(ember.tensor(x)).numpy()
    np.testing.assert_array_equal(padded, np.pad(x, ((0, 0), (1, 0), (2, 1), (0, 0))))
    cropped = layers.Cropping2D(((1, 2), (0, 1)))(ember.tensor(x)).numpy()
    np.testing.assert_array_equal(cropped, x[:, 1:2, 0:4])
    np.testing.assert_array_equal(layers.Cropping1D()(ember.tensor(x[:, 0])).numpy(),
                                  x[:, 0, 1:4])


def test_keras_argument_forms_and_config():
    assert layers.ZeroPadding2D(2).padding == ((2, 2), (2, 2))
    assert layers.ZeroPadding2D((1, 2)).padding == ((1, 1), (2, 2))
    assert layers.ZeroPadding1D(3).get_config()["padding"] == (3, 3)
    assert layers.ZeroPadding3D().get_config()["padding"] == ((1, 1),) * 3
    assert layers.Cropping1D().get_config()["cropping"] == (1, 1)
    assert layers.Cropping2D().get_config()["cropping"] == ((0, 0), (0, 0))
    assert layers.UpSampling1D().get_config()["size"] == 2
    config = layers.UpSampling2D().get_config()
    assert (config["size"], config["interpolation"], config["data_format"]) == (
        (2, 2), "nearest", "channels_last")
    ember.backend.clear_session()
    assert [layers.UpSampling2D().name, layers.ZeroPadding2D().name,
            layers.Cropping2D().name, layers.SpatialDropout2D(0.1).name] == [
        "up_sampling2d", "zero_padding2d", "cropping2d", "spatial_dropout2d"]


def test_spatial_dropout_drops_whole_channels():
    x = np.ones((64, 5, 5, 16), dtype="float32")
    t = ember.tensor(x, requires_grad=True)
    y = layers.SpatialDropout2D(0.25, seed=0)(t, training=True)
    out = y.numpy()
    per_channel = out[:, :1, :1, :]
    np.testing.assert_array_equal(out, np.broadcast_to(per_channel, out.shape))
    assert set(np.unique(per_channel).tolist()) == {0.0, np.float32(1 / 0.75)}
    assert abs((per_channel == 0).mean() - 0.25) < 0.05
    y.sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), out)
    config = layers.SpatialDropout1D(0.3, seed=1).get_config()
    assert "noise_shape" not in config and (config["rate"], config["seed"]) == (0.3, 1)


@pytest.mark.parametrize("make, message", [
    (lambda: layers.Cropping2D(((2, 2), (0, 0)), name="c")(ember.zeros(1, 4, 4, 1)),
     r"Cropping2D 'c': cropping \(\(2, 2\), \(0, 0\)\) removes every element of an input of "
     r"shape \(1, 4, 4, 1\)"),
    (lambda: layers.UpSampling2D(interpolation="bicubic", name="u"),
     r"UpSampling2D 'u': expected interpolation in \('nearest', 'bilinear'\), received "
     r"interpolation='bicubic'"),
    (lambda: layers.ZeroPadding2D((1, 2, 3), name="z"),
     r"ZeroPadding2D 'z': expected padding to be an int, 2 ints or 2 \(start, end\) pairs, "
     r"received padding=\(1, 2, 3\)"),
    (lambda: layers.ZeroPadding2D(((1, -1), (0, 0)), name="zn"),
     r"ZeroPadding2D 'zn': expected every padding >= 0"),
    (lambda: layers.UpSampling3D(name="u3")(ember.zeros(1, 2, 2, 2)),
     r"UpSampling3D 'u3': expected input with 5 dimensions \(batch, depth, height, width, "
     r"channels\), got shape \(1, 2, 2, 2\)"),
    (lambda: layers.SpatialDropout2D(1.5, name="sd"),
     r"SpatialDropout2D: expected rate in \[0, 1\], received rate=1.5"),
    (lambda: layers.SpatialDropout2D(0.5, data_format="channels_first", name="sdf"),
     r"SpatialDropout2D 'sdf': data_format='channels_first' is not supported"),
])
def test_errors_name_the_layer_and_the_values(make, message):
    with pytest.raises(ValueError, match=message):
        make()
