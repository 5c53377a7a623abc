"""Linear algebra: matmul in every NumPy case (batched, broadcasting batch axes, vectors on
either side), dot, tensordot, inner, outer and einsum; and matmul's error message."""

import numpy as np
import pytest
from op_harness import Case, check_float32, check_forward, check_gradcheck, normal, params

import ember
from ember import ops

MATMUL_SHAPES = {
    "2d@2d": ((2, 3), (3, 4)),
    "3d@3d": ((2, 2, 3), (2, 3, 4)),
    "broadcast-batch": ((2, 1, 2, 3), (3, 3, 2)),
    "batch-of-1": ((1, 2, 3), (4, 3, 2)),
    "1d@2d": ((3,), (3, 4)),
    "2d@1d": ((2, 3), (3,)),
    "1d@1d": ((3,), (3,)),
    "3d@2d": ((2, 2, 3), (3, 4)),
    "2d@3d": ((2, 3), (2, 3, 4)),
    "1d@3d": ((3,), (2, 3, 4)),
    "3d@1d": ((2, 2, 3), (3,)),
    "4d@2d": ((2, 2, 2, 3), (3, 2)),
}

MATMUL = [
    Case(f"matmul-{name}", ops.matmul, np.matmul, [normal(*sa), normal(*sb)])
    for name, (sa, sb) in MATMUL_SHAPES.items()
] + [
    Case("operator-matmul", lambda a, b: a @ b, np.matmul, [normal(2, 3), normal(3, 2)]),
    Case("operator-rmatmul", lambda b: np.ones((2, 3), np.float32) @ b,
         lambda b: np.ones((2, 3)) @ b, [normal(3, 2)]),
    Case("method-matmul", lambda a, b: a.matmul(b), np.matmul, [normal(3), normal(3, 2)]),
]

DOT = [
    Case("dot-1d-1d", ops.dot, np.dot, [normal(4), normal(4)]),
    Case("dot-2d-2d", ops.dot, np.dot, [normal(2, 3), normal(3, 2)]),
    Case("dot-2d-1d", ops.dot, np.dot, [normal(2, 3), normal(3)]),
    Case("dot-3d-2d", ops.dot, np.dot, [normal(2, 2, 3), normal(3, 2)]),
    Case("dot-2d-3d", ops.dot, np.dot, [normal(2, 3), normal(2, 3, 2)]),
    Case("dot-scalar", ops.dot, np.dot, [normal(), normal(2, 3)]),
    Case("method-dot", lambda a, b: a.dot(b), np.dot, [normal(3), normal(3)]),
    Case("tensordot-2", ops.tensordot, np.tensordot, [normal(2, 3, 4), normal(3, 4, 2)]),
    Case("tensordot-1", lambda a, b: ops.tensordot(a, b, axes=1),
         lambda a, b: np.tensordot(a, b, axes=1), [normal(2, 3), normal(3, 4)]),
    Case("tensordot-0", lambda a, b: ops.tensordot(a, b, axes=0),
         lambda a, b: np.tensordot(a, b, axes=0), [normal(2), normal(3)]),
    Case("tensordot-pairs", lambda a, b: ops.tensordot(a, b, axes=([0, 2], [1, 0])),
         lambda a, b: np.tensordot(a, b, axes=([0, 2], [1, 0])), [normal(2, 3, 4), normal(4, 2)]),
    Case("tensordot-int-pair", lambda a, b: ops.tensordot(a, b, axes=(1, 0)),
         lambda a, b: np.tensordot(a, b, axes=(1, 0)), [normal(2, 3), normal(3, 2)]),
    Case("inner-1d", ops.inner, np.inner, [normal(3), normal(3)]),
    Case("inner-2d", ops.inner, np.inner, [normal(2, 3), normal(4, 3)]),
    Case("inner-3d-1d", ops.inner, np.inner, [normal(2, 2, 3), normal(3)]),
    Case("outer", ops.outer, np.outer, [normal(3), normal(4)]),
    Case("outer-flattens", ops.outer, np.outer, [normal(2, 2), normal(3)]),
]

EINSUM = {
    "ij,jk->ik": [(2, 3), (3, 4)],
    "bij,bjk->bik": [(2, 2, 3), (2, 3, 2)],
    "ij,jk": [(2, 3), (3, 4)],
    "ij->i": [(2, 3)],
    "ij->j": [(2, 3)],
    "ij->": [(2, 3)],
    "ij->ji": [(2, 3)],
    "ij,k->ik": [(2, 3), (4,)],
    "i,j->ij": [(3,), (2,)],
    "i,i->": [(4,), (4,)],
    "ij,ij->ij": [(2, 3), (2, 3)],
    "...ij,jk->...ik": [(2, 2, 2, 3), (3, 2)],
    "...ij,...jk": [(2, 2, 3), (2, 3, 2)],
    "...ij,...jk->...ik": [(1, 2, 3), (4, 3, 2)],  # ellipsis axes that broadcast
    "ij,jk,kl->il": [(2, 3), (3, 2), (2, 4)],
    "ab,bc,ca->": [(2, 3), (3, 2), (2, 2)],
    "bi, bj -> bij": [(2, 3), (2, 2)],
}

EINSUMS = [
    Case(f"einsum-{spec.replace(' ', '')}", lambda *ts, s=spec: ops.einsum(s, *ts),
         lambda *arrays, s=spec: np.einsum(s, *arrays), [normal(*shape) for shape in shapes])
    for spec, shapes in EINSUM.items()
]

CASES = MATMUL + DOT + EINSUMS


@pytest.mark.parametrize("case", params(CASES))
def test_forward_matches_numpy(case):
    check_forward(case)


@pytest.mark.parametrize("case", params(CASES))
def test_gradcheck_float64(case):
    check_gradcheck(case)


@pytest.mark.parametrize("case", params(CASES))
def test_float32_in_float32_out(case):
    check_float32(case)


def test_matmul_gradient_with_one_operand_constant():
    a = ember.tensor(np.ones((2, 3)), requires_grad=True)
    b = ember.tensor(np.arange(6.0).reshape(3, 2))
    (a @ b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.tile(b.numpy().sum(axis=1), (2, 1)))
    assert b.grad is None


def test_shared_weight_gradient_is_summed_over_the_batch():
    x = np.arange(12.0).reshape(2, 2, 3)
    w = ember.tensor(np.ones((3, 2)), requires_grad=True)
    (ember.tensor(x) @ w).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.tile(x.sum(axis=(0, 1))[:, None], (1, 2)))


@pytest.mark.parametrize(
    "sa, sb",
    [((2, 3), (4, 5)), ((3,), (4,)), ((2, 3), (2,)), ((5, 2, 3), (4, 3, 2)), ((3,), (4, 2))],
)
def test_matmul_incompatible_shapes_name_both_shapes(sa, sb):
    with pytest.raises(ValueError) as info:
        ops.matmul(ember.tensor(np.zeros(sa)), ember.tensor(np.zeros(sb)))
    message = str(info.value)
    assert "matmul" in message and str(sa) in message and str(sb) in message


def test_matmul_of_0d_raises():
    with pytest.raises(ValueError, match="at least 1 dimension"):
        ops.matmul(ember.tensor(np.array(2.0)), ember.tensor(np.zeros(3)))


def test_einsum_repeated_letter_in_one_operand_is_rejected():
    with pytest.raises(ValueError, match="repeated subscript"):
        ops.einsum("ii->i", ember.tensor(np.eye(2)))


def test_einsum_wrong_operand_count_raises():
    with pytest.raises(ValueError, match="einsum"):
        ops.einsum("ij,jk->ik", ember.tensor(np.eye(2)))
