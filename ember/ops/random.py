"""Random ops: seeded creation (``rand``, ``randn``, ``uniform``, ``normal``) and dropout.

All draw from ember's global generator (``ember.utils.set_random_seed``) unless given a
``seed``, so one seeding call makes a run reproducible.
"""

from __future__ import annotations

import numpy as np

from ember import backend
from ember.autograd.function import Function
from ember.autograd.tensor import Tensor
from ember.ops._util import operand


def _generator(seed=None) -> np.random.Generator:
    if seed is None:
        return backend.rng()
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def _shape(args) -> tuple:
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


def _finish(sample: np.ndarray, dtype, requires_grad: bool) -> Tensor:
    dtype = np.dtype(dtype or backend.floatx())
    data = backend.xp().asarray(sample.astype(dtype, copy=False))
    return Tensor(data, requires_grad=requires_grad)


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None, requires_grad=False):
    """Samples from ``U[minval, maxval)``."""
    sample = _generator(seed).uniform(minval, maxval, size=tuple(shape))
    return _finish(sample, dtype, requires_grad)


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None, requires_grad=False):
    """Samples from ``N(mean, stddev^2)``."""
    sample = _generator(seed).normal(mean, stddev, size=tuple(shape))
    return _finish(sample, dtype, requires_grad)


def rand(*shape, dtype=None, seed=None, requires_grad=False) -> Tensor:
    """Uniform samples in ``[0, 1)``: ``ember.rand(2, 3)``."""
    return uniform(_shape(shape), dtype=dtype, seed=seed, requires_grad=requires_grad)


def randn(*shape, dtype=None, seed=None, requires_grad=False) -> Tensor:
    """Standard normal samples: ``ember.randn(2, 3)``."""
    return normal(_shape(shape), dtype=dtype, seed=seed, requires_grad=requires_grad)


class Dropout(Function):
    @staticmethod
    def forward(ctx, x, mask):
        ctx.save_for_backward(mask)
        return x * mask

    @staticmethod
    def backward(ctx, g):
        (mask,) = ctx.saved_tensors
        return g * mask, None


def dropout(x, rate: float, noise_shape=None, seed=None, training: bool = True) -> Tensor:
    """Zero each element with probability ``rate`` and scale the rest by ``1 / (1 - rate)``
    (inverted dropout); the identity when not ``training`` or ``rate == 0``. The mask is
    saved for backward. ``noise_shape`` broadcasts one mask over some axes."""
    x = operand(x)
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"dropout: expected rate in [0, 1), received rate={rate}")
    if not training or rate == 0.0:
        return x
    shape = x.shape if noise_shape is None else tuple(
        n if m is None else m for n, m in zip(x.shape, noise_shape)
    )
    keep = _generator(seed).random(size=shape, dtype=np.float32) >= rate
    scale = np.asarray(1.0 / (1.0 - rate), dtype=x.dtype)
    mask = backend.array_module(x.data).asarray(keep * scale)
    return Dropout.apply(x, mask)
