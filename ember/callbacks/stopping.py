"""Callbacks that end training: ``EarlyStopping`` and ``TerminateOnNaN``."""

from __future__ import annotations

import math
import warnings

from ember.callbacks.callback import Callback
from ember.callbacks.monitor import check_mode, resolve_mode


class EarlyStopping(Callback):
    """Stop training when a monitored quantity has stopped improving.

    At the end of each epoch the value of ``monitor`` in the logs is compared with the
    best so far; an improvement must exceed ``min_delta``. After ``patience`` epochs in a
    row without one, ``model.stop_training`` is set.

    Args:
        monitor: Log name to watch (``"val_loss"``, ``"val_accuracy"``, ...).
        min_delta: Smallest change that counts as an improvement.
        patience: Epochs without improvement after which training stops.
        verbose: 1 prints a message when it stops and when it restores weights.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (inferred from the name: losses and
            errors are minimized, ``accuracy``, ``auc``, ``precision``... maximized).
        baseline: A value to beat: epochs that do not beat it count towards ``patience``
            even when they improve on the best so far.
        restore_best_weights: Whether to set the weights of the best epoch back into the
            model at the end of training (whether it stopped early or not). If no epoch
            beats ``baseline``, the best of those seen is restored.
        start_from_epoch: Epochs of warm-up before monitoring starts.

    Attributes:
        best: Best monitored value seen. ``wait``: epochs since the last improvement.
        stopped_epoch: Epoch (0-based) at which training was stopped, 0 if it was not.
        best_epoch: Epoch of ``best``.

    Example:
        >>> import ember
        >>> stop = ember.callbacks.EarlyStopping(monitor="loss", patience=3)
        >>> # model.fit(x, y, epochs=100, callbacks=[stop]) ends after 3 epochs in a row
        >>> # without a lower loss.
    """

    _STATE = ("monitor_op", "wait", "stopped_epoch", "best", "best_epoch", "best_weights")

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0, patience: int = 0,
                 verbose: int = 0, mode: str = "auto", baseline: float | None = None,
                 restore_best_weights: bool = False, start_from_epoch: int = 0):
        super().__init__()
        self.monitor = monitor
        self.min_delta = abs(min_delta)
        self.patience = patience
        self.verbose = verbose
        self.mode = check_mode("EarlyStopping", mode)
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.monitor_op = None  # "min" or "max", settled at the first epoch end
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_epoch = 0
        self.best_weights = None

    def on_train_begin(self, logs=None):
        # Reset, so that one instance serves several calls to ``fit``.
        self.wait = 0
        self.stopped_epoch = 0
        self.best_epoch = 0
        self.best_weights = None
        self.best = None if self.monitor_op is None else _worst(self.monitor_op)

    def get_state(self) -> dict:
        """The best value and weights and the epochs waited, as JSON values and arrays;
        ``BackupAndRestore`` saves it to resume an interrupted ``fit``."""
        return {name: getattr(self, name) for name in self._STATE}

    def set_state(self, state: dict) -> None:
        """Put back a state returned by ``get_state``."""
        for name in self._STATE:
            setattr(self, name, state[name])

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            # Settled late, once the model's metrics exist.
            self.monitor_op = resolve_mode("EarlyStopping", self.monitor, self.mode, self.model)
            self.best = _worst(self.monitor_op)
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # Until an epoch improves, the weights at hand are the best known.
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print("Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs):
        """The monitored value in ``logs``, or ``None`` (with a warning) if absent."""
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(
                f"Early stopping conditioned on metric `{self.monitor}` which is not "
                f"available. Available metrics are: {','.join(logs)}",
                stacklevel=3,
            )
        return value

    def _is_improvement(self, value, reference) -> bool:
        if self.monitor_op == "min":
            return value + self.min_delta < reference
        return value - self.min_delta > reference


class TerminateOnNaN(Callback):
    """Stop training as soon as a batch's loss is NaN or infinite.

    Args:
        raise_error: If ``True``, raise ``RuntimeError`` at once instead of setting
            ``model.stop_training`` (so no ``on_train_end`` of other callbacks runs).

    Example:
        >>> import ember
        >>> callbacks = [ember.callbacks.TerminateOnNaN()]
        >>> # model.fit(x, y, callbacks=callbacks) stops after the first non-finite loss.
    """

    def __init__(self, raise_error: bool = False):
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(loss):
            return
        if self.raise_error:
            raise RuntimeError(
                f"TerminateOnNaN: NaN or Inf loss encountered at batch {batch}. "
                f"Loss value: {loss}. Terminating training immediately."
            )
        print(f"Batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True


def _worst(mode: str) -> float:
    return math.inf if mode == "min" else -math.inf
