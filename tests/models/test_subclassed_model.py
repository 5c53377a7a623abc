"""Subclassed ``Model``s: layers tracked from attributes, ``call`` run by ``fit``, the
``training`` flag passed to the user's ``call``."""

import numpy as np
import pytest

import ember
from ember import layers


class TwoLayerNet(ember.Model):
    def __init__(self, hidden=8, classes=3, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(hidden, activation="relu")
        self.dropout = layers.Dropout(0.5)
        self.classifier = layers.Dense(classes, activation="softmax")
        self.training_flags = []

    def call(self, inputs, training=None):
        self.training_flags.append(training)
        x = self.hidden(inputs)
        x = self.dropout(x, training=training)
        return self.classifier(x)


def _blobs(n=90, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    centers = np.array([[2.0, 0.0], [-2.0, 2.0], [0.0, -2.5]], dtype="float32")
    x = centers[y] + 0.4 * rng.normal(size=(n, 2)).astype("float32")
    return x.astype("float32"), y


def test_layers_and_weights_are_tracked_from_attributes():
    model = TwoLayerNet()
    assert [type(layer).__name__ for layer in model.layers] == ["Dense", "Dropout", "Dense"]
    assert model.weights == []  # built on the first call, like Keras
    model(np.zeros((2, 5), dtype="float32"))
    assert [tuple(w.shape) for w in model.weights] == [(5, 8), (8,), (8, 3), (3,)]
    assert model.count_params() == 5 * 8 + 8 + 8 * 3 + 3


def test_fit_trains_the_user_call():
    ember.utils.set_random_seed(0)
    model = TwoLayerNet(hidden=16)
    model.compile(optimizer=ember.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    x, y = _blobs()
    history = model.fit(x, y, epochs=15, batch_size=16, verbose=0)
    assert set(history.history) == {"loss", "accuracy"}
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    loss, accuracy = model.evaluate(x, y, verbose=0)
    assert accuracy >= 0.95
    predicted = model.predict(x, verbose=0).argmax(axis=1)
    assert np.mean(predicted == y) == pytest.approx(accuracy)


def test_training_flag_reaches_the_user_call():
    model = TwoLayerNet()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x, y = _blobs(12)
    model.fit(x, y, epochs=1, batch_size=6, verbose=0)
    assert model.training_flags and all(flag is True for flag in model.training_flags)

    model.training_flags.clear()
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    model.predict_on_batch(x)
    model.test_on_batch(x, y)
    assert model.training_flags and not any(model.training_flags)

    model.training_flags.clear()
    model.train_on_batch(x, y)
    assert model.training_flags == [True]


def test_dropout_is_active_only_in_training():
    model = TwoLayerNet()
    x, _ = _blobs(20)
    a = model.predict(x, verbose=0)
    b = model.predict(x, verbose=0)
    np.testing.assert_array_equal(a, b)
    trained = model(x, training=True).numpy()
    assert not np.allclose(trained, a)


def test_model_with_submodel_attribute_collects_its_weights():
    class Wrapper(ember.Model):
        def __init__(self):
            super().__init__()
            self.body = ember.Sequential([layers.Dense(4), layers.Dense(2)])
            self.scale = layers.Dense(1, use_bias=False)

        def call(self, x):
            return self.scale(self.body(x))

    model = Wrapper()
    model(np.ones((1, 3), dtype="float32"))
    assert len(model.trainable_weights) == 5
    model.compile(optimizer="sgd", loss="mse")
    before = model.get_weights()
    model.fit(np.ones((4, 3), dtype="float32"), np.zeros((4, 1), dtype="float32"), verbose=0)
    after = model.get_weights()
    assert all(not np.array_equal(b, a) for b, a in zip(before, after))

