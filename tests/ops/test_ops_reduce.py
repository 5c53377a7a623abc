"""Reductions: every axis form (None, int, negative, tuple) with and without keepdims, size-1
axes and 0-d inputs; prod through zeros; norm for every ord; stability of logsumexp; the
documented tie rule of max/min; the non-differentiable index reductions."""

import numpy as np
import pytest
from op_harness import (
    Case,
    away,
    check_float32,
    check_forward,
    check_gradcheck,
    const,
    distinct,
    normal,
    params,
)

import ember
from ember import ops

AXES = [None, 0, -1, 1, (0, 2), (2, 0, 1)]


def _axis_id(axis, keepdims) -> str:
    name = "all" if axis is None else str(axis).replace(" ", "")
    return name + ("-keep" if keepdims else "")


def np_logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def signed_distinct(*shape):
    """Random signs on distinct magnitudes >= 0.3: no abs kink, no max/min ties of |x|."""

    def make(rng):
        n = int(np.prod(shape))
        magnitude = 0.3 + 0.2 * rng.permutation(n) + rng.uniform(0, 0.02, n)
        return rng.choice([-1.0, 1.0], size=shape) * magnitude.reshape(shape)

    return make


def nonzero_uniform(*shape):
    return away(*shape, low=0.5, high=1.5)


# name -> (ember op, NumPy reference, maker)
REDUCTIONS = {
    "sum": (ops.sum, np.sum, normal),
    "mean": (ops.mean, np.mean, normal),
    "var": (ops.var, np.var, normal),
    "std": (ops.std, np.std, normal),
    "max": (ops.max, np.max, distinct),
    "min": (ops.min, np.min, distinct),
    "prod": (ops.prod, np.prod, nonzero_uniform),
    "logsumexp": (ops.logsumexp, np_logsumexp, normal),
}


def _reduction_cases():
    cases = []
    for name, (fn, ref, make) in REDUCTIONS.items():
        for axis in AXES:
            for keepdims in (False, True):
                cases.append(
                    Case(
                        f"{name}-{_axis_id(axis, keepdims)}",
                        lambda x, fn=fn, a=axis, k=keepdims: fn(x, axis=a, keepdims=k),
                        lambda x, ref=ref, a=axis, k=keepdims: ref(x, axis=a, keepdims=k),
                        [make(2, 3, 4)],
                    )
                )
        if name != "std":  # std over one element is sqrt at 0: a kink
            cases += [
                Case(f"{name}-0d", lambda x, fn=fn: fn(x), lambda x, ref=ref: ref(x), [make()]),
                Case(f"{name}-size1-axis", lambda x, fn=fn: fn(x, axis=1),
                     lambda x, ref=ref: ref(x, axis=1), [make(2, 1, 3)]),
            ]
        cases += [
            Case(f"{name}-size1-keep", lambda x, fn=fn: fn(x, axis=(0, 1), keepdims=True),
                 lambda x, ref=ref: ref(x, axis=(0, 1), keepdims=True), [make(2, 1, 3)]),
            Case(f"{name}-method", lambda x, n=name: getattr(x, n)(axis=0),
                 lambda x, ref=ref: ref(x, axis=0), [make(3, 2)]),
        ]
    return cases


# Zeros in prod: one zero in a slice (its gradient is the product of the others), two zeros
# (every gradient in the slice is 0), and a slice without zeros beside them.
PROD_ZEROS = np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 1.5], [1.1, -0.7, 2.0]])

EXTRA = [
    Case("var-ddof1", lambda x: ops.var(x, axis=1, ddof=1), lambda x: np.var(x, axis=1, ddof=1),
         [normal(3, 4)]),
    Case("std-ddof1-all", lambda x: ops.std(x, ddof=1), lambda x: np.std(x, ddof=1),
         [normal(3, 4)]),
    Case("prod-zeros-axis1", lambda x: ops.prod(x, axis=1), lambda x: np.prod(x, axis=1),
         [const(PROD_ZEROS)]),
    Case("prod-zeros-axis0", lambda x: ops.prod(x, axis=0), lambda x: np.prod(x, axis=0),
         [const(PROD_ZEROS)]),
    Case("prod-zeros-all", lambda x: ops.prod(x), lambda x: np.prod(x),
         [const(np.array([[0.5, 2.0], [0.0, 3.0]]))]),
    Case("max-initial", lambda x: ops.max(x, axis=0, initial=0.05),
         lambda x: np.max(x, axis=0, initial=0.05), [distinct(3, 2)]),
    Case("logsumexp-shifted", lambda x: ops.logsumexp(x + 30.0, axis=-1),
         lambda x: np_logsumexp(x + 30.0, axis=-1), [normal(2, 5)]),
]


def _np_norm(x, ord=None, axis=None, keepdims=False):
    """np.linalg.norm, with ember's documented rule that axis=None is the vector norm of
    the flattened tensor for every ord."""
    if axis is None:
        out = np.linalg.norm(x.reshape(-1), ord=ord)
        return np.reshape(out, (1,) * x.ndim) if keepdims else out
    return np.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)


NORM_ORDS = [None, 1, 2, np.inf, -np.inf, 3, 1.5]
NORM_AXES = [None, 0, -1, (0, 1), (-1, 0)]


def _norm_cases():
    cases = []
    for ord_ in NORM_ORDS:
        for axis in NORM_AXES:
            if isinstance(axis, tuple) and ord_ is not None:
                continue  # matrix norms: ord None / "fro" only (documented)
            for keepdims in (False, True):
                cases.append(
                    Case(
                        f"norm-ord{ord_}-{_axis_id(axis, keepdims)}",
                        lambda x, o=ord_, a=axis, k=keepdims: ops.norm(x, o, a, k),
                        lambda x, o=ord_, a=axis, k=keepdims: _np_norm(x, o, a, k),
                        # |x| bounded away from 0 (abs kink) and distinct (no max ties)
                        [signed_distinct(3, 4)],
                    )
                )
    cases += [
        Case("norm-fro-3d", lambda x: ops.norm(x, "fro", axis=(1, 2)),
             lambda x: np.linalg.norm(x, "fro", axis=(1, 2)), [normal(2, 3, 2)]),
        Case("norm-1d", lambda x: ops.norm(x), lambda x: np.linalg.norm(x), [normal(5)]),
        Case("norm-method", lambda x: x.norm(ord=1, axis=1), lambda x: np.linalg.norm(x, 1, 1),
             [away(3, 2)]),
        Case("norm-ord0", lambda x: ops.norm(x, 0, axis=1), lambda x: np.linalg.norm(x, 0, 1),
             [const([[0.0, 1.0, 2.0], [0.0, 0.0, 3.0]])], differentiable=False),
    ]
    return cases


CASES = _reduction_cases() + EXTRA + _norm_cases()


@pytest.mark.parametrize("case", params(CASES))
def test_forward_matches_numpy(case):
    check_forward(case)


@pytest.mark.parametrize("case", params(CASES))
def test_gradcheck_float64(case):
    check_gradcheck(case)


@pytest.mark.parametrize("case", params(CASES))
def test_float32_in_float32_out(case):
    check_float32(case)


# ---- documented behaviour at kinks and extremes ----------------------------------------


@pytest.mark.parametrize("op", [ops.max, ops.min])
def test_max_min_ties_split_gradient_evenly(op):
    value = 3.0 if op is ops.max else -3.0
    x = ember.tensor(np.array([[value, 1.0, value], [0.5, value, 0.0]]), requires_grad=True)
    op(x, axis=1).backward(np.array([1.0, 6.0]))
    expected = [[0.5, 0.0, 0.5], [0.0, 6.0, 0.0]]
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_max_all_equal_shares_among_every_element():
    x = ember.tensor(np.full((2, 2), 7.0), requires_grad=True)
    x.max().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 2), 0.25))


def test_prod_gradient_with_zeros_is_product_of_others():
    x = ember.tensor(PROD_ZEROS.copy(), requires_grad=True)
    ops.prod(x, axis=1).sum().backward()
    expected = [[6.0, 0.0, 0.0], [0.0, 0.0, 0.0], [-1.4, 2.2, -0.77]]
    np.testing.assert_allclose(x.grad.numpy(), expected)


def test_logsumexp_is_stable_for_large_magnitudes():
    x = ember.tensor(np.array([[1e4, 1e4 - 1.0, -1e4], [-1e4, -1e4, -1e4 + 2.0]]),
                     requires_grad=True)
    out = ops.logsumexp(x, axis=1)
    expected = [1e4 + np.log1p(np.exp(-1.0)), -1e4 + 2.0 + np.log1p(2 * np.exp(-2.0))]
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
    out.sum().backward()
    assert np.isfinite(x.grad.numpy()).all()
    np.testing.assert_allclose(x.grad.numpy().sum(axis=1), [1.0, 1.0])


def test_logsumexp_of_minus_inf_row_is_minus_inf():
    with np.errstate(divide="ignore"):  # log(0) is the right answer here
        out = ops.logsumexp(ember.tensor(np.array([-np.inf, -np.inf])))
    assert out.item() == -np.inf


def test_std_of_float32_is_float32():
    x = ember.tensor(np.arange(6, dtype=np.float32).reshape(2, 3), requires_grad=True)
    out = x.std(axis=0)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32


def test_norm_rejects_matrix_ord_other_than_fro():
    with pytest.raises(ValueError, match="norm"):
        ops.norm(ember.tensor(np.ones((2, 2))), ord=2, axis=(0, 1))


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_argmax_argmin_match_numpy_and_carry_no_graph(name, axis):
    data = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    out = getattr(ops, name)(ember.tensor(data, requires_grad=True), axis=axis)
    assert not out.requires_grad
    np.testing.assert_array_equal(out.numpy(), getattr(np, name)(data, axis=axis))


def test_any_all():
    data = np.array([[True, False], [True, True]])
    t = ember.tensor(data)
    np.testing.assert_array_equal(ops.any(t, axis=1).numpy(), [True, True])
    np.testing.assert_array_equal(ops.all(t, axis=1).numpy(), [False, True])
    assert bool(ops.all(t).item()) is False


def test_reduction_results_are_arrays_not_numpy_scalars():
    # A full reduction in NumPy returns a scalar; a tensor must still hold an ndarray, so
    # in-place updates and the device property work on it.
    x = ember.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    for out in (x.sum(), x.mean(), x.max(), x.prod(), x.var(), ops.logsumexp(x)):
        assert isinstance(out.data, np.ndarray), type(out.data)
        assert out.device == "cpu"
    with ember.no_grad():
        total = x.sum()
        total += 1.0
    assert total.item() == 7.0
