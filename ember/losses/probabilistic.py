"""Probabilistic losses: the cross-entropies (on the fused kernels of ``ember.ops``),
Kullback-Leibler divergence and Poisson."""

from __future__ import annotations

import warnings

from ember import backend, ops
from ember.autograd.tensor import Tensor
from ember.losses.loss import (
    FUSED_REDUCTIONS,
    LossFunctionWrapper,
    cast_like,
    class_labels,
    float_tensor,
    prepare,
    reduce_weighted_values,
    register,
)


@register()
def categorical_crossentropy(y_true, y_pred, from_logits: bool = False,
                             label_smoothing: float = 0.0, axis: int = -1) -> Tensor:
    """``-sum(y_true * log(p), axis)``, ``p`` being ``y_pred`` normalized and clipped to
    ``[eps, 1 - eps]``, or ``softmax(y_pred)`` when ``from_logits``. Label smoothing
    replaces ``y_true`` by ``y_true (1 - ls) + ls / num_classes``."""
    return _categorical_crossentropy(y_true, y_pred, from_logits, label_smoothing, axis)


@register()
def sparse_categorical_crossentropy(y_true, y_pred, from_logits: bool = False,
                                    ignore_class: int | None = None, axis: int = -1) -> Tensor:
    """``-log(p[y_true])`` with integer labels (shape ``(N,)`` or ``(N, 1)``, int or float).
    Entries whose label is ``ignore_class`` give 0."""
    return _sparse_categorical_crossentropy(y_true, y_pred, from_logits, ignore_class, axis)


@register()
def binary_crossentropy(y_true, y_pred, from_logits: bool = False,
                        label_smoothing: float = 0.0, axis: int = -1) -> Tensor:
    """``mean(-(t log p + (1 - t) log(1 - p)), axis)`` with ``p`` clipped to
    ``[eps, 1 - eps]``, or ``p = sigmoid(y_pred)`` (computed stably) when ``from_logits``.
    Label smoothing replaces ``t`` by ``t (1 - ls) + 0.5 ls``."""
    return _binary_crossentropy(y_true, y_pred, from_logits, label_smoothing, axis)


@register("kld", "KLD")
def kl_divergence(y_true, y_pred) -> Tensor:
    """``sum(t * log(t / p), axis=-1)`` with ``t``, ``p`` clipped to ``[eps, 1]``."""
    y_true, y_pred = prepare(y_true, y_pred)
    return ops.kl_divergence(y_true, y_pred)


@register()
def poisson(y_true, y_pred) -> Tensor:
    """``mean(y_pred - y_true * log(y_pred + eps), axis=-1)``."""
    y_true, y_pred = prepare(y_true, y_pred)
    return ops.mean(y_pred - y_true * ops.log(y_pred + backend.epsilon()), axis=-1)


def _categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0,
                              axis=-1, reduction="none"):
    if isinstance(axis, bool):
        raise ValueError(
            f"categorical_crossentropy: expected an int axis, received: axis={axis!r}"
        )
    y_pred = float_tensor(y_pred)
    y_true = cast_like(y_true, y_pred)
    if y_pred.ndim and y_pred.shape[-1] == 1:
        warnings.warn(
            "categorical_crossentropy: expected y_pred of shape (batch_size, num_classes) "
            f"with num_classes > 1, received: y_pred.shape={y_pred.shape}; use "
            "binary_crossentropy for two classes", stacklevel=3,
        )
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[axis]
    return ops.categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis,
                                        reduction=reduction)


def _sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None,
                                     axis=-1, reduction="none"):
    y_pred = float_tensor(y_pred)
    labels = class_labels(y_true, y_pred)
    if ignore_class is None:
        return ops.sparse_categorical_crossentropy(labels, y_pred, from_logits=from_logits,
                                                   axis=axis, reduction=reduction)
    valid = labels != ignore_class
    # Ignored entries get label 0 (any valid class) and then a loss of exactly 0.
    values = ops.sparse_categorical_crossentropy(labels * valid, y_pred,
                                                 from_logits=from_logits, axis=axis)
    values = ops.where(valid, values, 0.0)
    if reduction == "none":
        return values
    return reduce_weighted_values(values, mask=valid, reduction=reduction)


def _binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1,
                         reduction="none"):
    y_pred = float_tensor(y_pred)
    y_true = cast_like(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if reduction == "none":
        values = ops.binary_crossentropy(y_true, y_pred, from_logits=from_logits)
        return ops.mean(values, axis=axis)
    # The mean over `axis`, then over the batch, is the mean over everything; the sum over
    # the batch of means over `axis` is the total divided by the length of `axis`.
    total = ops.binary_crossentropy(y_true, y_pred, from_logits=from_logits,
                                    reduction=reduction)
    return total if reduction == "mean" else total / y_pred.shape[axis]


# LossFunctionWrapper reduces these inside the fused kernels when there are no weights.
FUSED_REDUCTIONS[categorical_crossentropy] = _categorical_crossentropy
FUSED_REDUCTIONS[sparse_categorical_crossentropy] = _sparse_categorical_crossentropy
FUSED_REDUCTIONS[binary_crossentropy] = _binary_crossentropy


@register()
class CategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy with one-hot (or soft) labels (see ``categorical_crossentropy``).

    Example:
        >>> import math
        >>> loss = CategoricalCrossentropy()([[0.0, 1.0]], [[0.2, 0.8]])
        >>> bool(abs(float(loss) + math.log(0.8)) < 1e-6)
        True
    """

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0,
                 axis: int = -1, reduction="sum_over_batch_size", name="categorical_crossentropy",
                 dtype=None):
        super().__init__(categorical_crossentropy, reduction=reduction, name=name,
                         dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


@register()
class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy with integer labels (see ``sparse_categorical_crossentropy``). Entries
    labelled ``ignore_class`` are left out: the mean runs over the others only.

    Example:
        >>> import math
        >>> loss = SparseCategoricalCrossentropy(from_logits=True)([1], [[0.0, 0.0]])
        >>> bool(abs(float(loss) - math.log(2)) < 1e-6)
        True
    """

    def __init__(self, from_logits: bool = False, ignore_class: int | None = None,
                 reduction="sum_over_batch_size", name="sparse_categorical_crossentropy",
                 dtype=None):
        super().__init__(sparse_categorical_crossentropy, reduction=reduction, name=name,
                         dtype=dtype, from_logits=from_logits, ignore_class=ignore_class)

    def __call__(self, y_true, y_pred, sample_weight=None) -> Tensor:
        ignore_class = self._fn_kwargs["ignore_class"]
        if ignore_class is None:
            return super().__call__(y_true, y_pred, sample_weight)
        y_pred = float_tensor(y_pred, self._dtype)
        labels = class_labels(y_true, y_pred)
        return reduce_weighted_values(self.call(labels, y_pred), sample_weight,
                                      mask=labels != ignore_class, reduction=self.reduction)


@register()
class BinaryCrossentropy(LossFunctionWrapper):
    """Binary cross-entropy averaged over the last axis (see ``binary_crossentropy``).

    Example:
        >>> import math
        >>> loss = BinaryCrossentropy()([[1.0], [0.0]], [[0.8], [0.4]])
        >>> bool(abs(float(loss) + (math.log(0.8) + math.log(0.6)) / 2) < 1e-6)
        True
    """

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0,
                 axis: int = -1, reduction="sum_over_batch_size", name="binary_crossentropy",
                 dtype=None):
        super().__init__(binary_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


@register()
class KLDivergence(LossFunctionWrapper):
    """Kullback-Leibler divergence ``sum(y_true * log(y_true / y_pred))``.

    Example:
        >>> round(float(KLDivergence()([[0.5, 0.5]], [[0.25, 0.75]])), 6)
        0.143841
    """

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, reduction=reduction, name=name, dtype=dtype)


@register()
class Poisson(LossFunctionWrapper):
    """Mean of ``y_pred - y_true * log(y_pred)`` over the last axis.

    Example:
        >>> round(float(Poisson()([[1.0]], [[2.0]])), 6)
        1.306853
    """

    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None):
        super().__init__(poisson, reduction=reduction, name=name, dtype=dtype)
