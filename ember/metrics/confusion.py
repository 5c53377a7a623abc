"""Metrics built on thresholded confusion counts: Precision, Recall, AUC and the raw counts.

For every threshold ``t`` a prediction counts as positive when ``y_pred > t`` and a label as
positive when it is non-zero; true/false positives/negatives are summed with the sample
weights. Evenly spaced thresholds (AUC's default) use Keras's bucket algorithm: each
prediction falls in bucket ``ceil(p (T - 1)) - 1``, a weighted ``bincount`` fills the
buckets and a reversed cumulative sum gives the counts above every threshold, in
``O(N + T)`` instead of ``O(N T)``.
"""

from __future__ import annotations

import numpy as np

from ember import backend
from ember.autograd.tensor import Tensor
from ember.losses import squeeze_or_expand_to_same_rank
from ember.metrics.base import Metric, scalar_result, to_array

NEG_INF = -1e10


class _ConfusionCount(Metric):
    """One confusion count per threshold."""

    _KIND = ""

    def __init__(self, thresholds=None, name: str | None = None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = _parse_thresholds(thresholds, 0.5, self)
        self._evenly = _evenly_spaced(self.thresholds)
        self.accumulator = self.add_variable((len(self.thresholds),), "zeros",
                                             name="accumulator")

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        update_confusion_matrix_variables({self._KIND: self.accumulator}, y_true, y_pred,
                                          self.thresholds, sample_weight=sample_weight,
                                          thresholds_distributed_evenly=self._evenly)

    def result(self) -> Tensor:
        value = self.accumulator.data
        return scalar_result(value[0] if len(self.thresholds) == 1 else value, self.dtype)

    def get_config(self) -> dict:
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_ConfusionCount):
    """Weighted count of positive labels predicted positive (``y_pred > threshold``).

    Example:
        >>> m = TruePositives()
        >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
        >>> float(m.result())
        2.0
    """

    _KIND = "tp"


class FalsePositives(_ConfusionCount):
    """Weighted count of negative labels predicted positive.

    Example:
        >>> m = FalsePositives()
        >>> m.update_state([0, 1, 0, 0], [0, 0, 1, 1])
        >>> float(m.result())
        2.0
    """

    _KIND = "fp"


class TrueNegatives(_ConfusionCount):
    """Weighted count of negative labels predicted negative.

    Example:
        >>> m = TrueNegatives()
        >>> m.update_state([0, 1, 0, 0], [1, 1, 0, 0])
        >>> float(m.result())
        2.0
    """

    _KIND = "tn"


class FalseNegatives(_ConfusionCount):
    """Weighted count of positive labels predicted negative.

    Example:
        >>> m = FalseNegatives()
        >>> m.update_state([0, 1, 1, 1], [0, 1, 0, 0])
        >>> float(m.result())
        2.0
    """

    _KIND = "fn"


class _ThresholdedRatio(Metric):
    """``TP / (TP + other)`` per threshold, ``other`` being FP (Precision) or FN (Recall)."""

    def __init__(self, thresholds=None, top_k: int | None = None, class_id: int | None = None,
                 name: str | None = None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        default = 0.5 if top_k is None else NEG_INF
        self.thresholds = _parse_thresholds(thresholds, default, self)
        self._evenly = _evenly_spaced(self.thresholds)
        self.true_positives = self.add_variable((len(self.thresholds),), "zeros",
                                                name="true_positives")

    def _counts(self) -> dict:
        raise TypeError(f"{type(self).__name__}._counts must be overridden by a subclass")

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        update_confusion_matrix_variables(
            self._counts(), y_true, y_pred, self.thresholds, top_k=self.top_k,
            class_id=self.class_id, sample_weight=sample_weight,
            thresholds_distributed_evenly=self._evenly)

    def result(self) -> Tensor:
        tp, other = (v.data for v in self._counts().values())
        value = _divide_no_nan(tp, tp + other)
        return scalar_result(value[0] if len(self.thresholds) == 1 else value, self.dtype)

    def get_config(self) -> dict:
        return {**super().get_config(), "thresholds": self.init_thresholds,
                "top_k": self.top_k, "class_id": self.class_id}


class Precision(_ThresholdedRatio):
    """``TP / (TP + FP)`` per threshold (one value for one threshold, default 0.5).

    ``top_k`` counts only the ``k`` highest scores of each row as positive (the threshold
    then defaults to -inf); ``class_id`` restricts the metric to one column.

    Example:
        >>> m = Precision()
        >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
        >>> round(float(m.result()), 6)
        0.666667
    """

    def __init__(self, thresholds=None, top_k: int | None = None, class_id: int | None = None,
                 name: str | None = None, dtype=None):
        super().__init__(thresholds, top_k, class_id, name=name, dtype=dtype)
        self.false_positives = self.add_variable((len(self.thresholds),), "zeros",
                                                 name="false_positives")

    def _counts(self) -> dict:
        return {"tp": self.true_positives, "fp": self.false_positives}


class Recall(_ThresholdedRatio):
    """``TP / (TP + FN)`` per threshold (one value for one threshold, default 0.5); ``top_k``
    and ``class_id`` as in ``Precision``.

    Example:
        >>> m = Recall()
        >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
        >>> round(float(m.result()), 6)
        0.666667
    """

    def __init__(self, thresholds=None, top_k: int | None = None, class_id: int | None = None,
                 name: str | None = None, dtype=None):
        super().__init__(thresholds, top_k, class_id, name=name, dtype=dtype)
        self.false_negatives = self.add_variable((len(self.thresholds),), "zeros",
                                                 name="false_negatives")

    def _counts(self) -> dict:
        return {"tp": self.true_positives, "fn": self.false_negatives}


class AUC(Metric):
    """Area under the ROC or precision-recall curve, from confusion counts at
    ``num_thresholds`` thresholds evenly spaced over [0, 1] (plus -eps and 1 + eps).

    ROC: ``sum_i (FPR_i - FPR_{i+1}) * h_i`` with ``h_i`` the mean (``"interpolation"``),
    min (``"minoring"``) or max (``"majoring"``) of ``TPR_i`` and ``TPR_{i+1}``. PR with
    interpolation integrates precision over recall assuming TP and TP + FP vary linearly
    between thresholds (Davis & Goadrich 2006), as Keras does.

    ``multi_label=True`` keeps counts per label (last axis of ``y_pred``) and averages the
    per-label AUCs (weighted by ``label_weights``); otherwise labels are flattened and
    ``label_weights`` weight the counts.

    Example:
        >>> m = AUC(num_thresholds=3)
        >>> m.update_state([0, 0, 1, 1], [0.0, 0.5, 0.3, 0.9])
        >>> float(m.result())
        0.75
    """

    def __init__(self, num_thresholds: int = 200, curve: str = "ROC",
                 summation_method: str = "interpolation", name: str | None = None, dtype=None,
                 thresholds=None, multi_label: bool = False, num_labels: int | None = None,
                 label_weights=None, from_logits: bool = False):
        super().__init__(name=name, dtype=dtype)
        curve_key = str(curve).upper()
        if curve_key not in ("ROC", "PR"):
            raise ValueError(
                f"AUC: expected curve 'ROC' or 'PR', received: curve={curve!r}"
            )
        method = str(summation_method).lower()
        if method not in ("interpolation", "majoring", "minoring"):
            raise ValueError(
                "AUC: expected summation_method 'interpolation', 'majoring' or 'minoring', "
                f"received: summation_method={summation_method!r}"
            )
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(_parse_thresholds(thresholds, 0.5, self))
            self.num_thresholds = len(inner) + 2
        else:
            if int(num_thresholds) <= 1:
                raise ValueError(
                    "AUC: expected num_thresholds > 1, received: "
                    f"num_thresholds={num_thresholds!r}"
                )
            self.num_thresholds = int(num_thresholds)
            inner = [(i + 1) / (self.num_thresholds - 1) for i in range(self.num_thresholds - 2)]
        eps = backend.epsilon()
        self._thresholds = np.array([0.0 - eps] + inner + [1.0 + eps])
        self._evenly = _evenly_spaced([0.0] + inner + [1.0])
        self.curve = curve_key
        self.summation_method = method
        self.multi_label = bool(multi_label)
        self.num_labels = num_labels
        self.label_weights = (None if label_weights is None
                              else np.asarray(label_weights, dtype=self.dtype))
        self._from_logits = from_logits
        self._built = False
        if not self.multi_label and num_labels:
            raise ValueError("AUC: num_labels is needed only when multi_label=True")
        if not self.multi_label or num_labels:
            self._build(num_labels)

    @property
    def thresholds(self) -> list:
        return self._thresholds.tolist()

    def _build(self, num_labels) -> None:
        shape = (self.num_thresholds, num_labels) if self.multi_label else (self.num_thresholds,)
        self._num_labels = num_labels
        self.true_positives = self.add_variable(shape, "zeros", name="true_positives")
        self.false_positives = self.add_variable(shape, "zeros", name="false_positives")
        self.true_negatives = self.add_variable(shape, "zeros", name="true_negatives")
        self.false_negatives = self.add_variable(shape, "zeros", name="false_negatives")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        y_pred = to_array(y_pred, self.dtype)
        if not self._built:
            if y_pred.ndim != 2:
                raise ValueError(
                    f"AUC '{self.name}': expected y_pred of rank 2 when multi_label=True, "
                    f"received: y_pred.shape={y_pred.shape}"
                )
            self._build(y_pred.shape[1])
        if self._from_logits:
            y_pred = 0.5 * (1.0 + backend.array_module(y_pred).tanh(0.5 * y_pred))
        update_confusion_matrix_variables(
            {"tp": self.true_positives, "tn": self.true_negatives,
             "fp": self.false_positives, "fn": self.false_negatives},
            y_true, y_pred, self._thresholds, sample_weight=sample_weight,
            multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights,
            thresholds_distributed_evenly=self._evenly)

    def result(self) -> Tensor:
        if not self._built:
            return scalar_result(0.0, self.dtype)
        tp, fp = self.true_positives.data, self.false_positives.data
        tn, fn = self.true_negatives.data, self.false_negatives.data
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._average(self._interpolate_pr_auc(tp, fp, fn))
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, fp + tn), recall
        else:
            x, y = recall, _divide_no_nan(tp, tp + fp)
        xp = backend.array_module(tp)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = xp.minimum(y[:-1], y[1:])
        else:
            heights = xp.maximum(y[:-1], y[1:])
        return self._average((x[:-1] - x[1:]) * heights)

    def _interpolate_pr_auc(self, tp, fp, fn):
        """Per-interval areas under the PR curve with TP and P = TP + FP linear in between."""
        xp = backend.array_module(tp)
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = _divide_no_nan(dtp, xp.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        ratio = xp.where(both, _divide_no_nan(p[:-1], xp.maximum(p[1:], 0)), 1.0)
        return _divide_no_nan(slope * (dtp + intercept * xp.log(ratio)),
                              xp.maximum(tp[1:] + fn[1:], 0))

    def _average(self, terms) -> Tensor:
        """Sum the interval areas; with multi_label, average the per-label areas."""
        if not self.multi_label:
            return scalar_result(terms.sum(), self.dtype)
        by_label = terms.sum(axis=0)
        if self.label_weights is None:
            return scalar_result(by_label.mean(), self.dtype)
        weights = backend.array_module(by_label).asarray(self.label_weights)
        return scalar_result(_divide_no_nan((by_label * weights).sum(), weights.sum()),
                             self.dtype)

    def reset_state(self) -> None:
        if self._built:
            super().reset_state()

    def get_config(self) -> dict:
        config = {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": None if self.label_weights is None else self.label_weights.tolist(),
            "from_logits": self._from_logits,
        }
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config


def update_confusion_matrix_variables(variables: dict, y_true, y_pred, thresholds,
                                      top_k=None, class_id=None, sample_weight=None,
                                      multi_label=False, label_weights=None,
                                      thresholds_distributed_evenly=False) -> None:
    """Add the weighted confusion counts of one batch to ``variables``, a dict from
    ``"tp"``, ``"fp"``, ``"tn"``, ``"fn"`` to Variables of shape ``(T,)`` (``(T, L)`` with
    ``multi_label``). Keras's semantics: see the module docstring."""
    dtype = next(iter(variables.values())).dtype
    y_true, y_pred = to_array(y_true, dtype), to_array(y_pred, dtype)
    xp = backend.array_module(y_pred)
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            "confusion metrics: expected y_true and y_pred of the same shape, received: "
            f"y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}"
        )
    if sample_weight is not None:
        sample_weight = to_array(sample_weight, dtype)[..., None]
        _, sample_weight = squeeze_or_expand_to_same_rank(y_true, sample_weight,
                                                          expand_rank_1=False)
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim < 2:
            raise ValueError(
                "confusion metrics: class_id needs y_pred of shape (num_samples, "
                f"num_classes), received: y_pred.shape={y_pred.shape}"
            )
        y_true, y_pred = y_true[..., class_id, None], y_pred[..., class_id, None]
    weights = None
    if sample_weight is not None:
        weights = xp.broadcast_to(sample_weight, y_pred.shape)
    if label_weights is not None:
        label_weights = xp.broadcast_to(xp.asarray(label_weights, dtype=dtype), y_pred.shape)
        weights = label_weights if weights is None else weights * label_weights
    if weights is None:
        weights = xp.ones(y_pred.shape, dtype=dtype)
    is_true = (y_true != 0).astype(dtype)
    if not multi_label:
        y_pred, is_true, weights = y_pred.reshape(-1), is_true.reshape(-1), weights.reshape(-1)
    true_w, false_w = is_true * weights, (1.0 - is_true) * weights
    thresholds = xp.asarray(thresholds, dtype=dtype)
    if thresholds_distributed_evenly:
        tp, fp = _bucket_counts(y_pred, true_w, false_w, thresholds)
    else:
        above = (y_pred[None] > thresholds.reshape((-1,) + (1,) * y_pred.ndim)).astype(dtype)
        tp = (above * true_w).sum(axis=1)
        fp = (above * false_w).sum(axis=1)
    counts = {"tp": tp, "fp": fp, "fn": true_w.sum(axis=0) - tp,
              "tn": false_w.sum(axis=0) - fp}
    for kind, variable in variables.items():
        variable.assign_add(counts[kind])


def _bucket_counts(y_pred, true_w, false_w, thresholds):
    """TP and FP above every evenly spaced threshold, by weighted bucket counts."""
    xp = backend.array_module(y_pred)
    n = thresholds.shape[0]
    with_epsilon = bool(thresholds[0] < 0.0 or thresholds[-1] > 1.0)
    buckets = xp.ceil(xp.clip(y_pred, 0.0, 1.0) * (n - 1)) - 1
    if with_epsilon:  # every prediction in [0, 1] is above the first threshold, -eps
        buckets = xp.maximum(buckets, 0)
    buckets = buckets.astype(np.int64)
    keep = buckets >= 0
    if y_pred.ndim == 2:  # multi-label: one row of buckets per label
        buckets = buckets + n * xp.arange(y_pred.shape[1])[None, :]
    size = n * (y_pred.shape[1] if y_pred.ndim == 2 else 1)

    def above(weights):
        per_bucket = xp.bincount(buckets[keep], weights=weights[keep], minlength=size)
        per_bucket = per_bucket.reshape(-1, n)[:, ::-1].cumsum(axis=1)[:, ::-1]
        per_bucket = per_bucket.T if y_pred.ndim == 2 else per_bucket[0]
        return per_bucket.astype(true_w.dtype)

    return above(true_w), above(false_w)


def _filter_top_k(y_pred, k: int):
    """``y_pred`` with all but the ``k`` largest entries of each row set to ``NEG_INF``."""
    xp = backend.array_module(y_pred)
    # The rank of every entry in its row, largest first; ties keep the lower index first.
    rank = xp.argsort(xp.argsort(-y_pred, axis=-1, kind="stable"), axis=-1)
    return xp.where(rank < k, y_pred, NEG_INF).astype(y_pred.dtype)


def _parse_thresholds(thresholds, default, owner) -> list:
    if thresholds is None:
        return [default]
    values = [thresholds] if np.isscalar(thresholds) else list(thresholds)
    invalid = [t for t in values if t is None or not 0 <= t <= 1]
    if invalid or not values:
        raise ValueError(
            f"{type(owner).__name__}: expected thresholds in [0, 1], received: "
            f"thresholds={thresholds!r}"
        )
    return [float(t) for t in values]


def _evenly_spaced(thresholds) -> bool:
    n = len(thresholds)
    if n < 3:
        return False
    even = np.arange(n, dtype=np.float32) / (n - 1)
    return bool(np.allclose(thresholds, even, atol=backend.epsilon()))


def _divide_no_nan(a, b):
    xp = backend.array_module(a, b)
    b = xp.asarray(b)
    return xp.where(b != 0, a / xp.where(b != 0, b, 1), 0.0 * a)
