"""Activations: forward against NumPy formulas, float64 gradcheck away from kinks, float32 in
and out; swish with a learnable beta; softmax/log_softmax along several axes and for logits
of magnitude 1e4; relu's documented gradient at 0."""

import math

import numpy as np
import pytest
from op_harness import (
    Case,
    avoiding,
    check_float32,
    check_forward,
    check_gradcheck,
    normal,
    params,
    uniform,
)

import ember
from ember import ops

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def np_erf(x):
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def np_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def np_log_softmax(x, axis=-1):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def np_elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def np_hard_sigmoid(x):
    return np.clip(x / 6.0 + 0.5, 0.0, 1.0)


def np_gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


def np_gelu_exact(x):
    return 0.5 * x * (1 + np_erf(x / math.sqrt(2)))


def kinks(*points):
    return lambda *shape: avoiding(points, *shape, low=-4.0, high=8.0)


smooth = normal
# name -> (ember op, NumPy reference, maker of inputs away from the op's kinks)
ELEMENTWISE = {
    "relu": (ops.relu, lambda x: np.maximum(x, 0), kinks(0.0)),
    "relu6": (ops.relu6, lambda x: np.clip(x, 0, 6), kinks(0.0, 6.0)),
    "leaky_relu": (ops.leaky_relu, lambda x: np.where(x > 0, x, 0.2 * x), kinks(0.0)),
    "leaky_relu-0.1": (lambda x: ops.leaky_relu(x, negative_slope=0.1),
                       lambda x: np.where(x > 0, x, 0.1 * x), kinks(0.0)),
    "elu": (ops.elu, np_elu, kinks(0.0)),
    "elu-alpha0.5": (lambda x: ops.elu(x, alpha=0.5), lambda x: np_elu(x, 0.5), kinks(0.0)),
    "selu": (ops.selu, lambda x: SELU_SCALE * np_elu(x, SELU_ALPHA), kinks(0.0)),
    "gelu-approximate": (ops.gelu, np_gelu_tanh, smooth),
    "gelu-exact": (lambda x: ops.gelu(x, approximate=False), np_gelu_exact, smooth),
    "sigmoid": (ops.sigmoid, np_sigmoid, smooth),
    "softplus": (ops.softplus, lambda x: np.log1p(np.exp(x)), smooth),
    "softsign": (ops.softsign, lambda x: x / (1 + np.abs(x)), smooth),
    "hard_sigmoid": (ops.hard_sigmoid, np_hard_sigmoid, kinks(-3.0, 3.0)),
    "hard_silu": (ops.hard_silu, lambda x: x * np_hard_sigmoid(x), kinks(-3.0, 3.0)),
    "hard_swish": (ops.hard_swish, lambda x: x * np_hard_sigmoid(x), kinks(-3.0, 3.0)),
    "silu": (ops.silu, lambda x: x * np_sigmoid(x), smooth),
    "swish-beta1.5": (lambda x: ops.swish(x, beta=1.5), lambda x: x * np_sigmoid(1.5 * x),
                      smooth),
    "method-relu": (lambda x: x.relu(), lambda x: np.maximum(x, 0), kinks(0.0)),
    "method-sigmoid": (lambda x: x.sigmoid(), np_sigmoid, smooth),
    "method-tanh": (lambda x: x.tanh(), np.tanh, smooth),
}
SHAPES = [(), (7,), (2, 1, 3)]


def _shape_id(shape) -> str:
    return "x".join(map(str, shape)) or "0d"


AXIS_CASES = []
for _name, _fn, _ref in [
    ("softmax", ops.softmax, np_softmax),
    ("log_softmax", ops.log_softmax, np_log_softmax),
]:
    for _axis in (-1, 0, 1):
        AXIS_CASES.append(
            Case(f"{_name}-axis{_axis}", lambda x, f=_fn, a=_axis: f(x, axis=a),
                 lambda x, r=_ref, a=_axis: r(x, axis=a), [normal(2, 3, 4)])
        )
    AXIS_CASES += [
        Case(f"{_name}-default-2d", _fn, _ref, [normal(3, 5)]),
        Case(f"{_name}-1d", _fn, _ref, [normal(4)]),
        Case(f"{_name}-size1-axis", lambda x, f=_fn: f(x, axis=1),
             lambda x, r=_ref: r(x, axis=1), [normal(3, 1)]),
        Case(f"method-{_name}", lambda x, n=_name: getattr(x, n)(axis=0),
             lambda x, r=_ref: r(x, axis=0), [normal(3, 2)]),
    ]

BETA_CASES = [
    Case("swish-beta-tensor-0d", lambda x, beta: ops.swish(x, beta),
         lambda x, beta: x * np_sigmoid(beta * x), [normal(2, 3), lambda rng: np.array(0.7)]),
    Case("swish-x-broadcast-against-beta", lambda x, beta: ops.swish(x, beta),
         lambda x, beta: x * np_sigmoid(beta * x), [normal(3), uniform(0.5, 2.0, 2, 3)]),
    Case("silu-beta-per-channel", lambda x, beta: ops.silu(x, beta),
         lambda x, beta: x * np_sigmoid(beta * x), [normal(4, 3), lambda rng: rng.uniform(
             0.5, 2.0, size=3)]),
]

CASES = (
    [
        Case(f"{name}-{_shape_id(s)}", fn, ref, [make(*s)])
        for name, (fn, ref, make) in ELEMENTWISE.items()
        for s in SHAPES
    ]
    + AXIS_CASES
    + BETA_CASES
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


# ---- documented values at kinks and extremes --------------------------------------------


def test_relu_gradient_at_zero_is_zero():
    x = ember.tensor(np.array([-1.0, 0.0, 2.0]), requires_grad=True)
    ops.relu(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 1.0])


def test_swish_gradient_wrt_beta():
    x = ember.tensor(np.array([0.5, -1.0, 2.0]))
    beta = ember.tensor(np.array(1.3), requires_grad=True)
    ops.swish(x, beta).sum().backward()
    s = np_sigmoid(1.3 * x.numpy())
    np.testing.assert_allclose(beta.grad.item(), np.sum(x.numpy() ** 2 * s * (1 - s)))
    assert x.grad is None


@pytest.mark.parametrize("op", [ops.sigmoid, ops.softplus, ops.softsign, ops.gelu, ops.elu,
                                ops.selu, ops.silu])
def test_elementwise_activations_are_finite_for_huge_inputs(op):
    x = ember.tensor(np.array([-1e4, -50.0, 50.0, 1e4]), requires_grad=True)
    with np.errstate(over="raise", invalid="raise"):
        y = op(x)
        y.sum().backward()
    assert np.isfinite(y.numpy()).all() and np.isfinite(x.grad.numpy()).all()


@pytest.mark.parametrize("op, ref", [(ops.softmax, np_softmax),
                                     (ops.log_softmax, np_log_softmax)])
def test_softmax_stable_for_logits_of_magnitude_1e4(op, ref):
    logits = np.array([[1e4, 0.0, -1e4], [1e4, 1e4, 1e4 - 1.0], [-1e4, -1e4 + 3.0, -1e4]])
    x = ember.tensor(logits, requires_grad=True)
    y = op(x, axis=-1)
    assert np.isfinite(y.numpy()).all()
    np.testing.assert_allclose(y.numpy(), ref(logits), rtol=1e-10, atol=1e-12)
    y.backward(np.ones_like(logits))
    assert np.isfinite(x.grad.numpy()).all()


def test_softmax_rows_sum_to_one_and_gradient_of_sum_is_zero():
    x = ember.tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)
    y = ops.softmax(x, axis=0)
    np.testing.assert_allclose(y.numpy().sum(axis=0), np.ones(4))
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.zeros((3, 4)), atol=1e-12)
