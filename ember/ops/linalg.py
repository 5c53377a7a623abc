"""Linear algebra: matmul (batched, broadcasting, vector cases), dot, tensordot, einsum."""

from __future__ import annotations

import numbers
import string

import numpy as np

from ember.autograd.function import Function
from ember.autograd.tensor import Tensor
from ember.ops import shape as _shape
from ember.ops._util import operand, unbroadcast, xp_of


class MatMul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = gb = None
        # Promote vectors to matrices so one rule serves every case.
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        if b.ndim == 1:  # first: for 1-D @ 1-D, g is 0-d and becomes (1, 1)
            g = g[..., None]
        if a.ndim == 1:
            g = g[..., None, :]
        if ctx.needs_input_grad[0]:
            ga = unbroadcast(g @ b2.swapaxes(-1, -2), a2.shape).reshape(a.shape)
        if ctx.needs_input_grad[1]:
            if b2.ndim == 2 and a2.ndim > 2:
                # A 2-D weight shared over a batch: one product over the flattened batch.
                k, m = a2.shape[-1], g.shape[-1]
                gb = a2.reshape(-1, k).T @ g.reshape(-1, m)
            else:
                gb = unbroadcast(a2.swapaxes(-1, -2) @ g, b2.shape)
            gb = gb.reshape(b.shape)
        return ga, gb


def matmul(x1, x2) -> Tensor:
    """Matrix product with NumPy's rules: batched and broadcasting, 1-D operands promoted."""
    a, b = operand(x1), operand(x2)
    a_shape, b_shape = np.shape(a.data if isinstance(a, Tensor) else a), np.shape(
        b.data if isinstance(b, Tensor) else b
    )
    if not a_shape or not b_shape:
        raise ValueError(
            f"matmul: expected operands with at least 1 dimension, "
            f"received shapes {a_shape} and {b_shape}"
        )
    k_a = a_shape[-1]
    k_b = b_shape[0] if len(b_shape) == 1 else b_shape[-2]
    if k_a != k_b:
        raise ValueError(
            f"matmul: incompatible shapes {a_shape} and {b_shape}: the last axis of the first "
            f"({k_a}) must equal the {'only' if len(b_shape) == 1 else 'second-to-last'} axis "
            f"of the second ({k_b})"
        )
    try:
        np.broadcast_shapes(a_shape[:-2], b_shape[:-2])
    except ValueError:
        raise ValueError(
            f"matmul: incompatible shapes {a_shape} and {b_shape}: the batch axes "
            f"{a_shape[:-2]} and {b_shape[:-2]} do not broadcast"
        ) from None
    if not isinstance(a, Tensor):
        a = Tensor(a)
    return MatMul.apply(a, b)


def tensordot(x1, x2, axes=2) -> Tensor:
    """Sum products over the given axes (NumPy's ``tensordot``), as one matrix product."""
    a, b = operand(x1), operand(x2)
    if isinstance(axes, numbers.Integral):
        axes_a = list(range(a.ndim - axes, a.ndim))
        axes_b = list(range(axes))
    else:
        axes_a, axes_b = ([axes[0]] if isinstance(axes[0], int) else list(axes[0]),
                          [axes[1]] if isinstance(axes[1], int) else list(axes[1]))
    axes_a = [i % a.ndim for i in axes_a]
    axes_b = [i % b.ndim for i in axes_b]
    free_a = [i for i in range(a.ndim) if i not in axes_a]
    free_b = [i for i in range(b.ndim) if i not in axes_b]
    k = int(np.prod([a.shape[i] for i in axes_a]))
    a2 = _shape.transpose(a, free_a + axes_a).reshape(-1, k)
    b2 = _shape.transpose(b, axes_b + free_b).reshape(k, -1)
    out_shape = tuple(a.shape[i] for i in free_a) + tuple(b.shape[i] for i in free_b)
    return matmul(a2, b2).reshape(out_shape)


def dot(x1, x2) -> Tensor:
    """NumPy's ``dot``: inner product of vectors, matrix product, or a sum over the last axis
    of ``x1`` and the second-to-last of ``x2``."""
    a, b = operand(x1), operand(x2)
    if not isinstance(a, Tensor) or not isinstance(b, Tensor) or a.ndim == 0 or b.ndim == 0:
        return a * b
    if b.ndim <= 2:
        return matmul(a, b)
    return tensordot(a, b, axes=([a.ndim - 1], [b.ndim - 2]))


def outer(x1, x2) -> Tensor:
    a, b = operand(x1), operand(x2)
    return _shape.reshape(a, (-1, 1)) * _shape.reshape(b, (1, -1))


def inner(x1, x2) -> Tensor:
    a, b = operand(x1), operand(x2)
    return tensordot(a, b, axes=([-1], [-1]))


class Einsum(Function):
    @staticmethod
    def forward(ctx, *operands, inputs, output):
        ctx.save_for_backward(*operands)
        ctx.inputs, ctx.output = inputs, output
        return xp_of(*operands).einsum(f"{','.join(inputs)}->{output}", *operands)

    @staticmethod
    def backward(ctx, g):
        ops = ctx.saved_tensors
        xp = xp_of(g, *ops)
        grads = []
        for i, (spec, op) in enumerate(zip(ctx.inputs, ops)):
            if not ctx.needs_input_grad[i]:
                grads.append(None)
                continue
            others = [(s, o) for j, (s, o) in enumerate(zip(ctx.inputs, ops)) if j != i]
            present = set(ctx.output).union(*[set(s) for s, _ in others])
            target = "".join(c for c in spec if c in present)
            expr = ",".join([ctx.output] + [s for s, _ in others]) + "->" + target
            gi = xp.einsum(expr, g, *[o for _, o in others])
            # Letters only this operand had were summed away: broadcast back along them.
            # Ellipsis axes it broadcast (length 1 here, longer in g) are summed back.
            sizes = iter(gi.shape)
            gi = gi.reshape([next(sizes) if c in present else 1 for c in spec])
            kept = tuple(n if c in present else 1 for n, c in zip(op.shape, spec, strict=True))
            gi = xp.broadcast_to(unbroadcast(gi, kept), op.shape)
            grads.append(gi)
        return tuple(grads)


def einsum(subscripts: str, *operands) -> Tensor:
    """Einstein summation over tensors (explicit or implicit output, ``...`` allowed; a letter
    may not repeat within one operand)."""
    tensors = [operand(o) for o in operands]
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    inputs, output = _parse_einsum(subscripts.replace(" ", ""), [t.ndim for t in tensors])
    for spec, t in zip(inputs, tensors):
        if len(set(spec)) != len(spec):
            raise ValueError(
                f"einsum: repeated subscript within one operand is not supported "
                f"(received {spec!r} for an operand of shape {t.shape})"
            )
    return Einsum.apply(*tensors, inputs=inputs, output=output)


def _parse_einsum(subscripts: str, ndims: list) -> tuple:
    lhs, arrow, rhs = subscripts.partition("->")
    specs = lhs.split(",")
    if len(specs) != len(ndims):
        raise ValueError(
            f"einsum: {len(specs)} operand subscripts in {subscripts!r} "
            f"for {len(ndims)} operands"
        )
    used = set(subscripts) - {",", "-", ">", "."}
    free = [c for c in string.ascii_letters if c not in used]
    n_ell = max((nd - len(s.replace("...", "")) for s, nd in zip(specs, ndims) if "..." in s),
                default=0)
    ell = "".join(free[:n_ell])
    inputs = []
    for s, nd in zip(specs, ndims):
        if "..." in s:
            k = nd - len(s.replace("...", ""))
            s = s.replace("...", ell[n_ell - k :] if k else "")
        if len(s) != nd:
            raise ValueError(
                f"einsum: subscripts {s!r} name {len(s)} axes for an operand with {nd}"
            )
        inputs.append(s)
    if arrow:
        output = rhs.replace("...", ell)
    else:
        counts = {}
        for s in inputs:
            for c in s:
                counts[c] = counts.get(c, 0) + 1
        output = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    return inputs, output
