"""Pooling as in ``keras.ops``: ``max_pool`` and ``average_pool`` over 1, 2 or 3 spatial
axes of a channels-last input ``(batch, *spatial, channels)``.

Both loop over the positions of the pooling window only (``pool_size`` strided slices of
the padded input), never over pixels or examples:

- max pooling runs a knockout tournament between the window positions (in row-major
  order, pairs of neighbours, then pairs of winners): one ``maximum`` and one comparison per
  match, the comparisons kept. The gradient goes down the same bracket to the one element
  that won; a tie goes to the earlier side, so the winner is the first maximum in row-major
  window order (as cuDNN and PyTorch choose). "same" padding pads with ``-inf``, so padding
  is never chosen.
- average pooling sums the window and divides by the number of real (non-padded) elements
  in it, as Keras's (TensorFlow's) "same" average pooling does; with "valid" padding that
  is ``prod(pool_size)`` everywhere.
"""

from __future__ import annotations

import math

import numpy as np

from ember.autograd.function import Function
from ember.autograd.tensor import Tensor
from ember.ops._util import as_tensor, xp_of
from ember.ops.im2col import (
    check_data_format,
    interior,
    kernel_offsets,
    normalize_tuple,
    output_spatial,
    pad_spatial,
    resolve_padding,
)


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None) -> Tensor:
    """Maximum over each ``pool_size`` window, moved by ``strides`` (``pool_size`` when None).

    ``padding`` is ``"valid"``, ``"same"`` (TensorFlow's, extra padding at the end) or
    explicit pads smaller than the window (an int, one per axis, or ``(low, high)`` pairs).

    Example:
        >>> import ember
        >>> from ember import ops
        >>> x = ember.arange(16.0).reshape(1, 4, 4, 1)
        >>> ops.max_pool(x, 2).numpy().ravel().tolist()
        [5.0, 7.0, 13.0, 15.0]
    """
    x = as_tensor(inputs)
    pool, strides, pads = _pool_arguments("max_pool", x, pool_size, strides, padding,
                                          data_format)
    return MaxPool.apply(x, pool, strides, pads)


def average_pool(inputs, pool_size, strides=None, padding="valid",
                 data_format=None) -> Tensor:
    """Mean over each ``pool_size`` window, moved by ``strides`` (``pool_size`` when None);
    padded elements are left out of the mean.

    Example:
        >>> import ember
        >>> from ember import ops
        >>> x = ember.arange(9.0).reshape(1, 3, 3, 1)
        >>> ops.average_pool(x, 2, padding="same").numpy().ravel().tolist()
        [2.0, 3.5, 6.5, 8.0]
    """
    x = as_tensor(inputs)
    pool, strides, pads = _pool_arguments("average_pool", x, pool_size, strides, padding,
                                          data_format)
    return AveragePool.apply(x, pool, strides, pads)


class MaxPool(Function):
    """``forward(ctx, x, pool, strides, pads)``; backward routes to the (first) argmax."""

    @staticmethod
    def forward(ctx, x, pool, strides, pads):
        xp = xp_of(x)
        padded = pad_spatial(xp, x, pads, value=-math.inf)
        out_shape = _out_shape(padded, pool, strides)
        level = [padded[index] for _, index in
                 kernel_offsets(pool, out_shape, strides, (1,) * len(pool))]
        rounds = []  # per round, for each match: True where the left side won
        while len(level) > 1:
            wins = [xp.greater_equal(a, b) for a, b in zip(level[::2], level[1::2])]
            winners = [xp.maximum(a, b) for a, b in zip(level[::2], level[1::2])]
            rounds.append(wins)
            level = winners + level[len(winners) * 2:]  # an odd one out goes through
        best = level[0] if rounds else level[0].copy()
        ctx.save_for_backward(rounds)
        ctx.geometry = (x.shape, padded.shape, pool, strides, pads)
        return best

    @staticmethod
    def backward(ctx, g):
        (rounds,) = ctx.saved_tensors
        x_shape, padded_shape, pool, strides, pads = ctx.geometry
        xp = xp_of(g)
        rank = len(pool)
        spatial, out_shape = padded_shape[1:rank + 1], g.shape[1:rank + 1]
        disjoint = all(s >= k for s, k in zip(strides, pool))  # one window per element
        covered = disjoint and all(s == k and n == o * k for s, k, n, o
                                   in zip(strides, pool, spatial, out_shape))
        gx = (xp.empty if covered else xp.zeros)(padded_shape, dtype=g.dtype)
        slots = [index for _, index in kernel_offsets(pool, out_shape, strides, (1,) * rank)]
        grads = [g]
        for depth, wins in enumerate(reversed(rounds)):  # down the bracket
            last = depth == len(rounds) - 1
            split = []
            for j, (grad, left_won) in enumerate(zip(grads, wins)):
                if last and disjoint:  # the leaves: straight into the input gradient
                    left = xp.multiply(grad, left_won, out=gx[slots[2 * j]])
                    right = xp.subtract(grad, left, out=gx[slots[2 * j + 1]])
                else:
                    left = grad * left_won
                    right = grad - left  # exact: the gradient or zero on each side
                split += [left, right]
            grads = split + grads[len(wins):]
        for j, (grad, index) in enumerate(zip(grads, slots)):
            if not (disjoint and rounds) or j >= 2 * len(rounds[0]):
                if disjoint:
                    gx[index] = grad
                else:
                    gx[index] += grad
        return gx[interior(pads, x_shape[1:rank + 1])], None, None, None


class AveragePool(Function):
    """``forward(ctx, x, pool, strides, pads)``; the mean over the real elements of each
    window."""

    @staticmethod
    def forward(ctx, x, pool, strides, pads):
        xp = xp_of(x)
        padded = pad_spatial(xp, x, pads)
        out_shape = _out_shape(padded, pool, strides)
        positions = kernel_offsets(pool, out_shape, strides, (1,) * len(pool))
        _, first = next(positions)
        total = padded[first].copy()
        for _, index in positions:
            total += padded[index]
        counts = _window_counts(xp, x.shape[1:-1], pool, strides, pads, out_shape, x.dtype)
        total /= counts
        ctx.geometry = (x.shape, padded.shape, pool, strides, pads, counts)
        return total

    @staticmethod
    def backward(ctx, g):
        x_shape, padded_shape, pool, strides, pads, counts = ctx.geometry
        xp = xp_of(g)
        share = g / counts
        gx = xp.zeros(padded_shape, dtype=g.dtype)
        for _, index in kernel_offsets(pool, g.shape[1:len(pool) + 1], strides,
                                       (1,) * len(pool)):
            gx[index] += share
        return gx[interior(pads, x_shape[1:len(pool) + 1])], None, None, None


def _pool_arguments(op, x, pool_size, strides, padding, data_format):
    check_data_format(op, data_format)
    rank = x.ndim - 2
    if rank < 1:
        raise ValueError(
            f"{op}: expected inputs (batch, *spatial, channels) with at least 3 dimensions, "
            f"received inputs of shape {x.shape}"
        )
    pool = normalize_tuple(pool_size, rank, "pool_size", op)
    strides = pool if strides is None else normalize_tuple(strides, rank, "strides", op)
    pads = resolve_padding(padding, x.shape[1:-1], pool, strides, op)
    if any(lo >= k or hi >= k for (lo, hi), k in zip(pads, pool)):
        raise ValueError(
            f"{op}: expected pads smaller than pool_size {pool} (a window of padding only has "
            f"no value), received padding={padding!r}"
        )
    output_spatial(x.shape[1:-1], pool, strides, pads, op, x.shape)
    return pool, strides, pads


def _out_shape(padded, pool, strides) -> tuple:
    return tuple((n - k) // s + 1 for n, k, s in zip(padded.shape[1:len(pool) + 1], pool,
                                                      strides))


def _window_counts(xp, spatial, pool, strides, pads, out_shape, dtype):
    """The number of real elements in each window: a Python number without padding, else an
    array ``(1, *out_shape, 1)`` (host-side index arithmetic, one small transfer)."""
    if not any(lo or hi for lo, hi in pads):
        return float(math.prod(pool))
    counts = np.ones((1,) * (len(pool) + 2))
    axes = zip(spatial, pool, strides, pads, out_shape)
    for axis, (n, k, s, (lo, _), out) in enumerate(axes):
        start = np.arange(out) * s
        per_axis = np.minimum(start + k, lo + n) - np.maximum(start, lo)
        shape = [1] * (len(pool) + 2)
        shape[axis + 1] = out
        counts = counts * per_axis.reshape(shape)
    return xp.asarray(counts.astype(dtype))
