"""NumPy references for the normalization tests, written independently of ember's fused ops:
channel loops and ``np.moveaxis`` instead of the reshapes and broadcast shapes ember uses."""

from __future__ import annotations

import numpy as np


def moments(x, axes, keepdims=False):
    return x.mean(axis=axes, keepdims=keepdims), x.var(axis=axes, keepdims=keepdims)


def channel_statistics(x, axis=-1, mask=None):
    """Per-channel mean and biased variance over every other axis, counting only the
    positions where ``mask`` (broadcastable to ``x``) is nonzero."""
    channels = np.moveaxis(x, axis, -1).reshape(-1, x.shape[axis])
    weights = np.ones_like(x) if mask is None else np.broadcast_to(mask, x.shape).astype(x.dtype)
    weights = np.moveaxis(weights, axis, -1).reshape(-1, x.shape[axis])
    mean, var = [], []
    for c in range(channels.shape[1]):
        kept = channels[weights[:, c] != 0, c]
        mean.append(kept.mean() if kept.size else 0.0)
        var.append(kept.var() if kept.size else 0.0)
    return np.array(mean), np.array(var)


def batch_norm(x, mean, var, axis=-1, offset=None, scale=None, epsilon=1e-3):
    """``(x - mean) / sqrt(var + epsilon) * scale + offset`` channel by channel."""
    moved = np.moveaxis(x, axis, -1)
    out = (moved - mean) / np.sqrt(var + epsilon)
    if scale is not None:
        out = out * scale
    if offset is not None:
        out = out + offset
    return np.moveaxis(out, -1, axis)


def batch_norm_training(x, axis=-1, offset=None, scale=None, epsilon=1e-3, mask=None):
    mean, var = channel_statistics(x, axis, mask)
    return batch_norm(x, mean, var, axis, offset, scale, epsilon), mean, var


def layer_norm(x, gamma=None, beta=None, axes=(-1,), epsilon=1e-3):
    """Each example normalized over ``axes``; ``gamma``/``beta`` span those axes."""
    axes = tuple(sorted(a % x.ndim for a in axes))
    mean = x.mean(axis=axes, keepdims=True)
    out = (x - mean) / np.sqrt(x.var(axis=axes, keepdims=True) + epsilon)
    shape = [n if i in axes else 1 for i, n in enumerate(x.shape)]
    if gamma is not None:
        out = out * gamma.reshape(shape)
    if beta is not None:
        out = out + beta.reshape(shape)
    return out


def keras_rms_scaling(x, gamma, axes=(-1,), epsilon=1e-3):
    """Keras 3's ``LayerNormalization(rms_scaling=True)``: ``x * rsqrt(var + eps) * gamma``."""
    axes = tuple(sorted(a % x.ndim for a in axes))
    shape = [n if i in axes else 1 for i, n in enumerate(x.shape)]
    return x / np.sqrt(x.var(axis=axes, keepdims=True) + epsilon) * gamma.reshape(shape)


def rms_norm(x, scale=1.0, axes=(-1,), epsilon=1e-7):
    axes = tuple(sorted(a % x.ndim for a in axes))
    out = x / np.sqrt(np.mean(x * x, axis=axes, keepdims=True) + epsilon)
    if np.ndim(scale):
        shape = [n if i in axes else 1 for i, n in enumerate(x.shape)]
        scale = np.reshape(scale, shape)
    return out * scale


def group_norm(x, groups, gamma=None, beta=None, axis=-1, epsilon=1e-3):
    """One group at a time: the group's channels of each example, with all its other
    non-batch positions, normalized together."""
    moved = np.moveaxis(x, axis, -1)
    out = np.empty_like(moved)
    per = moved.shape[-1] // groups
    for g in range(groups):
        part = moved[..., g * per:(g + 1) * per]
        axes = tuple(range(1, part.ndim))
        mean = part.mean(axis=axes, keepdims=True)
        out[..., g * per:(g + 1) * per] = (part - mean) / np.sqrt(
            part.var(axis=axes, keepdims=True) + epsilon)
    if gamma is not None:
        out = out * gamma
    if beta is not None:
        out = out + beta
    return np.moveaxis(out, -1, axis)


def unit_norm(x, axis=-1, order=2, epsilon=1e-7):
    norm = np.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    return x / np.maximum(norm, epsilon)
