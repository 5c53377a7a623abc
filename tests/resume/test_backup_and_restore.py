"""BackupAndRestore: a run killed at any point and started again ends with the weights of an
uninterrupted run, bit for bit.

The subprocess tests run resume_training_script.py, which kills itself with SIGKILL at a
batch or an epoch end chosen by environment variables, then run it again to completion.
The in-process tests interrupt fit with an exception, which leaves the backup in place the
same way."""

import json
import os
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import ember

SCRIPT = Path(__file__).with_name("resume_training_script.py")
ROOT = Path(__file__).resolve().parents[2]


def run_script(out_dir: Path, config: str, save_freq: str, **kill) -> subprocess.CompletedProcess:
    env = dict(os.environ, CONFIG=config, SAVE_FREQ=save_freq,
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    env.update({name: str(value) for name, value in kill.items()})
    return subprocess.run([sys.executable, str(SCRIPT), str(out_dir)], env=env,
                          capture_output=True, text=True, timeout=120)


def results(out_dir: Path):
    with np.load(out_dir / "weights.npz") as npz:
        weights = [npz[k] for k in sorted(npz.files, key=lambda k: int(k.split("_")[1]))]
    return weights, json.loads((out_dir / "run.json").read_text())


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The final weights and run record of each configuration, trained without a stop."""
    cache = {}

    def get(config):
        if config not in cache:
            out = tmp_path_factory.mktemp(f"uninterrupted-{config}")
            done = run_script(out, config, "1")
            assert done.returncode == 0, done.stderr
            cache[config] = results(out)
        return cache[config]

    return get


@pytest.mark.parametrize("config, save_freq, kills, resumed_at", [
    # Killed after global batch 27 (epoch 1, batch 7): the last backup was taken as batch 7
    # began, so the second run starts there.
    ("adam", "1", [{"KILL_AT": 27}], [1, 7]),
    # Killed at the end of epoch 0, after its last batch and before the next epoch began.
    ("adam", "1", [{"KILL_AT_EPOCH_END": 0}], [0, 19]),
    # Backups once per epoch: killed in epoch 2, the run starts that epoch again.
    ("newbob", "epoch", [{"KILL_AT": 45}], [2, 0]),
    # Killed twice, backups every 7 batches counted from each start.
    ("newbob", "7", [{"KILL_AT": 13}, {"KILL_AT_EPOCH_END": 1}], [1, 15]),
    # Killed while writing its 4th backup (due after batch 39, the last of epoch 1): the
    # 3rd, taken as batch 10 of epoch 1 began, is intact.
    ("adam", "10", [{"KILL_IN_SAVE": 4}], [1, 10]),
])
def test_killed_run_resumes_bit_for_bit(tmp_path, uninterrupted, config, save_freq, kills,
                                        resumed_at):
    for kill in kills:
        killed = run_script(tmp_path, config, save_freq, **kill)
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        assert (tmp_path / "backup" / "backup.zip").is_file()
    if "KILL_IN_SAVE" in kills[-1]:
        assert len(os.listdir(tmp_path / "backup")) == 2  # with the cut-short temporary file
    done = run_script(tmp_path, config, save_freq)
    assert done.returncode == 0, done.stderr

    weights, run = results(tmp_path)
    reference_weights, reference_run = uninterrupted(config)
    assert run["first"] == resumed_at  # it resumed, rather than training from the start
    assert len(weights) == len(reference_weights)
    assert all(np.array_equal(a, b) for a, b in zip(weights, reference_weights))
    assert run["history"] == reference_run["history"]  # the same floats, epoch by epoch
    assert run["epochs"] == [0, 1, 2]
    assert not (tmp_path / "backup").exists()  # deleted once training completed


# ---- in process -------------------------------------------------------------------------
class Interrupt(Exception):
    pass


def interrupt_at(global_batch: int, batches_per_epoch: int):
    state = {"epoch": 0}

    def on_train_batch_end(batch, logs):
        if state["epoch"] * batches_per_epoch + batch == global_batch:
            raise Interrupt()

    return ember.callbacks.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: state.update(epoch=epoch),
        on_train_batch_end=on_train_batch_end)


def train(backup=None, interrupt=None, epochs=3, callbacks=()):
    """A fresh seeded model trained on 48 samples in batches of 8 (6 per epoch), as a
    restarted program would; returns the model."""
    ember.backend.clear_session()  # layer names (weight paths) as in a new process
    ember.utils.set_random_seed(11)
    data = np.random.default_rng(1)
    x = data.normal(size=(48, 5)).astype("float32")
    y = (x.sum(axis=1) > 0).astype("float32")[:, None]
    model = ember.Sequential([
        ember.Input(shape=(5,)),
        ember.layers.Dense(8, activation="relu"),
        ember.layers.Dropout(0.25),
        ember.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=ember.optimizers.Adam(0.05), loss="binary_crossentropy",
                  metrics=["accuracy"])
    extra = [cb for cb in (backup, interrupt_at(interrupt, 6) if interrupt is not None
                           else None) if cb is not None]
    model.fit(x, y, batch_size=8, epochs=epochs, callbacks=list(callbacks) + extra, verbose=0)
    return model


@pytest.fixture(scope="module")
def reference_weights():
    return train().get_weights()


def same_weights(model, reference) -> bool:
    return all(np.array_equal(a, b) for a, b in zip(model.get_weights(), reference))


def test_resume_in_process_matches_and_cleans_up(tmp_path, reference_weights):
    folder = tmp_path / "backup"
    with pytest.raises(Interrupt):
        train(ember.callbacks.BackupAndRestore(folder, save_freq=2), interrupt=9)
    assert (folder / "backup.zip").is_file()
    with zipfile.ZipFile(folder / "backup.zip") as zf:
        state = json.loads(zf.read("state.json"))
        assert sorted(zf.namelist()) == ["model.weights.safetensors", "state.json",
                                         "state.safetensors"]
    # Saves fall due after batches 1, 3, 5 (epoch 0) and 1, 3 (epoch 1); the one after
    # global batch 9 is written only as batch 4 begins, which the interruption prevents.
    assert (state["epoch"], state["step"]) == (1, 2)
    model = train(ember.callbacks.BackupAndRestore(folder, save_freq=2))
    assert same_weights(model, reference_weights)
    assert not folder.exists()


def test_uninterrupted_run_with_backup_changes_nothing(tmp_path, reference_weights):
    model = train(ember.callbacks.BackupAndRestore(tmp_path / "b", save_freq=1))
    assert same_weights(model, reference_weights)
    assert not (tmp_path / "b").exists()


def test_truncated_backup_is_a_clear_error(tmp_path):
    folder = tmp_path / "backup"
    with pytest.raises(Interrupt):
        train(ember.callbacks.BackupAndRestore(folder), interrupt=14)
    path = folder / "backup.zip"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="corrupt or truncated") as info:
        train(ember.callbacks.BackupAndRestore(folder))
    message = str(info.value)
    assert str(path) in message and f"Delete the folder '{folder}'" in message


def test_double_checkpoint_falls_back_to_the_previous_backup(tmp_path, reference_weights):
    folder = tmp_path / "backup"
    with pytest.raises(Interrupt):
        train(ember.callbacks.BackupAndRestore(folder, save_freq=3, double_checkpoint=True),
              interrupt=10)
    assert (folder / "backup.prev.zip").is_file()
    (folder / "backup.zip").write_bytes(b"PK\x03\x04 not a zip at all")
    with pytest.warns(UserWarning, match="resuming from the previous backup"):
        model = train(ember.callbacks.BackupAndRestore(folder, save_freq=3,
                                                        double_checkpoint=True))
    assert same_weights(model, reference_weights)
    assert not folder.exists()


def test_double_checkpoint_with_both_backups_corrupt_is_an_error(tmp_path):
    folder = tmp_path / "backup"
    with pytest.raises(Interrupt):
        train(ember.callbacks.BackupAndRestore(folder, save_freq=3, double_checkpoint=True),
              interrupt=10)
    for name in ("backup.zip", "backup.prev.zip"):
        (folder / name).write_bytes(b"garbage")
    with pytest.warns(UserWarning), pytest.raises(ValueError, match="backup.prev.zip"):
        train(ember.callbacks.BackupAndRestore(folder, save_freq=3, double_checkpoint=True))


def test_crash_while_writing_keeps_the_previous_backup(tmp_path, monkeypatch,
                                                       reference_weights):
    """A failure after the new backup's bytes went to a temporary file, before the rename:
    the previous backup stays, whole, and training resumes from it."""
    folder = tmp_path / "backup"
    real_fsync, calls = os.fsync, []

    def failing_fsync(fd):
        calls.append(fd)
        if len(calls) == 3:
            raise OSError("disk gone")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="disk gone"):
        train(ember.callbacks.BackupAndRestore(folder, save_freq=4))
    monkeypatch.undo()
    assert os.listdir(folder) == ["backup.zip"]  # no temporary file left behind
    with zipfile.ZipFile(folder / "backup.zip") as zf:
        state = json.loads(zf.read("state.json"))
    assert (state["epoch"], state["step"]) == (1, 2)  # the second backup, after 8 batches
    model = train(ember.callbacks.BackupAndRestore(folder, save_freq=4))
    assert same_weights(model, reference_weights)


def test_keep_checkpoint_and_rerun(tmp_path, reference_weights):
    folder = tmp_path / "backup"
    model = train(ember.callbacks.BackupAndRestore(folder, delete_checkpoint=False))
    assert same_weights(model, reference_weights)
    with zipfile.ZipFile(folder / "backup.zip") as zf:
        state = json.loads(zf.read("state.json"))
    assert (state["epoch"], state["step"]) == (2, 0)  # the last epoch began from it
    again = train(ember.callbacks.BackupAndRestore(folder, delete_checkpoint=False))
    assert same_weights(again, reference_weights)


def test_callbacks_must_match_the_interrupted_run(tmp_path):
    folder = tmp_path / "backup"
    stop = ember.callbacks.EarlyStopping(monitor="loss", patience=3)
    with pytest.raises(Interrupt):
        train(ember.callbacks.BackupAndRestore(folder, save_freq=1), interrupt=8,
              callbacks=[stop])
    with pytest.raises(ValueError, match=r"\['EarlyStopping', 'History'\].*\['History'\]"):
        train(ember.callbacks.BackupAndRestore(folder, save_freq=1))


def test_model_must_be_built_to_restore(tmp_path):
    folder = tmp_path / "backup"
    with pytest.raises(Interrupt):
        train(ember.callbacks.BackupAndRestore(folder, save_freq=1), interrupt=3)
    model = ember.Sequential([ember.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="BackupAndRestore: expected a built model"):
        model.fit(np.ones((8, 5)), np.ones((8, 1)), verbose=0,
                  callbacks=[ember.callbacks.BackupAndRestore(folder)])


@pytest.mark.parametrize("save_freq", [0, -3, "batch", 2.5, True])
def test_invalid_save_freq(tmp_path, save_freq):
    with pytest.raises(ValueError, match="BackupAndRestore: expected save_freq"):
        ember.callbacks.BackupAndRestore(tmp_path, save_freq=save_freq)


def test_empty_backup_dir():
    with pytest.raises(ValueError, match="BackupAndRestore: expected a folder"):
        ember.callbacks.BackupAndRestore("")
