"""``ProgbarLogger``: the progress display of ``fit``, ``evaluate`` and ``predict``."""

from __future__ import annotations

from ember.callbacks.callback import Callback
from ember.utils.progbar import Progbar


class ProgbarLogger(Callback):
    """Prints progress and metrics to stdout with a ``Progbar``.

    ``fit`` adds one when ``verbose != 0``. It prints ``Epoch i/n`` before each epoch (when
    there is more than one), a live bar on a terminal and one summary line per epoch
    otherwise; validation inside ``fit`` is silent, its results appear on the epoch's line.
    Reads ``verbose``, ``epochs`` and ``steps`` from the training parameters.

    Example:
        >>> import ember
        >>> logger = ember.callbacks.ProgbarLogger()
        >>> logger.set_params({"verbose": 2, "epochs": 1, "steps": 2})
        >>> logger.on_train_begin()
        >>> logger.on_epoch_begin(0)
        >>> logger.on_train_batch_end(0, {"loss": 0.5})
        >>> logger.on_train_batch_end(1, {"loss": 0.4})
        >>> logger.on_epoch_end(0, {"loss": 0.45})  # doctest: +ELLIPSIS
        2/2 - 0s - ...step - loss: 0.4500
    """

    def __init__(self):
        super().__init__()
        self.seen = 0
        self.progbar = None
        self.target = None
        self.verbose = 1
        self.epochs = 1
        self._called_in_fit = False

    def set_params(self, params):
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else verbose
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def on_train_begin(self, logs=None):
        # Inside ``fit`` the validation passes stay silent.
        self._called_in_fit = True

    def on_train_end(self, logs=None):
        self._called_in_fit = False

    def on_test_begin(self, logs=None):
        if not self._called_in_fit:
            self._reset_progbar()

    def on_predict_begin(self, logs=None):
        self._reset_progbar()

    def on_epoch_begin(self, epoch, logs=None):
        self._reset_progbar()
        if self.verbose and self.epochs > 1:
            print(f"Epoch {epoch + 1}/{self.epochs}", flush=True)

    def on_train_batch_end(self, batch, logs=None):
        self._update_progbar(batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        if not self._called_in_fit:
            self._update_progbar(batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._update_progbar(batch, None)  # the logs hold predictions, not metrics

    def on_epoch_end(self, epoch, logs=None):
        self._finalize_progbar(logs)

    def on_test_end(self, logs=None):
        if not self._called_in_fit:
            self._finalize_progbar(logs)

    def on_predict_end(self, logs=None):
        self._finalize_progbar(logs)

    def _reset_progbar(self):
        self.seen = 0
        self.progbar = Progbar(target=self.target, verbose=self.verbose, unit_name="step")

    def _update_progbar(self, batch, logs):
        if self.progbar is None:
            self._reset_progbar()
        self.seen = batch + 1
        if self.verbose == 1:
            self.progbar.update(self.seen, list((logs or {}).items()), finalize=False)

    def _finalize_progbar(self, logs):
        if self.progbar is None:
            self._reset_progbar()
        if self.target is None:
            self.target = self.seen
            self.progbar.target = self.seen
        self.progbar.update(self.target, list((logs or {}).items()), finalize=True)
