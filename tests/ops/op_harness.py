"""The machinery behind the table-driven op tests (Chainer's habit): input makers, the ``Case``
record, and the three checks every op in a table goes through.

1. ``check_forward``: float64 values against a NumPy reference.
2. ``check_gradcheck``: ``ember.gradcheck`` (central differences) in float64.
3. ``check_float32``: float32 in gives float32 out, forward and backward. Every input passes
   through ``DtypeProbe``, an identity whose backward records the dtype of the gradient the
   op hands back, so a float64 leak inside a backward is caught before the engine casts it
   into a leaf's ``.grad``.

Makers take a ``numpy.random.Generator`` and return a float64 array (a differentiable input)
or any other array (a constant such as indices). Inputs are kept away from kinks.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pytest

import ember

# ---- input makers ----------------------------------------------------------------------


def normal(*shape, scale=1.0):
    return lambda rng: rng.standard_normal(shape) * scale


def uniform(low, high, *shape):
    return lambda rng: rng.uniform(low, high, size=shape)


def away(*shape, low=0.2, high=2.0):
    """Random sign, magnitude in ``[low, high]``: away from the kink at 0."""
    return lambda rng: rng.choice([-1.0, 1.0], size=shape) * rng.uniform(low, high, size=shape)


def distinct(*shape, spacing=0.3):
    """Values at least ``spacing`` apart (no ties, so max/min are differentiable)."""

    def make(rng):
        n = int(np.prod(shape, dtype=np.int64))
        values = (rng.permutation(n) - n / 2) * spacing + rng.uniform(0, 0.1 * spacing, n)
        return values.reshape(shape)

    return make


def avoiding(points, *shape, low=-3.0, high=3.0, gap=0.1):
    """Uniform in ``[low, high]`` but at least ``gap`` from every kink in ``points``."""

    def make(rng):
        values = rng.uniform(low, high, size=shape)
        for p in points:
            near = np.abs(values - p) < gap
            values = np.where(near, p + np.where(values >= p, gap, -gap) * 1.5, values)
        return values

    return make


def const(array):
    """A constant input (indices, labels, masks): the same array every time."""
    return lambda rng: np.array(array)


# ---- cases ------------------------------------------------------------------------------


@dataclass
class Case:
    """One op on one set of inputs. ``fn`` takes ember tensors, ``ref`` NumPy arrays; both
    return one result or a tuple/list of them. ``differentiable=False`` skips the gradient
    checks (ops whose output carries no gradient)."""

    id: str
    fn: Callable
    ref: Callable | None
    inputs: Sequence[Callable]
    differentiable: bool = True
    rtol: float = 1e-6
    atol: float = 1e-9

    def arrays(self, dtype=np.float64) -> list:
        rng = np.random.default_rng(zlib.crc32(self.id.encode()))
        arrays = [np.asarray(make(rng)) for make in self.inputs]
        return [a.astype(dtype) if a.dtype.kind == "f" else a for a in arrays]


def params(cases: Sequence[Case]) -> list:
    ids = [c.id for c in cases]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise ValueError(f"duplicate case ids: {sorted(duplicates)}")
    return [pytest.param(c, id=c.id) for c in cases]


def _outputs(out) -> tuple:
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def _leaves(arrays: list, requires_grad: bool) -> list:
    return [
        ember.tensor(a, requires_grad=requires_grad and a.dtype.kind == "f") for a in arrays
    ]


# ---- the three checks -----------------------------------------------------------------


def check_forward(case: Case) -> None:
    arrays = case.arrays()
    outs = _outputs(case.fn(*_leaves(arrays, False)))
    refs = _outputs(case.ref(*[a.copy() for a in arrays]))
    assert len(outs) == len(refs), f"{case.id}: {len(outs)} outputs, reference has {len(refs)}"
    for out, ref in zip(outs, refs, strict=True):
        ref = np.asarray(ref)
        assert isinstance(out, ember.Tensor), f"{case.id}: got {type(out).__name__}"
        assert out.shape == ref.shape, f"{case.id}: shape {out.shape}, expected {ref.shape}"
        np.testing.assert_allclose(out.numpy(), ref, rtol=case.rtol, atol=case.atol)


def check_gradcheck(case: Case) -> None:
    inputs = _leaves(case.arrays(), True)
    if not case.differentiable:
        outs = _outputs(case.fn(*inputs))
        assert not any(o.requires_grad for o in outs), f"{case.id}: output records a graph"
        return
    assert ember.gradcheck(case.fn, inputs)


class DtypeProbe(ember.Function):
    """The identity; its backward records the dtype of the gradient arriving at it."""

    @staticmethod
    def forward(ctx, x, seen):
        ctx.seen = seen
        return x

    @staticmethod
    def backward(ctx, g):
        ctx.seen.append(np.dtype(g.dtype))
        return g, None


def check_float32(case: Case) -> None:
    leaves = _leaves(case.arrays(np.float32), case.differentiable)
    seen: list = []
    probed = [DtypeProbe.apply(t, seen) if t.requires_grad else t for t in leaves]
    outs = _outputs(case.fn(*probed))
    for out in outs:
        if out.dtype.kind == "f":
            assert out.dtype == np.float32, f"{case.id}: forward gave {out.dtype}"
    if not case.differentiable:
        return
    total = None
    for out in outs:
        if out.requires_grad:
            term = out.sum()
            total = term if total is None else total + term
    assert total is not None, f"{case.id}: no output requires grad"
    total.backward()
    assert seen, f"{case.id}: no gradient reached any input"
    assert all(d == np.float32 for d in seen), f"{case.id}: backward gave {seen}"
    for t in leaves:
        if t.requires_grad and t.grad is not None:
            assert t.grad.dtype == np.float32
