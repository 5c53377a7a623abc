"""``ModelCheckpoint``: save the model or its weights during training."""

from __future__ import annotations

import os
import warnings

from ember.callbacks.callback import Callback
from ember.callbacks.monitor import check_mode, resolve_mode


class ModelCheckpoint(Callback):
    """Save the model (``model.save``) or its weights (``model.save_weights``) at the end
    of every epoch, or every ``save_freq`` batches.

    Args:
        filepath: Where to save. It may hold format fields filled from ``epoch`` (counted
            from 1), ``batch`` (from 1, with an int ``save_freq``) and the names in the
            logs: ``"ckpt/model-{epoch:02d}-{val_loss:.2f}.ember"``. Missing folders are
            created.
        monitor: Log name compared when ``save_best_only``.
        verbose: 1 prints a message for each save or skipped save.
        save_best_only: Save only when ``monitor`` improves on the best value so far (with
            a fixed ``filepath`` this keeps the best model in one file).
        save_weights_only: Save with ``model.save_weights(path)`` instead of
            ``model.save(path)``.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (inferred from the name of ``monitor``).
        save_freq: ``"epoch"``, or an int: save after that many training batches.
        initial_value_threshold: A value the first saved model must beat when
            ``save_best_only``.

    Attributes:
        best: The best value of ``monitor`` saved so far.

    Example:
        >>> import ember
        >>> checkpoint = ember.callbacks.ModelCheckpoint(
        ...     "checkpoints/model-{epoch:02d}-{val_loss:.2f}.ember",
        ...     monitor="val_loss", save_best_only=True)
        >>> # model.fit(x, y, validation_split=0.1, callbacks=[checkpoint])
    """

    def __init__(self, filepath, monitor: str = "val_loss", verbose: int = 0,
                 save_best_only: bool = False, save_weights_only: bool = False,
                 mode: str = "auto", save_freq="epoch",
                 initial_value_threshold: float | None = None):
        super().__init__()
        if save_freq != "epoch" and (
            isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq < 1
        ):
            raise ValueError(
                "ModelCheckpoint: expected save_freq 'epoch' or a positive integer, "
                f"received save_freq={save_freq!r}"
            )
        self.filepath = os.fspath(filepath)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.mode = check_mode("ModelCheckpoint", mode)
        self.save_freq = save_freq
        self.best = initial_value_threshold
        self.monitor_op = None  # "min" or "max", settled at first use
        self._current_epoch = 0
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = -1

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save_model(epoch, None, logs)

    def _should_save_on_batch(self, batch) -> bool:
        if self.save_freq == "epoch":
            return False
        if batch <= self._last_batch_seen:  # a new epoch began: batches count from 0
            self._batches_seen_since_last_saving += batch + 1
        else:
            self._batches_seen_since_last_saving += batch - self._last_batch_seen
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _save_model(self, epoch, batch, logs):
        logs = logs or {}
        filepath = self._get_file_path(epoch, batch, logs)
        if not self._should_save(epoch, logs, filepath):
            return
        dirname = os.path.dirname(filepath)
        if dirname:
            os.makedirs(dirname, exist_ok=True)
        if os.path.isdir(filepath):
            raise IsADirectoryError(
                "ModelCheckpoint: expected a file path to save to, received an existing "
                f"directory: filepath={filepath!r}"
            )
        if self.save_weights_only:
            self.model.save_weights(filepath)
        else:
            self.model.save(filepath)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")

    def _should_save(self, epoch, logs, filepath) -> bool:
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"Can save best model only with {self.monitor} available. Available "
                f"metrics are: {','.join(logs)}",
                stacklevel=4,
            )
            return True
        if self.monitor_op is None:
            self.monitor_op = resolve_mode("ModelCheckpoint", self.monitor, self.mode,
                                           self.model)
        best_str = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current):
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best_str} to "
                      f"{current:.5f}, saving model to {filepath}")
            self.best = current
            return True
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best_str}")
        return False

    def _is_improvement(self, current) -> bool:
        if self.best is None:
            return True
        return current < self.best if self.monitor_op == "min" else current > self.best

    def _get_file_path(self, epoch, batch, logs) -> str:
        fields = dict(logs)
        fields["epoch"] = epoch + 1
        if batch is not None and "batch" not in logs:
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(**fields)
        except KeyError as e:
            raise KeyError(
                f"ModelCheckpoint: failed to format filepath {self.filepath!r}: no value for "
                f"{e} among epoch, batch and the logs {sorted(logs)}"
            ) from None
