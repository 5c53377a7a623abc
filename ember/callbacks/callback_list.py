"""``CallbackList``: the callbacks of one ``fit``/``evaluate``/``predict`` call as one."""

from __future__ import annotations

from ember.callbacks.callback import Callback
from ember.callbacks.history import History
from ember.callbacks.progbar_logger import ProgbarLogger


class CallbackList(Callback):
    """Calls each hook on every callback of a list, in order.

    The training loop builds one per call; a custom training loop can use it the same way.

    Args:
        callbacks: A list of ``Callback`` instances (or ``None``).
        add_history: Whether to add a ``History`` when the list has none. The model's
            ``history`` attribute is set to the list's ``History``.
        add_progbar: Whether to add a ``ProgbarLogger`` when the list has none.
        model: The model the callbacks watch.
        **params: Training parameters passed to every callback's ``set_params``
            (``verbose``, ``epochs``, ``steps``).

    Example:
        >>> import ember
        >>> seen = []
        >>> callbacks = ember.callbacks.CallbackList(
        ...     [ember.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(e))],
        ...     add_history=True)
        >>> callbacks.on_train_begin()
        >>> callbacks.on_epoch_end(0, {"loss": 1.0})
        >>> seen, [type(cb).__name__ for cb in callbacks]
        ([0], ['LambdaCallback', 'History'])
    """

    def __init__(self, callbacks=None, add_history: bool = False, add_progbar: bool = False,
                 model=None, **params):
        super().__init__()
        self.callbacks = list(_flatten(callbacks))
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(
                    f"CallbackList: expected Callback instances, received {type(cb).__name__}"
                )
        self._history = next((cb for cb in self.callbacks if isinstance(cb, History)), None)
        self._progbar = next(
            (cb for cb in self.callbacks if isinstance(cb, ProgbarLogger)), None
        )
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)
        self.set_model(model)
        self.set_params(params)

    def append(self, callback: Callback) -> None:
        """Add ``callback`` at the end, given the list's model and parameters."""
        if not isinstance(callback, Callback):
            raise TypeError(
                f"CallbackList: expected a Callback, received {type(callback).__name__}"
            )
        if self.model is not None:
            callback.set_model(self.model)
        if self.params:
            callback.set_params(self.params)
        self.callbacks.append(callback)

    def __iter__(self):
        return iter(self.callbacks)

    def __len__(self) -> int:
        return len(self.callbacks)

    def set_params(self, params: dict) -> None:
        self.params = params
        if params:
            for cb in self.callbacks:
                cb.set_params(params)

    def set_model(self, model) -> None:
        if model is None:
            return
        super().set_model(model)
        if self._history is not None:
            model.history = self._history
        for cb in self.callbacks:
            cb.set_model(model)

    # ---- hooks -------------------------------------------------------------------------
    def on_batch_begin(self, batch, logs=None):
        logs = {} if logs is None else logs
        for cb in self.callbacks:
            cb.on_batch_begin(batch, logs=logs)

    def on_batch_end(self, batch, logs=None):
        logs = _pythonify(logs)
        for cb in self.callbacks:
            cb.on_batch_end(batch, logs=logs)

    def on_epoch_begin(self, epoch, logs=None):
        logs = {} if logs is None else logs
        for cb in self.callbacks:
            cb.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        # The same dict goes to every callback, so what one adds (``learning_rate``) is
        # seen by the next, by ``History`` and by the progress bar.
        logs = {} if logs is None else logs
        for cb in self.callbacks:
            cb.on_epoch_end(epoch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        logs = {} if logs is None else logs
        for cb in self.callbacks:
            cb.on_train_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        logs = _pythonify(logs)
        for cb in self.callbacks:
            cb.on_train_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        logs = {} if logs is None else logs
        for cb in self.callbacks:
            cb.on_test_batch_begin(batch, logs=logs)

    def on_test_batch_end(self, batch, logs=None):
        logs = _pythonify(logs)
        for cb in self.callbacks:
            cb.on_test_batch_end(batch, logs=logs)

    def on_predict_batch_begin(self, batch, logs=None):
        logs = {} if logs is None else logs
        for cb in self.callbacks:
            cb.on_predict_batch_begin(batch, logs=logs)

    def on_predict_batch_end(self, batch, logs=None):
        # Predictions (arrays) pass as they are.
        logs = {} if logs is None else logs
        for cb in self.callbacks:
            cb.on_predict_batch_end(batch, logs=logs)

    def on_train_begin(self, logs=None):
        logs = {} if logs is None else logs
        for cb in self.callbacks:
            cb.on_train_begin(logs)

    def on_train_end(self, logs=None):
        logs = {} if logs is None else logs
        for cb in self.callbacks:
            cb.on_train_end(logs)

    def on_test_begin(self, logs=None):
        logs = {} if logs is None else logs
        for cb in self.callbacks:
            cb.on_test_begin(logs)

    def on_test_end(self, logs=None):
        logs = {} if logs is None else logs
        for cb in self.callbacks:
            cb.on_test_end(logs)

    def on_predict_begin(self, logs=None):
        logs = {} if logs is None else logs
        for cb in self.callbacks:
            cb.on_predict_begin(logs)

    def on_predict_end(self, logs=None):
        logs = {} if logs is None else logs
        for cb in self.callbacks:
            cb.on_predict_end(logs)


def _flatten(callbacks):
    if callbacks is None:
        return
    if isinstance(callbacks, (list, tuple, CallbackList)):
        for cb in callbacks:
            yield from _flatten(cb)
    else:
        yield callbacks


def _pythonify(logs) -> dict:
    """Batch logs as Python floats, sorted by name (nested dicts flattened), as Keras."""
    result = {}
    for key, value in sorted((logs or {}).items()):
        if isinstance(value, dict):
            result.update(_pythonify(value))
            continue
        try:
            result[key] = float(value)
        except (TypeError, ValueError):
            result[key] = value
    return result
