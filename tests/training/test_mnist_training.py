"""End-to-end training on real MNIST with the course's quality bars (slow: about a minute
each on two cores). Skipped when $EMBER_DATA_DIR has no mnist/ folder; never downloads."""

import os
from pathlib import Path

import numpy as np
import pytest

import ember
from ember.datasets import mnist

DATA_DIR = os.environ.get("EMBER_DATA_DIR")
if not DATA_DIR or not (Path(DATA_DIR) / "mnist").is_dir():
    pytest.skip("EMBER_DATA_DIR is unset or has no mnist/ folder", allow_module_level=True)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def data():
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(mnist, "MIRRORS", [])  # the files must be there: no download
        (x_train, y_train), (x_test, y_test) = mnist.load_data()
    x_train = x_train.reshape(-1, 784).astype("float32") / 255.0
    x_test = x_test.reshape(-1, 784).astype("float32") / 255.0
    return (x_train, y_train), (x_test, y_test)


def test_digit_recognizer_reaches_98_percent(data):
    """The course's MLP (784 -> 512 relu -> 10 softmax, Adam, batch 128), trained on all
    60,000 digits while watching the test set, as examples/mnist_mlp.py does."""
    (x_train, y_train), (x_test, y_test) = data
    ember.utils.set_random_seed(1)
    model = ember.Sequential([
        ember.Input(shape=(784,)),
        ember.layers.Dense(512, activation="relu"),
        ember.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=128, epochs=10,
                        validation_data=(x_test, y_test), verbose=0)

    h = history.history
    assert list(h) == ["loss", "accuracy", "val_loss", "val_accuracy"]
    assert all(len(v) == 10 for v in h.values())
    assert h["loss"][-1] < h["loss"][0] and h["accuracy"][-1] > 0.99

    loss, accuracy = model.evaluate(x_test, y_test, batch_size=512, verbose=0)
    assert accuracy >= 0.980, f"test accuracy {accuracy:.4f} < 0.980 after 10 epochs"
    assert accuracy == pytest.approx(h["val_accuracy"][-1])
    assert loss == pytest.approx(h["val_loss"][-1], rel=1e-5)
    predicted = model.predict(x_test, batch_size=1000, verbose=0).argmax(axis=1)
    assert np.mean(predicted == y_test) == pytest.approx(accuracy)


def test_one_layer_softmax_reaches_92_percent(data):
    """Softmax regression (784 -> 10 softmax, Adam, batch 128, 5 epochs)."""
    (x_train, y_train), (x_test, y_test) = data
    ember.utils.set_random_seed(1)
    model = ember.Sequential([ember.Input(shape=(784,)),
                              ember.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=128, epochs=5, verbose=0)
    assert len(history.history["loss"]) == 5
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert accuracy >= 0.92, f"test accuracy {accuracy:.4f} < 0.92 after 5 epochs"
