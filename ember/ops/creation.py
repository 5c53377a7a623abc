"""Tensor creation: ``tensor``, ``zeros``, ``ones``, ``full``, ``arange``, ``eye`` and the
``*_like`` forms (floats default to ``floatx``, float32)."""

from __future__ import annotations

import numpy as np

from ember import backend
from ember.autograd.tensor import Tensor


def _shape(args) -> tuple:
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


def _dtype(dtype):
    return np.dtype(dtype or backend.floatx())


def tensor(data, dtype=None, requires_grad: bool = False) -> Tensor:
    """A tensor from a list, scalar or array. Python floats become float32 (floatx); NumPy
    arrays keep their dtype.

    Example:
        >>> import ember
        >>> ember.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True).shape
        (2, 2)
    """
    return Tensor(data, dtype=dtype, requires_grad=requires_grad)


def zeros(*shape, dtype=None, requires_grad: bool = False) -> Tensor:
    return Tensor(backend.xp().zeros(_shape(shape), dtype=_dtype(dtype)), None, requires_grad)


def ones(*shape, dtype=None, requires_grad: bool = False) -> Tensor:
    return Tensor(backend.xp().ones(_shape(shape), dtype=_dtype(dtype)), None, requires_grad)


def full(shape, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    if dtype is None and isinstance(fill_value, (bool, int, np.integer)):
        dtype = np.asarray(fill_value).dtype
    data = backend.xp().full(_shape((shape,)), fill_value, dtype=_dtype(dtype))
    return Tensor(data, None, requires_grad)


def arange(start, stop=None, step=1, dtype=None, requires_grad: bool = False) -> Tensor:
    """Evenly spaced values in ``[start, stop)``; int64 for integer arguments."""
    if stop is None:
        start, stop = 0, start
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, stop, step))
        dtype = np.int64 if ints else backend.floatx()
    data = backend.xp().arange(start, stop, step, dtype=np.dtype(dtype))
    return Tensor(data, None, requires_grad)


def eye(N: int, M=None, k: int = 0, dtype=None, requires_grad: bool = False) -> Tensor:  # noqa: N803
    return Tensor(backend.xp().eye(N, M, k, dtype=_dtype(dtype)), None, requires_grad)


def _data(x):
    return x.data if isinstance(x, Tensor) else backend.xp().asarray(x)


def zeros_like(x, dtype=None, requires_grad: bool = False) -> Tensor:
    d = _data(x)
    return Tensor(backend.array_module(d).zeros_like(d, dtype=dtype), None, requires_grad)


def ones_like(x, dtype=None, requires_grad: bool = False) -> Tensor:
    d = _data(x)
    return Tensor(backend.array_module(d).ones_like(d, dtype=dtype), None, requires_grad)


def full_like(x, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    d = _data(x)
    data = backend.array_module(d).full_like(d, fill_value, dtype=dtype)
    return Tensor(data, None, requires_grad)


def empty(*shape, dtype=None) -> Tensor:
    return zeros(*shape, dtype=dtype)
