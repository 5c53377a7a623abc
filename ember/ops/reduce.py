"""Reductions with ``axis`` and ``keepdims`` (NumPy semantics), with their gradients."""

from __future__ import annotations

import numpy as np

from ember.autograd.function import Function
from ember.autograd.tensor import Tensor
from ember.ops import math as _math
from ember.ops._util import normalize_axis, operand, xp_of


def _kept_shape(shape: tuple, axes) -> tuple:
    """``shape`` with the reduced axes set to 1 (what keepdims=True would give)."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _count(shape: tuple, axes) -> int:
    if axes is None:
        return int(np.prod(shape, dtype=np.int64))
    return int(np.prod([shape[a] for a in axes], dtype=np.int64))


class Sum(Function):
    @staticmethod
    def forward(ctx, x, axis, keepdims):
        ctx.shape = x.shape
        ctx.axes = normalize_axis(axis, x.ndim)
        return x.sum(axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, g):
        g = g.reshape(_kept_shape(ctx.shape, ctx.axes))
        return xp_of(g).broadcast_to(g, ctx.shape), None, None


class Mean(Function):
    @staticmethod
    def forward(ctx, x, axis, keepdims):
        ctx.shape = x.shape
        ctx.axes = normalize_axis(axis, x.ndim)
        return x.mean(axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, g):
        g = g.reshape(_kept_shape(ctx.shape, ctx.axes)) / _count(ctx.shape, ctx.axes)
        return xp_of(g).broadcast_to(g, ctx.shape), None, None


class Var(Function):
    @staticmethod
    def forward(ctx, x, axis, keepdims, ddof):
        ctx.axes = normalize_axis(axis, x.ndim)
        centered = x - x.mean(axis=axis, keepdims=True)
        ctx.save_for_backward(centered)
        ctx.ddof = ddof
        return x.var(axis=axis, keepdims=keepdims, ddof=ddof)

    @staticmethod
    def backward(ctx, g):
        (centered,) = ctx.saved_tensors
        n = _count(centered.shape, ctx.axes) - ctx.ddof
        g = g.reshape(_kept_shape(centered.shape, ctx.axes))
        return g * centered * (2.0 / n), None, None, None


class Extremum(Function):
    """max (``largest=True``) or min; the gradient is split evenly among ties."""

    @staticmethod
    def forward(ctx, x, axis, keepdims, largest):
        ctx.axes = normalize_axis(axis, x.ndim)
        y = x.max(axis=axis, keepdims=True) if largest else x.min(axis=axis, keepdims=True)
        ctx.save_for_backward(x, y)
        return y if keepdims else y.reshape(_reduced_shape(x.shape, ctx.axes))

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        hits = x == y
        ties = hits.sum(axis=ctx.axes, keepdims=True).astype(g.dtype)  # int64 would promote
        g = g.reshape(y.shape)
        return hits * (g / ties), None, None, None


def _reduced_shape(shape, axes):
    if axes is None:
        return ()
    return tuple(n for i, n in enumerate(shape) if i not in axes)


class Prod(Function):
    @staticmethod
    def forward(ctx, x, axis, keepdims):
        ctx.axes = normalize_axis(axis, x.ndim)
        ctx.save_for_backward(x)
        return x.prod(axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, g):
        # d prod / d x_i = product of all the others: exclusive cumulative products from both
        # ends, which stay exact when some x_i are zero.
        (x,) = ctx.saved_tensors
        xp = xp_of(x)
        axes = ctx.axes if ctx.axes is not None else tuple(range(x.ndim))
        rest = [i for i in range(x.ndim) if i not in axes]
        moved = xp.transpose(x, rest + list(axes))
        flat = moved.reshape(moved.shape[: len(rest)] + (-1,))
        ones = xp.ones(flat.shape[:-1] + (1,), dtype=x.dtype)
        left = xp.cumprod(xp.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
        right = xp.flip(
            xp.cumprod(xp.concatenate([ones, xp.flip(flat, -1)[..., :-1]], axis=-1), axis=-1),
            -1,
        )
        others = (left * right).reshape(moved.shape)
        others = xp.transpose(others, np.argsort(rest + list(axes)))
        g = g.reshape(_kept_shape(x.shape, ctx.axes))
        return g * others, None, None


class LogSumExp(Function):
    @staticmethod
    def forward(ctx, x, axis, keepdims):
        xp = xp_of(x)
        ctx.axes = normalize_axis(axis, x.ndim)
        m = x.max(axis=axis, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)
        out = xp.log(xp.exp(x - m).sum(axis=axis, keepdims=True)) + m
        ctx.save_for_backward(x, out)
        return out if keepdims else out.reshape(_reduced_shape(x.shape, ctx.axes))

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        g = g.reshape(out.shape)
        return g * xp_of(x).exp(x - out), None, None


def sum(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001 - keras.ops's name
    """Sum of elements over ``axis`` (all when None)."""
    return Sum.apply(operand(x), axis, keepdims)


def mean(x, axis=None, keepdims=False) -> Tensor:
    """Arithmetic mean over ``axis``."""
    return Mean.apply(operand(x), axis, keepdims)


def var(x, axis=None, keepdims=False, ddof: int = 0) -> Tensor:
    """Variance over ``axis`` (population variance unless ``ddof``)."""
    return Var.apply(operand(x), axis, keepdims, ddof)


def std(x, axis=None, keepdims=False, ddof: int = 0) -> Tensor:
    """Standard deviation over ``axis``: ``sqrt(var(x))``."""
    return _math.sqrt(var(x, axis=axis, keepdims=keepdims, ddof=ddof))


def max(x, axis=None, keepdims=False, initial=None) -> Tensor:  # noqa: A001
    """Largest element over ``axis``; ties share the gradient evenly."""
    out = Extremum.apply(operand(x), axis, keepdims, True)
    return out if initial is None else _math.maximum(out, initial)


def min(x, axis=None, keepdims=False, initial=None) -> Tensor:  # noqa: A001
    """Smallest element over ``axis``; ties share the gradient evenly."""
    out = Extremum.apply(operand(x), axis, keepdims, False)
    return out if initial is None else _math.minimum(out, initial)


amax = max
amin = min


def prod(x, axis=None, keepdims=False, dtype=None) -> Tensor:
    """Product of elements over ``axis``."""
    x = operand(x)
    if dtype is not None:
        x = _math.cast(x, dtype)
    return Prod.apply(x, axis, keepdims)


def logsumexp(x, axis=None, keepdims=False) -> Tensor:
    """``log(sum(exp(x)))`` over ``axis``, computed stably."""
    return LogSumExp.apply(operand(x), axis, keepdims)


def norm(x, ord=None, axis=None, keepdims=False) -> Tensor:  # noqa: A002 - NumPy's name
    """Vector norm (``ord`` None/2, 1, inf, -inf, 0 or any p) over an int ``axis`` or the
    flattened tensor; Frobenius norm (``ord`` None or "fro") over a 2-tuple ``axis``."""
    x = operand(x)
    if isinstance(axis, (list, tuple)) and len(axis) == 2:
        if ord not in (None, "fro"):
            raise ValueError(f"norm: matrix norms support ord None or 'fro', got ord={ord!r}")
        return _math.sqrt(sum(_math.square(x), axis=tuple(axis), keepdims=keepdims))
    if axis is None and not keepdims:
        x = x.reshape(-1)
    if ord is None or ord == 2:
        return _math.sqrt(sum(_math.square(x), axis=axis, keepdims=keepdims))
    if ord == 1:
        return sum(_math.abs(x), axis=axis, keepdims=keepdims)
    if ord == np.inf:
        return max(_math.abs(x), axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return min(_math.abs(x), axis=axis, keepdims=keepdims)
    if ord == 0:
        return sum(_math.cast(_math.not_equal(x, 0), x.dtype), axis=axis, keepdims=keepdims)
    if isinstance(ord, str):
        raise ValueError(f"norm: ord={ord!r} needs a 2-tuple axis")
    powered = sum(_math.abs(x) ** ord, axis=axis, keepdims=keepdims)
    return powered ** (1.0 / ord)


def _index_op(name):
    def op(x, axis=None, keepdims=False) -> Tensor:
        data = x.data if isinstance(x, Tensor) else xp_of(x).asarray(x)
        out = getattr(data, name)(axis=axis, keepdims=keepdims)
        return Tensor._make(xp_of(data).asarray(out))

    op.__name__ = name
    op.__doc__ = f"``{name}`` over ``axis`` (not differentiable)."
    return op


argmax = _index_op("argmax")
argmin = _index_op("argmin")
any = _index_op("any")  # noqa: A001
all = _index_op("all")  # noqa: A001
