"""Callbacks that set the learning rate between epochs: ``LearningRateScheduler``,
``ReduceLROnPlateau`` and ember's ``NewBob``.

They read and write ``model.optimizer.learning_rate`` as a Python float and add the rate
used during the epoch to the epoch's logs as ``"learning_rate"``.
"""

from __future__ import annotations

import inspect
import math
import numbers
import warnings

import numpy as np

from ember.callbacks.callback import Callback
from ember.callbacks.monitor import check_mode, infer_mode, resolve_mode


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of every epoch from ``schedule``.

    Args:
        schedule: A function ``schedule(epoch, lr) -> new_lr`` taking the epoch index
            (from 0) and the current rate, or ``schedule(epoch) -> new_lr``.
        verbose: 1 prints the rate set at each epoch.

    Example:
        >>> import ember
        >>> def schedule(epoch, lr):
        ...     return lr if epoch < 10 else lr * 0.9
        >>> callback = ember.callbacks.LearningRateScheduler(schedule)
        >>> # model.fit(x, y, epochs=15, callbacks=[callback])
    """

    def __init__(self, schedule, verbose: int = 0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(
                f"LearningRateScheduler: expected a callable schedule, received {schedule!r}"
            )
        self.schedule = schedule
        self.verbose = verbose
        self._takes_lr = _takes_two_arguments(schedule)

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = _optimizer(self)
        if self._takes_lr:
            value = self.schedule(epoch, _get_lr(self))
        else:
            value = self.schedule(epoch)
        learning_rate = _as_float(value)
        if learning_rate is None:
            raise ValueError(
                "LearningRateScheduler: expected the schedule to return a float, "
                f"received {value!r}"
            )
        optimizer.learning_rate = learning_rate
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                  f"{learning_rate}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = _get_lr(self)


class ReduceLROnPlateau(Callback):
    """Reduce the learning rate when a monitored quantity has stopped improving.

    After ``patience`` epochs without an improvement larger than ``min_delta``, the rate
    is multiplied by ``factor`` (not below ``min_lr``); then ``cooldown`` epochs pass
    before the count of epochs without improvement starts again.

    Args:
        monitor: Log name to watch.
        factor: Factor by which the rate is reduced: ``new_lr = lr * factor`` (< 1).
        patience: Epochs without improvement before a reduction.
        verbose: 1 prints a message at each reduction.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (inferred from the name of ``monitor``;
            minimized when the name says nothing).
        min_delta: Smallest change that counts as an improvement.
        cooldown: Epochs to wait after a reduction before counting again.
        min_lr: Lower bound on the learning rate.

    Example:
        >>> import ember
        >>> reduce_lr = ember.callbacks.ReduceLROnPlateau(
        ...     monitor="val_loss", factor=0.2, patience=5, min_lr=0.001)
        >>> # model.fit(x, y, validation_split=0.1, callbacks=[reduce_lr])
    """

    _STATE = ("monitor_op", "best", "wait", "cooldown_counter")

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10,
                 verbose: int = 0, mode: str = "auto", min_delta: float = 1e-4,
                 cooldown: int = 0, min_lr: float = 0.0):
        super().__init__()
        if factor >= 1.0:
            raise ValueError(
                f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}"
            )
        self.monitor = monitor
        self.factor = factor
        self.min_lr = min_lr
        self.min_delta = min_delta
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.mode = check_mode("ReduceLROnPlateau", mode)
        self._reset()

    def _reset(self):
        if self.mode == "auto":
            self.monitor_op = infer_mode(self.monitor, self.model) or "min"
        else:
            self.monitor_op = self.mode
        self.best = math.inf if self.monitor_op == "min" else -math.inf
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs=None):
        self._reset()

    def get_state(self) -> dict:
        """The best value, the epochs waited and the cooldown left, as JSON values;
        ``BackupAndRestore`` saves it to resume an interrupted ``fit``."""
        return {name: getattr(self, name) for name in self._STATE}

    def set_state(self, state: dict) -> None:
        """Put back a state returned by ``get_state``."""
        for name in self._STATE:
            setattr(self, name, state[name])

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch, logs=None):
        logs = {} if logs is None else logs
        logs["learning_rate"] = _get_lr(self)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"Learning rate reduction is conditioned on metric `{self.monitor}` which is "
                f"not available. Available metrics are: {','.join(logs)}.",
                stacklevel=2,
            )
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current):
            self.best = current
            self.wait = 0
            return
        if self.in_cooldown():
            return
        self.wait += 1
        if self.wait < self.patience:
            return
        old_lr = _get_lr(self)
        # The rate may be stored in float32: compare with min_lr at that precision.
        if old_lr > np.float32(self.min_lr):
            new_lr = max(old_lr * self.factor, self.min_lr)
            _optimizer(self).learning_rate = new_lr
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to "
                      f"{new_lr}.")
            self.cooldown_counter = self.cooldown
            self.wait = 0

    def _is_improvement(self, current) -> bool:
        if self.monitor_op == "min":
            return current < self.best - self.min_delta
        return current > self.best + self.min_delta


class NewBob(Callback):
    """Halve the learning rate and go back to the best weights whenever an epoch fails to
    improve the validation loss (ember's addition to the Keras callbacks).

    "newbob" is the learning-rate schedule of ICSI's QuickNet trainer, used for the
    hybrid neural-network/HMM speech recognizers of the 1990s: train at a fixed rate while
    the validation score keeps improving; once it stops, halve the rate after every
    epoch; stop when halving no longer helps. The variant here is the one later speech
    recipes (Kaldi's nnet1) made popular: an epoch that does not beat the best validation
    loss so far is *rejected*. The weights go back to those of the best epoch
    (``model.set_weights(best)``) and training continues from there at ``factor`` times
    the rate. A rejected epoch costs one epoch of compute and never degrades the model,
    and the rate decays only as fast as the data ask.

    At the end of each epoch, with ``current`` the monitored value:

    - if ``current`` beats ``best`` by more than ``min_delta``: keep the epoch, remember
      its weights as the best;
    - else: restore the best weights and set ``lr = max(lr * factor, min_lr)``; once
      ``max_halvings`` reductions have been made, or the rate has fallen below
      ``stop_when_lr_below``, stop training. With ``min_lr`` reached the rate stays, but
      rejected epochs are still rolled back.

    Since rejected epochs are undone, the model always ends training with the weights
    of its best epoch.

    Args:
        monitor: Log name to watch (a validation loss, usually).
        factor: Factor applied to the rate at each rejected epoch, in ``(0, 1)``.
        verbose: 1 prints a message at each rejection and at the stop.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (inferred from the name of ``monitor``).
        min_delta: Smallest improvement that keeps an epoch.
        min_lr: Lower bound on the learning rate.
        max_halvings: Stop training after this many reductions (``None``: no limit).
        stop_when_lr_below: Stop training when the rate falls below this value.

    Attributes:
        best: Best monitored value; ``best_epoch``: its epoch (0-based);
        halvings: Reductions made so far; ``stopped_epoch``: epoch of the stop, else 0.

    Example:
        >>> import ember
        >>> newbob = ember.callbacks.NewBob(factor=0.5, max_halvings=6, verbose=1)
        >>> # model.fit(x, y, epochs=50, validation_split=0.1, callbacks=[newbob])
    """

    _STATE = ("monitor_op", "best", "best_epoch", "best_weights", "halvings",
              "stopped_epoch")

    def __init__(self, monitor: str = "val_loss", factor: float = 0.5, verbose: int = 0,
                 mode: str = "auto", min_delta: float = 0.0, min_lr: float = 0.0,
                 max_halvings: int | None = None, stop_when_lr_below: float | None = None):
        super().__init__()
        if not 0.0 < factor < 1.0:
            raise ValueError(f"NewBob: expected factor in (0, 1), received factor={factor}")
        if max_halvings is not None and (
            isinstance(max_halvings, bool) or not isinstance(max_halvings, int)
            or max_halvings < 1
        ):
            raise ValueError(
                f"NewBob: expected max_halvings a positive int or None, "
                f"received max_halvings={max_halvings!r}"
            )
        self.monitor = monitor
        self.factor = factor
        self.verbose = verbose
        self.mode = check_mode("NewBob", mode)
        self.min_delta = abs(min_delta)
        self.min_lr = min_lr
        self.max_halvings = max_halvings
        self.stop_when_lr_below = stop_when_lr_below
        self.monitor_op = None
        self._reset_state()

    def _reset_state(self):
        self.best = None
        self.best_epoch = 0
        self.best_weights = None
        self.halvings = 0
        self.stopped_epoch = 0

    def on_train_begin(self, logs=None):
        self._reset_state()
        self.monitor_op = resolve_mode("NewBob", self.monitor, self.mode, self.model)

    def get_state(self) -> dict:
        """The best value and weights and the reductions made, as JSON values and arrays;
        ``BackupAndRestore`` saves it to resume an interrupted ``fit``."""
        return {name: getattr(self, name) for name in self._STATE}

    def set_state(self, state: dict) -> None:
        """Put back a state returned by ``get_state``."""
        for name in self._STATE:
            setattr(self, name, state[name])

    def on_epoch_end(self, epoch, logs=None):
        logs = {} if logs is None else logs
        lr = _get_lr(self)
        logs["learning_rate"] = lr
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"NewBob is conditioned on metric `{self.monitor}` which is not available. "
                f"Available metrics are: {','.join(logs)}.",
                stacklevel=2,
            )
            return
        if self._is_improvement(current):
            self.best = current
            self.best_epoch = epoch
            self.best_weights = self.model.get_weights()
            return
        self.model.set_weights(self.best_weights)
        new_lr = max(lr * self.factor, self.min_lr)
        if new_lr < lr:
            _optimizer(self).learning_rate = new_lr
            self.halvings += 1
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: NewBob: {self.monitor} {current:.5f} did not improve "
                  f"on {self.best:.5f} (epoch {self.best_epoch + 1}); restoring its weights, "
                  f"learning rate {new_lr}.")
        if (self.max_halvings is not None and self.halvings >= self.max_halvings) or (
            self.stop_when_lr_below is not None and new_lr < self.stop_when_lr_below
        ):
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.verbose > 0:
                print(f"Epoch {epoch + 1}: NewBob stopping after {self.halvings} "
                      "learning-rate reductions.")

    def _is_improvement(self, current) -> bool:
        if self.best is None:
            return True
        if self.monitor_op == "min":
            return current < self.best - self.min_delta
        return current > self.best + self.min_delta


def _optimizer(callback):
    optimizer = getattr(callback.model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "learning_rate"):
        raise ValueError(
            f"{type(callback).__name__}: expected a model whose optimizer has a "
            f"learning_rate attribute, received optimizer={optimizer!r}"
        )
    return optimizer


def _get_lr(callback) -> float:
    return float(_optimizer(callback).learning_rate)


def _as_float(value) -> float | None:
    """``value`` as a float if it is a real number (or a one-element array); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Real):
        return float(value)
    if getattr(value, "size", None) == 1 and hasattr(value, "__float__"):
        return float(value)
    return None


def _takes_two_arguments(fn) -> bool:
    """Whether ``fn`` accepts ``(epoch, lr)``, or only ``(epoch)``."""
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature: assume the full form
        return True
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in parameters)
