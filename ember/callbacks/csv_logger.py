"""``CSVLogger``: stream the results of every epoch to a CSV file."""

from __future__ import annotations

import collections.abc
import csv
import os

import numpy as np

from ember.callbacks.callback import Callback


class CSVLogger(Callback):
    """Write one CSV row per epoch: ``epoch`` (from 0) and every log value.

    Columns are the log names of the first epoch, sorted (plus the model's expected
    ``val_`` metrics); a value missing later is written ``NA``. One-dimensional values are
    written as a quoted list.

    Args:
        filename: Path of the CSV file.
        separator: Field separator.
        append: Append to an existing file (without repeating its header) instead of
            overwriting it, to continue a training run.

    Example:
        >>> import ember
        >>> csv_logger = ember.callbacks.CSVLogger("training.log")
        >>> # model.fit(x, y, callbacks=[csv_logger])
    """

    def __init__(self, filename, separator: str = ",", append: bool = False):
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None

    def on_train_begin(self, logs=None):
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename) as f:
                    self.append_header = not f.readline()
            mode = "a"
        else:
            mode = "w"
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        # Kept open across epochs; closed at the end of training.
        self.csv_file = open(self.filename, mode, newline="")
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            for name in getattr(self.model, "metrics_names", None) or ():
                if name.startswith("val_") and name not in self.keys:
                    self.keys.append(name)
        if self.writer is None:
            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch", *self.keys],
                                         delimiter=self.sep)
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((key, _csv_value(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None


def _csv_value(value):
    if isinstance(value, str):
        return value
    if isinstance(value, collections.abc.Iterable) and not (
        isinstance(value, np.ndarray) and value.ndim == 0
    ):
        return f'"[{", ".join(map(str, value))}]"'
    return value
