"""Direct-loop references for convolution and pooling: plain Python loops over output
positions, written from the definitions and independent of ember's im2col code.

Padding follows TensorFlow (Keras): "same" gives ``ceil(n / s)`` outputs with the odd pad at
the end. The transposed convolution is written the other way round from ember's: dilate the
input by the stride, pad it with the pads Keras's JAX backend derives, and correlate with
the flipped kernel.
"""

from __future__ import annotations

import itertools

import numpy as np


def same_pads(spatial, kernel_eff, strides):
    pads = []
    for n, k, s in zip(spatial, kernel_eff, strides):
        out = -(-n // s)
        total = max((out - 1) * s + k - n, 0)
        pads.append((total // 2, total - total // 2))
    return pads


def conv(x, w, strides, padding, dilation):
    """``padding``: "valid", "same" or ``[(lo, hi), ...]``; groups from the channels."""
    rank = w.ndim - 2
    ksize = w.shape[:rank]
    k_eff = [d * (k - 1) + 1 for k, d in zip(ksize, dilation)]
    if padding == "valid":
        pads = [(0, 0)] * rank
    elif padding == "same":
        pads = same_pads(x.shape[1:-1], k_eff, strides)
    elif isinstance(padding, int):
        pads = [(padding, padding)] * rank
    else:
        pads = padding
    xp = np.pad(x, [(0, 0)] + [tuple(p) for p in pads] + [(0, 0)])
    c_g = w.shape[-2]
    groups = x.shape[-1] // c_g
    o_g = w.shape[-1] // groups
    out = [(xp.shape[1 + i] - k_eff[i]) // strides[i] + 1 for i in range(rank)]
    y = np.zeros((x.shape[0], *out, w.shape[-1]))
    for b in range(x.shape[0]):
        for o in itertools.product(*(range(n) for n in out)):
            for j in itertools.product(*(range(k) for k in ksize)):
                pos = tuple(o[i] * strides[i] + j[i] * dilation[i] for i in range(rank))
                pixel = xp[(b,) + pos]
                for g in range(groups):
                    y[(b,) + o + (slice(g * o_g, (g + 1) * o_g),)] += (
                        pixel[g * c_g:(g + 1) * c_g] @ w[j][:, g * o_g:(g + 1) * o_g]
                    )
    return y


def depthwise_conv(x, w, strides, padding, dilation):
    """Each channel ``c`` with its filters ``w[..., c, m]`` into output ``c * M + m``."""
    channels = w.shape[-2]
    outs = [conv(x[..., c:c + 1], w[..., c:c + 1, :], strides, padding, dilation)
            for c in range(channels)]
    return np.concatenate(outs, axis=-1)


def conv_transpose(x, w, strides, padding, output_padding, dilation):
    """``w``: ``(*k, filters, C)``. ``padding``: "valid", "same" or ``[(lo, hi), ...]`` (the
    pads of the forward convolution, as PyTorch's)."""
    rank = w.ndim - 2
    ksize = w.shape[:rank]
    n_spatial = x.shape[1:-1]
    lefts, rights = [], []
    for i in range(rank):
        k = dilation[i] * (ksize[i] - 1) + 1
        s = strides[i]
        op = None if output_padding is None else output_padding[i]
        if padding == "valid":
            op = max(k, s) - k if op is None else op
            left, right = k - 1, k - 1 + op
        elif padding == "same":
            pad_len = s + k - 2 if op is None else k + k % 2 - 2 + op
            left = min(pad_len // 2 + pad_len % 2, k - 1)
            right = pad_len - left
        else:
            lo, hi = padding[i]
            left, right = k - 1 - lo, k - 1 - hi + (op or 0)
        lefts.append(left)
        rights.append(right)
    # Dilate the input by the strides and pad it.
    size = [(n - 1) * s + 1 + lo + hi for n, s, lo, hi in zip(n_spatial, strides, lefts, rights)]
    xd = np.zeros((x.shape[0], *size, x.shape[-1]))
    for i in itertools.product(*(range(n) for n in n_spatial)):
        xd[(slice(None),) + tuple(lo + ii * s for ii, s, lo in zip(i, strides, lefts))] = (
            x[(slice(None),) + i])
    k_eff = [d * (k - 1) + 1 for k, d in zip(ksize, dilation)]
    out = [n - k + 1 for n, k in zip(size, k_eff)]
    y = np.zeros((x.shape[0], *out, w.shape[-2]))
    for b in range(x.shape[0]):
        for o in itertools.product(*(range(n) for n in out)):
            for j in itertools.product(*(range(k) for k in ksize)):
                flipped = tuple(k - 1 - jj for k, jj in zip(ksize, j))
                pos = tuple(o[i] + j[i] * dilation[i] for i in range(rank))
                y[(b,) + o] += w[flipped] @ xd[(b,) + pos]
    return y


def pool(x, pool_size, strides, padding, reduce):
    """``reduce`` ("max" or "mean") over the real (non-padded) elements of each window."""
    rank = x.ndim - 2
    strides = strides or pool_size
    if padding == "valid":
        pads = [(0, 0)] * rank
    elif padding == "same":
        pads = same_pads(x.shape[1:-1], pool_size, strides)
    else:
        pads = padding
    out = [(n + lo + hi - k) // s + 1
           for n, k, s, (lo, hi) in zip(x.shape[1:-1], pool_size, strides, pads)]
    y = np.zeros((x.shape[0], *out, x.shape[-1]))
    for o in itertools.product(*(range(n) for n in out)):
        index = [slice(None)]
        for i in range(rank):
            start = o[i] * strides[i] - pads[i][0]
            index.append(slice(max(start, 0), min(start + pool_size[i], x.shape[1 + i])))
        window = x[tuple(index)]
        axes = tuple(range(1, rank + 1))
        y[(slice(None),) + o] = window.max(axis=axes) if reduce == "max" else window.mean(axes)
    return y
