"""Fashion-MNIST: 70,000 grayscale 28x28 images of 10 kinds of clothing (Xiao et al., 2017).

A drop-in replacement for MNIST with the same shapes and file names. Labels: 0 T-shirt/top,
1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt, 7 Sneaker, 8 Bag, 9 Ankle boot.
The files are read from ``$EMBER_DATA_DIR/fashion_mnist/`` when that variable is set, else
from ``~/.ember/datasets/fashion_mnist/`` (``$EMBER_HOME/datasets/fashion_mnist/``), and
downloaded there from ``MIRRORS`` (or the comma-separated ``$EMBER_FASHION_MNIST_MIRROR``)
when missing.
"""

from __future__ import annotations

import os

import numpy as np

from ember.datasets import _files

MIRRORS = [
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
]
# MD5 of the .gz files as published by Zalando; a decompressed copy on disk is only parsed.
CHECKSUMS = {
    "train-images-idx3-ubyte": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte": "bb300cfdad3c16e7a12a480ee83cd310",
}
CLASS_NAMES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]


def load_data(
    path: str | os.PathLike | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load Fashion-MNIST as Keras does: ``(x_train, y_train), (x_test, y_test)``, all uint8.

    Args:
        path: folder that holds (or will receive) the four IDX files, raw or ``.gz``.
            Defaults to ``$EMBER_DATA_DIR/fashion_mnist`` or ``~/.ember/datasets/fashion_mnist``.

    Returns:
        ``x_train`` of shape (60000, 28, 28) with pixels in [0, 255], ``y_train`` of shape
        (60000,) with classes in [0, 9] (names in ``CLASS_NAMES``), and ``x_test``
        (10000, 28, 28), ``y_test`` (10000,).

    Example:
        >>> import ember
        >>> (x_train, y_train), (x_test, y_test) = ember.datasets.fashion_mnist.load_data()
        >>> x_test.shape, ember.datasets.fashion_mnist.CLASS_NAMES[y_test[0]]
        ((10000, 28, 28), 'Ankle boot')
    """
    return _files.load_idx_dataset(
        "fashion_mnist.load_data", "fashion_mnist", path, MIRRORS, CHECKSUMS, md5_of="gz"
    )
