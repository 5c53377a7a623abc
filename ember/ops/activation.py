"""Activation functions (``keras.ops.nn`` names), reused by ``ember.activations``.

Each is an elementwise Function whose local derivative sits beside its forward, except
softmax/log_softmax (along an axis) and swish, whose ``beta`` may itself be learned.
"""

from __future__ import annotations

import math

from ember.autograd.function import Function
from ember.autograd.tensor import Tensor
from ember.ops._util import elementwise, operand, shape_of, unbroadcast, xp_of

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


class ReLU(Function):
    @staticmethod
    def forward(ctx, x):
        y = xp_of(x).maximum(x, 0)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * (y > 0)


def _sigmoid(xp, x):
    # 0.5 * (1 + tanh(x / 2)) is sigmoid without overflow for any x.
    return 0.5 * (1 + xp.tanh(0.5 * x))


def _erf_raw(xp, x):
    from ember.ops.math import _erf

    return _erf(xp, x)


def _gelu_tanh(xp, x):
    return 0.5 * x * (1 + xp.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x**3)))


def _gelu_tanh_grad(xp, x, y):
    t = xp.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x**3))
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)


def _gelu_exact(xp, x):
    return 0.5 * x * (1 + _erf_raw(xp, x * (1 / math.sqrt(2.0))))


def _gelu_exact_grad(xp, x, y):
    cdf = 0.5 * (1 + _erf_raw(xp, x * (1 / math.sqrt(2.0))))
    return cdf + x * xp.exp(-0.5 * x * x) * _INV_SQRT_2PI


Sigmoid = elementwise("Sigmoid", _sigmoid, lambda xp, x, y: y * (1 - y))
Softplus = elementwise(
    "Softplus",
    lambda xp, x: xp.log1p(xp.exp(-xp.abs(x))) + xp.maximum(x, 0),
    lambda xp, x, y: _sigmoid(xp, x),
)
Softsign = elementwise(
    "Softsign", lambda xp, x: x / (1 + xp.abs(x)), lambda xp, x, y: 1 / (1 + xp.abs(x)) ** 2
)
ReLU6 = elementwise(
    "ReLU6", lambda xp, x: xp.clip(x, 0, 6), lambda xp, x, y: (x > 0) & (x < 6)
)
HardSigmoid = elementwise(
    "HardSigmoid",
    lambda xp, x: xp.clip(x * (1 / 6) + 0.5, 0, 1),
    lambda xp, x, y: ((x > -3) & (x < 3)) * x.dtype.type(1 / 6),
)
HardSilu = elementwise(
    "HardSilu",
    lambda xp, x: x * xp.clip(x * (1 / 6) + 0.5, 0, 1),
    lambda xp, x, y: xp.where(x <= -3, 0, xp.where(x >= 3, 1, x * (1 / 3) + 0.5)).astype(
        x.dtype
    ),
)
GeluTanh = elementwise("GeluTanh", _gelu_tanh, _gelu_tanh_grad, save_output=False)
GeluExact = elementwise("GeluExact", _gelu_exact, _gelu_exact_grad, save_output=False)
Selu = elementwise(
    "Selu",
    lambda xp, x: _SELU_SCALE * xp.where(x > 0, x, _SELU_ALPHA * xp.expm1(xp.minimum(x, 0))),
    lambda xp, x, y: xp.where(x > 0, _SELU_SCALE, y + _SELU_SCALE * _SELU_ALPHA).astype(
        x.dtype
    ),
)


class LeakyReLU(Function):
    @staticmethod
    def forward(ctx, x, negative_slope):
        ctx.save_for_backward(x)
        ctx.slope = negative_slope
        return xp_of(x).where(x > 0, x, x * negative_slope)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return xp_of(g).where(x > 0, g, g * ctx.slope), None


class ELU(Function):
    @staticmethod
    def forward(ctx, x, alpha):
        xp = xp_of(x)
        y = xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, 0)))
        ctx.save_for_backward(x, y)
        ctx.alpha = alpha
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return xp_of(g).where(x > 0, g, g * (y + ctx.alpha)), None


class Swish(Function):
    """``x * sigmoid(beta * x)``; ``beta`` may be a tensor that learns."""

    @staticmethod
    def forward(ctx, x, beta):
        xp = xp_of(x)
        s = _sigmoid(xp, beta * x)
        ctx.save_for_backward(x, beta, s)
        return x * s

    @staticmethod
    def backward(ctx, g):
        x, beta, s = ctx.saved_tensors
        ds = s * (1 - s)
        gx = unbroadcast(g * (s + beta * x * ds), shape_of(x)) if ctx.needs_input_grad[0] else None
        gb = unbroadcast(g * x * x * ds, shape_of(beta)) if ctx.needs_input_grad[1] else None
        return gx, gb


class Softmax(Function):
    @staticmethod
    def forward(ctx, x, axis):
        xp = xp_of(x)
        e = xp.exp(x - x.max(axis=axis, keepdims=True))
        y = e / e.sum(axis=axis, keepdims=True)
        ctx.save_for_backward(y)
        ctx.axis = axis
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return y * (g - (g * y).sum(axis=ctx.axis, keepdims=True)), None


class LogSoftmax(Function):
    @staticmethod
    def forward(ctx, x, axis):
        xp = xp_of(x)
        shifted = x - x.max(axis=axis, keepdims=True)
        y = shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))
        ctx.save_for_backward(y)
        ctx.axis = axis
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g - xp_of(y).exp(y) * g.sum(axis=ctx.axis, keepdims=True), None


def relu(x) -> Tensor:
    """``max(x, 0)``; the gradient at 0 is 0."""
    return ReLU.apply(operand(x))


def relu6(x) -> Tensor:
    """``min(max(x, 0), 6)``."""
    return ReLU6.apply(operand(x))


def leaky_relu(x, negative_slope: float = 0.2) -> Tensor:
    """``x`` where positive, ``negative_slope * x`` elsewhere."""
    return LeakyReLU.apply(operand(x), negative_slope)


def elu(x, alpha: float = 1.0) -> Tensor:
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere."""
    return ELU.apply(operand(x), alpha)


def selu(x) -> Tensor:
    """Scaled ELU with the self-normalizing constants of Klambauer et al. (2017)."""
    return Selu.apply(operand(x))


def gelu(x, approximate: bool = True) -> Tensor:
    """Gaussian error linear unit: ``x * Phi(x)``, or its tanh approximation."""
    return (GeluTanh if approximate else GeluExact).apply(operand(x))


def sigmoid(x) -> Tensor:
    """``1 / (1 + exp(-x))``."""
    return Sigmoid.apply(operand(x))


def softplus(x) -> Tensor:
    """``log(1 + exp(x))``, computed without overflow."""
    return Softplus.apply(operand(x))


def softsign(x) -> Tensor:
    """``x / (1 + |x|)``."""
    return Softsign.apply(operand(x))


def hard_sigmoid(x) -> Tensor:
    """``relu6(x + 3) / 6``, the piecewise-linear sigmoid of Keras 3."""
    return HardSigmoid.apply(operand(x))


def hard_silu(x) -> Tensor:
    """``x * hard_sigmoid(x)``."""
    return HardSilu.apply(operand(x))


hard_swish = hard_silu


def silu(x, beta=1.0) -> Tensor:
    """Swish/SiLU: ``x * sigmoid(beta * x)`` (Ramachandran et al. 2017). ``beta`` may be a
    tensor that requires grad: the course's Swish with a learnable beta."""
    return Swish.apply(operand(x), operand(beta))


swish = silu


def softmax(x, axis: int = -1) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``axis``, shifted by the max for stability."""
    return Softmax.apply(operand(x), axis)


def log_softmax(x, axis: int = -1) -> Tensor:
    """``x - logsumexp(x)`` along ``axis``, stable for logits of any magnitude."""
    return LogSoftmax.apply(operand(x), axis)
