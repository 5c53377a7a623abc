"""Utilities: seeding, label encoding, data splitting, progress bars, batch sequences."""

from ember.utils.numerical import normalize, split_dataset, to_categorical
from ember.utils.plotting import plot_model
from ember.utils.progbar import Progbar
from ember.utils.py_dataset import PyDataset
from ember.utils.naming import clear_session
from ember.utils.seed import set_random_seed

Sequence = PyDataset

__all__ = [
    "Progbar",
    "PyDataset",
    "Sequence",
    "clear_session",
    "normalize",
    "plot_model",
    "set_random_seed",
    "split_dataset",
    "to_categorical",
]
