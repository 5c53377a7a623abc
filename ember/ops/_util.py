"""Helpers shared by the op families: operand conversion and gradient un-broadcasting."""

from __future__ import annotations

import numbers

import numpy as np

from ember.autograd.function import Function
from ember.autograd.tensor import Tensor
from ember.backend import array_module


def unbroadcast(grad, shape: tuple):
    """Sum ``grad`` over the axes that broadcasting added or stretched to reach ``shape``."""
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and grad.shape[i + lead] != 1
    )
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


def operand(x):
    """A Tensor stays; a Python or NumPy scalar becomes a weak Python number (so float32 stays
    float32); anything else array-like becomes a constant Tensor."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (bool, numbers.Number)) and not isinstance(x, np.ndarray):
        return x.item() if isinstance(x, np.generic) else x
    return Tensor(x)


def as_tensor(x, dtype=None) -> Tensor:
    """``x`` as a Tensor (no copy when it already is one of the right dtype)."""
    if isinstance(x, Tensor):
        return x if dtype is None or x.dtype == np.dtype(dtype) else x.astype(dtype)
    return Tensor(x, dtype=dtype)


def xp_of(*arrays):
    """The array module of raw arrays, NumPy for plain numbers."""
    for a in arrays:
        if type(a) is np.ndarray:
            return np
    return array_module(*arrays)


def shape_of(x) -> tuple:
    return getattr(x, "shape", ())


def normalize_axis(axis, ndim: int):
    """``axis`` (int, tuple or None) as a tuple of non-negative ints, or None."""
    if axis is None:
        return None
    if isinstance(axis, (list, tuple)):
        return tuple(a % ndim if ndim else a for a in axis)
    return (axis % ndim if ndim else axis,)


def elementwise(name: str, forward, derivative, save_output: bool = True):
    """A Function for ``y = forward(xp, x)`` whose backward is ``g * derivative(xp, x, y)``."""

    def fwd(ctx, x):
        y = forward(xp_of(x), x)
        ctx.save_for_backward(x, y if save_output else None)
        return y

    def bwd(ctx, g):
        x, y = ctx.saved_tensors
        return g * derivative(xp_of(x), x, y)

    return type(name, (Function,), {"forward": staticmethod(fwd), "backward": staticmethod(bwd)})
