"""``get_config``/``from_config`` of Sequential and Functional models: the same architecture,
and identical predictions once the weights are copied."""

import json

import numpy as np
import pytest

import ember
from ember import layers


def _architecture(model) -> list:
    return [(type(layer).__name__, layer.name, [tuple(w.shape) for w in layer.weights])
            for layer in model.layers]


def _assert_same_predictions(original, clone, x):
    clone.set_weights(original.get_weights())
    expected, got = original.predict(x, verbose=0), clone.predict(x, verbose=0)
    if isinstance(expected, np.ndarray):
        expected, got = [expected], [got]
    assert len(got) == len(expected)
    for a, b in zip(expected, got):
        np.testing.assert_array_equal(a, b)


def test_sequential_round_trip():
    model = ember.Sequential([
        ember.Input(shape=(6,)),
        layers.Dense(5, activation="relu", kernel_regularizer="l2"),
        layers.Dropout(0.25),
        layers.Dense(3, activation="softmax", use_bias=False),
    ], name="classifier")
    config = model.get_config()
    json.dumps(config)  # plain JSON, as saved in a model file
    clone = ember.Sequential.from_config(config)
    assert type(clone) is ember.Sequential and clone.name == "classifier"
    assert clone.built and clone.input_shape == (None, 6) and clone.output_shape == (None, 3)
    assert _architecture(clone) == _architecture(model)
    assert clone.layers[0].activation is model.layers[0].activation
    assert clone.layers[2].use_bias is False
    assert clone.get_config() == config
    # Fresh weights first, then identical predictions with copied weights.
    assert not all(np.array_equal(a, b) for a, b in zip(model.get_weights(),
                                                         clone.get_weights()))
    x = np.random.default_rng(0).normal(size=(7, 6)).astype("float32")
    _assert_same_predictions(model, clone, x)


def test_unbuilt_sequential_round_trip():
    model = ember.Sequential([layers.Dense(4), layers.Dense(1)])
    clone = ember.Sequential.from_config(model.get_config())
    assert not clone.built and len(clone.layers) == 2
    x = np.ones((2, 3), dtype="float32")
    model(x)
    clone(x)
    _assert_same_predictions(model, clone, x)


def _branchy_functional():
    a = ember.Input(shape=(3,), name="in_a")
    b = ember.Input(shape=(3,), name="in_b")
    shared = layers.Dense(4, activation="tanh", name="shared")
    merged = layers.Concatenate(name="merged")([shared(a), shared(b)])
    out1 = layers.Dense(1, activation="sigmoid", name="out1")(merged)
    out2 = layers.Dense(2, name="out2")(layers.Add(name="sum")([shared(a), shared(b)]))
    return ember.Model([a, b], [out1, out2], name="branchy")


def test_functional_round_trip_with_shared_layer_and_two_outputs():
    model = _branchy_functional()
    config = model.get_config()
    json.dumps(config)
    for rebuild in (ember.Model.from_config, type(model).from_config):
        clone = rebuild(config)
        assert isinstance(clone, ember.Model) and clone.name == "branchy"
        assert clone.input_names == ["in_a", "in_b"]
        assert clone.output_names == ["out1", "out2"]
        assert clone.output_shape == [(None, 1), (None, 2)]
        assert _architecture(clone) == _architecture(model)
        assert len(clone.weights) == len(model.weights) == 6  # the shared layer counts once
        assert clone.get_config() == config
        rng = np.random.default_rng(1)
        x = [rng.normal(size=(5, 3)).astype("float32") for _ in range(2)]
        _assert_same_predictions(model, clone, x)


def test_functional_round_trip_with_nested_sequential():
    inner = ember.Sequential([layers.Dense(4, activation="relu"), layers.Dense(2)],
                             name="inner")
    x_in = ember.Input(shape=(5,))
    model = ember.Model(x_in, layers.Dense(1, name="head")(inner(x_in)))
    clone = ember.Model.from_config(model.get_config())
    assert [type(layer).__name__ for layer in clone.layers] == ["InputLayer", "Sequential",
                                                                "Dense"]
    assert clone.count_params() == model.count_params() == 5 * 4 + 4 + 4 * 2 + 2 + 2 + 1
    x = np.random.default_rng(2).normal(size=(3, 5)).astype("float32")
    _assert_same_predictions(model, clone, x)


def test_set_weights_checks_count_and_shapes():
    model = ember.Sequential([ember.Input(shape=(2,)), layers.Dense(3)])
    kernel, bias = model.get_weights()
    with pytest.raises(ValueError, match="2 weight arrays"):
        model.set_weights([kernel])
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        model.set_weights([kernel.T, bias])
