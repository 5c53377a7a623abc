"""Loss primitives. Per-sample values by default (``reduction="none"``), as ``keras.losses``
functions give them; ``"sum"`` and ``"mean"`` reduce over everything.

Cross-entropy from logits is one fused Function (log-softmax and the pick together), whose
gradient is ``softmax - onehot``; binary cross-entropy from logits likewise gives
``sigmoid - target``.
"""

from __future__ import annotations

import numpy as np

from ember.autograd.function import Function
from ember.autograd.tensor import Tensor
from ember.backend import epsilon
from ember.ops import math as _math
from ember.ops import reduce as _reduce
from ember.ops._util import operand, xp_of

REDUCTIONS = ("none", "sum", "mean", "sum_over_batch_size")


def _reduce_loss(values: Tensor, reduction: str, name: str) -> Tensor:
    if reduction in (None, "none"):
        return values
    if reduction == "sum":
        return values.sum()
    if reduction in ("mean", "sum_over_batch_size"):
        return values.mean()
    raise ValueError(f"{name}: expected reduction in {REDUCTIONS}, received {reduction!r}")


def _check_reduction(reduction, name):
    if reduction not in (None,) + REDUCTIONS:
        raise ValueError(f"{name}: expected reduction in {REDUCTIONS}, received {reduction!r}")


class SoftmaxCrossEntropy(Function):
    """``-sum(target * log_softmax(logits))`` along ``axis``, reduced as asked."""

    @staticmethod
    def forward(ctx, target, logits, axis, reduction):
        xp = xp_of(logits)
        shifted = logits - logits.max(axis=axis, keepdims=True)
        e = xp.exp(shifted)
        total = e.sum(axis=axis, keepdims=True)
        logp = shifted - xp.log(total)
        loss = -(target * logp).sum(axis=axis)
        ctx.save_for_backward(target, e / total, logp)
        ctx.axis, ctx.reduction, ctx.count = axis, reduction, loss.size
        return _reduce_raw(loss, reduction)

    @staticmethod
    def backward(ctx, g):
        target, probs, logp = ctx.saved_tensors
        g = xp_of(g).expand_dims(_expand_reduced(g, ctx), ctx.axis)
        g_target = -g * logp if ctx.needs_input_grad[0] else None
        g_logits = None
        if ctx.needs_input_grad[1]:
            mass = target.sum(axis=ctx.axis, keepdims=True)
            g_logits = g * (probs * mass - target)
        return g_target, g_logits, None, None


class SparseSoftmaxCrossEntropy(Function):
    """``-log_softmax(logits)[label]`` along the last axis, reduced as asked."""

    @staticmethod
    def forward(ctx, labels, logits, reduction):
        xp = xp_of(logits)
        flat = logits.reshape(-1, logits.shape[-1])
        rows = xp.arange(flat.shape[0])
        shifted = flat - flat.max(axis=1, keepdims=True)
        e = xp.exp(shifted)
        total = e.sum(axis=1)
        loss = xp.log(total) - shifted[rows, labels.reshape(-1)]
        ctx.save_for_backward(labels, e / total[:, None])
        ctx.shape, ctx.reduction, ctx.rows = logits.shape, reduction, rows
        return _reduce_raw(loss.reshape(logits.shape[:-1]), reduction)

    @staticmethod
    def backward(ctx, g):
        labels, probs = ctx.saved_tensors
        grad = probs.copy()
        grad[ctx.rows, labels.reshape(-1)] -= 1
        if ctx.reduction in (None, "none"):
            grad *= g.reshape(-1, 1)
        else:
            grad *= g if ctx.reduction == "sum" else g / ctx.rows.size
        return None, grad.reshape(ctx.shape), None


class SigmoidCrossEntropy(Function):
    """Elementwise ``-(t log sigmoid(x) + (1 - t) log(1 - sigmoid(x)))``, stable for any x."""

    @staticmethod
    def forward(ctx, target, logits):
        xp = xp_of(logits)
        ctx.save_for_backward(target, logits)
        return xp.maximum(logits, 0) - logits * target + xp.log1p(xp.exp(-xp.abs(logits)))

    @staticmethod
    def backward(ctx, g):
        target, logits = ctx.saved_tensors
        xp = xp_of(logits)
        g_target = -g * logits if ctx.needs_input_grad[0] else None
        g_logits = None
        if ctx.needs_input_grad[1]:
            g_logits = g * (0.5 * (1 + xp.tanh(0.5 * logits)) - target)
        return g_target, g_logits


def _reduce_raw(loss, reduction):
    if reduction in (None, "none"):
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / max(loss.size, 1)


def _expand_reduced(g, ctx):
    """The incoming gradient as one value per sample, undoing the forward's reduction."""
    if ctx.reduction in (None, "none"):
        return g
    per_sample = _drop(ctx.saved_tensors[-1].shape, ctx.axis)
    scale = g if ctx.reduction == "sum" else g / ctx.count
    return xp_of(g).broadcast_to(scale, per_sample)


def _drop(shape, axis):
    axis = axis % len(shape)
    return shape[:axis] + shape[axis + 1 :]


def categorical_crossentropy(
    target, output, from_logits: bool = False, axis: int = -1, reduction: str = "none"
) -> Tensor:
    """Cross-entropy between one-hot (or soft) ``target`` and predicted ``output`` along
    ``axis``. From probabilities, ``output`` is normalized and clipped to ``[eps, 1 - eps]``
    as Keras does; from logits the fused log-softmax path is used."""
    _check_reduction(reduction, "categorical_crossentropy")
    target, output = operand(target), operand(output)
    _check_same_shape(target, output, "categorical_crossentropy")
    if from_logits:
        return SoftmaxCrossEntropy.apply(target, output, axis, reduction)
    output = output / output.sum(axis=axis, keepdims=True)
    output = _math.clip(output, epsilon(), 1.0 - epsilon())
    values = -(target * _math.log(output)).sum(axis=axis)
    return _reduce_loss(values, reduction, "categorical_crossentropy")


def sparse_categorical_crossentropy(
    target, output, from_logits: bool = False, axis: int = -1, reduction: str = "none"
) -> Tensor:
    """Cross-entropy with integer class labels ``target`` (shape of ``output`` without its
    class axis, or with a trailing 1). Probabilities are normalized and clipped as in
    ``categorical_crossentropy``."""
    _check_reduction(reduction, "sparse_categorical_crossentropy")
    output = operand(output)
    labels = target.data if isinstance(target, Tensor) else xp_of(output.data).asarray(target)
    if labels.ndim == output.ndim and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if axis not in (-1, output.ndim - 1):
        from ember.ops.shape import moveaxis

        output = moveaxis(output, axis, -1)
    if labels.shape != output.shape[:-1]:
        raise ValueError(
            f"sparse_categorical_crossentropy: expected labels of shape {output.shape[:-1]} "
            f"for output of shape {output.shape}, received labels of shape {labels.shape}"
        )
    labels = labels.astype(np.int64, copy=False)
    n_classes = output.shape[-1]
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(
            f"sparse_categorical_crossentropy: expected labels in [0, {n_classes}), "
            f"received values in [{labels.min()}, {labels.max()}]"
        )
    if from_logits:
        return SparseSoftmaxCrossEntropy.apply(labels, output, reduction)
    output = output / output.sum(axis=-1, keepdims=True)
    output = _math.clip(output, epsilon(), 1.0 - epsilon())
    from ember.ops.shape import take_along_axis

    picked = take_along_axis(output, labels[..., None], axis=-1)[..., 0]
    return _reduce_loss(-_math.log(picked), reduction, "sparse_categorical_crossentropy")


def binary_crossentropy(
    target, output, from_logits: bool = False, reduction: str = "none"
) -> Tensor:
    """Elementwise binary cross-entropy (as ``keras.ops.binary_crossentropy``)."""
    _check_reduction(reduction, "binary_crossentropy")
    target, output = operand(target), operand(output)
    if from_logits:
        values = SigmoidCrossEntropy.apply(target, output)
    else:
        p = _math.clip(output, epsilon(), 1.0 - epsilon())
        values = -(target * _math.log(p) + (1 - target) * _math.log(1 - p))
    return _reduce_loss(values, reduction, "binary_crossentropy")


def mean_squared_error(y_true, y_pred, reduction: str = "none") -> Tensor:
    """``mean((y_pred - y_true) ** 2, axis=-1)``."""
    diff = _math.subtract(y_pred, y_true)
    return _reduce_loss(_reduce.mean(_math.square(diff), axis=-1), reduction, "mse")


def mean_absolute_error(y_true, y_pred, reduction: str = "none") -> Tensor:
    """``mean(|y_pred - y_true|, axis=-1)``."""
    diff = _math.subtract(y_pred, y_true)
    return _reduce_loss(_reduce.mean(_math.abs(diff), axis=-1), reduction, "mae")


def huber(y_true, y_pred, delta: float = 1.0, reduction: str = "none") -> Tensor:
    """Huber loss: ``0.5 d^2`` for ``|d| <= delta``, else ``delta (|d| - 0.5 delta)``, mean
    over the last axis."""
    d = _math.abs(_math.subtract(y_pred, y_true))
    quadratic = _math.minimum(d, delta)
    values = 0.5 * quadratic * quadratic + delta * (d - quadratic)
    return _reduce_loss(_reduce.mean(values, axis=-1), reduction, "huber")


def smooth_l1(y_true, y_pred, beta: float = 1.0, reduction: str = "none") -> Tensor:
    """Smooth L1 (Girshick 2015, PyTorch's form): ``0.5 d^2 / beta`` for ``|d| < beta``, else
    ``|d| - 0.5 beta``; equals ``huber(delta=beta) / beta``."""
    return huber(y_true, y_pred, delta=beta, reduction=reduction) / beta


def kl_divergence(y_true, y_pred, reduction: str = "none") -> Tensor:
    """``sum(t * log(t / p), axis=-1)`` with both clipped to ``[eps, 1]`` as in Keras."""
    t = _math.clip(operand(y_true), epsilon(), 1.0)
    p = _math.clip(operand(y_pred), epsilon(), 1.0)
    values = (t * _math.log(t / p)).sum(axis=-1)
    return _reduce_loss(values, reduction, "kl_divergence")


def _check_same_shape(target, output, name):
    ts = getattr(target, "shape", ())
    if ts != output.shape:
        raise ValueError(
            f"{name}: expected target and output of the same shape, received target "
            f"{ts} and output {output.shape}"
        )
