"""Data sets that load like Keras's: ``(x_train, y_train), (x_test, y_test) = load_data()``.

``mnist`` and ``fashion_mnist`` read the standard IDX files from ``$EMBER_DATA_DIR/<name>/``
or the cache ``~/.ember/datasets/<name>/``, downloading and verifying them when missing;
``toy`` generates the 2-D data sets of the TensorFlow Playground.
"""

from ember.datasets import fashion_mnist, mnist, toy

__all__ = ["fashion_mnist", "mnist", "toy"]
