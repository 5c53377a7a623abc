"""MNIST: 70,000 grayscale 28x28 images of handwritten digits 0-9 (LeCun et al., 1998).

The four IDX files are read from ``$EMBER_DATA_DIR/mnist/`` when that variable is set, else
from ``~/.ember/datasets/mnist/`` (``$EMBER_HOME/datasets/mnist/``), and downloaded there from
``MIRRORS`` (or the comma-separated ``$EMBER_MNIST_MIRROR``) when missing.
"""

from __future__ import annotations

import os

import numpy as np

from ember.datasets import _files

MIRRORS = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
]
# MD5 of the decompressed files (the .gz files differ between mirrors, their content does not).
CHECKSUMS = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}


def load_data(
    path: str | os.PathLike | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load MNIST as Keras does: ``(x_train, y_train), (x_test, y_test)``, all uint8.

    Args:
        path: folder that holds (or will receive) the four IDX files, raw or ``.gz``.
            Defaults to ``$EMBER_DATA_DIR/mnist`` or ``~/.ember/datasets/mnist``.

    Returns:
        ``x_train`` of shape (60000, 28, 28) with pixels in [0, 255], ``y_train`` of shape
        (60000,) with digits in [0, 9], and ``x_test`` (10000, 28, 28), ``y_test`` (10000,).

    Example:
        >>> import ember
        >>> (x_train, y_train), (x_test, y_test) = ember.datasets.mnist.load_data()
        >>> x_train.shape, y_train[:5].tolist()
        ((60000, 28, 28), [5, 0, 4, 1, 9])
    """
    return _files.load_idx_dataset(
        "mnist.load_data", "mnist", path, MIRRORS, CHECKSUMS, md5_of="raw"
    )
