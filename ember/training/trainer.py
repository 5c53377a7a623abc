"""``Trainer``: compile, fit, evaluate, predict and the ``*_on_batch`` methods of ``Model``.

One training step is: forward with ``training=True``, the compiled loss plus the layers'
regularization losses, ``backward``, ``optimizer.apply`` in place, metric updates. Logs hold
Python floats; callbacks see them through ``CallbackList`` and talk back only through
``logs`` and ``model.stop_training``.
"""

from __future__ import annotations

import numpy as np

from ember import optimizers
from ember.autograd.grad_mode import no_grad
from ember.autograd.tensor import Tensor
from ember.data.adapters import get_data_adapter, nested_arrays, train_validation_split
from ember.training.compile_utils import CompileLoss, CompileMetrics
from ember.utils import tree


class _Mean:
    """The running, batch-size weighted mean of the loss over an epoch."""

    def __init__(self, name: str):
        self.name = name
        self.total = 0.0
        self.count = 0

    def update(self, value: float, n: int) -> None:
        self.total += value * n
        self.count += n

    def result(self) -> float:
        return self.total / self.count if self.count else 0.0

    def reset_state(self) -> None:
        self.total, self.count = 0.0, 0


class Trainer:
    """The training half of ``Model`` (see the module docstring)."""

    def __init__(self):
        self.compiled = False
        self.optimizer = None
        self.stop_training = False
        self.history = None
        self.loss = None
        self._compile_loss = None
        self._compile_metrics = None
        self._compile_config = None
        self._loss_tracker = _Mean("loss")
        self._output_loss_trackers: list = []

    # ---- compile ------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto", auto_scale_loss=True) -> None:
        """Configure training: the optimizer, the loss (per output) and the metrics."""
        self.optimizer = optimizers.get(optimizer)
        self.loss = loss
        names = self._output_names()
        self._compile_loss = CompileLoss(loss, loss_weights, names) if loss is not None else None
        self._compile_metrics = CompileMetrics(metrics, weighted_metrics, names)
        self._output_loss_trackers = []
        self._compile_config = {
            "optimizer": optimizers.serialize(self.optimizer),
            "loss": _serializable(loss),
            "loss_weights": loss_weights,
            "metrics": _serializable(metrics),
            "weighted_metrics": _serializable(weighted_metrics),
        }
        self.run_eagerly = run_eagerly
        self.jit_compile = jit_compile
        self.steps_per_execution = steps_per_execution
        self.compiled = True
        self._trainable_cache = None

    def _output_names(self) -> list:
        names = getattr(self, "output_names", None)
        if callable(names):
            names = names()
        return list(names) if names else ["output"]

    def _require_compiled(self, caller: str) -> None:
        if not self.compiled:
            raise RuntimeError(
                f"{caller}: the model must be compiled first; call "
                "model.compile(optimizer=..., loss=...)"
            )

    # ---- metrics ------------------------------------------------------------------------
    @property
    def metrics(self) -> list:
        out = [self._loss_tracker]
        if self._compile_metrics is not None:
            out += self._compile_metrics.metrics
        return out

    @property
    def metrics_names(self) -> list:
        names = ["loss"]
        names += [t.name for t in self._output_loss_trackers]
        if self._compile_metrics is not None and self._compile_metrics.built:
            names += self._compile_metrics.names
        return names

    def reset_metrics(self) -> None:
        self._loss_tracker.reset_state()
        for t in self._output_loss_trackers:
            t.reset_state()
        if self._compile_metrics is not None:
            self._compile_metrics.reset_state()

    def get_metrics_result(self) -> dict:
        logs = {"loss": self._loss_tracker.result()}
        for t in self._output_loss_trackers:
            logs[t.name] = t.result()
        if self._compile_metrics is not None and self._compile_metrics.built:
            logs.update(self._compile_metrics.result())
        return logs

    # ---- steps --------------------------------------------------------------------------
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss plus the regularization losses of the layers (``self.losses``)."""
        total, per_output = (None, [])
        if self._compile_loss is not None:
            total, per_output = self._compile_loss(y, y_pred, sample_weight)
        for extra in self.losses:
            total = extra if total is None else total + extra
        if total is None:
            raise ValueError(
                f"Model '{self.name}': no loss to minimize; pass loss= to compile() or add "
                "losses with add_loss()"
            )
        return total, per_output

    def _track_losses(self, total, per_output, batch_size: int) -> None:
        self._loss_tracker.update(float(total.item()), batch_size)
        if len(per_output) > 1:
            if not self._output_loss_trackers:
                self._output_loss_trackers = [
                    _Mean(f"{name}_loss") for name in self._compile_loss.output_names
                ]
            for tracker, value in zip(self._output_loss_trackers, per_output):
                if value is not None:
                    tracker.update(float(value.item()), batch_size)

    def train_step(self, data) -> dict:
        """One optimizer step on a batch ``(x, y, sample_weight)``; returns the logs."""
        x, y, sample_weight = data
        y_pred = self(x, training=True)
        loss, per_output = self.compute_loss(x, y, y_pred, sample_weight)
        variables = self._trainable_variables_for_step()
        loss.backward()
        grads = [v.grad for v in variables]
        for v in variables:
            v.grad = None
        self.optimizer.apply(grads, variables)
        self._update_metrics(loss, per_output, y, y_pred, sample_weight)
        return self.get_metrics_result()

    def test_step(self, data) -> dict:
        x, y, sample_weight = data
        y_pred = self(x, training=False)
        loss, per_output = self.compute_loss(x, y, y_pred, sample_weight, training=False)
        self._update_metrics(loss, per_output, y, y_pred, sample_weight)
        return self.get_metrics_result()

    def predict_step(self, data):
        x = data[0] if isinstance(data, tuple) else data
        return self(x, training=False)

    def _trainable_variables_for_step(self) -> list:
        if self._trainable_cache is None:
            self._trainable_cache = self.trainable_weights
        return self._trainable_cache

    def _update_metrics(self, loss, per_output, y, y_pred, sample_weight) -> None:
        batch = _batch_size(y_pred)
        self._track_losses(loss, per_output, batch)
        if self._compile_metrics is not None and y is not None:
            preds = tree.map_structure(lambda t: t.data if isinstance(t, Tensor) else t, y_pred)
            self._compile_metrics.update_state(y, preds, sample_weight)

    # ---- fit ----------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs: int = 1, verbose="auto",
            callbacks=None, validation_split: float = 0.0, validation_data=None,
            shuffle=True, class_weight=None, sample_weight=None, initial_epoch: int = 0,
            steps_per_epoch=None, validation_steps=None, validation_batch_size=None,
            validation_freq: int = 1):
        """Train for ``epochs`` epochs; returns a ``History`` whose ``history`` dict holds
        the per-epoch logs (``loss``, metrics, ``val_*``)."""
        from ember import callbacks as callbacks_module

        self._require_compiled("fit")
        if validation_split and validation_data is None:
            x, y, sample_weight = (nested_arrays(a) for a in (x, y, sample_weight))
            if not _is_arrays(x):
                raise ValueError(
                    "fit: validation_split needs x and y as arrays; pass validation_data for "
                    "generators and datasets"
                )
            (x, y, sample_weight), (vx, vy, vsw) = train_validation_split(
                (x, y, sample_weight), validation_split)
            validation_data = (vx, vy, vsw)
        train = get_data_adapter(x, y, sample_weight, batch_size, steps_per_epoch, shuffle,
                                 class_weight, caller="fit")
        val = None
        if validation_data is not None:
            val = _validation_adapter(validation_data, validation_batch_size or batch_size,
                                      validation_steps)
        verbose = 1 if verbose == "auto" else verbose
        cbks = callbacks_module.CallbackList(
            callbacks, add_history=True, add_progbar=verbose != 0, model=self,
            verbose=verbose, epochs=epochs, steps=train.num_batches,
        )
        self.stop_training = False
        self._trainable_cache = None
        # A BackupAndRestore callback reads the callbacks' states and, when it resumes an
        # interrupted run, sets where to continue: the epoch and the batch within it.
        self._fit_callbacks, self._initial_epoch, self._initial_step = cbks, None, None
        cbks.on_train_begin()
        if self._initial_epoch is not None:
            initial_epoch = self._initial_epoch
        skip = self._initial_step or 0
        logs = {}
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            cbks.on_epoch_begin(epoch)
            step = -1
            for step, batch in enumerate(train.epoch()):
                if step < skip:  # trained before the interruption
                    continue
                cbks.on_train_batch_begin(step)
                logs = self.train_step(batch)
                cbks.on_train_batch_end(step, logs)
                if self.stop_training:
                    break
            if step < 0:
                raise ValueError("fit: the training data yielded no batches")
            skip = 0
            train.on_epoch_end()
            epoch_logs = dict(self.get_metrics_result())
            if val is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self._evaluate_adapter(val, cbks)
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            cbks.on_epoch_end(epoch, epoch_logs)
            logs = epoch_logs
            if self.stop_training:
                break
        self.optimizer.finalize_variable_values(self.trainable_weights)
        cbks.on_train_end(logs)
        return self.history

    # ---- evaluate / predict -------------------------------------------------------------
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict: bool = False):
        """Loss and metrics on data: a scalar (loss only), a list in ``metrics_names``
        order, or a dict with ``return_dict=True``."""
        from ember import callbacks as callbacks_module

        self._require_compiled("evaluate")
        data = get_data_adapter(x, y, sample_weight, batch_size, steps, False,
                                caller="evaluate")
        verbose = 1 if verbose == "auto" else verbose
        cbks = callbacks_module.CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1,
            steps=data.num_batches,
        )
        logs = self._evaluate_adapter(data, cbks, own_callbacks=True)
        if return_dict:
            return logs
        values = [logs[name] for name in self.metrics_names if name in logs]
        return values[0] if len(values) == 1 else values

    def _evaluate_adapter(self, data, cbks, own_callbacks: bool = False) -> dict:
        self.reset_metrics()
        cbks.on_test_begin()
        logs = {}
        with no_grad():
            for step, batch in enumerate(data.epoch()):
                cbks.on_test_batch_begin(step)
                logs = self.test_step(batch)
                cbks.on_test_batch_end(step, logs)
        logs = self.get_metrics_result()
        cbks.on_test_end(logs)
        return logs

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Outputs for ``x``, batched, as NumPy arrays (nested like the model's outputs)."""
        from ember import callbacks as callbacks_module

        data = get_data_adapter(x, None, None, batch_size, steps, False, caller="predict")
        verbose = 1 if verbose == "auto" else verbose
        cbks = callbacks_module.CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1,
            steps=data.num_batches,
        )
        cbks.on_predict_begin()
        chunks = []
        with no_grad():
            for step, batch in enumerate(data.epoch()):
                cbks.on_predict_batch_begin(step)
                out = self.predict_step(batch)
                chunks.append(tree.map_structure(_numpy, out))
                cbks.on_predict_batch_end(step, {"outputs": chunks[-1]})
        cbks.on_predict_end()
        if not chunks:
            raise ValueError("predict: the input yielded no batches")
        flat = [tree.flatten(c) for c in chunks]
        joined = [np.concatenate(parts, axis=0) for parts in zip(*flat)]
        return tree.pack_sequence_as(chunks[0], joined) if not isinstance(
            chunks[0], np.ndarray) else joined[0]

    # ---- single batches -----------------------------------------------------------------
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None,
                       return_dict: bool = False):
        """One optimizer step on one batch; metrics keep accumulating across calls."""
        self._require_compiled("train_on_batch")
        batch = next(get_data_adapter(x, y, sample_weight, _n_samples(x), None, False,
                                      class_weight, caller="train_on_batch").epoch())
        logs = self.train_step(batch)
        return self._format_logs(logs, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict: bool = False):
        self._require_compiled("test_on_batch")
        batch = next(get_data_adapter(x, y, sample_weight, _n_samples(x), None, False,
                                      caller="test_on_batch").epoch())
        with no_grad():
            logs = self.test_step(batch)
        return self._format_logs(logs, return_dict)

    def predict_on_batch(self, x):
        with no_grad():
            return tree.map_structure(_numpy, self(x, training=False))

    def _format_logs(self, logs: dict, return_dict: bool):
        if return_dict:
            return logs
        values = [logs[name] for name in self.metrics_names if name in logs]
        return values[0] if len(values) == 1 else values


def _numpy(t):
    return t.numpy() if isinstance(t, Tensor) else np.asarray(t)


def _batch_size(y_pred) -> int:
    first = tree.flatten(y_pred)[0]
    return int(first.shape[0]) if first.shape else 1


def _n_samples(x) -> int:
    first = tree.flatten(x)[0]
    return int(np.shape(first)[0])


def _is_arrays(x) -> bool:
    return all(isinstance(a, (np.ndarray, Tensor, list)) for a in tree.flatten(x))


def _validation_adapter(validation_data, batch_size, steps):
    if isinstance(validation_data, (tuple, list)) and len(validation_data) in (2, 3):
        # ``(x, y)`` or ``(x, y, sample_weight)``, as Keras unpacks it.
        vx, vy = validation_data[0], validation_data[1]
        vsw = validation_data[2] if len(validation_data) == 3 else None
        return get_data_adapter(vx, vy, vsw, batch_size, steps, False, caller="fit")
    return get_data_adapter(validation_data, None, None, batch_size, steps, False, caller="fit")


def _serializable(spec):
    """Strings and configs of losses/metrics for the model file."""
    if spec is None or isinstance(spec, (str, int, float)):
        return spec
    if isinstance(spec, dict):
        return {k: _serializable(v) for k, v in spec.items()}
    if isinstance(spec, (list, tuple)):
        return [_serializable(v) for v in spec]
    if hasattr(spec, "get_config"):
        from ember.saving.object_registration import serialize_object

        return serialize_object(spec)
    return getattr(spec, "__name__", str(spec))
