"""Callbacks against a fake model and a loop that calls the hooks the way ``fit`` does.

The fake model's weights after epoch ``e`` are ``[e + 1]``, so a test can tell which
epoch's weights a callback restored.
"""

import csv
import math
import re

import numpy as np
import pytest

from ember.callbacks import (
    Callback,
    CallbackList,
    CSVLogger,
    EarlyStopping,
    History,
    LambdaCallback,
    LearningRateScheduler,
    ModelCheckpoint,
    NewBob,
    ProgbarLogger,
    ReduceLROnPlateau,
    TerminateOnNaN,
)


class FakeOptimizer:
    """Stores the rate in float32 like a real optimizer variable; reads back a float."""

    def __init__(self, learning_rate=0.1):
        self._lr = np.float32(learning_rate)

    @property
    def learning_rate(self):
        return float(self._lr)

    @learning_rate.setter
    def learning_rate(self, value):
        self._lr = np.float32(value)


class FakeMetric:
    def __init__(self, name, direction):
        self.name = name
        self._direction = direction


class FakeModel:
    def __init__(self, learning_rate=0.1):
        self.stop_training = False
        self.optimizer = FakeOptimizer(learning_rate)
        self.weights = [np.zeros(3, dtype="float32")]
        self.saved = []  # (method, path)
        self.history = None

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.array(w) for w in weights]

    def save(self, filepath):
        self._write("save", filepath)

    def save_weights(self, filepath):
        self._write("save_weights", filepath)

    def _write(self, method, filepath):
        with open(filepath, "w") as f:
            f.write(method)
        self.saved.append((method, str(filepath)))

    @property
    def marker(self) -> float:
        return float(self.weights[0][0])


def run_fit(model, callbacks, val=None, epochs=None, steps=2, verbose=0, losses=None,
            batch_losses=None, val_name="val_loss"):
    """A training loop with the hook calls of ``Model.fit``."""
    epochs = epochs if epochs is not None else len(val)
    cbks = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, model=model,
                        verbose=verbose, epochs=epochs, steps=steps)
    model.stop_training = False
    cbks.on_train_begin()
    logs = {}
    for epoch in range(epochs):
        cbks.on_epoch_begin(epoch)
        for step in range(steps):
            cbks.on_train_batch_begin(step)
            model.weights = [np.full(3, epoch + 1, dtype="float32")]
            loss = batch_losses[epoch * steps + step] if batch_losses else 1.0 / (epoch + 1)
            cbks.on_train_batch_end(step, {"loss": loss})
            if model.stop_training:
                break
        logs = {"loss": losses[epoch] if losses else 1.0 / (epoch + 1)}
        if val is not None:
            cbks.on_test_begin()
            for step in range(2):
                cbks.on_test_batch_begin(step)
                cbks.on_test_batch_end(step, {"loss": val[epoch]})
            cbks.on_test_end({"loss": val[epoch]})
            logs[val_name] = val[epoch]
        cbks.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    cbks.on_train_end(logs)
    return model.history


# ---- Callback, CallbackList, History ------------------------------------------------------
def test_callback_base_hooks_and_batch_aliases():
    calls = []

    class Legacy(Callback):
        def on_batch_begin(self, batch, logs=None):
            calls.append(("begin", batch))

        def on_batch_end(self, batch, logs=None):
            calls.append(("end", batch, logs["loss"]))

    cb = Legacy()
    model = FakeModel()
    cb.set_model(model)
    cb.set_params({"epochs": 3})
    assert cb.model is model and cb.params == {"epochs": 3}
    cb.on_train_batch_begin(0)
    cb.on_train_batch_end(0, {"loss": 0.5})
    assert calls == [("begin", 0), ("end", 0, 0.5)]
    for hook in ("on_train_begin", "on_train_end", "on_test_begin", "on_test_end",
                 "on_predict_begin", "on_predict_end"):
        assert getattr(Callback(), hook)({}) is None
    for hook in ("on_epoch_begin", "on_epoch_end", "on_test_batch_begin", "on_test_batch_end",
                 "on_predict_batch_begin", "on_predict_batch_end"):
        assert getattr(Callback(), hook)(0, {}) is None


def test_callback_list_adds_history_and_progbar_once():
    model = FakeModel()
    cbks = CallbackList(None, add_history=True, add_progbar=True, model=model, verbose=1,
                        epochs=2, steps=3)
    kinds = [type(cb) for cb in cbks]
    assert kinds == [History, ProgbarLogger] and len(cbks) == 2
    assert model.history is cbks.callbacks[0]
    assert cbks.callbacks[1].target == 3 and cbks.callbacks[1].epochs == 2

    own_history, own_progbar = History(), ProgbarLogger()
    cbks = CallbackList([own_progbar, [own_history]], add_history=True, add_progbar=True,
                        model=model, verbose=1, epochs=1, steps=1)
    assert cbks.callbacks == [own_progbar, own_history]
    assert model.history is own_history
    assert own_history.params == {"verbose": 1, "epochs": 1, "steps": 1}
    # A CallbackList given as the callbacks is opened, not nested.
    rewrapped = CallbackList(cbks, add_history=True, add_progbar=True, model=model)
    assert rewrapped.callbacks == [own_progbar, own_history]


def test_callback_list_append_iteration_and_type_check():
    model = FakeModel()
    cbks = CallbackList([], model=model, verbose=0, epochs=1, steps=1)
    extra = Callback()
    cbks.append(extra)
    assert list(cbks) == [extra]
    assert extra.model is model and extra.params["steps"] == 1
    with pytest.raises(TypeError, match="CallbackList: expected Callback instances"):
        CallbackList(["not a callback"])
    with pytest.raises(TypeError, match="expected a Callback, received int"):
        cbks.append(3)


def test_callback_list_batch_logs_are_python_floats_and_epoch_logs_shared():
    seen = {}

    class Spy(Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen["batch"] = logs

        def on_epoch_end(self, epoch, logs=None):
            logs["extra"] = 1.0

    cbks = CallbackList([Spy()], add_history=True, model=FakeModel())
    cbks.on_train_begin()
    cbks.on_train_batch_end(0, {"loss": np.float32(0.5), "accuracy": np.array(0.25)})
    assert list(seen["batch"]) == ["accuracy", "loss"]
    assert all(type(v) is float for v in seen["batch"].values())
    epoch_logs = {"loss": 0.5}
    cbks.on_epoch_end(0, epoch_logs)
    assert epoch_logs["extra"] == 1.0
    assert cbks.callbacks[-1].history == {"loss": [0.5], "extra": [1.0]}


def test_history_records_epochs_params_and_model():
    model = FakeModel()
    history = run_fit(model, [], val=[0.9, 0.8, 0.7])
    assert isinstance(history, History)
    assert history.epoch == [0, 1, 2]
    assert history.history["val_loss"] == [0.9, 0.8, 0.7]
    assert history.history["loss"] == pytest.approx([1.0, 0.5, 1 / 3])
    assert history.params == {"verbose": 0, "epochs": 3, "steps": 2}
    assert history.model is model


# ---- EarlyStopping ----------------------------------------------------------------------
def test_early_stopping_patience_counts_epochs_without_improvement():
    model = FakeModel()
    stop = EarlyStopping(patience=2)
    history = run_fit(model, [stop], val=[1.0, 0.9, 0.95, 0.96, 0.5])
    assert len(history.epoch) == 4
    assert stop.stopped_epoch == 3 and stop.best == 0.9 and stop.best_epoch == 1
    assert stop.wait == 2


def test_early_stopping_patience_zero_and_min_delta():
    stop = EarlyStopping()
    assert len(run_fit(FakeModel(), [stop], val=[1.0, 1.1, 0.5]).epoch) == 2
    stop = EarlyStopping(min_delta=-0.1, patience=1)  # abs(min_delta) is used
    history = run_fit(FakeModel(), [stop], val=[1.0, 0.95, 0.9, 0.8])
    assert stop.min_delta == 0.1 and stop.stopped_epoch == 1 and len(history.epoch) == 2


def test_early_stopping_auto_mode_maximizes_accuracy():
    stop = EarlyStopping(monitor="val_accuracy", patience=1)
    history = run_fit(FakeModel(), [stop], val=[0.5, 0.6, 0.55, 0.7], val_name="val_accuracy")
    assert stop.monitor_op == "max" and stop.best == 0.6
    assert len(history.epoch) == 3


def test_early_stopping_direction_from_model_metric_and_errors():
    model = FakeModel()
    model.metrics = [FakeMetric("score", "up")]
    stop = EarlyStopping(monitor="val_score", patience=0)
    run_fit(model, [stop], val=[0.1, 0.2, 0.1], val_name="val_score")
    assert stop.monitor_op == "max" and stop.stopped_epoch == 2

    with pytest.raises(ValueError, match="monitor='val_score'.*mode='max'"):
        run_fit(FakeModel(), [EarlyStopping(monitor="val_score")], val=[1.0],
                val_name="val_score")
    stop = EarlyStopping(monitor="val_score", mode="min")
    run_fit(FakeModel(), [stop], val=[1.0, 2.0], val_name="val_score")
    assert stop.stopped_epoch == 1
    with pytest.warns(UserWarning, match="mode 'lowest' is unknown"):
        assert EarlyStopping(mode="lowest").mode == "auto"


def test_early_stopping_baseline_keeps_counting_until_beaten():
    with_baseline = EarlyStopping(patience=2, baseline=0.5)
    run_fit(FakeModel(), [with_baseline], val=[0.9, 0.85, 0.86, 0.84])
    assert with_baseline.stopped_epoch == 2
    without = EarlyStopping(patience=2)
    run_fit(FakeModel(), [without], val=[0.9, 0.85, 0.86, 0.84])
    assert without.stopped_epoch == 0


def test_early_stopping_restores_best_weights_when_stopped_and_at_end(capsys):
    model = FakeModel()
    stop = EarlyStopping(patience=1, restore_best_weights=True, verbose=1)
    run_fit(model, [stop], val=[1.0, 0.5, 0.7, 0.8, 0.1])
    assert model.marker == 2.0  # the weights after epoch 1
    out = capsys.readouterr().out
    assert "Epoch 3: early stopping" in out
    assert "Restoring model weights from the end of the best epoch: 2." in out

    model = FakeModel()  # no early stop: the best weights are restored at the end anyway
    run_fit(model, [EarlyStopping(patience=5, restore_best_weights=True)],
            val=[1.0, 0.5, 0.7])
    assert model.marker == 2.0
    model = FakeModel()
    run_fit(model, [EarlyStopping(patience=1)], val=[1.0, 0.5, 0.7, 0.8])
    assert model.marker == 3.0


def test_early_stopping_start_from_epoch_and_reuse():
    stop = EarlyStopping(patience=0, start_from_epoch=2)
    history = run_fit(FakeModel(), [stop], val=[1.0, 2.0, 3.0, 4.0, 5.0])
    assert stop.stopped_epoch == 3 and len(history.epoch) == 4
    assert stop.best == 3.0
    # A second fit starts from scratch.
    history = run_fit(FakeModel(), [stop], val=[9.0, 8.0, 7.0, 6.0])
    assert stop.stopped_epoch == 0 and stop.best == 6.0 and len(history.epoch) == 4


def test_early_stopping_warns_when_monitor_missing():
    stop = EarlyStopping(monitor="val_auc")
    with pytest.warns(UserWarning, match="`val_auc` which is not available.*loss"):
        history = run_fit(FakeModel(), [stop], val=None, epochs=2)
    assert len(history.epoch) == 2 and stop.stopped_epoch == 0


# ---- ModelCheckpoint --------------------------------------------------------------------
def test_model_checkpoint_formats_epoch_from_one_and_logs(tmp_path):
    model = FakeModel()
    path = tmp_path / "ckpt" / "model-{epoch:02d}-{val_loss:.2f}.ember"
    run_fit(model, [ModelCheckpoint(path)], val=[0.9, 0.456])
    assert model.saved == [("save", str(tmp_path / "ckpt" / "model-01-0.90.ember")),
                           ("save", str(tmp_path / "ckpt" / "model-02-0.46.ember"))]
    assert (tmp_path / "ckpt" / "model-02-0.46.ember").read_text() == "save"


def test_model_checkpoint_save_best_only_weights(tmp_path, capsys):
    model = FakeModel()
    path = str(tmp_path / "best.weights.npz")
    cb = ModelCheckpoint(path, save_best_only=True, save_weights_only=True, verbose=1)
    run_fit(model, [cb], val=[0.9, 0.95, 0.5, 0.5])
    assert [m for m, _ in model.saved] == ["save_weights", "save_weights"]
    assert cb.best == 0.5
    out = capsys.readouterr().out
    assert "Epoch 1: val_loss improved from None to 0.90000, saving model to" in out
    assert "Epoch 2: val_loss did not improve from 0.90000" in out
    assert "Epoch 4: val_loss did not improve from 0.50000" in out


def test_model_checkpoint_threshold_and_max_mode(tmp_path):
    model = FakeModel()
    cb = ModelCheckpoint(str(tmp_path / "m-{epoch}.ember"), save_best_only=True,
                         initial_value_threshold=0.5)
    run_fit(model, [cb], val=[0.9, 0.6, 0.4])
    assert [p for _, p in model.saved] == [str(tmp_path / "m-3.ember")]

    model = FakeModel()
    cb = ModelCheckpoint(str(tmp_path / "a-{epoch}.ember"), monitor="val_accuracy",
                         save_best_only=True)
    run_fit(model, [cb], val=[0.5, 0.4, 0.7], val_name="val_accuracy")
    assert [p for _, p in model.saved] == [str(tmp_path / "a-1.ember"),
                                           str(tmp_path / "a-3.ember")]


def test_model_checkpoint_batch_frequency(tmp_path):
    model = FakeModel()
    cb = ModelCheckpoint(str(tmp_path / "e{epoch}-b{batch}.ember"), save_freq=3)
    run_fit(model, [cb], val=[1.0, 1.0], steps=4)
    assert [p for _, p in model.saved] == [str(tmp_path / "e1-b3.ember"),
                                           str(tmp_path / "e2-b2.ember")]


def test_model_checkpoint_errors_and_missing_monitor(tmp_path):
    for bad in ("batch", 0, 2.5, True):
        with pytest.raises(ValueError, match="save_freq 'epoch' or a positive integer"):
            ModelCheckpoint("m.ember", save_freq=bad)
    with pytest.raises(KeyError, match="val_acc"):
        run_fit(FakeModel(), [ModelCheckpoint(str(tmp_path / "{val_acc}.ember"))], val=[1.0])
    model = FakeModel()
    cb = ModelCheckpoint(str(tmp_path / "m.ember"), monitor="val_auc", save_best_only=True)
    with pytest.warns(UserWarning, match="Can save best model only with val_auc"):
        run_fit(model, [cb], val=[1.0])
    assert len(model.saved) == 1
    (tmp_path / "dir.ember").mkdir()
    with pytest.raises(IsADirectoryError, match="existing directory"):
        run_fit(FakeModel(), [ModelCheckpoint(str(tmp_path / "dir.ember"))], val=[1.0])


# ---- learning-rate callbacks --------------------------------------------------------------
def test_reduce_lr_on_plateau_patience_and_logged_rate():
    model = FakeModel(0.1)
    history = run_fit(model, [ReduceLROnPlateau(factor=0.5, patience=2)], val=[1.0] * 5)
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.1, 0.1, 0.05, 0.05])
    assert model.optimizer.learning_rate == pytest.approx(0.025)


def test_reduce_lr_on_plateau_min_lr_cooldown_and_min_delta(capsys):
    model = FakeModel(0.1)
    run_fit(model, [ReduceLROnPlateau(factor=0.1, patience=1, min_lr=0.05)], val=[1.0] * 4)
    assert model.optimizer.learning_rate == pytest.approx(0.05)

    model = FakeModel(0.1)
    cb = ReduceLROnPlateau(factor=0.1, patience=1, cooldown=2, verbose=1)
    history = run_fit(model, [cb], val=[1.0] * 6)
    assert history.history["learning_rate"] == pytest.approx(
        [0.1, 0.1, 0.01, 0.01, 0.001, 0.001])
    assert "Epoch 2: ReduceLROnPlateau reducing learning rate to" in capsys.readouterr().out

    model = FakeModel(0.1)  # steps smaller than min_delta are not improvements
    run_fit(model, [ReduceLROnPlateau(factor=0.5, patience=1, min_delta=0.1)],
            val=[1.0, 0.95, 0.5])
    assert model.optimizer.learning_rate == pytest.approx(0.05)


def test_reduce_lr_on_plateau_max_mode_errors_and_missing_monitor():
    model = FakeModel(0.1)
    cb = ReduceLROnPlateau(monitor="val_accuracy", factor=0.5, patience=1)
    run_fit(model, [cb], val=[0.5, 0.6, 0.7], val_name="val_accuracy")
    assert cb.monitor_op == "max" and model.optimizer.learning_rate == pytest.approx(0.1)
    with pytest.raises(ValueError, match="factor >= 1.0. Received factor=1.5"):
        ReduceLROnPlateau(factor=1.5)
    with pytest.warns(UserWarning, match="`val_loss` which is not available"):
        run_fit(FakeModel(), [ReduceLROnPlateau()], val=None, epochs=1)


def test_learning_rate_scheduler_forms(capsys):
    model = FakeModel(0.1)
    sched = LearningRateScheduler(lambda epoch, lr: lr if epoch < 2 else lr * 0.5, verbose=1)
    history = run_fit(model, [sched], val=[1.0] * 4)
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.1, 0.05, 0.025])
    assert "Epoch 3: LearningRateScheduler setting learning rate to" in capsys.readouterr().out

    model = FakeModel(0.1)
    run_fit(model, [LearningRateScheduler(lambda epoch: 0.01 * (epoch + 1))], val=[1.0] * 3)
    assert model.optimizer.learning_rate == pytest.approx(0.03)

    model = FakeModel(0.1)
    run_fit(model, [LearningRateScheduler(lambda epoch, lr: np.float32(lr) / 2)], val=[1.0])
    assert model.optimizer.learning_rate == pytest.approx(0.05)


def test_learning_rate_scheduler_errors():
    with pytest.raises(ValueError, match="return a float, received 'fast'"):
        run_fit(FakeModel(), [LearningRateScheduler(lambda epoch, lr: "fast")], val=[1.0])
    with pytest.raises(TypeError, match="expected a callable schedule"):
        LearningRateScheduler(0.1)

    def broken(epoch, lr):
        raise TypeError("bug inside the schedule")

    with pytest.raises(TypeError, match="bug inside the schedule"):
        run_fit(FakeModel(), [LearningRateScheduler(broken)], val=[1.0])
    model = FakeModel()
    model.optimizer = object()
    with pytest.raises(ValueError, match="optimizer has a learning_rate attribute"):
        run_fit(model, [LearningRateScheduler(lambda e: 0.1)], val=[1.0])


def test_newbob_rejects_epochs_halves_rate_and_rolls_back(capsys):
    model = FakeModel(0.1)
    newbob = NewBob(verbose=1)
    history = run_fit(model, [newbob], val=[1.0, 0.8, 0.9, 0.7, 0.75, 0.6])
    assert history.history["learning_rate"] == pytest.approx(
        [0.1, 0.1, 0.1, 0.05, 0.05, 0.025])
    assert newbob.halvings == 2 and newbob.best == 0.6 and newbob.best_epoch == 5
    assert model.marker == 6.0
    out = capsys.readouterr().out
    assert "Epoch 3: NewBob: val_loss 0.90000 did not improve on 0.80000 (epoch 2)" in out


def test_newbob_restores_best_weights_after_a_rejected_epoch():
    seen = []
    model = FakeModel(0.1)
    watch = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(model.marker))
    run_fit(model, [NewBob(), watch], val=[1.0, 0.8, 0.9, 0.95])
    assert seen == [1.0, 2.0, 2.0, 2.0]  # epochs 3 and 4 are undone
    assert model.optimizer.learning_rate == pytest.approx(0.025)


def test_newbob_stops_after_max_halvings_or_low_rate(capsys):
    model = FakeModel(0.1)
    newbob = NewBob(max_halvings=2, verbose=1)
    history = run_fit(model, [newbob], val=[1.0, 1.1, 1.2, 0.5])
    assert len(history.epoch) == 3 and newbob.stopped_epoch == 2
    assert model.marker == 1.0 and model.optimizer.learning_rate == pytest.approx(0.025)
    assert "NewBob stopping after 2 learning-rate reductions" in capsys.readouterr().out

    model = FakeModel(0.1)
    history = run_fit(model, [NewBob(stop_when_lr_below=0.03)], val=[1.0, 1.1, 1.2, 1.3])
    assert len(history.epoch) == 3


def test_newbob_min_delta_min_lr_and_max_mode():
    model = FakeModel(0.1)
    run_fit(model, [NewBob(min_delta=0.05)], val=[1.0, 0.99])
    assert model.marker == 1.0 and model.optimizer.learning_rate == pytest.approx(0.05)

    model = FakeModel(0.1)
    newbob = NewBob(min_lr=0.08)
    run_fit(model, [newbob], val=[1.0, 1.1, 1.2])
    assert newbob.halvings == 1 and model.marker == 1.0
    assert model.optimizer.learning_rate == pytest.approx(0.08)

    model = FakeModel(0.1)
    newbob = NewBob(monitor="val_accuracy")
    run_fit(model, [newbob], val=[0.5, 0.7, 0.6], val_name="val_accuracy")
    assert newbob.monitor_op == "max" and newbob.best == 0.7 and model.marker == 2.0


def test_newbob_argument_errors_and_missing_monitor():
    for factor in (0.0, 1.0, 2.0):
        with pytest.raises(ValueError, match=f"NewBob: expected factor in \\(0, 1\\), "
                                             f"received factor={factor}"):
            NewBob(factor=factor)
    with pytest.raises(ValueError, match="max_halvings a positive int"):
        NewBob(max_halvings=0)
    with pytest.warns(UserWarning, match="NewBob is conditioned on metric `val_loss`"):
        run_fit(FakeModel(), [NewBob()], val=None, epochs=1)


# ---- TerminateOnNaN, CSVLogger, LambdaCallback --------------------------------------------
@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_terminate_on_nan_stops_after_the_batch(bad, capsys):
    model = FakeModel()
    batch_losses = [1.0, bad, 1.0, 1.0]
    history = run_fit(model, [TerminateOnNaN()], val=[1.0, 1.0], steps=2,
                      batch_losses=batch_losses)
    assert model.stop_training and len(history.epoch) == 1
    assert "Batch 1: Invalid loss, terminating training" in capsys.readouterr().out
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 1"):
        run_fit(FakeModel(), [TerminateOnNaN(raise_error=True)], val=[1.0], steps=2,
                batch_losses=batch_losses)


def test_csv_logger_writes_and_appends(tmp_path):
    path = tmp_path / "log.csv"
    run_fit(FakeModel(), [CSVLogger(path)], val=[0.5, 0.25])
    rows = list(csv.reader(path.open()))
    assert rows[0] == ["epoch", "loss", "val_loss"]
    assert rows[1:] == [["0", "1.0", "0.5"], ["1", "0.5", "0.25"]]

    run_fit(FakeModel(), [CSVLogger(path, append=True)], val=[0.125])
    rows = list(csv.reader(path.open()))
    assert len(rows) == 4 and rows[3] == ["0", "1.0", "0.125"]

    run_fit(FakeModel(), [CSVLogger(path, separator=";")], val=[0.5])
    assert path.read_text().splitlines() == ["epoch;loss;val_loss", "0;1.0;0.5"]


def test_csv_logger_missing_values_and_lists(tmp_path):
    path = tmp_path / "log.csv"
    logger = CSVLogger(path)
    logger.set_model(FakeModel())
    logger.on_train_begin()
    logger.on_epoch_end(0, {"loss": 1.0, "per_class": np.array([0.5, 0.25])})
    logger.on_epoch_end(1, {"per_class": [1, 2]})
    logger.on_train_end()
    assert logger.csv_file.closed
    rows = list(csv.reader(path.open()))
    assert rows[1] == ["0", "1.0", '"[0.5, 0.25]"']
    assert rows[2] == ["1", "NA", '"[1, 2]"']


def test_lambda_callback_hooks():
    calls = []
    cb = LambdaCallback(
        on_train_begin=lambda logs: calls.append("train_begin"),
        on_epoch_end=lambda epoch, logs: calls.append(("epoch_end", epoch, logs["val_loss"])),
        on_train_batch_end=lambda batch, logs: calls.append(("batch", batch)),
        on_test_end=lambda logs: calls.append(("test_end", logs["loss"])),
    )
    run_fit(FakeModel(), [cb], val=[0.5], steps=2)
    assert calls == ["train_begin", ("batch", 0), ("batch", 1), ("test_end", 0.5),
                     ("epoch_end", 0, 0.5)]
    with pytest.raises(ValueError, match="LambdaCallback: expected hook names.*on_epoc_end"):
        LambdaCallback(on_epoc_end=print)


# ---- ProgbarLogger ------------------------------------------------------------------------
LINE = r"2/2 - \d+s - \d+(us|ms|s)/step - loss: {} - val_loss: {}"


@pytest.mark.parametrize("verbose", [1, 2])
def test_progbar_logger_prints_one_line_per_epoch_when_not_a_terminal(verbose, capsys):
    run_fit(FakeModel(), [], val=[0.75, 0.5], verbose=verbose)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    assert re.fullmatch(LINE.format("1.0000", "0.7500"), lines[1])
    assert re.fullmatch(LINE.format("0.5000", "0.5000"), lines[3])


def test_progbar_logger_silent_when_verbose_zero_and_for_single_epoch_header(capsys):
    run_fit(FakeModel(), [], val=[0.75, 0.5], verbose=0)
    assert capsys.readouterr().out == ""
    run_fit(FakeModel(), [], val=[0.75], verbose=1)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("2/2 - ")


def test_progbar_logger_for_evaluate_and_predict(capsys):
    cbks = CallbackList(None, add_progbar=True, model=FakeModel(), verbose=1, epochs=1,
                        steps=3)
    cbks.on_test_begin()
    for step in range(3):
        cbks.on_test_batch_end(step, {"loss": 0.5})
    cbks.on_test_end({"loss": 0.25, "accuracy": 0.875})
    cbks.on_predict_begin()
    for step in range(3):
        cbks.on_predict_batch_end(step, {"outputs": np.zeros((4, 2))})
    cbks.on_predict_end()
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert re.fullmatch(r"3/3 - \d+s - \d+(us|ms|s)/step - loss: 0.2500 - accuracy: 0.8750",
                        lines[0])
    assert re.fullmatch(r"3/3 - \d+s - \d+(us|ms|s)/step", lines[1])


def test_progbar_logger_unknown_steps_learns_them(capsys):
    logger = ProgbarLogger()
    cbks = CallbackList([logger], model=FakeModel(), verbose=2, epochs=2, steps=None)
    cbks.on_train_begin()
    for epoch in range(2):
        cbks.on_epoch_begin(epoch)
        for step in range(5):
            cbks.on_train_batch_end(step, {"loss": 1.0})
        cbks.on_epoch_end(epoch, {"loss": 1.0})
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("5/5 - ") and lines[3].startswith("5/5 - ")
    assert logger.target == 5
