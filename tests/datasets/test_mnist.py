"""Real MNIST from $EMBER_DATA_DIR/mnist (the four IDX .gz files); no download is allowed."""

import os
from pathlib import Path

import numpy as np
import pytest

from ember.datasets import mnist

DATA_DIR = os.environ.get("EMBER_DATA_DIR")
if not DATA_DIR or not (Path(DATA_DIR) / "mnist").is_dir():
    pytest.skip("EMBER_DATA_DIR is unset or has no mnist/ folder", allow_module_level=True)

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="module")
def data():
    with pytest.MonkeyPatch.context() as mp:
        # The files must be there: any attempt to download fails loudly instead.
        mp.setattr(mnist, "MIRRORS", [])
        mp.delenv("EMBER_MNIST_MIRROR", raising=False)
        return mnist.load_data()


def test_shapes_and_dtypes(data):
    (x_train, y_train), (x_test, y_test) = data
    assert x_train.shape == (60000, 28, 28) and y_train.shape == (60000,)
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    for array in (x_train, y_train, x_test, y_test):
        assert array.dtype == np.uint8
        assert array.flags.writeable and array.flags.c_contiguous


def test_known_labels_and_pixels(data):
    (x_train, y_train), (x_test, y_test) = data
    assert y_train[:5].tolist() == [5, 0, 4, 1, 9]
    assert y_test[:5].tolist() == [7, 2, 1, 0, 4]
    assert np.bincount(y_train, minlength=10).tolist() == TRAIN_COUNTS
    assert np.bincount(y_test, minlength=10).tolist() == TEST_COUNTS
    assert x_train.min() == 0 and x_train.max() == 255
    assert x_test.min() == 0 and x_test.max() == 255
    # Known statistics: mean pixel 33.32 (train), 33.79 (test); digits sit in the centre.
    assert x_train.mean() == pytest.approx(33.3184, abs=1e-3)
    assert x_test.mean() == pytest.approx(33.7912, abs=1e-3)
    assert x_train[:, 0, :].mean() < 0.01 < 100 < x_train[:, 10:18, 10:18].mean()
    assert int(x_train[0].sum(dtype=np.int64)) == 27525


def test_second_load_is_equal_and_independent(data, monkeypatch):
    monkeypatch.setattr(mnist, "MIRRORS", [])
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    np.testing.assert_array_equal(x_train, data[0][0])
    np.testing.assert_array_equal(y_test, data[1][1])
    x_train[0] = 0  # a fresh copy: changing it leaves the other load untouched
    assert data[0][0][0].max() == 255


def test_explicit_path(data, monkeypatch):
    monkeypatch.setattr(mnist, "MIRRORS", [])
    monkeypatch.setenv("EMBER_DATA_DIR", "/nonexistent")
    (_, _), (x_test, y_test) = mnist.load_data(path=Path(DATA_DIR) / "mnist")
    np.testing.assert_array_equal(y_test, data[1][1])
