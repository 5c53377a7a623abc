"""Pooling layers: the layer contract for every class, values against the direct-loop
reference, Keras's aliases and names, masks in GlobalAveragePooling1D, clear errors."""

from __future__ import annotations

import conv_reference as ref
import numpy as np
import pytest
from layer_contract import check_layer

import ember
from ember import layers

CONTRACT = [
    (lambda **kw: layers.MaxPooling1D(2, **kw), (2, 7, 3), (2, 3, 3)),
    (lambda **kw: layers.MaxPooling2D((2, 2), **kw), (2, 5, 5, 2), (2, 2, 2, 2)),
    (lambda **kw: layers.MaxPooling2D(3, strides=2, padding="same", **kw), (2, 5, 6, 2),
     (2, 3, 3, 2)),
    (lambda **kw: layers.MaxPooling3D(2, **kw), (1, 4, 4, 4, 2), (1, 2, 2, 2, 2)),
    (lambda **kw: layers.AveragePooling1D(3, strides=1, padding="same", **kw), (2, 5, 3),
     (2, 5, 3)),
    (lambda **kw: layers.AveragePooling2D((2, 3), **kw), (1, 4, 6, 3), (1, 2, 2, 3)),
    (lambda **kw: layers.AveragePooling3D(2, padding="same", **kw), (1, 3, 3, 2, 2),
     (1, 2, 2, 1, 2)),
    (lambda **kw: layers.GlobalMaxPooling1D(**kw), (2, 5, 3), (2, 3)),
    (lambda **kw: layers.GlobalMaxPooling2D(keepdims=True, **kw), (2, 3, 4, 3), (2, 1, 1, 3)),
    (lambda **kw: layers.GlobalMaxPooling3D(**kw), (1, 2, 3, 2, 3), (1, 3)),
    (lambda **kw: layers.GlobalAveragePooling1D(keepdims=True, **kw), (2, 5, 3), (2, 1, 3)),
    (lambda **kw: layers.GlobalAveragePooling2D(**kw), (2, 3, 4, 3), (2, 3)),
    (lambda **kw: layers.GlobalAveragePooling3D(keepdims=True, **kw), (1, 2, 3, 2, 3),
     (1, 1, 1, 1, 3)),
]


@pytest.mark.parametrize("factory, shape, expected", CONTRACT)
def test_layer_contract(factory, shape, expected):
    check_layer(factory, shape, expected)


@pytest.mark.parametrize("layer, reduce, pool, strides, padding", [
    (layers.MaxPooling2D((3, 2), strides=(2, 1), padding="same"), "max", (3, 2), (2, 1),
     "same"),
    (layers.AveragePooling2D(2, padding="same"), "mean", (2, 2), (2, 2), "same"),
    (layers.MaxPooling1D(3, strides=2), "max", (3,), (2,), "valid"),
    (layers.AveragePooling3D((2, 1, 2)), "mean", (2, 1, 2), (2, 1, 2), "valid"),
])
def test_pooling_layers_match_the_loop_reference(layer, reduce, pool, strides, padding):
    rank = len(pool)
    x = np.random.default_rng(0).standard_normal((2,) + (5,) * rank + (3,)).astype("float32")
    np.testing.assert_allclose(layer(ember.tensor(x)).numpy(),
                               ref.pool(x, pool, strides, padding, reduce), rtol=1e-6)


def test_global_pooling_values():
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5)).astype("float32")
    np.testing.assert_allclose(layers.GlobalAveragePooling2D()(ember.tensor(x)).numpy(),
                               x.mean(axis=(1, 2)), rtol=1e-6)
    np.testing.assert_array_equal(layers.GlobalMaxPooling2D()(ember.tensor(x)).numpy(),
                                  x.max(axis=(1, 2)))


def test_global_average_pooling_1d_averages_unmasked_steps_only():
    x = np.arange(24.0, dtype="float32").reshape(2, 4, 3)
    mask = np.array([[True, True, False, False], [True, True, True, True]])
    layer = layers.GlobalAveragePooling1D()
    out = layer(ember.tensor(x), mask=ember.tensor(mask)).numpy()
    np.testing.assert_allclose(out, [x[0, :2].mean(axis=0), x[1].mean(axis=0)])
    assert layer.compute_mask(ember.tensor(x), ember.tensor(mask)) is None
    # Through an Embedding that masks zeros: the padded steps are left out.
    model = ember.Sequential([ember.Input(shape=(4,)), layers.Embedding(5, 2, mask_zero=True),
                              layers.GlobalAveragePooling1D()])
    ids = np.array([[1, 2, 0, 0]])
    table = model.layers[0].embeddings.numpy()
    np.testing.assert_allclose(model.predict(ids, verbose=0), table[[1, 2]].mean(0)[None],
                               rtol=1e-6)


def test_aliases_names_and_config():
    ember.backend.clear_session()
    assert layers.MaxPool2D is layers.MaxPooling2D
    assert layers.AvgPool1D is layers.AveragePooling1D
    assert layers.GlobalAvgPool2D is layers.GlobalAveragePooling2D
    assert layers.GlobalMaxPool3D is layers.GlobalMaxPooling3D
    layer = layers.MaxPooling2D()
    assert layer.name == "max_pooling2d"
    config = layer.get_config()
    assert (config["pool_size"], config["strides"], config["padding"],
            config["data_format"]) == ((2, 2), (2, 2), "valid", "channels_last")
    assert layers.GlobalAveragePooling1D().name == "global_average_pooling1d"


@pytest.mark.parametrize("make, message", [
    (lambda: layers.MaxPooling2D(name="p")(ember.zeros(28, 28)),
     r"MaxPooling2D 'p': expected input with 4 dimensions \(batch, height, width, channels\), "
     r"got shape \(28, 28\)"),
    (lambda: layers.AveragePooling1D(4, name="a")(ember.zeros(2, 3, 1)),
     r"AveragePooling1D 'a': the input shape \(2, 3, 1\) is too small for a window of "
     r"pool_size=\(4,\)"),
    (lambda: layers.MaxPooling2D(padding="full", name="f"),
     r"MaxPooling2D 'f': expected padding to be one of \('valid', 'same'\)"),
    (lambda: layers.GlobalMaxPooling2D(data_format="channels_first", name="g"),
     r"GlobalMaxPooling2D 'g': data_format='channels_first' is not supported"),
    (lambda: layers.GlobalAveragePooling3D(name="g3")(ember.zeros(2, 3, 3, 3)),
     r"GlobalAveragePooling3D 'g3': expected input with 5 dimensions"),
])
def test_errors_name_the_layer_and_the_values(make, message):
    with pytest.raises(ValueError, match=message):
        make()
