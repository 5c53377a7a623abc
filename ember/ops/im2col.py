"""Sliding windows shared by convolution and pooling: argument checks, padding arithmetic,
``im2col`` as one strided view and ``col2im`` as one strided add per kernel position.

Spatial layout is channels-last: an input has shape ``(batch, *spatial, *channels)``. With
strides ``s``, dilation ``d`` and kernel size ``k`` along one spatial axis, the effective
kernel size is ``d * (k - 1) + 1`` and an input of size ``n`` padded by ``(lo, hi)`` gives
``(n + lo + hi - k_eff) // s + 1`` outputs. Output ``o`` at kernel offset ``j`` reads the
padded input at ``o * s + j * d``: ``im2col`` exposes exactly these elements as a view of
shape ``(batch, *out, *kernel, *channels)`` (no copy), and ``col2im`` adds columns back onto the
padded input, the adjoint of that view.

"Same" padding is TensorFlow's (and so Keras's): ``out = ceil(n / s)`` outputs, the total
padding ``max((out - 1) * s + k_eff - n, 0)`` split with the odd element at the end.
"""

from __future__ import annotations

import itertools
import numbers


def check_data_format(op: str, data_format) -> None:
    if data_format not in (None, "channels_last"):
        raise ValueError(
            f"{op}: expected data_format='channels_last' or None (ember's images are "
            f"channels-last, (batch, ..., channels)), received data_format={data_format!r}"
        )


def normalize_tuple(value, rank: int, name: str, op: str, minimum: int = 1) -> tuple:
    """``value`` (an int or ``rank`` ints) as a tuple of ``rank`` ints, each >= ``minimum``."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        values = (int(value),) * rank
    else:
        try:
            values = tuple(int(v) for v in value)
        except (TypeError, ValueError):
            values = ()
        if len(values) != rank:
            raise ValueError(
                f"{op}: expected {name} to be an int or {rank} ints, received {name}={value!r}"
            )
    if any(v < minimum for v in values):
        raise ValueError(
            f"{op}: expected every {name} >= {minimum}, received {name}={value!r}"
        )
    return values


def effective_kernel(kernel_shape: tuple, dilation: tuple) -> tuple:
    """The span of each dilated kernel axis: ``d * (k - 1) + 1``."""
    return tuple(d * (k - 1) + 1 for k, d in zip(kernel_shape, dilation))


def resolve_padding(padding, spatial: tuple, kernel_eff: tuple, strides: tuple,
                    op: str) -> tuple:
    """``padding`` as ``((lo, hi), ...)`` per spatial axis.

    ``padding`` is ``"valid"``, ``"same"`` (TensorFlow's: extra element at the end), one int
    for every side, one int per axis (both sides) or one ``(lo, hi)`` pair per axis.
    """
    rank = len(spatial)
    if isinstance(padding, str):
        mode = padding.lower()
        if mode == "valid":
            return ((0, 0),) * rank
        if mode == "same":
            pads = []
            for n, k, s in zip(spatial, kernel_eff, strides):
                total = max((-(-n // s) - 1) * s + k - n, 0)
                pads.append((total // 2, total - total // 2))
            return tuple(pads)
        raise ValueError(
            f"{op}: expected padding 'valid', 'same' or explicit pads, received "
            f"padding={padding!r}"
        )
    if isinstance(padding, numbers.Integral) and not isinstance(padding, bool):
        pads = ((int(padding), int(padding)),) * rank
    else:
        try:
            pads = tuple(
                (int(p), int(p)) if isinstance(p, numbers.Integral) else tuple(int(q) for q in p)
                for p in padding
            )
        except (TypeError, ValueError):
            pads = ()
        if len(pads) != rank or any(len(p) != 2 for p in pads):
            raise ValueError(
                f"{op}: expected padding 'valid', 'same', an int, {rank} ints or {rank} "
                f"(low, high) pairs, received padding={padding!r}"
            )
    if any(p < 0 for pair in pads for p in pair):
        raise ValueError(f"{op}: expected non-negative pads, received padding={padding!r}")
    return pads


def output_spatial(spatial: tuple, kernel_eff: tuple, strides: tuple, pads: tuple,
                   op: str, input_shape: tuple) -> tuple:
    """Output size of each spatial axis; a ValueError when one would be empty."""
    out = tuple((n + lo + hi - k) // s + 1
                for n, k, s, (lo, hi) in zip(spatial, kernel_eff, strides, pads))
    if any(n + lo + hi < k for n, k, (lo, hi) in zip(spatial, kernel_eff, pads)):
        raise ValueError(
            f"{op}: the window (effective size {kernel_eff}) is larger than the padded input: "
            f"input shape {tuple(input_shape)}, pads {pads} give an empty output"
        )
    return out


def pad_spatial(xp, x, pads: tuple, value=0.0):
    """``x`` with its spatial axes (1 .. rank) padded by ``pads``; ``x`` itself when unpadded.

    One allocation and one copy of the interior (``xp.pad`` is slower for this case).
    """
    if not any(lo or hi for lo, hi in pads):
        return x
    rank = len(pads)
    shape = (x.shape[0],) + tuple(
        n + lo + hi for n, (lo, hi) in zip(x.shape[1:rank + 1], pads)
    ) + x.shape[rank + 1:]
    out = xp.full(shape, value, dtype=x.dtype)
    out[interior(pads, x.shape[1:rank + 1])] = x
    return out


def interior(pads: tuple, spatial: tuple) -> tuple:
    """The index of the unpadded region inside a padded array."""
    return (slice(None),) + tuple(slice(lo, lo + n) for (lo, _), n in zip(pads, spatial))


def im2col(xp, x, kernel_shape: tuple, out_shape: tuple, strides: tuple, dilation: tuple):
    """The view ``cols[b, *o, *j, ...] = x[b, *(o * strides + j * dilation), ...]``.

    ``x`` is ``(batch, *spatial, *channels)`` (already padded); the result is
    ``(batch, *out_shape, *kernel_shape, *channels)`` and shares memory with ``x``.
    """
    rank = len(kernel_shape)
    st = x.strides
    shape = (x.shape[0],) + tuple(out_shape) + tuple(kernel_shape) + x.shape[rank + 1:]
    strides = ((st[0],) + tuple(st[1 + i] * strides[i] for i in range(rank))
               + tuple(st[1 + i] * dilation[i] for i in range(rank)) + st[rank + 1:])
    return xp.lib.stride_tricks.as_strided(x, shape=shape, strides=strides)


def kernel_offsets(kernel_shape: tuple, out_shape: tuple, strides: tuple, dilation: tuple):
    """``(j, index)`` for every kernel position ``j``: ``index`` selects, in the padded input,
    the elements that kernel position ``j`` reads for all outputs (a strided slice)."""
    for j in itertools.product(*(range(k) for k in kernel_shape)):
        index = (slice(None),) + tuple(
            slice(jj * d, jj * d + s * (o - 1) + 1, s)
            for jj, d, s, o in zip(j, dilation, strides, out_shape)
        )
        yield j, index


def col2im(xp, cols, kernel_shape: tuple, padded_spatial: tuple, strides: tuple,
           dilation: tuple):
    """The adjoint of ``im2col``, kernel-major: sum ``cols``, shaped
    ``(prod(kernel_shape), batch, *out, *channels)``, into a zero array
    ``(batch, *padded_spatial, *channels)``, one strided add per kernel position.

    Kernel-major columns make each added slice contiguous (a matrix product writes them that
    way at no cost), which makes the adds several times faster than reading the columns of
    ``im2col``'s layout.
    """
    rank = len(padded_spatial)
    out_shape = cols.shape[2:rank + 2]
    x = xp.zeros((cols.shape[1],) + tuple(padded_spatial) + cols.shape[rank + 2:],
                 dtype=cols.dtype)
    for flat, (_, index) in enumerate(kernel_offsets(kernel_shape, out_shape, strides,
                                                     dilation)):
        x[index] += cols[flat]
    return x
