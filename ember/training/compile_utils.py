"""What ``compile`` resolves: the loss (per output, weighted) and the metrics (per output),
with ``"accuracy"`` chosen from the shapes of targets and predictions as Keras 3 does."""

from __future__ import annotations

import numpy as np

from ember import losses as losses_module
from ember import metrics as metrics_module
from ember.autograd.tensor import Tensor
from ember.utils import tree


def _structure_per_output(spec, output_names: list, what: str) -> list:
    """``spec`` (one item, a list per output, or a dict by output name) as a list aligned
    with ``output_names``."""
    n = len(output_names)
    if isinstance(spec, dict):
        unknown = sorted(set(spec) - set(output_names))
        if unknown:
            raise ValueError(
                f"compile: {what} names outputs {unknown} that the model does not have; "
                f"outputs: {output_names}"
            )
        return [spec.get(name) for name in output_names]
    if isinstance(spec, (list, tuple)) and len(spec) == n and (n > 1 or what == "loss"):
        return list(spec)
    if isinstance(spec, (list, tuple)) and n > 1 and what == "loss":
        raise ValueError(
            f"compile: expected {n} losses (one per output {output_names}), received {len(spec)}"
        )
    return [spec] * n


def _resolve_loss(identifier, y_true=None, y_pred=None):
    if identifier is None:
        return None
    if isinstance(identifier, str) and identifier in _SHAPE_DEPENDENT_LOSSES:
        kind = _target_kind(_raw(y_true), _raw(y_pred))
        loss = getattr(losses_module, f"{kind}_crossentropy")
        return losses_module.LossFunctionWrapper(loss, name=identifier)
    loss = losses_module.get(identifier)
    if isinstance(loss, losses_module.Loss):
        return loss
    if isinstance(loss, type):
        return loss()
    return losses_module.LossFunctionWrapper(loss, name=getattr(loss, "__name__", "loss"))


class CompileLoss:
    """The total training loss: ``sum_i weight_i * loss_i(y_true_i, y_pred_i)``."""

    def __init__(self, loss, loss_weights=None, output_names=None):
        for identifier in tree.flatten(loss):
            if isinstance(identifier, str) and identifier not in _SHAPE_DEPENDENT_LOSSES:
                _resolve_loss(identifier)  # an unknown name fails in compile, not in fit
        self.spec = loss
        self.loss_weights = loss_weights
        self.output_names = output_names or ["output"]
        self.losses = None
        self.weights = None

    def build(self, n_outputs: int, output_names: list, y_true=None, y_pred=None) -> None:
        self.output_names = output_names
        trues = y_true if y_true is not None else [None] * n_outputs
        preds = y_pred if y_pred is not None else [None] * n_outputs
        self.losses = [_resolve_loss(s, yt, yp) for s, yt, yp in
                       zip(_structure_per_output(self.spec, output_names, "loss"), trues, preds)]
        if self.loss_weights is None:
            self.weights = [1.0] * n_outputs
        else:
            self.weights = [1.0 if w is None else float(w) for w in
                            _structure_per_output(self.loss_weights, output_names,
                                                  "loss_weights")]

    def __call__(self, y_true, y_pred, sample_weight=None):
        """``(total, per_output)``: the scalar to minimize and each output's loss."""
        preds = tree.flatten(y_pred)
        trues = _align(y_true, y_pred, self.output_names)
        sws = _align_weights(sample_weight, y_pred, self.output_names)
        if self.losses is None:
            self.build(len(preds), self.output_names, trues, preds)
        total, per_output = None, []
        for loss, weight, yt, yp, sw in zip(self.losses, self.weights, trues, preds, sws):
            if loss is None:
                per_output.append(None)
                continue
            if yt is None:
                raise ValueError("fit: a loss was given for an output but `y` has no target")
            value = loss(yt, yp, sample_weight=sw)
            per_output.append(value)
            term = value if weight == 1.0 else value * weight
            total = term if total is None else total + term
        return total, per_output


def _align(data, y_pred, output_names):
    """Targets (or weights) as a flat list aligned with the flattened predictions."""
    n = len(tree.flatten(y_pred))
    if data is None:
        return [None] * n
    if isinstance(data, dict):
        if isinstance(y_pred, dict):
            return [data.get(k) for k in sorted(y_pred)]
        return [data.get(name) for name in output_names]
    if n == 1:
        if isinstance(data, (list, tuple)) and len(data) == 1:
            return [data[0]]
        return [data]
    if not isinstance(data, (list, tuple)) or len(data) != n:
        raise ValueError(
            f"fit: expected targets for {n} outputs {output_names}, received "
            f"{type(data).__name__}{'' if not hasattr(data, '__len__') else f' of {len(data)}'}"
        )
    return list(data)


def _align_weights(sample_weight, y_pred, output_names):
    """Sample weights aligned like ``_align``; one array weights every output, as in Keras."""
    if sample_weight is not None and not isinstance(sample_weight, (list, tuple, dict)):
        return [sample_weight] * len(tree.flatten(y_pred))
    return _align(sample_weight, y_pred, output_names)


def _raw(x):
    return x.numpy() if isinstance(x, Tensor) else np.asarray(x)


def _target_kind(y_true, y_pred) -> str:
    """Keras 3's reading of the shapes: "binary", "sparse_categorical" or "categorical"."""
    if y_pred.shape[-1] == 1 or y_pred.ndim == 1:
        return "binary"
    if y_true.ndim < y_pred.ndim or (y_true.shape[-1] == 1 and y_pred.shape[-1] > 1):
        return "sparse_categorical"
    return "categorical"


def _accuracy_for(y_true, y_pred):
    """Keras 3's choice for "accuracy": binary, sparse categorical or categorical."""
    return {"binary": metrics_module.BinaryAccuracy,
            "sparse_categorical": metrics_module.SparseCategoricalAccuracy,
            "categorical": metrics_module.CategoricalAccuracy}[_target_kind(y_true, y_pred)]


def _crossentropy_for(y_true, y_pred):
    return {"binary": metrics_module.BinaryCrossentropy,
            "sparse_categorical": metrics_module.SparseCategoricalCrossentropy,
            "categorical": metrics_module.CategoricalCrossentropy}[_target_kind(y_true, y_pred)]


# Names whose loss or metric class follows from the shapes of the first batch.
_SHAPE_DEPENDENT = ("accuracy", "acc", "crossentropy", "ce")
_SHAPE_DEPENDENT_LOSSES = ("crossentropy", "ce")


def _resolve_metric(identifier, y_true, y_pred):
    if isinstance(identifier, str) and identifier in ("accuracy", "acc"):
        return _accuracy_for(y_true, y_pred)(name=identifier)
    if isinstance(identifier, str) and identifier in ("crossentropy", "ce"):
        return _crossentropy_for(y_true, y_pred)(name=identifier)
    metric = metrics_module.get(identifier)
    if isinstance(metric, type):
        metric = metric()
    if not isinstance(metric, metrics_module.Metric):
        name = getattr(metric, "__name__", "metric")
        metric = metrics_module.MeanMetricWrapper(metric, name=name)
    if isinstance(identifier, str):
        metric.name = identifier  # Keras logs a metric under the string it was given
    return metric


class CompileMetrics:
    """The metrics of ``compile``, built per output on the first batch."""

    def __init__(self, metrics=None, weighted_metrics=None, output_names=None):
        for identifier in tree.flatten([metrics, weighted_metrics]):
            if isinstance(identifier, str) and identifier not in _SHAPE_DEPENDENT:
                metrics_module.get(identifier)  # an unknown name fails in compile, not in fit
        self.spec = metrics
        self.weighted_spec = weighted_metrics
        self.output_names = output_names or ["output"]
        self.built = False
        self.per_output: list = []

    def build(self, y_true, y_pred) -> None:
        preds = [_raw(p) for p in tree.flatten(y_pred)]
        trues = [None if t is None else _raw(t)
                 for t in _align(y_true, y_pred, self.output_names)]
        multi = len(preds) > 1
        self.per_output = []
        for i, (name, yt, yp) in enumerate(zip(self.output_names, trues, preds)):
            entries = []
            for spec, weighted in ((self.spec, False), (self.weighted_spec, True)):
                if spec is None:
                    continue
                items = _structure_per_output(spec, self.output_names, "metrics")[i] \
                    if multi or isinstance(spec, dict) else spec
                if items is None:
                    continue
                if not isinstance(items, (list, tuple)):
                    items = [items]
                for identifier in items:
                    metric = _resolve_metric(identifier, yt, yp)
                    label = metric.name if not multi else f"{name}_{metric.name}"
                    if weighted and any(label == seen for seen, _, _ in entries):
                        # Keras's name for a weighted twin of an unweighted metric.
                        label = f"weighted_{metric.name}" if not multi else \
                            f"{name}_weighted_{metric.name}"
                    entries.append((label, metric, weighted))
            self.per_output.append(entries)
        self.built = True

    @property
    def metrics(self) -> list:
        return [m for entries in self.per_output for _, m, _ in entries]

    @property
    def names(self) -> list:
        return [label for entries in self.per_output for label, _, _ in entries]

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        if not self.built:
            self.build(y_true, y_pred)
        preds = tree.flatten(y_pred)
        trues = _align(y_true, y_pred, self.output_names)
        sws = _align_weights(sample_weight, y_pred, self.output_names)
        for entries, yt, yp, sw in zip(self.per_output, trues, preds, sws):
            for _, metric, weighted in entries:
                metric.update_state(yt, yp, sample_weight=sw if weighted else None)

    def result(self) -> dict:
        return {label: float(metric.result())
                for entries in self.per_output for label, metric, _ in entries}

    def reset_state(self) -> None:
        for metric in self.metrics:
            metric.reset_state()
