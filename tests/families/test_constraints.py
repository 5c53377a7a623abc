"""ember.constraints: projections against the Keras formulas in NumPy, registry."""

import json

import numpy as np
import pytest

import ember
from ember import constraints

EPS = 1e-7
RNG = np.random.default_rng(0)
W = RNG.standard_normal((5, 4)) * np.array([0.1, 0.5, 1.0, 3.0])  # columns of varied norm
K = RNG.standard_normal((3, 3, 2, 4))


def _norms(w, axis):
    return np.sqrt((w**2).sum(axis=axis, keepdims=True))


def test_max_norm():
    out = constraints.MaxNorm(max_value=1.0)(ember.tensor(W)).numpy()
    n = _norms(W, 0)
    np.testing.assert_allclose(out, W * np.clip(n, 0, 1.0) / (EPS + n), rtol=1e-12)
    assert (_norms(out, 0) <= 1.0 + 1e-9).all()
    small = (n <= 1.0).ravel()
    np.testing.assert_allclose(out[:, small], W[:, small], rtol=1e-6)


def test_max_norm_over_conv_kernel_axes():
    axes = [0, 1, 2]
    out = constraints.MaxNorm(max_value=2.0, axis=axes)(ember.tensor(K)).numpy()
    n = _norms(K, tuple(axes))
    np.testing.assert_allclose(out, K * np.clip(n, 0, 2.0) / (EPS + n), rtol=1e-12)
    assert _norms(out, (0, 1, 2)).max() <= 2.0 + 1e-9


def test_non_neg():
    out = constraints.NonNeg()(ember.tensor(W)).numpy()
    np.testing.assert_array_equal(out, np.where(W >= 0, W, 0.0))


@pytest.mark.parametrize("axis", [0, 1])
def test_unit_norm(axis):
    out = constraints.UnitNorm(axis=axis)(ember.tensor(W)).numpy()
    np.testing.assert_allclose(out, W / (_norms(W, axis) + EPS), rtol=1e-12)
    np.testing.assert_allclose(_norms(out, axis), 1.0, rtol=1e-6)


@pytest.mark.parametrize("rate", [1.0, 0.5])
def test_min_max_norm(rate):
    c = constraints.MinMaxNorm(min_value=0.5, max_value=2.0, rate=rate)
    out = c(ember.tensor(W)).numpy()
    n = _norms(W, 0)
    desired = rate * np.clip(n, 0.5, 2.0) + (1 - rate) * n
    np.testing.assert_allclose(out, W * desired / (EPS + n), rtol=1e-12)
    if rate == 1.0:
        assert ((_norms(out, 0) >= 0.5 - 1e-6) & (_norms(out, 0) <= 2.0 + 1e-6)).all()


def test_keras_defaults():
    assert constraints.MaxNorm().get_config() == {"max_value": 2, "axis": 0}
    assert constraints.UnitNorm().get_config() == {"axis": 0}
    assert constraints.MinMaxNorm().get_config() == {"min_value": 0.0, "max_value": 1.0,
                                                      "rate": 1.0, "axis": 0}


@pytest.mark.parametrize("c", [constraints.MaxNorm(1.0), constraints.NonNeg(),
                               constraints.UnitNorm(), constraints.MinMaxNorm(0.5, 1.0)],
                         ids=lambda c: type(c).__name__)
def test_no_graph_and_dtype_kept(c):
    w = ember.tensor(W.astype(np.float32), requires_grad=True)
    out = c(w)
    assert isinstance(out, ember.Tensor) and not out.requires_grad
    assert out.dtype == np.float32
    np.testing.assert_allclose(c(W.astype(np.float32)).numpy(), out.numpy())
    v = ember.Variable(W.astype(np.float32))
    v.assign(c(v))
    np.testing.assert_allclose(v.numpy(), out.numpy())


@pytest.mark.parametrize("c", [constraints.MaxNorm(3.0, axis=1), constraints.NonNeg(),
                               constraints.UnitNorm(axis=[0, 1]),
                               constraints.MinMaxNorm(0.1, 0.9, 0.5, 1)],
                         ids=lambda c: type(c).__name__)
def test_config_round_trip(c):
    again = constraints.deserialize(json.loads(json.dumps(constraints.serialize(c))))
    assert type(again) is type(c) and again.get_config() == c.get_config()


@pytest.mark.parametrize("name, cls", [
    ("max_norm", constraints.MaxNorm), ("non_neg", constraints.NonNeg),
    ("unit_norm", constraints.UnitNorm), ("min_max_norm", constraints.MinMaxNorm),
    ("MaxNorm", constraints.MaxNorm),
])
def test_get_by_name(name, cls):
    assert type(constraints.get(name)) is cls


def test_get_objects_and_unknown_names():
    c = constraints.UnitNorm()
    assert constraints.get(c) is c and constraints.get(None) is None
    assert constraints.max_norm is constraints.MaxNorm
    with pytest.raises(ValueError, match="Unknown constraint.*'non_neg'"):
        constraints.get("non_negative")
