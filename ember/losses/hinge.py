"""Hinge losses for -1/1 (or 0/1) labels and for one-hot labels."""

from __future__ import annotations

from ember import ops
from ember.autograd.tensor import Tensor
from ember.losses.loss import LossFunctionWrapper, prepare, register


@register()
def hinge(y_true, y_pred) -> Tensor:
    """``mean(max(1 - y_true * y_pred, 0), axis=-1)``; labels in {0, 1} become {-1, 1}."""
    y_true, y_pred = prepare(y_true, y_pred)
    y_true = _hingelabels(y_true)
    return ops.mean(ops.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


@register()
def squared_hinge(y_true, y_pred) -> Tensor:
    """``mean(max(1 - y_true * y_pred, 0)^2, axis=-1)``; labels in {0, 1} become {-1, 1}."""
    y_true, y_pred = prepare(y_true, y_pred)
    y_true = _hingelabels(y_true)
    return ops.mean(ops.square(ops.maximum(1.0 - y_true * y_pred, 0.0)), axis=-1)


@register()
def categorical_hinge(y_true, y_pred) -> Tensor:
    """``max(neg - pos + 1, 0)`` with ``pos = sum(y_true * y_pred)`` and
    ``neg = max((1 - y_true) * y_pred)`` over the last axis (one-hot ``y_true``)."""
    y_true, y_pred = prepare(y_true, y_pred)
    pos = ops.sum(y_true * y_pred, axis=-1)
    neg = ops.max((1.0 - y_true) * y_pred, axis=-1)
    return ops.maximum(neg - pos + 1.0, 0.0)


@register()
class Hinge(LossFunctionWrapper):
    """Mean of ``max(1 - y_true * y_pred, 0)``, labels -1/1 (or 0/1, converted).

    Example:
        >>> float(Hinge()([[1.0, 0.0]], [[0.5, -2.0]]))
        0.25
    """

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(hinge, reduction=reduction, name=name, dtype=dtype)


@register()
class SquaredHinge(LossFunctionWrapper):
    """Mean of ``max(1 - y_true * y_pred, 0)^2``, labels -1/1 (or 0/1, converted).

    Example:
        >>> float(SquaredHinge()([[1.0, 0.0]], [[0.5, -2.0]]))
        0.125
    """

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, reduction=reduction, name=name, dtype=dtype)


@register()
class CategoricalHinge(LossFunctionWrapper):
    """``max(max_{wrong} y_pred - y_pred[true] + 1, 0)`` for one-hot ``y_true``.

    Example:
        >>> float(CategoricalHinge()([[0.0, 1.0]], [[0.5, 1.0]]))
        0.5
    """

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, reduction=reduction, name=name, dtype=dtype)


def _hingelabels(y_true: Tensor) -> Tensor:
    data = y_true.data
    is_binary = bool(((data == 0) | (data == 1)).all())
    return 2.0 * y_true - 1.0 if is_binary else y_true
