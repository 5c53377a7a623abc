"""ember.regularizers: penalties and their gradients against NumPy, validation, registry."""

import json

import numpy as np
import pytest

import ember
from ember import regularizers

RNG = np.random.default_rng(0)
W = RNG.uniform(0.2, 1.5, size=(4, 3)) * RNG.choice([-1.0, 1.0], size=(4, 3))


def _orthogonal_penalty(w, factor, mode):
    v = w / np.linalg.norm(w, axis=1 if mode == "rows" else 0, keepdims=True)
    gram = v @ v.T if mode == "rows" else v.T @ v
    n = gram.shape[0]
    off = np.abs(gram - np.diag(np.diag(gram))).sum()
    return factor * 0.5 * off / (n * (n - 1) / 2)


@pytest.mark.parametrize("reg, expected", [
    (regularizers.L1(0.3), 0.3 * np.abs(W).sum()),
    (regularizers.L2(0.2), 0.2 * (W**2).sum()),
    (regularizers.L1L2(l1=0.1, l2=0.05), 0.1 * np.abs(W).sum() + 0.05 * (W**2).sum()),
    (regularizers.L1L2(l2=0.05), 0.05 * (W**2).sum()),
    (regularizers.OrthogonalRegularizer(0.4, "rows"), _orthogonal_penalty(W, 0.4, "rows")),
    (regularizers.OrthogonalRegularizer(0.4, "columns"), _orthogonal_penalty(W, 0.4, "columns")),
], ids=lambda v: type(v).__name__ if not isinstance(v, float) else "")
def test_values_and_gradcheck(reg, expected):
    w = ember.tensor(W, dtype="float64", requires_grad=True)
    out = reg(w)
    assert out.shape == ()
    assert float(out) == pytest.approx(expected, rel=1e-12)
    assert ember.gradcheck(reg, [w])


def test_l1_l2_gradients_by_hand():
    w = ember.tensor(W, dtype="float64", requires_grad=True)
    (regularizers.L1(0.3)(w) + regularizers.L2(0.2)(w)).backward()
    np.testing.assert_allclose(w.grad.numpy(), 0.3 * np.sign(W) + 0.4 * W, rtol=1e-12)


def test_keras_defaults():
    assert regularizers.L1().l1 == 0.01
    assert regularizers.L2().l2 == 0.01
    assert regularizers.L1L2().get_config() == {"l1": 0.0, "l2": 0.0}
    assert regularizers.OrthogonalRegularizer().get_config() == {"factor": 0.01, "mode": "rows"}


def test_zero_l1l2_is_zero_scalar():
    out = regularizers.L1L2()(ember.tensor(W.astype(np.float32)))
    assert float(out) == 0.0 and out.dtype == np.float32


def test_orthogonal_matrix_has_no_penalty():
    q, _ = np.linalg.qr(RNG.standard_normal((5, 5)))
    assert float(regularizers.OrthogonalRegularizer(1.0)(ember.tensor(q))) == pytest.approx(
        0.0, abs=1e-12)


def test_float32_stays_float32():
    w = ember.tensor(W.astype(np.float32), requires_grad=True)
    for reg in (regularizers.L1(), regularizers.L2(), regularizers.L1L2(0.1, 0.1),
                regularizers.OrthogonalRegularizer()):
        out = reg(w)
        assert out.dtype == np.float32
        w.grad = None
        out.backward()
        assert w.grad.dtype == np.float32


@pytest.mark.parametrize("make", [
    lambda: regularizers.L1(-0.1),
    lambda: regularizers.L2(float("nan")),
    lambda: regularizers.L1L2(l1="big"),
    lambda: regularizers.OrthogonalRegularizer(factor=-1.0),
])
def test_invalid_factors(make):
    with pytest.raises(ValueError, match="non-negative float"):
        make()


def test_orthogonal_errors():
    with pytest.raises(ValueError, match="mode"):
        regularizers.OrthogonalRegularizer(mode="diagonal")
    with pytest.raises(ValueError, match="OrthogonalRegularizer.*2-D"):
        regularizers.OrthogonalRegularizer()(ember.ones(2, 2, 2))


@pytest.mark.parametrize("reg", [regularizers.L1(0.2), regularizers.L2(0.3),
                                 regularizers.L1L2(0.1, 0.4),
                                 regularizers.OrthogonalRegularizer(0.5, "columns")],
                         ids=lambda r: type(r).__name__)
def test_config_round_trip(reg):
    again = regularizers.deserialize(json.loads(json.dumps(regularizers.serialize(reg))))
    assert type(again) is type(reg) and again.get_config() == reg.get_config()


@pytest.mark.parametrize("name, cls", [
    ("l1", regularizers.L1), ("l2", regularizers.L2), ("l1_l2", regularizers.L1L2),
    ("orthogonal_regularizer", regularizers.OrthogonalRegularizer), ("L2", regularizers.L2),
])
def test_get_by_name(name, cls):
    assert type(regularizers.get(name)) is cls


def test_get_objects_and_unknown_names():
    reg = regularizers.L2(0.5)
    assert regularizers.get(reg) is reg
    assert regularizers.get(None) is None
    assert regularizers.l2 is regularizers.L2 and regularizers.l1_l2 is regularizers.L1L2
    with pytest.raises(ValueError, match="Unknown regularizer.*'l1_l2'"):
        regularizers.get("l1_l3")
