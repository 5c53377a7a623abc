"""Shape and indexing ops: reshape, transpose, joins and splits, padding, repetition, gather
and indexing (whose backward scatter-adds)."""

from __future__ import annotations

import numbers

import numpy as np

from ember.autograd.function import Function
from ember.autograd.tensor import Tensor
from ember.ops._util import operand, unbroadcast, xp_of

# ---- views: reshape and transpose ------------------------------------------------------


class Reshape(Function):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        try:
            return x.reshape(shape)
        except ValueError:
            raise ValueError(
                f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) "
                f"into shape {tuple(shape)}"
            ) from None

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.shape), None


class Transpose(Function):
    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return x.transpose(axes)

    @staticmethod
    def backward(ctx, g):
        inverse = None if ctx.axes is None else tuple(np.argsort(ctx.axes))
        return g.transpose(inverse), None


def reshape(x, newshape) -> Tensor:
    """``x`` with a new shape (one entry may be -1)."""
    if isinstance(newshape, numbers.Integral):
        newshape = (newshape,)
    return Reshape.apply(operand(x), tuple(int(n) for n in newshape))


def ravel(x) -> Tensor:
    return reshape(x, (-1,))


def flatten(x, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge axes ``start_dim..end_dim`` into one (PyTorch's ``flatten``)."""
    x = operand(x)
    if x.ndim == 0:
        return reshape(x, (1,))
    start, end = start_dim % x.ndim, end_dim % x.ndim
    shape = x.shape[:start] + (-1,) + x.shape[end + 1 :]
    return reshape(x, shape)


def transpose(x, axes=None) -> Tensor:
    """Permute the axes (reverse them when ``axes`` is None)."""
    x = operand(x)
    if axes is not None:
        axes = tuple(int(a) % x.ndim for a in axes)
        if sorted(axes) != list(range(x.ndim)):
            raise ValueError(
                f"transpose: expected a permutation of {x.ndim} axes, received axes={axes}"
            )
    return Transpose.apply(x, axes)


def swapaxes(x, axis1: int, axis2: int) -> Tensor:
    x = operand(x)
    axes = list(range(x.ndim))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return transpose(x, axes)


def moveaxis(x, source, destination) -> Tensor:
    x = operand(x)
    # Axis i of this empty array has length i: its moved shape is the permutation, and
    # NumPy checks source and destination.
    axes = np.moveaxis(np.empty(tuple(range(x.ndim))), source, destination).shape
    return transpose(x, axes)


def squeeze(x, axis=None) -> Tensor:
    """Remove axes of length 1 (all of them, or those named in ``axis``)."""
    x = operand(x)
    if axis is None:
        return reshape(x, tuple(n for n in x.shape if n != 1))
    axes = {a % x.ndim for a in (axis if isinstance(axis, (list, tuple)) else (axis,))}
    for a in axes:
        if x.shape[a] != 1:
            raise ValueError(
                f"squeeze: expected axis {a} of length 1, got shape {x.shape}"
            )
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if i not in axes))


def expand_dims(x, axis) -> Tensor:
    """Insert axes of length 1 at ``axis`` (an int or a tuple)."""
    x = operand(x)
    return reshape(x, np.expand_dims(np.empty(x.shape, dtype=bool), axis).shape)


class BroadcastTo(Function):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return xp_of(x).broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return unbroadcast(g, ctx.shape), None


def broadcast_to(x, shape) -> Tensor:
    return BroadcastTo.apply(operand(x), tuple(shape))


# ---- joins and splits ------------------------------------------------------------------


class Concatenate(Function):
    @staticmethod
    def forward(ctx, *arrays, axis):
        ctx.axis = axis
        ctx.sizes = [a.shape[axis] for a in arrays]
        return xp_of(*arrays).concatenate(arrays, axis=axis)

    @staticmethod
    def backward(ctx, g):
        bounds = np.cumsum(ctx.sizes)[:-1]
        return tuple(xp_of(g).split(g, bounds, axis=ctx.axis))


def concatenate(xs, axis: int = 0) -> Tensor:
    """Join tensors along an existing axis."""
    xs = [operand(x) for x in xs]
    if not xs:
        raise ValueError("concatenate: expected at least one tensor, received none")
    ndim = xs[0].ndim
    for x in xs[1:]:
        if x.ndim != ndim or any(
            a != b for i, (a, b) in enumerate(zip(x.shape, xs[0].shape)) if i != axis % ndim
        ):
            raise ValueError(
                f"concatenate: shapes must match except on axis {axis}, "
                f"received {[t.shape for t in xs]}"
            )
    return Concatenate.apply(*xs, axis=axis % ndim)


def stack(x, axis: int = 0) -> Tensor:
    """Join tensors along a new axis."""
    xs = [operand(t) for t in x]
    return concatenate([expand_dims(t, axis) for t in xs], axis=axis if axis >= 0 else axis)


class Split(Function):
    """One node with one output per piece: backward joins the pieces' gradients (the engine
    fills pieces without a gradient with zeros), so splitting into n costs O(size), not
    O(n * size)."""

    @staticmethod
    def forward(ctx, x, edges, axis, squeeze):
        ctx.axis, ctx.squeeze = axis, squeeze
        lead = (slice(None),) * axis
        if squeeze:
            return tuple(x[lead + (i,)] for i in range(x.shape[axis]))
        return tuple(x[lead + (slice(a, b),)] for a, b in zip(edges[:-1], edges[1:]))

    @staticmethod
    def backward(ctx, *grads):
        xp = xp_of(grads[0])
        if ctx.squeeze:
            return xp.stack(grads, axis=ctx.axis), None, None, None
        return xp.concatenate(grads, axis=ctx.axis), None, None, None


def split(x, indices_or_sections, axis: int = 0) -> list:
    """Split into equal sections (an int) or at the given indices, as NumPy does."""
    x = operand(x)
    axis = axis % x.ndim
    n = x.shape[axis]
    if isinstance(indices_or_sections, numbers.Integral):
        if indices_or_sections <= 0 or n % indices_or_sections:
            raise ValueError(
                f"split: axis {axis} of length {n} does not divide into "
                f"{indices_or_sections} equal sections"
            )
        step = n // indices_or_sections
        bounds = list(range(step, n, step))
    else:
        bounds = [min(max(int(b), 0), n) for b in indices_or_sections]
    edges = [0] + bounds + [n]
    return list(_as_tuple(Split.apply(x, edges, axis, False)))


def unstack(x, num=None, axis: int = 0) -> list:
    """The slices of ``x`` along ``axis``, that axis removed."""
    x = operand(x)
    axis = axis % x.ndim
    if num is not None and num != x.shape[axis]:
        raise ValueError(f"unstack: expected num={x.shape[axis]} for axis {axis}, got {num}")
    return list(_as_tuple(Split.apply(x, None, axis, True)))


def _as_tuple(out):
    return out if isinstance(out, tuple) else (out,)


# ---- padding, repetition, flips --------------------------------------------------------


class Pad(Function):
    @staticmethod
    def forward(ctx, x, pad_width, constant_values):
        ctx.crop = tuple(slice(lo, lo + n) for (lo, _), n in zip(pad_width, x.shape))
        return xp_of(x).pad(x, pad_width, mode="constant", constant_values=constant_values)

    @staticmethod
    def backward(ctx, g):
        return g[ctx.crop], None, None


def pad(x, pad_width, mode: str = "constant", constant_values=None) -> Tensor:
    """Pad with a constant (0 by default); ``pad_width`` as NumPy's."""
    x = operand(x)
    if mode != "constant":
        raise ValueError(f"pad: only mode='constant' is supported, received mode={mode!r}")
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (x.ndim, 2))
    widths = tuple((int(a), int(b)) for a, b in widths)
    return Pad.apply(x, widths, 0 if constant_values is None else constant_values)


class Tile(Function):
    @staticmethod
    def forward(ctx, x, reps):
        ctx.shape = x.shape
        return xp_of(x).tile(x, reps)

    @staticmethod
    def backward(ctx, g):
        shape = ctx.shape
        reps = g.shape[: g.ndim - len(shape)]
        lead = int(np.prod(reps)) if reps else 1
        core = g.shape[g.ndim - len(shape) :]
        split_shape = []
        for n, m in zip(shape, core):
            split_shape += [m // n, n]
        g = g.reshape((lead,) + tuple(split_shape))
        return g.sum(axis=(0,) + tuple(range(1, 2 * len(shape), 2))), None


def tile(x, repeats) -> Tensor:
    """Repeat the whole tensor ``repeats`` times along each axis (NumPy's ``tile``)."""
    x = operand(x)
    reps = (repeats,) if isinstance(repeats, numbers.Integral) else tuple(repeats)
    if len(reps) > x.ndim:
        x = reshape(x, (1,) * (len(reps) - x.ndim) + x.shape)
    return Tile.apply(x, reps)


def repeat(x, repeats, axis=None) -> Tensor:
    """Repeat each element ``repeats`` times along ``axis`` (flattened when None)."""
    x = operand(x)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    index = np.repeat(np.arange(x.shape[axis]), repeats)
    return take(x, index, axis=axis)


class Flip(Function):
    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        return xp_of(x).flip(x, axis)

    @staticmethod
    def backward(ctx, g):
        return xp_of(g).flip(g, ctx.axis), None


def flip(x, axis=None) -> Tensor:
    return Flip.apply(operand(x), axis)


# ---- indexing and gathers: backward scatter-adds ---------------------------------------


class GetItem(Function):
    @staticmethod
    def forward(ctx, x, index):
        ctx.shape, ctx.dtype, ctx.index = x.shape, x.dtype, index
        return x[index]

    @staticmethod
    def backward(ctx, g):
        xp = xp_of(g)
        out = xp.zeros(ctx.shape, dtype=ctx.dtype)
        if _is_basic(ctx.index):
            out[ctx.index] = g  # basic indices never repeat an element
        else:
            _scatter_add(xp, out, ctx.index, g)
        return out, None


def getitem(x, index) -> Tensor:
    """``x[index]``: slices, ints, None, Ellipsis, integer arrays and boolean masks."""
    x = operand(x)
    return GetItem.apply(x, _raw_index(index, x))


def take(x, indices, axis=None) -> Tensor:
    """Elements at ``indices`` along ``axis`` (flattened when None); negative indices wrap."""
    x = operand(x)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    axis = axis % x.ndim
    idx = indices.data if isinstance(indices, Tensor) else xp_of(x.data).asarray(indices)
    idx = idx.astype(np.int64, copy=False)
    return GetItem.apply(x, (slice(None),) * axis + (idx,))


def take_along_axis(x, indices, axis=None) -> Tensor:
    """NumPy's ``take_along_axis``: gather with ``indices`` shaped like ``x``."""
    x = operand(x)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    idx = indices.data if isinstance(indices, Tensor) else xp_of(x.data).asarray(indices)
    xp = xp_of(x.data)
    axis = axis % x.ndim
    shape = np.broadcast_shapes(
        tuple(1 if i == axis else n for i, n in enumerate(x.shape)), idx.shape
    )
    idx = xp.broadcast_to(idx, shape)
    # Axes where x has length 1 are broadcast against the indices: always pick element 0.
    grids = [g if x.shape[i] == shape[i] else xp.zeros_like(g)
             for i, g in enumerate(xp.indices(shape, sparse=True))]
    grids[axis] = idx.astype(np.int64, copy=False)
    return GetItem.apply(x, tuple(grids))


def _raw_index(index, x):
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, list):
        return xp_of(x.data).asarray(index)
    if isinstance(index, tuple):
        return tuple(
            i.data if isinstance(i, Tensor) else xp_of(x.data).asarray(i)
            if isinstance(i, list) else i
            for i in index
        )
    return index


def _is_basic(index) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return all(
        i is None or i is Ellipsis or isinstance(i, (slice, numbers.Integral)) for i in items
    )


def _scatter_add(xp, out, index, g):
    if xp is np:
        np.add.at(out, index, g)
    else:
        import cupyx

        cupyx.scatter_add(out, index, g)
