"""Elementwise arithmetic, transcendental functions and comparisons, with their gradients."""

from __future__ import annotations

import math as _pymath

import numpy as np

from ember.autograd.function import Function
from ember.autograd.tensor import Tensor
from ember.ops._util import elementwise, operand, shape_of, unbroadcast, xp_of

# ---- binary arithmetic -----------------------------------------------------------------


class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (shape_of(a), shape_of(b))
        return a + b

    @staticmethod
    def backward(ctx, g):
        sa, sb = ctx.shapes
        ga = unbroadcast(g, sa) if ctx.needs_input_grad[0] else None
        gb = unbroadcast(g, sb) if ctx.needs_input_grad[1] else None
        return ga, gb


class Subtract(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (shape_of(a), shape_of(b))
        return a - b

    @staticmethod
    def backward(ctx, g):
        sa, sb = ctx.shapes
        ga = unbroadcast(g, sa) if ctx.needs_input_grad[0] else None
        gb = unbroadcast(-g, sb) if ctx.needs_input_grad[1] else None
        return ga, gb


class Multiply(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = unbroadcast(g * b, shape_of(a)) if ctx.needs_input_grad[0] else None
        gb = unbroadcast(g * a, shape_of(b)) if ctx.needs_input_grad[1] else None
        return ga, gb


class Divide(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = unbroadcast(g / b, shape_of(a)) if ctx.needs_input_grad[0] else None
        gb = unbroadcast(-g * a / (b * b), shape_of(b)) if ctx.needs_input_grad[1] else None
        return ga, gb


class Power(Function):
    @staticmethod
    def forward(ctx, a, b):
        y = a**b
        ctx.save_for_backward(a, b, y)
        return y

    @staticmethod
    def backward(ctx, g):
        a, b, y = ctx.saved_tensors
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = unbroadcast(g * b * a ** (b - 1), shape_of(a))
        if ctx.needs_input_grad[1]:
            xp = xp_of(a, y)
            safe = xp.where(a > 0, a, 1)  # d(a^b)/db = a^b log a, taken as 0 where a <= 0
            # A Python-number base makes ``safe`` a float64 array: keep y's dtype.
            gb = unbroadcast(g * y * xp.log(safe).astype(y.dtype, copy=False), shape_of(b))
        return ga, gb


class Maximum(Function):
    @staticmethod
    def forward(ctx, a, b):
        xp = xp_of(a, b)
        ctx.save_for_backward(a, b)
        return xp.maximum(a, b)

    @staticmethod
    def backward(ctx, g):
        return _select_backward(ctx, g, greater=True)


class Minimum(Function):
    @staticmethod
    def forward(ctx, a, b):
        xp = xp_of(a, b)
        ctx.save_for_backward(a, b)
        return xp.minimum(a, b)

    @staticmethod
    def backward(ctx, g):
        return _select_backward(ctx, g, greater=False)


def _select_backward(ctx, g, greater: bool):
    """Gradient of maximum/minimum: to the winner; split evenly on ties."""
    a, b = ctx.saved_tensors
    xp = xp_of(a, b, g)
    wins = (a > b) if greater else (a < b)
    share = xp.where(wins, 1.0, xp.where(a == b, 0.5, 0.0)).astype(g.dtype)
    ga = unbroadcast(g * share, shape_of(a)) if ctx.needs_input_grad[0] else None
    gb = unbroadcast(g * (1 - share), shape_of(b)) if ctx.needs_input_grad[1] else None
    return ga, gb


def add(x1, x2) -> Tensor:
    """Elementwise ``x1 + x2`` with broadcasting."""
    return Add.apply(operand(x1), operand(x2))


def subtract(x1, x2) -> Tensor:
    """Elementwise ``x1 - x2`` with broadcasting."""
    return Subtract.apply(operand(x1), operand(x2))


def multiply(x1, x2) -> Tensor:
    """Elementwise ``x1 * x2`` with broadcasting."""
    return Multiply.apply(operand(x1), operand(x2))


def divide(x1, x2) -> Tensor:
    """Elementwise ``x1 / x2`` with broadcasting."""
    return Divide.apply(operand(x1), operand(x2))


true_divide = divide


def power(x1, x2) -> Tensor:
    """Elementwise ``x1 ** x2``; the gradient for the exponent uses ``log(x1)`` (0 where
    ``x1 <= 0``)."""
    return Power.apply(operand(x1), operand(x2))


def maximum(x1, x2) -> Tensor:
    """Elementwise maximum; on ties the gradient is split evenly."""
    return Maximum.apply(operand(x1), operand(x2))


def minimum(x1, x2) -> Tensor:
    """Elementwise minimum; on ties the gradient is split evenly."""
    return Minimum.apply(operand(x1), operand(x2))


# ---- unary functions: forward and local derivative side by side -----------------------


def _erf(xp, x):
    if xp is np:
        try:
            from scipy.special import erf as scipy_erf
        except ImportError:
            return np.vectorize(_pymath.erf, otypes=[x.dtype])(x)
        return scipy_erf(x).astype(x.dtype, copy=False)
    from cupyx.scipy.special import erf as cupy_erf

    return cupy_erf(x)


_TWO_OVER_SQRT_PI = 2.0 / _pymath.sqrt(_pymath.pi)

Negative = elementwise("Negative", lambda xp, x: -x, lambda xp, x, y: -1, save_output=False)
Exp = elementwise("Exp", lambda xp, x: xp.exp(x), lambda xp, x, y: y)
Log = elementwise("Log", lambda xp, x: xp.log(x), lambda xp, x, y: 1 / x)
Log1p = elementwise("Log1p", lambda xp, x: xp.log1p(x), lambda xp, x, y: 1 / (1 + x))
Expm1 = elementwise("Expm1", lambda xp, x: xp.expm1(x), lambda xp, x, y: y + 1)
Sqrt = elementwise("Sqrt", lambda xp, x: xp.sqrt(x), lambda xp, x, y: 0.5 / y)
Rsqrt = elementwise("Rsqrt", lambda xp, x: 1 / xp.sqrt(x), lambda xp, x, y: -0.5 * y / x)
Square = elementwise("Square", lambda xp, x: x * x, lambda xp, x, y: 2 * x)
Abs = elementwise("Abs", lambda xp, x: xp.abs(x), lambda xp, x, y: xp.sign(x))
Sin = elementwise("Sin", lambda xp, x: xp.sin(x), lambda xp, x, y: xp.cos(x))
Cos = elementwise("Cos", lambda xp, x: xp.cos(x), lambda xp, x, y: -xp.sin(x))
Tan = elementwise("Tan", lambda xp, x: xp.tan(x), lambda xp, x, y: 1 + y * y)
Tanh = elementwise("Tanh", lambda xp, x: xp.tanh(x), lambda xp, x, y: 1 - y * y)
Reciprocal = elementwise("Reciprocal", lambda xp, x: 1 / x, lambda xp, x, y: -y * y)
Erf = elementwise(
    "Erf", _erf, lambda xp, x, y: _TWO_OVER_SQRT_PI * xp.exp(-x * x), save_output=False
)


def negative(x) -> Tensor:
    return Negative.apply(operand(x))


def exp(x) -> Tensor:
    return Exp.apply(operand(x))


def log(x) -> Tensor:
    return Log.apply(operand(x))


def log1p(x) -> Tensor:
    return Log1p.apply(operand(x))


def expm1(x) -> Tensor:
    return Expm1.apply(operand(x))


def sqrt(x) -> Tensor:
    return Sqrt.apply(operand(x))


def rsqrt(x) -> Tensor:
    """``1 / sqrt(x)``."""
    return Rsqrt.apply(operand(x))


def square(x) -> Tensor:
    return Square.apply(operand(x))


def abs(x) -> Tensor:  # noqa: A001 - keras.ops's name
    """Absolute value; the gradient at 0 is 0 (the subgradient ``sign(0)``)."""
    return Abs.apply(operand(x))


absolute = abs


def sin(x) -> Tensor:
    return Sin.apply(operand(x))


def cos(x) -> Tensor:
    return Cos.apply(operand(x))


def tan(x) -> Tensor:
    return Tan.apply(operand(x))


def tanh(x) -> Tensor:
    return Tanh.apply(operand(x))


def reciprocal(x) -> Tensor:
    return Reciprocal.apply(operand(x))


def erf(x) -> Tensor:
    """The Gauss error function."""
    return Erf.apply(operand(x))


class Clip(Function):
    @staticmethod
    def forward(ctx, x, x_min, x_max):
        xp = xp_of(x)
        ctx.save_for_backward(x)
        ctx.bounds = (x_min, x_max)
        return xp.clip(x, x_min, x_max)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        lo, hi = ctx.bounds
        inside = True
        if lo is not None:
            inside = inside & (x >= lo)
        if hi is not None:
            inside = inside & (x <= hi)
        return g * inside, None, None


def clip(x, x_min=None, x_max=None) -> Tensor:
    """Limit values to ``[x_min, x_max]``; gradient passes only where ``x`` is inside."""
    x = operand(x)
    x_min = x_min.item() if isinstance(x_min, Tensor) else x_min
    x_max = x_max.item() if isinstance(x_max, Tensor) else x_max
    return Clip.apply(x, x_min, x_max)


class Where(Function):
    @staticmethod
    def forward(ctx, condition, a, b):
        xp = xp_of(condition, a, b)
        ctx.save_for_backward(condition)
        ctx.shapes = (shape_of(a), shape_of(b))
        return xp.where(condition, a, b)

    @staticmethod
    def backward(ctx, g):
        (cond,) = ctx.saved_tensors
        sa, sb = ctx.shapes
        zero = g.dtype.type(0)
        ga = unbroadcast(xp_of(g).where(cond, g, zero), sa) if ctx.needs_input_grad[1] else None
        gb = unbroadcast(xp_of(g).where(cond, zero, g), sb) if ctx.needs_input_grad[2] else None
        return None, ga, gb


def where(condition, x1=None, x2=None) -> Tensor:
    """Elements of ``x1`` where ``condition`` holds, else of ``x2``. With one argument,
    the indices where ``condition`` holds (as NumPy's ``nonzero``)."""
    cond = condition.data if isinstance(condition, Tensor) else condition
    if x1 is None and x2 is None:
        return tuple(Tensor._make(i) for i in xp_of(cond).nonzero(cond))
    if x1 is None or x2 is None:
        raise ValueError("where: expected both x1 and x2, or neither")
    xp = xp_of(cond)
    return Where.apply(xp.asarray(cond, dtype=bool), operand(x1), operand(x2))


class Cast(Function):
    @staticmethod
    def forward(ctx, x, dtype):
        ctx.dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return g.astype(ctx.dtype), None


def cast(x, dtype) -> Tensor:
    """``x`` converted to ``dtype`` (differentiable between float dtypes)."""
    x = operand(x)
    dtype = np.dtype(dtype)
    if isinstance(x, Tensor) and x.dtype == dtype:
        return x
    return Cast.apply(x, dtype)


# ---- non-differentiable elementwise ops ------------------------------------------------


def _constant(fn):
    """An op whose result carries no gradient (comparisons, rounding, logic)."""

    def op(*args):
        raw = [a.data if isinstance(a, Tensor) else a for a in args]
        return Tensor._make(fn(xp_of(*raw), *raw))

    op.__name__ = fn.__name__
    return op


def _cmp(name):
    return _constant(lambda xp, a, b: getattr(xp, name)(a, b))


equal = _cmp("equal")
not_equal = _cmp("not_equal")
less = _cmp("less")
less_equal = _cmp("less_equal")
greater = _cmp("greater")
greater_equal = _cmp("greater_equal")
logical_and = _cmp("logical_and")
logical_or = _cmp("logical_or")
logical_xor = _cmp("logical_xor")
floor_divide = _cmp("floor_divide")
mod = _cmp("mod")
logical_not = _constant(lambda xp, x: xp.logical_not(x))
sign = _constant(lambda xp, x: xp.sign(x))
floor = _constant(lambda xp, x: xp.floor(x))
ceil = _constant(lambda xp, x: xp.ceil(x))
round = _constant(lambda xp, x: xp.round(x))  # noqa: A001 - keras.ops's name
isnan = _constant(lambda xp, x: xp.isnan(x))
isinf = _constant(lambda xp, x: xp.isinf(x))
isfinite = _constant(lambda xp, x: xp.isfinite(x))
