"""A small seeded training run for test_backup_and_restore.py, which kills it with SIGKILL
and runs it again.

Usage: python resume_training_script.py OUT_DIR. Environment:
    CONFIG: "adam" (Adam with a learning-rate schedule, EarlyStopping on the training loss)
        or "newbob" (SGD with momentum, NewBob and ReduceLROnPlateau on the training loss).
    SAVE_FREQ: BackupAndRestore's save_freq ("epoch" or an int).
    KILL_AT: global batch (0-based, over all epochs) after which the process kills itself.
    KILL_AT_EPOCH_END: epoch at whose end the process kills itself.
    KILL_IN_SAVE: the n-th backup write (from 1) during which the process kills itself, its
        data in a temporary file and not yet renamed into place.
On completion, OUT_DIR holds weights.npz and run.json (the history and the first epoch and
batch this process trained).
"""

import json
import os
import signal
import sys

import numpy as np

import ember

EPOCHS, SAMPLES, BATCH = 3, 160, 8  # 20 batches per epoch


def build(config):
    ember.utils.set_random_seed(7)
    model = ember.Sequential([
        ember.Input(shape=(8,)),
        ember.layers.Dense(16, activation="relu"),
        ember.layers.Dropout(0.3),
        ember.layers.Dense(16, activation="relu"),
        ember.layers.Dropout(0.2, seed=3),
        ember.layers.Dense(3, activation="softmax"),
    ])
    if config == "adam":
        schedule = ember.optimizers.schedules.ExponentialDecay(0.02, decay_steps=7,
                                                               decay_rate=0.8)
        optimizer = ember.optimizers.Adam(learning_rate=schedule)
        watchers = [ember.callbacks.EarlyStopping(monitor="loss", patience=5,
                                                  restore_best_weights=True)]
    else:
        optimizer = ember.optimizers.SGD(learning_rate=0.3, momentum=0.9)
        watchers = [ember.callbacks.NewBob(monitor="loss", factor=0.5),
                    ember.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1)]
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model, watchers


def main(out_dir):
    config = os.environ.get("CONFIG", "adam")
    save_freq = os.environ.get("SAVE_FREQ", "1")
    save_freq = save_freq if save_freq == "epoch" else int(save_freq)
    kill_at = int(os.environ.get("KILL_AT", "-1"))
    kill_at_epoch_end = int(os.environ.get("KILL_AT_EPOCH_END", "-1"))
    kill_in_save = int(os.environ.get("KILL_IN_SAVE", "-1"))
    if kill_in_save > 0:
        writes, fsync = [], os.fsync

        def fsync_then_die(fd):  # atomic_write syncs the temporary file, then renames it
            writes.append(fd)
            if len(writes) == kill_in_save:
                os.kill(os.getpid(), signal.SIGKILL)
            fsync(fd)

        os.fsync = fsync_then_die

    data = np.random.default_rng(0)
    x = data.normal(size=(SAMPLES, 8)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int64") + (x[:, 2] > 1).astype("int64")
    model, watchers = build(config)

    seen = {"epoch": None, "first": None}

    def on_epoch_begin(epoch, logs):
        seen["epoch"] = epoch

    def on_train_batch_begin(batch, logs):
        if seen["first"] is None:
            seen["first"] = [seen["epoch"], batch]

    def on_train_batch_end(batch, logs):
        if seen["epoch"] * (SAMPLES // BATCH) + batch == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    def on_epoch_end(epoch, logs):
        if epoch == kill_at_epoch_end:
            os.kill(os.getpid(), signal.SIGKILL)

    backup = ember.callbacks.BackupAndRestore(os.path.join(out_dir, "backup"),
                                              save_freq=save_freq)
    probe = ember.callbacks.LambdaCallback(
        on_epoch_begin=on_epoch_begin, on_train_batch_begin=on_train_batch_begin,
        on_train_batch_end=on_train_batch_end, on_epoch_end=on_epoch_end)
    # The backup sits between stateful callbacks: its place in the list must not matter.
    callbacks = [watchers[0], backup, probe] + watchers[1:]
    history = model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, callbacks=callbacks,
                        verbose=0)
    np.savez(os.path.join(out_dir, "weights.npz"), *model.get_weights())
    with open(os.path.join(out_dir, "run.json"), "w") as f:
        json.dump({"history": history.history, "epochs": history.epoch,
                   "first": seen["first"]}, f)


if __name__ == "__main__":
    main(sys.argv[1])
