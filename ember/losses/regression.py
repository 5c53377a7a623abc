"""Regression losses: squared, absolute, percentage and logarithmic errors, Huber and
smooth L1, log-cosh and cosine similarity."""

from __future__ import annotations

import math

from ember import backend, ops
from ember.autograd.tensor import Tensor
from ember.losses.loss import (
    LossFunctionWrapper,
    l2_normalize,
    prepare,
    register,
)


@register("mse", "MSE")
def mean_squared_error(y_true, y_pred) -> Tensor:
    """``mean((y_true - y_pred)^2, axis=-1)``."""
    y_true, y_pred = prepare(y_true, y_pred)
    return ops.mean_squared_error(y_true, y_pred)


@register("mae", "MAE")
def mean_absolute_error(y_true, y_pred) -> Tensor:
    """``mean(|y_true - y_pred|, axis=-1)``."""
    y_true, y_pred = prepare(y_true, y_pred)
    return ops.mean_absolute_error(y_true, y_pred)


@register("mape", "MAPE")
def mean_absolute_percentage_error(y_true, y_pred) -> Tensor:
    """``100 * mean(|(y_true - y_pred) / max(|y_true|, eps)|, axis=-1)``."""
    y_true, y_pred = prepare(y_true, y_pred)
    diff = ops.abs((y_true - y_pred) / ops.maximum(ops.abs(y_true), backend.epsilon()))
    return 100.0 * ops.mean(diff, axis=-1)


@register("msle", "MSLE")
def mean_squared_logarithmic_error(y_true, y_pred) -> Tensor:
    """``mean((log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1))^2, axis=-1)``."""
    y_true, y_pred = prepare(y_true, y_pred)
    first = ops.log(ops.maximum(y_pred, backend.epsilon()) + 1.0)
    second = ops.log(ops.maximum(y_true, backend.epsilon()) + 1.0)
    return ops.mean(ops.square(first - second), axis=-1)


@register()
def huber(y_true, y_pred, delta: float = 1.0) -> Tensor:
    """Mean over the last axis of ``0.5 d^2`` where ``|d| <= delta``, else
    ``delta * |d| - 0.5 delta^2`` (``d = y_pred - y_true``; Huber 1964)."""
    y_true, y_pred = prepare(y_true, y_pred)
    return ops.huber(y_true, y_pred, delta=delta)


@register()
def smooth_l1(y_true, y_pred, beta: float = 1.0) -> Tensor:
    """Mean over the last axis of ``0.5 d^2 / beta`` where ``|d| < beta``, else
    ``|d| - 0.5 beta`` (Girshick 2015; PyTorch's ``smooth_l1_loss``): ``huber / beta``."""
    y_true, y_pred = prepare(y_true, y_pred)
    return ops.smooth_l1(y_true, y_pred, beta=beta)


@register()
def log_cosh(y_true, y_pred) -> Tensor:
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``, computed as
    ``x + softplus(-2x) - log 2`` so it never overflows."""
    y_true, y_pred = prepare(y_true, y_pred)
    x = y_pred - y_true
    return ops.mean(x + ops.softplus(-2.0 * x) - math.log(2.0), axis=-1)


@register()
def cosine_similarity(y_true, y_pred, axis: int = -1) -> Tensor:
    """``-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)``: -1 for vectors pointing
    the same way, so minimizing it aligns them."""
    y_true, y_pred = prepare(y_true, y_pred)
    return -ops.sum(l2_normalize(y_true, axis) * l2_normalize(y_pred, axis), axis=axis)


@register()
class MeanSquaredError(LossFunctionWrapper):
    """Mean of ``(y_true - y_pred)^2`` over the last axis, then reduced over the batch.

    Example:
        >>> float(MeanSquaredError()([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]]))
        0.5
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, reduction=reduction, name=name, dtype=dtype)


@register()
class MeanAbsoluteError(LossFunctionWrapper):
    """Mean of ``|y_true - y_pred|`` over the last axis, then reduced over the batch.

    Example:
        >>> float(MeanAbsoluteError()([[0.0, 1.0]], [[1.0, 3.0]]))
        1.5
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, reduction=reduction, name=name, dtype=dtype)


@register()
class MeanAbsolutePercentageError(LossFunctionWrapper):
    """``100 * mean(|(y_true - y_pred) / y_true|)`` (see ``mean_absolute_percentage_error``).

    Example:
        >>> float(MeanAbsolutePercentageError()([[2.0, 4.0]], [[1.0, 5.0]]))
        37.5
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_percentage_error",
                 dtype=None):
        super().__init__(mean_absolute_percentage_error, reduction=reduction, name=name,
                         dtype=dtype)


@register()
class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """Mean of ``(log(1 + y_pred) - log(1 + y_true))^2`` over the last axis.

    Example:
        >>> round(float(MeanSquaredLogarithmicError()([[0.0]], [[1.718281828]])), 6)
        1.0
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_logarithmic_error",
                 dtype=None):
        super().__init__(mean_squared_logarithmic_error, reduction=reduction, name=name,
                         dtype=dtype)


@register()
class Huber(LossFunctionWrapper):
    """Quadratic for errors up to ``delta``, linear beyond (see ``huber``).

    Example:
        >>> float(Huber(delta=1.0)([[0.0, 0.0]], [[0.5, 3.0]]))
        1.3125
    """

    def __init__(self, delta: float = 1.0, reduction="sum_over_batch_size", name="huber_loss",
                 dtype=None):
        super().__init__(huber, reduction=reduction, name=name, dtype=dtype, delta=delta)


@register()
class SmoothL1(LossFunctionWrapper):
    """PyTorch's smooth L1: ``0.5 d^2 / beta`` for ``|d| < beta``, else ``|d| - 0.5 beta``.

    Example:
        >>> float(SmoothL1(beta=1.0)([[0.0, 0.0]], [[0.5, 3.0]]))
        1.3125
    """

    def __init__(self, beta: float = 1.0, reduction="sum_over_batch_size", name="smooth_l1",
                 dtype=None):
        super().__init__(smooth_l1, reduction=reduction, name=name, dtype=dtype, beta=beta)


@register()
class LogCosh(LossFunctionWrapper):
    """Mean of ``log(cosh(y_pred - y_true))`` over the last axis.

    Example:
        >>> round(float(LogCosh()([[0.0]], [[1.0]])), 6)
        0.433781
    """

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh", dtype=None):
        super().__init__(log_cosh, reduction=reduction, name=name, dtype=dtype)


@register()
class CosineSimilarity(LossFunctionWrapper):
    """Negative cosine similarity along ``axis`` (-1 when aligned, 1 when opposite).

    Example:
        >>> float(CosineSimilarity()([[1.0, 0.0]], [[2.0, 0.0]]))
        -1.0
    """

    def __init__(self, axis: int = -1, reduction="sum_over_batch_size", name="cosine_similarity",
                 dtype=None):
        super().__init__(cosine_similarity, reduction=reduction, name=name, dtype=dtype,
                         axis=axis)
