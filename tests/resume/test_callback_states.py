"""get_state / set_state of the callbacks whose state steers training, as BackupAndRestore
saves and restores them."""

import json
import math

import numpy as np
import pytest

import ember
from ember import callbacks


def trained_model():
    model = ember.Sequential([ember.Input(shape=(3,)), ember.layers.Dense(2)])
    model.compile(optimizer=ember.optimizers.SGD(0.1), loss="mse")
    return model


def run_epochs(callback, losses):
    """Feed ``callback`` the epoch ends of a fit whose training loss goes through
    ``losses``."""
    callback.set_model(trained_model())
    callback.on_train_begin()
    for epoch, loss in enumerate(losses):
        callback.on_epoch_begin(epoch)
        callback.on_epoch_end(epoch, {"loss": loss})


@pytest.mark.parametrize("make, losses", [
    (lambda: callbacks.EarlyStopping(monitor="loss", patience=5, restore_best_weights=True),
     [1.0, 0.5, 0.7, 0.8]),
    (lambda: callbacks.ReduceLROnPlateau(monitor="loss", patience=1, cooldown=2),
     [1.0, 1.2, 1.3, 0.9]),
    (lambda: callbacks.NewBob(monitor="loss"), [1.0, 0.5, 0.7, 0.6]),
])
def test_state_round_trip_continues_identically(make, losses):
    """A callback given the state of another continues as that one does."""
    first = make()
    run_epochs(first, losses)
    state = first.get_state()

    second = make()
    second.set_model(first.model)
    second.on_train_begin()  # resets, as in a restarted fit
    second.set_state(state)
    for cb in (first, second):
        cb.on_epoch_end(len(losses), {"loss": 0.95})
    after_first, after_second = first.get_state(), second.get_state()
    assert after_first.keys() == after_second.keys()
    for key, value in after_first.items():
        if isinstance(value, list):  # best weights
            assert all(np.array_equal(a, b) for a, b in zip(value, after_second[key]))
        else:
            assert value == after_second[key], key


def test_states_hold_json_values_and_arrays():
    stop = callbacks.EarlyStopping(monitor="loss", restore_best_weights=True)
    run_epochs(stop, [0.4, 0.3])
    state = stop.get_state()
    assert state["wait"] == 0 and state["best"] == 0.3 and state["best_epoch"] == 1
    assert all(isinstance(w, np.ndarray) for w in state["best_weights"])
    json.dumps({k: v for k, v in state.items() if k != "best_weights"})

    plateau = callbacks.ReduceLROnPlateau(monitor="loss")
    plateau.on_train_begin()
    assert plateau.get_state() == {"monitor_op": "min", "best": math.inf, "wait": 0,
                                   "cooldown_counter": 0}


def test_history_state_keeps_the_record():
    history = callbacks.History()
    history.on_train_begin()
    history.on_epoch_end(0, {"loss": 0.9})
    history.on_epoch_end(1, {"loss": 0.5})
    restored = callbacks.History()
    restored.on_train_begin()
    restored.set_state(json.loads(json.dumps(history.get_state())))
    restored.on_epoch_end(2, {"loss": 0.25})
    assert restored.epoch == [0, 1, 2]
    assert restored.history == {"loss": [0.9, 0.5, 0.25]}
