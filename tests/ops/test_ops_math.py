"""Elementwise math ops: forward against NumPy, float64 gradcheck, float32 in and out, over
shapes with broadcasting, size-1 axes and 0-d tensors; then the documented subgradients."""

import math

import numpy as np
import pytest
from op_harness import (
    Case,
    avoiding,
    away,
    check_float32,
    check_forward,
    check_gradcheck,
    const,
    normal,
    params,
    uniform,
)

import ember
from ember import ops

PAIRS = [
    ((2, 3), (2, 3)),
    ((2, 3), (3,)),
    ((4, 1), (1, 3)),
    ((2, 1, 3), (4, 1)),
    ((), (2, 3)),
    ((2, 3), ()),
    ((), ()),
]
SHAPES = [(), (5,), (2, 3), (2, 1, 3)]


def _shape_id(shape) -> str:
    return "x".join(map(str, shape)) or "0d"


def np_erf(x):
    return np.vectorize(math.erf, otypes=[np.float64])(x)


# name -> (ember op, NumPy reference, maker of the first operand, maker of the second)
BINARY = {
    "add": (ops.add, np.add, normal, normal),
    "subtract": (ops.subtract, np.subtract, normal, normal),
    "multiply": (ops.multiply, np.multiply, normal, normal),
    "divide": (ops.divide, np.divide, normal, away),
    "power": (ops.power, np.power, lambda *s: uniform(0.5, 2.0, *s), lambda *s: normal(*s)),
    "maximum": (ops.maximum, np.maximum, normal, normal),
    "minimum": (ops.minimum, np.minimum, normal, normal),
    "operator_add": (lambda a, b: a + b, np.add, normal, normal),
    "operator_mul": (lambda a, b: a * b, np.multiply, normal, normal),
    "operator_div": (lambda a, b: a / b, np.divide, normal, away),
    "operator_pow": (lambda a, b: a**b, np.power, lambda *s: uniform(0.5, 2.0, *s), normal),
}

# name -> (ember op, NumPy reference, maker)
UNARY = {
    "negative": (ops.negative, np.negative, normal),
    "exp": (ops.exp, np.exp, normal),
    "log": (ops.log, np.log, lambda *s: uniform(0.3, 3.0, *s)),
    "log1p": (ops.log1p, np.log1p, lambda *s: uniform(-0.5, 2.0, *s)),
    "expm1": (ops.expm1, np.expm1, normal),
    "sqrt": (ops.sqrt, np.sqrt, lambda *s: uniform(0.3, 3.0, *s)),
    "rsqrt": (ops.rsqrt, lambda x: 1 / np.sqrt(x), lambda *s: uniform(0.3, 3.0, *s)),
    "square": (ops.square, np.square, normal),
    "abs": (ops.abs, np.abs, away),
    "sin": (ops.sin, np.sin, normal),
    "cos": (ops.cos, np.cos, normal),
    "tan": (ops.tan, np.tan, lambda *s: uniform(-1.0, 1.0, *s)),
    "tanh": (ops.tanh, np.tanh, normal),
    "reciprocal": (ops.reciprocal, np.reciprocal, away),
    "erf": (ops.erf, np_erf, normal),
    "operator_neg": (lambda x: -x, np.negative, normal),
    "operator_abs": (lambda x: abs(x), np.abs, away),
    "method_exp": (lambda x: x.exp(), np.exp, normal),
    "method_sqrt": (lambda x: x.sqrt(), np.sqrt, lambda *s: uniform(0.3, 3.0, *s)),
}

COND = np.array([[True, False, True], [False, False, True]])
CLIP_AWAY = [0.1, 0.9]

# Python and NumPy scalars mixed in: float32 must stay float32.
SCALAR = [
    Case("x_times_2", lambda x: x * 2.0, lambda x: x * 2.0, [normal(2, 3)]),
    Case("2_times_x", lambda x: 2.0 * x, lambda x: 2.0 * x, [normal(2, 3)]),
    Case("x_plus_np_float64", lambda x: x + np.float64(1.0), lambda x: x + 1.0, [normal(3)]),
    Case("np_float64_minus_x", lambda x: np.float64(1.5) - x, lambda x: 1.5 - x, [normal(3)]),
    Case("x_minus_int", lambda x: x - 3, lambda x: x - 3, [normal(3)]),
    Case("x_div_3", lambda x: x / 3.0, lambda x: x / 3.0, [normal(2, 2)]),
    Case("3_div_x", lambda x: 3.0 / x, lambda x: 3.0 / x, [away(2, 2)]),
    Case("2_pow_x", lambda x: 2.0**x, lambda x: 2.0**x, [normal(2, 3)]),
    Case("x_pow_2", lambda x: x**2.0, lambda x: x**2.0, [normal(2, 3)]),
    Case("x_pow_int3", lambda x: x**3, lambda x: x**3, [normal(2, 3)]),
    Case("x_pow_half", lambda x: x**0.5, np.sqrt, [uniform(0.3, 2.0, 4)]),
    Case("maximum_x_0_5", lambda x: ops.maximum(x, 0.5), lambda x: np.maximum(x, 0.5),
         [avoiding([0.5], 2, 3)]),
    Case("minimum_0_5_x", lambda x: ops.minimum(0.5, x), lambda x: np.minimum(0.5, x),
         [avoiding([0.5], 2, 3)]),
    Case("clip_0.1_0.9", lambda x: ops.clip(x, 0.1, 0.9), lambda x: np.clip(x, 0.1, 0.9),
         [avoiding(CLIP_AWAY, 3, 4, low=-0.5, high=1.5, gap=0.05)]),
    Case("clip_min_only", lambda x: ops.clip(x, 0.1), lambda x: np.clip(x, 0.1, None),
         [avoiding(CLIP_AWAY, 3, 4, low=-0.5, high=1.5, gap=0.05)]),
    Case("clip_max_only", lambda x: ops.clip(x, None, 0.9), lambda x: np.clip(x, None, 0.9),
         [avoiding(CLIP_AWAY, 3, 4, low=-0.5, high=1.5, gap=0.05)]),
    Case("clip_method_0d", lambda x: x.clip(0.1, 0.9), lambda x: np.clip(x, 0.1, 0.9),
         [const(0.5)]),
    Case("clip_tensor_bounds", lambda x: ops.clip(x, ember.tensor(0.1), ember.tensor(0.9)),
         lambda x: np.clip(x, 0.1, 0.9), [avoiding(CLIP_AWAY, 5, low=-0.5, high=1.5)]),
    Case("where_same_shape", lambda a, b: ops.where(COND, a, b), lambda a, b: np.where(COND, a, b),
         [normal(2, 3), normal(2, 3)]),
    Case("where_broadcast", lambda a, b: ops.where(COND, a, b), lambda a, b: np.where(COND, a, b),
         [normal(3), normal(2, 1)]),
    Case("where_scalar_branch", lambda a: ops.where(COND, a, 0.5),
         lambda a: np.where(COND, a, 0.5), [normal(2, 3)]),
    Case("where_tensor_cond", lambda a, b: ops.where(ember.tensor(COND), a, b),
         lambda a, b: np.where(COND, a, b), [normal(1, 3), normal(2, 3)]),
    Case("where_cond_from_data", lambda a, b: ops.where(a > 0, a, b),
         lambda a, b: np.where(a > 0, a, b), [away(2, 3), normal(2, 3)]),
    # Round trip through long double: a real Cast node in both directions, and gradcheck
    # keeps float64 precision.
    Case("cast", lambda x: ops.cast(ops.cast(x, np.longdouble) * 2.0, x.dtype),
         lambda x: x * 2.0, [normal(2, 3)]),
    Case("astype", lambda x: (x.astype(np.longdouble) * 3.0).astype(x.dtype),
         lambda x: x * 3.0, [normal(4)]),
]

CASES = (
    [
        Case(f"{name}-{_shape_id(sa)}-{_shape_id(sb)}", fn, ref, [ma(*sa), mb(*sb)])
        for name, (fn, ref, ma, mb) in BINARY.items()
        for sa, sb in PAIRS
    ]
    + [
        Case(f"{name}-{_shape_id(s)}", fn, ref, [make(*s)])
        for name, (fn, ref, make) in UNARY.items()
        for s in SHAPES
    ]
    + SCALAR
)


@pytest.mark.parametrize("case", params(CASES))
def test_forward_matches_numpy(case):
    check_forward(case)


@pytest.mark.parametrize("case", params(CASES))
def test_gradcheck_float64(case):
    check_gradcheck(case)


@pytest.mark.parametrize("case", params(CASES))
def test_float32_in_float32_out(case):
    check_float32(case)


# ---- documented subgradients at kinks -------------------------------------------------


def test_abs_gradient_at_zero_is_zero():
    x = ember.tensor(np.array([-2.0, 0.0, 3.0]), requires_grad=True)
    ops.abs(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [-1.0, 0.0, 1.0])


@pytest.mark.parametrize("op", [ops.maximum, ops.minimum])
def test_maximum_minimum_ties_split_half_half(op):
    a = ember.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    b = ember.tensor(np.array([1.0, 5.0, 0.0]), requires_grad=True)
    op(a, b).backward(np.array([2.0, 1.0, 1.0]))
    first_wins = [False, False, True] if op is ops.maximum else [False, True, False]
    expected_a = np.where(first_wins, 1.0, 0.0) * [2.0, 1.0, 1.0]
    expected_a[0] = 1.0  # the tie: half of 2.0 to each side
    np.testing.assert_array_equal(a.grad.numpy(), expected_a)
    np.testing.assert_array_equal(b.grad.numpy(), np.array([2.0, 1.0, 1.0]) - expected_a)


def test_maximum_tie_with_broadcast_scalar():
    a = ember.tensor(np.array([0.0, 0.0, 1.0]), requires_grad=True)
    b = ember.tensor(np.array(0.0), requires_grad=True)
    ops.maximum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0.5, 0.5, 1.0])
    assert b.grad.shape == () and b.grad.item() == 1.0


def test_clip_gradient_zero_outside_one_inside():
    x = ember.tensor(np.array([-1.0, 0.5, 2.0]), requires_grad=True)
    ops.clip(x, 0.0, 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 0.0])


def test_power_gradient_wrt_exponent_is_zero_for_nonpositive_base():
    a = ember.tensor(np.array([-2.0, 0.0, 2.0]))
    b = ember.tensor(np.array([2.0, 2.0, 2.0]), requires_grad=True)
    ops.power(a, b).sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), [0.0, 0.0, 4.0 * math.log(2.0)])


def test_where_gradient_goes_to_selected_branch_only():
    a = ember.tensor(np.ones((2, 3)), requires_grad=True)
    b = ember.tensor(np.ones((2, 3)), requires_grad=True)
    ops.where(COND, a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), COND.astype(float))
    np.testing.assert_array_equal(b.grad.numpy(), (~COND).astype(float))


def test_cast_gradient_comes_back_in_input_dtype():
    x = ember.tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    y = ops.cast(x, "float64")
    assert y.dtype == np.float64
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])


def test_cast_to_same_dtype_returns_input():
    x = ember.tensor([1.0, 2.0])
    assert ops.cast(x, "float32") is x


# ---- non-differentiable elementwise ops ------------------------------------------------


@pytest.mark.parametrize(
    "name, ref",
    [
        ("equal", np.equal),
        ("not_equal", np.not_equal),
        ("less", np.less),
        ("less_equal", np.less_equal),
        ("greater", np.greater),
        ("greater_equal", np.greater_equal),
    ],
)
def test_comparisons_give_bool_tensors_without_graph(name, ref):
    a = ember.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    b = ember.tensor(np.array([3.0, 2.0, 1.0]), requires_grad=True)
    out = getattr(ops, name)(a, b)
    assert out.dtype == np.bool_
    assert not out.requires_grad and out.grad_fn is None
    np.testing.assert_array_equal(out.numpy(), ref(a.numpy(), b.numpy()))


@pytest.mark.parametrize("name", ["sign", "floor", "ceil", "round", "isnan", "isfinite"])
def test_rounding_and_predicates_carry_no_graph(name):
    x = ember.tensor(np.array([-1.5, 0.25, 2.5]), requires_grad=True)
    out = getattr(ops, name)(x)
    assert not out.requires_grad
    np.testing.assert_array_equal(out.numpy(), getattr(np, name)(x.numpy()))


def test_where_with_one_argument_gives_indices():
    (rows, cols) = ops.where(ember.tensor(COND))
    np.testing.assert_array_equal(rows.numpy(), np.nonzero(COND)[0])
    np.testing.assert_array_equal(cols.numpy(), np.nonzero(COND)[1])


def test_where_with_only_one_branch_raises():
    with pytest.raises(ValueError, match="where"):
        ops.where(COND, ember.tensor(np.ones((2, 3))))
