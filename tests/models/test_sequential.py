"""``Sequential``: the three ways it gets built, ``add``/``pop``/``layers``, and its
predictions against the same computation written by hand."""

import numpy as np
import pytest

import ember
from ember import layers


def _relu(a):
    return np.maximum(a, 0.0)


def _softmax(a):
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def test_built_from_input_has_weights_and_shapes():
    model = ember.Sequential([
        ember.Input(shape=(784,)),
        layers.Dense(512, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    assert model.built
    assert model.input_shape == (None, 784)
    assert model.output_shape == (None, 10)
    assert [type(layer).__name__ for layer in model.layers] == ["Dense", "Dense"]
    assert [tuple(w.shape) for w in model.weights] == [(784, 512), (512,), (512, 10), (10,)]
    assert model.count_params() == 784 * 512 + 512 + 512 * 10 + 10 == 407_050


def test_forward_matches_numpy():
    rng = np.random.default_rng(0)
    model = ember.Sequential([
        ember.Input(shape=(6,)),
        layers.Dense(5, activation="relu"),
        layers.Dense(3, activation="softmax"),
    ])
    x = rng.normal(size=(4, 6)).astype("float32")
    k1, b1, k2, b2 = model.get_weights()
    expected = _softmax(_relu(x @ k1 + b1) @ k2 + b2)
    np.testing.assert_allclose(model(x).numpy(), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_built_from_input_shape_argument():
    model = ember.Sequential([
        layers.Dense(4, activation="relu", input_shape=(3,)),
        layers.Dense(2),
    ])
    assert model.built
    assert model.input_shape == (None, 3)
    assert model.output_shape == (None, 2)
    assert len(model.layers) == 2  # the implicit InputLayer is not among `layers`
    assert model.count_params() == 3 * 4 + 4 + 4 * 2 + 2


def test_deferred_build_on_first_call():
    model = ember.Sequential([layers.Dense(4), layers.Dense(2)])
    assert not model.built
    assert model.weights == []
    out = model(np.ones((5, 3), dtype="float32"))
    assert out.shape == (5, 2)
    assert model.built
    assert [tuple(w.shape) for w in model.weights] == [(3, 4), (4,), (4, 2), (2,)]
    assert model.output_shape == (None, 2)


def test_deferred_build_on_fit():
    model = ember.Sequential([layers.Dense(4, activation="relu"), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
    history = model.fit(x, x.sum(axis=1, keepdims=True), epochs=2, batch_size=8, verbose=0)
    assert model.built
    assert len(history.history["loss"]) == 2
    assert model.count_params() == 3 * 4 + 4 + 4 + 1


def test_add_builds_incrementally_and_pop_removes_last():
    model = ember.Sequential()
    model.add(ember.Input(shape=(8,)))
    model.add(layers.Dense(6, name="first"))
    assert model.output_shape == (None, 6)
    model.add(layers.Dense(4, name="second"))
    model.add(layers.Dense(2, name="third"))
    assert model.output_shape == (None, 2)
    assert [layer.name for layer in model.layers] == ["first", "second", "third"]

    popped = model.pop()
    assert popped.name == "third"
    assert [layer.name for layer in model.layers] == ["first", "second"]
    assert model.output_shape == (None, 4)
    assert model(np.zeros((3, 8), dtype="float32")).shape == (3, 4)
    assert len(model.weights) == 4

    model.add(layers.Dense(7))
    assert model.output_shape == (None, 7)
    assert model(np.zeros((2, 8), dtype="float32")).shape == (2, 7)


def test_pop_of_an_empty_model_raises():
    with pytest.raises((IndexError, ValueError)):
        ember.Sequential().pop()


def test_add_rejects_non_layers():
    with pytest.raises(TypeError, match="Layer"):
        ember.Sequential().add("dense")


def test_get_layer_by_name_and_index():
    model = ember.Sequential([ember.Input(shape=(2,)), layers.Dense(3, name="hidden"),
                              layers.Dense(1, name="head")])
    assert model.get_layer("head") is model.layers[1]
    assert model.get_layer(index=0).name == "hidden"
    with pytest.raises(ValueError, match="nope"):
        model.get_layer("nope")


def test_layers_are_trainable_and_freezing_removes_weights():
    model = ember.Sequential([ember.Input(shape=(2,)), layers.Dense(3), layers.Dense(1)])
    assert len(model.trainable_weights) == 4
    model.layers[0].trainable = False
    assert len(model.trainable_weights) == 2
    assert len(model.non_trainable_weights) == 2
