"""``History``: the per-epoch record that ``fit`` returns."""

from __future__ import annotations

from ember.callbacks.callback import Callback


class History(Callback):
    """Records the logs of every epoch; ``fit`` adds one and returns it.

    Attributes:
        history: Dict from each log name (``"loss"``, ``"val_loss"``, metric names,
            ``"learning_rate"`` when a callback logs it) to the list of its values per epoch.
        epoch: List of the epoch indices recorded (0-based).

    Example:
        >>> import ember
        >>> history = ember.callbacks.History()
        >>> history.on_train_begin()
        >>> history.on_epoch_end(0, {"loss": 0.9, "val_loss": 1.1})
        >>> history.on_epoch_end(1, {"loss": 0.5, "val_loss": 0.8})
        >>> history.history
        {'loss': [0.9, 0.5], 'val_loss': [1.1, 0.8]}
    """

    def __init__(self):
        super().__init__()
        self.history: dict = {}
        self.epoch: list = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def get_state(self) -> dict:
        """The epochs recorded so far; ``BackupAndRestore`` saves it so that a resumed
        ``fit`` returns the whole record."""
        return {"epoch": list(self.epoch),
                "history": {k: list(v) for k, v in self.history.items()}}

    def set_state(self, state: dict) -> None:
        """Put back a state returned by ``get_state``."""
        self.epoch = list(state["epoch"])
        self.history = {k: list(v) for k, v in state["history"].items()}

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for name, value in (logs or {}).items():
            self.history.setdefault(name, []).append(value)
        if self.model is not None:
            # The latest state is the one the model exposes, also after a stop mid-fit.
            self.model.history = self
