"""``BackupAndRestore``: resume an interrupted ``fit`` exactly where it stopped.

A backup is one zip file, written atomically (a temporary file renamed into place), so a
crash or ``SIGKILL`` at any moment leaves the previous backup whole. It holds everything
the rest of training depends on:

- ``state.json``: the position (epoch, and batch within the epoch), the state of ember's
  global random generator at that point and at the start of the epoch (which regenerates
  the epoch's shuffle order), the running loss means of the epoch and the states of the
  other callbacks (their ``get_state()``);
- ``model.weights.safetensors``: the model's weights, keyed by path;
- ``state.safetensors``: the optimizer's variables (slots, ``iterations`` and with it the
  position of a learning-rate schedule), the metric variables of the epoch, the states of
  seeded layers' ``SeedGenerator``\\ s and the arrays of the callbacks' states.

State is taken where ``fit`` is between two steps and every callback has seen the last
one: as the next batch begins (``on_train_batch_begin``) or as the next epoch begins. A
resumed ``fit`` replays the callbacks' hooks up to that point and puts the state back at
the same point, so the run continues bit for bit as if it had never stopped.
"""

from __future__ import annotations

import io
import json
import os
import warnings
import zipfile
import zlib

import numpy as np

from ember import backend
from ember.callbacks.callback import Callback
from ember.random import SeedGenerator
from ember.saving import weights_file

FORMAT = "ember-backup"
FORMAT_VERSION = 1
_BACKUP = "backup.zip"
_PREVIOUS = "backup.prev.zip"


class BackupAndRestore(Callback):
    """Back up the training state regularly, and restore it when ``fit`` runs again after
    an interruption (a crash, a ``SIGKILL``, a preempted machine).

    Run the same program again, with the same callback: ``fit`` continues from the last
    backup (the epoch, and the batch within the epoch) and ends with the weights an
    uninterrupted run would have reached, bit for bit. Besides the weights, the backup
    holds the optimizer's state, the state of ember's random generator (dropout, the
    shuffle order of the epoch), the metrics of the epoch so far and the state of the
    other callbacks that have one: any callback with ``get_state()`` (a dict of JSON
    values and NumPy arrays) and ``set_state(state)``, as ``EarlyStopping``,
    ``ReduceLROnPlateau``, ``NewBob`` and ``History`` have.

    Resuming exactly assumes the same program: the same model, optimizer, callbacks and
    data. Batches already trained in the interrupted epoch are drawn again and skipped, so
    a generator or ``PyDataset`` must yield the same batches on every run; with NumPy
    arrays, ``steps_per_epoch`` must be left unset (the shuffle order then starts afresh
    each epoch). The model must be built before ``fit`` (give it an ``Input``).

    Args:
        backup_dir: Folder for the backup, used by this run only: it is created when
            needed and removed at the end of training (with ``delete_checkpoint``).
        save_freq: ``"epoch"`` to back up at the end of every epoch, or an int ``n`` to back
            up after every ``n`` batches (counted across epochs).
        double_checkpoint: Keep the previous backup as well; if the latest one cannot be
            read, training resumes from the previous one (with a warning).
        delete_checkpoint: Delete the backup when training ends. With ``False`` it stays,
            and running ``fit`` again resumes from it.

    Example:
        >>> import os, tempfile
        >>> import numpy as np
        >>> import ember
        >>> model = ember.Sequential([ember.Input(shape=(4,)), ember.layers.Dense(1)])
        >>> model.compile(optimizer="adam", loss="mse")
        >>> folder = os.path.join(tempfile.mkdtemp(), "backup")
        >>> backup = ember.callbacks.BackupAndRestore(folder, save_freq=2)
        >>> history = model.fit(np.ones((32, 4)), np.ones((32, 1)), batch_size=8, epochs=2,
        ...                     callbacks=[backup], verbose=0)
        >>> os.path.exists(folder)  # training finished: the backup is gone
        False
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint: bool = False,
                 delete_checkpoint: bool = True):
        super().__init__()
        if not backup_dir:
            raise ValueError(
                f"BackupAndRestore: expected a folder for the backup, received "
                f"backup_dir={backup_dir!r}"
            )
        if save_freq != "epoch" and (
            isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq < 1
        ):
            raise ValueError(
                "BackupAndRestore: expected save_freq 'epoch' or a positive integer, "
                f"received save_freq={save_freq!r}"
            )
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._backup_path = os.path.join(self.backup_dir, _BACKUP)
        self._previous_path = os.path.join(self.backup_dir, _PREVIOUS)
        self._reset()

    def _reset(self) -> None:
        self._epoch = 0
        self._epoch_rng = None  # the generator's state as the current epoch began
        self._batches_seen_since_last_saving = 0
        self._save_due = False
        self._resume = None  # the backup read by on_train_begin, until it is put back
        self._metrics_to_merge = None

    # ---- hooks --------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._reset()
        backup = self._read_backup()
        if backup is None:
            return
        if not self.model.built:
            raise ValueError(
                f"BackupAndRestore: expected a built model to restore the backup in "
                f"'{self.backup_dir}' into; give the model an Input or build it before fit. "
                f"Received: model '{self.model.name}', not built"
            )
        self._resume = backup
        # The fit loop reads these after on_train_begin (see Trainer.fit).
        self.model._initial_epoch = backup["epoch"]
        self.model._initial_step = backup["step"]

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        resume = self._resume
        if resume is not None and resume["step"] > 0:
            # The epoch's shuffle order is drawn after this hook: draw it again.
            backend.rng().bit_generator.state = resume["epoch_rng"]
        elif resume is not None:
            self._restore(resume)
        self._epoch_rng = _rng_state()
        if self._save_due:
            self._save(epoch, 0)

    def on_train_batch_begin(self, batch, logs=None):
        if self._resume is not None:
            self._restore(self._resume)
        elif self._save_due:
            self._save(self._epoch, batch)

    def on_train_batch_end(self, batch, logs=None):
        if self._metrics_to_merge is not None:
            self._merge_metrics(self._metrics_to_merge)
            self._metrics_to_merge = None
            if logs is not None:  # the callbacks after this one see the epoch's metrics
                logs.update(self.model.get_metrics_result())
        if self.save_freq != "epoch":
            self._batches_seen_since_last_saving += 1
            if self._batches_seen_since_last_saving >= self.save_freq:
                self._batches_seen_since_last_saving = 0
                self._save_due = True

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save_due = True

    def on_train_end(self, logs=None):
        if not self.delete_checkpoint:
            return
        for path in (self._backup_path, self._previous_path):
            if os.path.exists(path):
                os.remove(path)
        if os.path.isdir(self.backup_dir):
            # Temporary files of writes cut short by a kill (see weights_file.atomic_write).
            for name in os.listdir(self.backup_dir):
                if name.startswith(".tmp-") and name.endswith((_BACKUP, _PREVIOUS)):
                    os.remove(os.path.join(self.backup_dir, name))
        try:
            os.rmdir(self.backup_dir)
        except OSError:  # absent, or holds files that are not ours
            pass

    # ---- saving -------------------------------------------------------------------------
    def _save(self, epoch: int, step: int) -> None:
        """Write the state as it is now, to resume at ``step`` of ``epoch``."""
        self._save_due = False
        model = self.model
        arrays = {}
        optimizer = model.optimizer
        if optimizer is not None and optimizer.built:
            for i, v in enumerate(optimizer.variables):
                arrays[f"optimizer/{i}"] = v.numpy()
        for key, generator in _seed_generators(model).items():
            arrays[f"seed_generators/{key}"] = generator.state.numpy()
        losses = {}
        if step > 0:  # at the start of an epoch the metrics are empty
            for tracker in _loss_trackers(model):
                losses[tracker.name] = [tracker.total, tracker.count]
            for i, v in enumerate(_metric_variables(model)):
                arrays[f"metrics/{i}"] = v.numpy()
        callbacks = [
            {"class_name": type(cb).__name__,
             "state": _to_json(cb.get_state(), f"callbacks/{i}", arrays)}
            for i, cb in enumerate(self._stateful_callbacks())
        ]
        state = {
            "format": FORMAT, "format_version": FORMAT_VERSION,
            "epoch": epoch, "step": step,
            "rng": _rng_state(), "epoch_rng": self._epoch_rng,
            "losses": losses, "callbacks": callbacks,
        }
        try:
            state_json = json.dumps(state, indent=1)
        except TypeError as exc:
            raise TypeError(
                f"BackupAndRestore: expected callback states of JSON values and NumPy arrays "
                f"({exc}); received states of {[c['class_name'] for c in callbacks]}"
            ) from None
        weights = {k: v.numpy() for k, v in weights_file.weight_dict(model).items()}
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("state.json", state_json)
            zf.writestr("model.weights.safetensors", _encode(weights))
            zf.writestr("state.safetensors", _encode(arrays))
        if self.double_checkpoint and os.path.exists(self._backup_path):
            os.replace(self._backup_path, self._previous_path)
        weights_file.atomic_write(self._backup_path, buffer.getvalue())

    def _stateful_callbacks(self) -> list:
        callbacks = getattr(self.model, "_fit_callbacks", None) or ()
        return [cb for cb in callbacks if cb is not self
                and callable(getattr(cb, "get_state", None))
                and callable(getattr(cb, "set_state", None))]

    # ---- restoring ----------------------------------------------------------------------
    def _read_backup(self) -> dict | None:
        """The latest readable backup, or ``None`` when there is none."""
        paths = [self._backup_path]
        if self.double_checkpoint:
            paths.append(self._previous_path)
        paths = [p for p in paths if os.path.exists(p)]
        for i, path in enumerate(paths):
            try:
                return _read(path)
            except ValueError as exc:
                if i + 1 == len(paths):
                    raise ValueError(
                        f"{exc}. Delete the folder '{self.backup_dir}' to train from the start"
                    ) from None
                warnings.warn(f"{exc}; resuming from the previous backup '{paths[i + 1]}'",
                              stacklevel=3)
        return None

    def _restore(self, backup: dict) -> None:
        """Put the state of ``backup`` back, at the point of ``fit`` where it was taken."""
        self._resume = None
        model = self.model
        where = f"BackupAndRestore('{backup['path']}')"
        weights_file.assign_by_name(weights_file.weight_dict(model), backup["weights"], where)
        arrays = backup["arrays"]
        _restore_optimizer(model, _group(arrays, "optimizer"), where)
        generators = _seed_generators(model)
        saved = _group(arrays, "seed_generators")
        if set(saved) != set(generators):
            raise ValueError(
                f"{where}: the backup holds the seed generators of layers {sorted(saved)}, "
                f"the model has {sorted(generators)}"
            )
        for key, generator in generators.items():
            generator.state.assign(saved[key])
        callbacks = self._stateful_callbacks()
        names = [type(cb).__name__ for cb in callbacks]
        saved_names = [entry["class_name"] for entry in backup["callbacks"]]
        if names != saved_names:
            raise ValueError(
                f"{where}: expected the callbacks of the interrupted run, with states "
                f"{saved_names}; received callbacks with states {names}"
            )
        for cb, entry in zip(callbacks, backup["callbacks"]):
            cb.set_state(_from_json(entry["state"], arrays))
        backend.rng().bit_generator.state = backup["rng"]
        if backup["step"] > 0:
            # Metrics are built by the first step: merge after it (see _merge_metrics).
            self._metrics_to_merge = {"losses": backup["losses"],
                                      "variables": _group(arrays, "metrics"), "where": where}

    def _merge_metrics(self, saved: dict) -> None:
        """Add the epoch's metric state before the interruption to that of the first
        resumed batch. Metric variables are sums (their ``aggregation``), and ``a + b``
        equals ``b + a`` exactly, so the totals are the uninterrupted run's, bit for bit."""
        model = self.model
        trackers = {t.name: t for t in _loss_trackers(model)}
        variables = _metric_variables(model)
        if set(trackers) != set(saved["losses"]) or len(variables) != len(saved["variables"]):
            raise ValueError(
                f"{saved['where']}: the backup holds the metrics {sorted(saved['losses'])} "
                f"with {len(saved['variables'])} variables, the model "
                f"{sorted(trackers)} with {len(variables)}"
            )
        for name, (total, count) in saved["losses"].items():
            trackers[name].total = trackers[name].total + total
            trackers[name].count = trackers[name].count + count
        for i, v in enumerate(variables):
            v.assign(v.data + backend.array_module(v.data).asarray(saved["variables"][str(i)]))


def _read(path: str) -> dict:
    """The decoded contents of a backup file; a damaged file raises ``ValueError``."""
    try:
        with zipfile.ZipFile(path) as zf:
            state = json.loads(zf.read("state.json"))
            weights = weights_file.decode(zf.read("model.weights.safetensors"), "safetensors",
                                          path)
            arrays = weights_file.decode(zf.read("state.safetensors"), "safetensors", path)
    except (zipfile.BadZipFile, zlib.error, KeyError, EOFError, ValueError) as exc:
        # ValueError covers bad JSON (JSONDecodeError) and bad safetensors (decode).
        raise ValueError(
            f"BackupAndRestore: the backup '{path}' is corrupt or truncated ({exc})"
        ) from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(
            f"BackupAndRestore: expected an '{FORMAT}' file, received '{path}' of format "
            f"{state.get('format') if isinstance(state, dict) else None!r}"
        )
    return dict(state, path=path, weights=weights, arrays=arrays)


def _encode(arrays: dict) -> bytes:
    # Not np.ascontiguousarray: it turns 0-d arrays (the step counter) into 1-d ones.
    return weights_file.encode({k: np.asarray(v, order="C") for k, v in arrays.items()},
                               "safetensors")


def _rng_state() -> dict:
    return backend.rng().bit_generator.state


def _group(arrays: dict, prefix: str) -> dict:
    """The entries of ``arrays`` under ``prefix/``, with the prefix removed."""
    start = len(prefix) + 1
    return {k[start:]: v for k, v in arrays.items() if k.startswith(prefix + "/")}


def _restore_optimizer(model, saved: dict, where: str) -> None:
    optimizer = model.optimizer
    if not saved:  # no step was taken before the backup
        return
    if not optimizer.built:
        optimizer.build(model.trainable_weights)
    variables = optimizer.variables
    shapes = [tuple(v.shape) for v in variables]
    saved_shapes = [saved[str(i)].shape if str(i) in saved else None
                    for i in range(len(saved))]
    if shapes != saved_shapes:
        raise ValueError(
            f"{where}: the backup holds an optimizer state of {len(saved)} variables with "
            f"shapes {saved_shapes}, the model's {type(optimizer).__name__} "
            f"{len(variables)} with shapes {shapes}"
        )
    for i, v in enumerate(variables):
        v.assign(saved[str(i)])


def _seed_generators(model) -> dict:
    """``{"layer_name/attribute": SeedGenerator}`` of the model and its layers (held as
    attributes, or in lists of them as ``"layer_name/attribute/index"``)."""
    found = {}
    for layer in model._flatten_layers():
        for attribute, value in vars(layer).items():
            if isinstance(value, SeedGenerator):
                found[f"{layer.name}/{attribute}"] = value
            elif isinstance(value, (list, tuple)):
                found.update({f"{layer.name}/{attribute}/{i}": item
                              for i, item in enumerate(value)
                              if isinstance(item, SeedGenerator)})
    return found


def _loss_trackers(model) -> list:
    return [model._loss_tracker] + list(model._output_loss_trackers)


def _metric_variables(model) -> list:
    compiled = model._compile_metrics
    if compiled is None or not compiled.built:
        return []
    return [v for metric in compiled.metrics for v in metric.variables]


def _to_json(value, key: str, arrays: dict):
    """``value`` with its arrays moved into ``arrays`` (under keys from ``key``) and
    replaced by ``{"__array__": key}``."""
    if isinstance(value, np.generic):
        return value.item()
    if hasattr(value, "__array__") and not isinstance(value, (list, tuple)):
        arrays[key] = backend.to_numpy(value)
        return {"__array__": key}
    if isinstance(value, dict):
        return {str(k): _to_json(v, f"{key}/{k}", arrays) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_json(v, f"{key}/{i}", arrays) for i, v in enumerate(value)]
    return value


def _from_json(value, arrays: dict):
    """The inverse of ``_to_json``."""
    if isinstance(value, dict):
        if set(value) == {"__array__"}:
            return arrays[value["__array__"]]
        return {k: _from_json(v, arrays) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_json(v, arrays) for v in value]
    return value
