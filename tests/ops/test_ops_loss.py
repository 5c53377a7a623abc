"""Losses: forward against NumPy references with Keras's semantics, float64 gradcheck with
respect to both arguments, float32 in and out, every reduction; cross-entropy from logits of
magnitude 1e4; its gradient ``softmax - onehot``; label checks."""

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

EPS = 1e-7


def np_log_softmax(x, axis=-1):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def np_softmax(x, axis=-1):
    return np.exp(np_log_softmax(x, axis))


def np_categorical(target, output, from_logits=False, axis=-1):
    if from_logits:
        logp = np_log_softmax(output, axis)
    else:
        output = output / output.sum(axis=axis, keepdims=True)
        logp = np.log(np.clip(output, EPS, 1 - EPS))
    return -(target * logp).sum(axis=axis)


def np_sparse(labels, output, from_logits=False):
    labels = labels.reshape(output.shape[:-1])
    onehot = np.eye(output.shape[-1])[labels]
    return np_categorical(onehot, output, from_logits)


def np_binary(target, output, from_logits=False):
    if from_logits:
        return np.maximum(output, 0) - output * target + np.log1p(np.exp(-np.abs(output)))
    p = np.clip(output, EPS, 1 - EPS)
    return -(target * np.log(p) + (1 - target) * np.log(1 - p))


def np_huber(y_true, y_pred, delta=1.0):
    d = np.abs(y_pred - y_true)
    return np.where(d <= delta, 0.5 * d**2, delta * d - 0.5 * delta**2).mean(axis=-1)


def np_kl(y_true, y_pred):
    t, p = np.clip(y_true, EPS, 1), np.clip(y_pred, EPS, 1)
    return (t * np.log(t / p)).sum(axis=-1)


REDUCE = {"none": lambda v: v, "sum": np.sum, "mean": np.mean}
LABELS = np.array([2, 0, 3, 3])
LABELS_3D = np.array([[0, 2, 1], [1, 1, 0]])


def small(*shape):
    """Targets near 0 so that ``y_pred`` alone decides |d|, kept away from the kinks."""
    return uniform(-0.05, 0.05, *shape)


# name -> (function of (target, output, reduction), reference of (target, output), makers)
LOSSES = {
    "categorical-probs": (
        lambda t, o, r: ops.categorical_crossentropy(t, o, reduction=r),
        np_categorical, [uniform(0, 1, 4, 3), uniform(0.1, 1, 4, 3)]),
    "categorical-logits": (
        lambda t, o, r: ops.categorical_crossentropy(t, o, from_logits=True, reduction=r),
        lambda t, o: np_categorical(t, o, True), [uniform(0, 1, 4, 3), normal(4, 3)]),
    "categorical-logits-3d": (
        lambda t, o, r: ops.categorical_crossentropy(t, o, from_logits=True, reduction=r),
        lambda t, o: np_categorical(t, o, True), [uniform(0, 1, 2, 3, 4), normal(2, 3, 4)]),
    "categorical-logits-axis1": (
        lambda t, o, r: ops.categorical_crossentropy(t, o, True, axis=1, reduction=r),
        lambda t, o: np_categorical(t, o, True, axis=1), [uniform(0, 1, 2, 3, 2), normal(2, 3, 2)]),
    "categorical-probs-axis0": (
        lambda t, o, r: ops.categorical_crossentropy(t, o, axis=0, reduction=r),
        lambda t, o: np_categorical(t, o, axis=0), [uniform(0, 1, 3, 2), uniform(0.1, 1, 3, 2)]),
    "sparse-probs": (
        lambda t, o, r: ops.sparse_categorical_crossentropy(t, o, reduction=r),
        np_sparse, [const(LABELS), uniform(0.1, 1, 4, 4)]),
    "sparse-logits": (
        lambda t, o, r: ops.sparse_categorical_crossentropy(t, o, from_logits=True, reduction=r),
        lambda t, o: np_sparse(t, o, True), [const(LABELS), normal(4, 4)]),
    "sparse-logits-labels-n1": (
        lambda t, o, r: ops.sparse_categorical_crossentropy(t, o, from_logits=True, reduction=r),
        lambda t, o: np_sparse(t, o, True), [const(LABELS[:, None]), normal(4, 4)]),
    "sparse-probs-labels-n1": (
        lambda t, o, r: ops.sparse_categorical_crossentropy(t, o, reduction=r),
        np_sparse, [const(LABELS[:, None]), uniform(0.1, 1, 4, 4)]),
    "sparse-logits-3d": (
        lambda t, o, r: ops.sparse_categorical_crossentropy(t, o, from_logits=True, reduction=r),
        lambda t, o: np_sparse(t, o, True), [const(LABELS_3D), normal(2, 3, 3)]),
    "sparse-probs-3d": (
        lambda t, o, r: ops.sparse_categorical_crossentropy(t, o, reduction=r),
        np_sparse, [const(LABELS_3D), uniform(0.1, 1, 2, 3, 3)]),
    "sparse-logits-axis1": (
        lambda t, o, r: ops.sparse_categorical_crossentropy(t, o, True, axis=1, reduction=r),
        lambda t, o: np_sparse(t, np.moveaxis(o, 1, -1), True),
        [const(LABELS_3D), normal(2, 4, 3)]),
    "sparse-logits-numpy-labels": (
        lambda o, r: ops.sparse_categorical_crossentropy(LABELS, o, from_logits=True,
                                                         reduction=r),
        lambda o: np_sparse(LABELS, o, True), [normal(4, 4)]),
    "binary-probs": (
        lambda t, o, r: ops.binary_crossentropy(t, o, reduction=r),
        np_binary, [uniform(0, 1, 3, 2), uniform(0.05, 0.95, 3, 2)]),
    "binary-logits": (
        lambda t, o, r: ops.binary_crossentropy(t, o, from_logits=True, reduction=r),
        lambda t, o: np_binary(t, o, True), [uniform(0, 1, 3, 2), normal(3, 2, scale=2.0)]),
    "mse": (
        lambda t, o, r: ops.mean_squared_error(t, o, reduction=r),
        lambda t, o: ((o - t) ** 2).mean(axis=-1), [normal(3, 4), normal(3, 4)]),
    "mse-1d": (
        lambda t, o, r: ops.mean_squared_error(t, o, reduction=r),
        lambda t, o: ((o - t) ** 2).mean(axis=-1), [normal(5), normal(5)]),
    "mae": (
        lambda t, o, r: ops.mean_absolute_error(t, o, reduction=r),
        lambda t, o: np.abs(o - t).mean(axis=-1), [small(3, 4), away(3, 4, low=0.3)]),
    "huber": (
        lambda t, o, r: ops.huber(t, o, reduction=r),
        np_huber, [small(3, 4), avoiding([-1.0, 0.0, 1.0], 3, 4, gap=0.2)]),
    "huber-delta0.5": (
        lambda t, o, r: ops.huber(t, o, delta=0.5, reduction=r),
        lambda t, o: np_huber(t, o, 0.5), [small(3, 4), avoiding([-0.5, 0.0, 0.5], 3, 4, gap=0.2)]),
    "smooth_l1": (
        lambda t, o, r: ops.smooth_l1(t, o, reduction=r),
        np_huber, [small(3, 4), avoiding([-1.0, 0.0, 1.0], 3, 4, gap=0.2)]),
    "smooth_l1-beta0.5": (
        lambda t, o, r: ops.smooth_l1(t, o, beta=0.5, reduction=r),
        lambda t, o: np_huber(t, o, 0.5) / 0.5,
        [small(3, 4), avoiding([-0.5, 0.0, 0.5], 3, 4, gap=0.2)]),
    "kl_divergence": (
        lambda t, o, r: ops.kl_divergence(t, o, reduction=r),
        np_kl, [uniform(0.05, 1, 3, 4), uniform(0.05, 1, 3, 4)]),
}

CASES = [
    Case(f"{name}-{reduction}", lambda *args, fn=fn, r=reduction: fn(*args, r),
         lambda *args, ref=ref, r=reduction: REDUCE[r](ref(*args)), makers)
    for name, (fn, ref, makers) in LOSSES.items()
    for reduction in REDUCE
]


@pytest.mark.parametrize("case", params(CASES))
def test_forward_matches_numpy(case):
    check_forward(case)


@pytest.mark.parametrize("case", params(CASES))
def test_gradcheck_float64(case):
    check_gradcheck(case)


@pytest.mark.parametrize("case", params(CASES))
def test_float32_in_float32_out(case):
    check_float32(case)


# ---- cross-entropy from logits: gradient and stability ---------------------------------


LOGITS = np.array([[2.0, -1.0, 0.5, 0.0], [0.3, 0.3, -2.0, 1.0], [1.0, 2.0, 3.0, 4.0]])
ONEHOT = np.eye(4)[[0, 3, 1]]


@pytest.mark.parametrize("reduction, scale", [("sum", 1.0), ("mean", 1 / 3)])
def test_categorical_from_logits_gradient_is_softmax_minus_onehot(reduction, scale):
    logits = ember.tensor(LOGITS, requires_grad=True)
    ops.categorical_crossentropy(ONEHOT, logits, from_logits=True,
                                 reduction=reduction).backward()
    np.testing.assert_allclose(logits.grad.numpy(), (np_softmax(LOGITS) - ONEHOT) * scale,
                               rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("reduction, scale", [("sum", 1.0), ("mean", 1 / 3)])
def test_sparse_from_logits_gradient_is_softmax_minus_onehot(reduction, scale):
    logits = ember.tensor(LOGITS, requires_grad=True)
    ops.sparse_categorical_crossentropy(np.array([0, 3, 1]), logits, from_logits=True,
                                        reduction=reduction).backward()
    np.testing.assert_allclose(logits.grad.numpy(), (np_softmax(LOGITS) - ONEHOT) * scale,
                               rtol=1e-12, atol=1e-15)


def test_binary_from_logits_gradient_is_sigmoid_minus_target():
    target = np.array([[1.0, 0.0], [0.25, 0.5]])
    logits = ember.tensor(np.array([[0.5, -2.0], [3.0, 0.0]]), requires_grad=True)
    ops.binary_crossentropy(target, logits, from_logits=True, reduction="sum").backward()
    expected = 1 / (1 + np.exp(-logits.numpy())) - target
    np.testing.assert_allclose(logits.grad.numpy(), expected, rtol=1e-12)


HUGE = np.array([[1e4, 0.0, -1e4], [-1e4, 1e4, 1e4], [-1e4, -1e4, -1e4 + 5.0]])


def test_categorical_from_logits_is_stable_for_magnitude_1e4():
    target = np.eye(3)[[1, 2, 0]]
    logits = ember.tensor(HUGE, requires_grad=True)
    loss = ops.categorical_crossentropy(target, logits, from_logits=True)
    np.testing.assert_allclose(loss.numpy(), np_categorical(target, HUGE, True), rtol=1e-12)
    np.testing.assert_allclose(loss.numpy(), [1e4, np.log(2.0), 5.0 + np.log1p(2 * np.exp(-5.0))],
                               rtol=1e-12)
    loss.sum().backward()
    assert np.isfinite(logits.grad.numpy()).all()
    np.testing.assert_allclose(logits.grad.numpy(), np_softmax(HUGE) - target, atol=1e-12)


def test_sparse_from_logits_is_stable_for_magnitude_1e4():
    logits = ember.tensor(HUGE, requires_grad=True)
    loss = ops.sparse_categorical_crossentropy(np.array([1, 2, 0]), logits, from_logits=True,
                                               reduction="mean")
    assert np.isfinite(loss.item())
    loss.backward()
    assert np.isfinite(logits.grad.numpy()).all()


def test_binary_from_logits_is_stable_for_magnitude_1e4():
    logits = ember.tensor(np.array([1e4, -1e4, 1e4, -1e4]), requires_grad=True)
    target = np.array([1.0, 0.0, 0.0, 1.0])
    loss = ops.binary_crossentropy(target, logits, from_logits=True)
    np.testing.assert_allclose(loss.numpy(), [0.0, 0.0, 1e4, 1e4])
    loss.sum().backward()
    np.testing.assert_allclose(logits.grad.numpy(), [0.0, 0.0, 1.0, -1.0])


def test_categorical_from_probabilities_survives_zero_probability():
    loss = ops.categorical_crossentropy(np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]]))
    np.testing.assert_allclose(loss.numpy(), [-np.log(EPS)], rtol=1e-6)


def test_sparse_from_probabilities_normalizes_like_keras():
    output = np.array([[2.0, 1.0, 1.0]])  # not normalized: Keras divides by the row sum
    loss = ops.sparse_categorical_crossentropy(np.array([0]), ember.tensor(output))
    np.testing.assert_allclose(loss.numpy(), [np.log(2.0)])


def test_losses_keep_reductions_shapes():
    t, o = np.ones((2, 3)), np.full((2, 3), 0.5)
    assert ops.mean_squared_error(t, o).shape == (2,)
    assert ops.mean_squared_error(t, o, reduction="sum").shape == ()
    assert ops.binary_crossentropy(t, o).shape == (2, 3)
    assert ops.binary_crossentropy(t, o, reduction="sum_over_batch_size").shape == ()


# ---- clear errors -----------------------------------------------------------------------


@pytest.mark.parametrize("labels", [[0, 3], [-1, 0], [[0], [5]]])
def test_sparse_labels_out_of_range_raise(labels):
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy.*\[0, 3\)"):
        ops.sparse_categorical_crossentropy(np.array(labels), ember.tensor(np.ones((2, 3))),
                                            from_logits=True)


def test_sparse_labels_of_wrong_shape_raise():
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        ops.sparse_categorical_crossentropy(np.array([0, 1, 2]), ember.tensor(np.ones((2, 3))))


def test_categorical_mismatched_shapes_raise():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(2, 4\)"):
        ops.categorical_crossentropy(np.ones((2, 3)), ember.tensor(np.ones((2, 4))))


@pytest.mark.parametrize("fn", [ops.categorical_crossentropy, ops.binary_crossentropy,
                                ops.mean_squared_error, ops.huber])
def test_unknown_reduction_raises(fn):
    with pytest.raises(ValueError, match="reduction"):
        fn(np.ones((2, 3)), ember.tensor(np.full((2, 3), 0.5)), reduction="average")
