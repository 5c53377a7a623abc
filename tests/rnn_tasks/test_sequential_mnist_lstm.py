"""Sequential MNIST (examples/sequential_mnist_lstm.py): LSTM(128) reading each digit as 28
rows of 28 pixels, trained on real MNIST with a reduced budget. Slow; skipped when
$EMBER_DATA_DIR has no mnist/ folder; never downloads."""

import os
from pathlib import Path

import numpy as np
import pytest
from rnn_examples import load_example

import ember
from ember.datasets import mnist

DATA_DIR = os.environ.get("EMBER_DATA_DIR")
if not DATA_DIR or not (Path(DATA_DIR) / "mnist").is_dir():
    pytest.skip("EMBER_DATA_DIR is unset or has no mnist/ folder", allow_module_level=True)

pytestmark = pytest.mark.slow

example = load_example("sequential_mnist_lstm")


def test_row_by_row_lstm_reaches_95_percent_on_the_full_test_set(monkeypatch):
    """30,000 training digits, 4 epochs of Adam (learning rate 2e-3) at batch 128, evaluated
    on all 10,000 test digits: at least 95% (the example: 60,000 digits, 10 epochs, 98%)."""
    monkeypatch.setattr(mnist, "MIRRORS", [])  # the files must be there: no download
    (x_train, y_train), (x_test, y_test) = example.load_mnist()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    ember.utils.set_random_seed(0)
    model = example.build_model()
    assert model.output_shape == (None, 10) and model.count_params() == 81_674
    model.compile(optimizer=ember.optimizers.Adam(2e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x_train[:30000], y_train[:30000], batch_size=128, epochs=4, verbose=0)

    h = history.history
    assert h["loss"][-1] < h["loss"][0] / 3 and h["accuracy"][-1] > 0.95
    loss, accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)
    assert accuracy >= 0.95, f"test accuracy {accuracy:.4f} < 0.95"
    predicted = model.predict(x_test[:1000], batch_size=1000, verbose=0).argmax(axis=1)
    assert np.mean(predicted == y_test[:1000]) >= 0.93
