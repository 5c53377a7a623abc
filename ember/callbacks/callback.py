"""``Callback``: the contract between the training loop and code that watches it.

The loop calls a hook at each stage of ``fit``, ``evaluate`` and ``predict`` with a
``logs`` dict of Python floats; a callback acts through that dict and the model
(``model.stop_training``, ``model.optimizer.learning_rate``, ``model.get_weights()``).
"""

from __future__ import annotations


class Callback:
    """Base class for callbacks: override the hooks you need.

    Attributes:
        params: Dict of training parameters (``verbose``, ``epochs``, ``steps``).
        model: The model being trained.

    Example:
        >>> import ember
        >>> class PrintLoss(ember.callbacks.Callback):
        ...     def on_epoch_end(self, epoch, logs=None):
        ...         print(f"epoch {epoch}: loss {logs['loss']:.2f}")
        >>> PrintLoss().on_epoch_end(0, {"loss": 0.25})
        epoch 0: loss 0.25
    """

    def __init__(self):
        self.params = None
        self._model = None

    def set_params(self, params: dict) -> None:
        self.params = params

    def set_model(self, model) -> None:
        self._model = model

    @property
    def model(self):
        return self._model

    def on_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """A backwards compatibility alias for ``on_train_batch_begin``."""

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """A backwards compatibility alias for ``on_train_batch_end``."""

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        """Called at the start of epoch ``epoch`` (0-based) of ``fit``."""

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Called at the end of an epoch with its results: the training metrics and, when
        there is validation data, the same names prefixed with ``val_``."""

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Called before training batch ``batch`` (0-based, within the epoch)."""
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Called after a training batch with the metrics aggregated so far this epoch."""
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Called before a batch of ``evaluate`` (or of validation in ``fit``)."""

    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Called after a batch of ``evaluate`` (or of validation in ``fit``)."""

    def on_predict_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Called before a batch of ``predict``."""

    def on_predict_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Called after a batch of ``predict``."""

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Called at the beginning of ``fit``."""

    def on_train_end(self, logs: dict | None = None) -> None:
        """Called at the end of ``fit`` with the last epoch's logs."""

    def on_test_begin(self, logs: dict | None = None) -> None:
        """Called at the beginning of ``evaluate`` or of a validation pass."""

    def on_test_end(self, logs: dict | None = None) -> None:
        """Called at the end of ``evaluate`` or of a validation pass."""

    def on_predict_begin(self, logs: dict | None = None) -> None:
        """Called at the beginning of ``predict``."""

    def on_predict_end(self, logs: dict | None = None) -> None:
        """Called at the end of ``predict``."""


_HOOKS = frozenset(name for name in vars(Callback) if name.startswith("on_"))


class LambdaCallback(Callback):
    """A callback made from plain functions, for small actions written in place.

    ``on_epoch_begin`` / ``on_epoch_end`` take ``(epoch, logs)``; ``on_train_begin`` /
    ``on_train_end`` take ``(logs)``; ``on_train_batch_begin`` / ``on_train_batch_end``
    take ``(batch, logs)``. Any other hook is given by name as a keyword argument
    (``on_test_end=fn``).

    Example:
        >>> import ember
        >>> losses = []
        >>> cb = ember.callbacks.LambdaCallback(
        ...     on_epoch_end=lambda epoch, logs: losses.append(logs["loss"]))
        >>> cb.on_epoch_end(0, {"loss": 0.5})
        >>> losses
        [0.5]
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None,
                 **kwargs):
        super().__init__()
        unknown = sorted(set(kwargs) - _HOOKS)
        if unknown:
            raise ValueError(
                f"LambdaCallback: expected hook names among {sorted(_HOOKS)}, "
                f"received {unknown}"
            )
        hooks = dict(kwargs, on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end,
                     on_train_batch_begin=on_train_batch_begin,
                     on_train_batch_end=on_train_batch_end)
        for name, fn in hooks.items():
            if fn is not None:
                setattr(self, name, fn)
