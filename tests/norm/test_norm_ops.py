"""Normalization ops: values against NumPy references, float64 gradchecks (the fused
backwards, the path through the statistics included) and float32 preservation for every op;
the fused ops against the same formulas written with primitive ops; errors."""

import re

import norm_reference as ref
import numpy as np
import pytest
from op_harness import (
    Case,
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
from ember.ops.normalization import fused_batch_normalization

MASK = np.array([[1, 1, 0, 1], [0, 1, 1, 1], [1, 0, 0, 1], [1, 1, 1, 0], [0, 1, 1, 1]],
                dtype=bool)[..., None]  # (5, 4, 1): statistics over the unmasked positions


def _bn_case(id_, axis, shape, affine=True, epsilon=1e-3):
    c = shape[axis]
    inputs = [normal(*shape), normal(c), uniform(0.5, 2.0, c)]
    if not affine:
        return Case(id_, lambda x, m, v: ops.batch_normalization(x, m, v, axis, epsilon=epsilon),
                    lambda x, m, v: ref.batch_norm(x, m, v, axis, epsilon=epsilon), inputs)
    return Case(
        id_,
        lambda x, m, v, o, s: ops.batch_normalization(x, m, v, axis, o, s, epsilon),
        lambda x, m, v, o, s: ref.batch_norm(x, m, v, axis, o, s, epsilon),
        inputs + [normal(c), away(c)],
    )


CASES = [
    Case("moments-axis0", lambda x: ops.moments(x, axes=0), lambda x: ref.moments(x, 0),
         [normal(4, 3)]),
    Case("moments-axes-keepdims", lambda x: ops.moments(x, [0, 2], keepdims=True),
         lambda x: ref.moments(x, (0, 2), keepdims=True), [normal(3, 4, 5)]),
    Case("moments-conv", lambda x: ops.moments(x, (0, 1, 2)),
         lambda x: ref.moments(x, (0, 1, 2)), [normal(2, 3, 3, 4, scale=2.0)]),
    _bn_case("batch_normalization-last", -1, (4, 3, 5)),
    _bn_case("batch_normalization-axis1", 1, (2, 3, 4)),
    _bn_case("batch_normalization-no-affine", 1, (2, 3, 4), affine=False, epsilon=0.01),
    Case("fused_batch_normalization",
         lambda x, o, s: fused_batch_normalization(x, -1, o, s),
         lambda x, o, s: ref.batch_norm_training(x, -1, o, s),
         [normal(6, 2, 4), normal(4), away(4)]),
    Case("fused_batch_normalization-axis1-no-affine",
         lambda x: fused_batch_normalization(x, axis=1, epsilon=0.01),
         lambda x: ref.batch_norm_training(x, axis=1, epsilon=0.01),
         [normal(3, 2, 4, 2, scale=3.0)]),
    Case("fused_batch_normalization-mask",
         lambda x, o, s, m: fused_batch_normalization(x, -1, o, s, mask=m),
         lambda x, o, s, m: ref.batch_norm_training(x, -1, o, s, mask=m),
         [normal(5, 4, 3), normal(3), away(3), const(MASK)]),
    Case("layer_normalization-last",
         lambda x, g, b: ops.layer_normalization(x, g, b, epsilon=1e-3),
         lambda x, g, b: ref.layer_norm(x, g, b), [normal(3, 5), away(5), normal(5)]),
    Case("layer_normalization-axes",
         lambda x, g, b: ops.layer_normalization(x, g, b, axis=[2, 1], epsilon=1e-3),
         lambda x, g, b: ref.layer_norm(x, g, b, axes=(1, 2)),
         [normal(2, 3, 4), away(3, 4), normal(3, 4)]),
    Case("layer_normalization-default-epsilon", lambda x: ops.layer_normalization(x),
         lambda x: ref.layer_norm(x, epsilon=1e-7), [normal(3, 4)]),
    Case("layer_normalization-rms_scaling",
         lambda x, g: ops.layer_normalization(x, g, axis=-1, epsilon=1e-3, rms_scaling=True),
         lambda x, g: ref.keras_rms_scaling(x, g), [normal(3, 5), away(5)]),
    Case("rms_normalization-default", lambda x: ops.rms_normalization(x),
         lambda x: ref.rms_norm(x), [normal(3, 5)]),
    Case("rms_normalization-number", lambda x: ops.rms_normalization(x, 2.5, epsilon=1e-3),
         lambda x: ref.rms_norm(x, 2.5, epsilon=1e-3), [normal(3, 5)]),
    Case("rms_normalization-axes",
         lambda x, s: ops.rms_normalization(x, s, axis=[1, 2], epsilon=1e-3),
         lambda x, s: ref.rms_norm(x, s, axes=(1, 2), epsilon=1e-3),
         [normal(2, 3, 4), away(3, 4)]),
    Case("group_normalization-2", lambda x, g, b: ops.group_normalization(x, 2, g, b),
         lambda x, g, b: ref.group_norm(x, 2, g, b), [normal(2, 3, 3, 4), away(4), normal(4)]),
    Case("group_normalization-1", lambda x: ops.group_normalization(x, 1, epsilon=0.01),
         lambda x: ref.group_norm(x, 1, epsilon=0.01), [normal(2, 5, 3)]),
    Case("group_normalization-instance", lambda x, g: ops.group_normalization(x, 3, g),
         lambda x, g: ref.group_norm(x, 3, g), [normal(2, 4, 3), away(3)]),
    Case("group_normalization-axis1",
         lambda x, g, b: ops.group_normalization(x, 2, g, b, axis=1),
         lambda x, g, b: ref.group_norm(x, 2, g, b, axis=1),
         [normal(2, 4, 3), away(4), normal(4)]),
    Case("normalize-l2", lambda x: ops.normalize(x), lambda x: ref.unit_norm(x),
         [normal(3, 4)]),
    Case("normalize-l1-axis0", lambda x: ops.normalize(x, axis=0, order=1),
         lambda x: ref.unit_norm(x, axis=0, order=1), [away(3, 4)]),
    Case("normalize-l3", lambda x: ops.normalize(x, order=3),
         lambda x: ref.unit_norm(x, order=3), [away(3, 4)]),
]


@pytest.mark.parametrize("case", params(CASES))
def test_forward(case):
    check_forward(case)


@pytest.mark.parametrize("case", params(CASES))
def test_gradcheck(case):
    check_gradcheck(case)


@pytest.mark.parametrize("case", params(CASES))
def test_float32(case):
    check_float32(case)


# ---- fused against composite ------------------------------------------------------------


def _composite_batch_norm(x, gamma, beta, epsilon=1e-3):
    mean = ops.mean(x, axis=(0, 1, 2), keepdims=True)
    centered = x - mean
    variance = ops.mean(ops.square(centered), axis=(0, 1, 2), keepdims=True)
    return centered * ops.rsqrt(variance + epsilon) * gamma + beta


def _composite_layer_norm(x, gamma, beta, epsilon=1e-3):
    mean = ops.mean(x, axis=-1, keepdims=True)
    centered = x - mean
    variance = ops.mean(ops.square(centered), axis=-1, keepdims=True)
    return centered * ops.rsqrt(variance + epsilon) * gamma + beta


def _composite_group_norm(x, gamma, beta, groups=2, epsilon=1e-3):
    n, h, w, c = x.shape
    grouped = ops.reshape(x, (n, h, w, groups, c // groups))
    mean = ops.mean(grouped, axis=(1, 2, 4), keepdims=True)
    centered = grouped - mean
    variance = ops.mean(ops.square(centered), axis=(1, 2, 4), keepdims=True)
    y = ops.reshape(centered * ops.rsqrt(variance + epsilon), x.shape)
    return y * gamma + beta


PAIRS = {
    "batch": (lambda x, g, b: fused_batch_normalization(x, -1, b, g)[0], _composite_batch_norm),
    "layer": (lambda x, g, b: ops.layer_normalization(x, g, b, epsilon=1e-3),
              _composite_layer_norm),
    "group": (lambda x, g, b: ops.group_normalization(x, 2, g, b), _composite_group_norm),
}


@pytest.mark.parametrize("dtype,rtol", [("float64", 1e-10), ("float32", 2e-4)])
@pytest.mark.parametrize("name", list(PAIRS))
def test_fused_matches_composite(name, dtype, rtol):
    """Same values and the same gradients (x, gamma, beta) as the formula built from
    primitive ops, whose gradient the engine derives node by node."""
    rng = np.random.default_rng(5)
    arrays = [rng.normal(2.0, 3.0, size=(4, 3, 3, 6)), rng.uniform(0.5, 2.0, 6),
              rng.normal(size=6)]
    upstream = rng.normal(size=(4, 3, 3, 6)).astype(dtype)
    results = []
    for fn in PAIRS[name]:
        leaves = [ember.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
        y = fn(*leaves)
        (y * ember.tensor(upstream)).sum().backward()
        results.append([y.numpy()] + [t.grad.numpy() for t in leaves])
    for fused, composite in zip(*results):
        assert fused.dtype == np.dtype(dtype)
        np.testing.assert_allclose(fused, composite, rtol=rtol, atol=rtol * 10)


# ---- statistics and edge cases ----------------------------------------------------------


def test_fused_batch_normalization_returns_channel_statistics():
    x = np.random.default_rng(0).normal(size=(4, 3, 3, 5)).astype("float32")
    _, mean, variance = fused_batch_normalization(ember.tensor(x))
    assert mean.shape == variance.shape == (5,)
    assert mean.dtype == variance.dtype == np.float32
    np.testing.assert_allclose(mean.numpy(), x.mean(axis=(0, 1, 2)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(variance.numpy(), x.var(axis=(0, 1, 2)), rtol=1e-5)


def test_fused_batch_normalization_fully_masked_gives_zero_statistics():
    """As Keras's masked moments: no counted position means mean 0 and variance 0."""
    x = np.array([[1.0, -2.0], [3.0, 4.0]])
    y, mean, variance = fused_batch_normalization(ember.tensor(x), mask=np.zeros((2, 1)),
                                                  epsilon=0.25)
    np.testing.assert_array_equal(mean.numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(variance.numpy(), [0.0, 0.0])
    np.testing.assert_allclose(y.numpy(), x / 0.5)


def test_parameters_given_as_lists_keep_float32():
    x = ember.tensor(np.ones((2, 3), dtype="float32"))
    y = ops.batch_normalization(x, [0.0, 0.0, 0.0], [1.0, 1.0, 1.0], axis=-1,
                                offset=[1.0, 2.0, 3.0], scale=[2.0, 2.0, 2.0])
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), [[3.0, 4.0, 5.0]] * 2, rtol=1e-3)


def test_constant_channel_is_finite():
    """Zero variance: epsilon keeps the output finite and the gradient defined."""
    x = ember.tensor(np.full((4, 2), 3.0), requires_grad=True)
    y, _, _ = fused_batch_normalization(x)
    y.sum().backward()
    np.testing.assert_array_equal(y.numpy(), np.zeros((4, 2)))
    assert np.isfinite(x.grad.numpy()).all()


@pytest.mark.parametrize("call,message", [
    (lambda x: ops.batch_normalization(x, [0.0], [1.0], axis=-1), "batch_normalization"),
    (lambda x: ops.batch_normalization(x, [0.0] * 3, [1.0] * 3, axis=2), "axis=2"),
    (lambda x: fused_batch_normalization(x, scale=[1.0, 2.0]), "`scale` with 3 values"),
    (lambda x: fused_batch_normalization(x, mask=np.ones((3, 1))), "broadcastable to (2, 3)"),
    (lambda x: ops.layer_normalization(x, gamma=[1.0, 1.0]), "layer_normalization"),
    (lambda x: ops.group_normalization(x, 2), "groups=2"),
    (lambda x: ops.group_normalization(x, 1, axis=0), "axis=0"),
    (lambda x: ops.normalize(x, order=0), "order=0"),
    (lambda x: ops.moments(x, 0, synchronized=True), "synchronized"),
])
def test_errors_name_the_op_and_the_values(call, message):
    x = ember.tensor(np.ones((2, 3), dtype="float32"))
    with pytest.raises(ValueError, match=re.escape(message)):
        call(x)
