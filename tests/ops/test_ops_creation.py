"""Tensor creation (``tensor``, ``zeros``, ``ones``, ``full``, ``arange``, ``eye``, the
``*_like`` forms) and seeded random creation (``rand``, ``randn``, ``uniform``, ``normal``)."""

import numpy as np
import pytest

import ember
from ember import ops
from ember.utils import set_random_seed


@pytest.mark.parametrize(
    "data, dtype",
    [
        (1.5, np.float32),
        ([1.0, 2.0], np.float32),
        ([[1, 2], [3, 4]], np.int64),
        (3, np.int64),
        ([True, False], np.bool_),
        (np.array([1.0, 2.0]), np.float64),
        (np.array([1.0], dtype=np.float32), np.float32),
        (np.float64(2.0), np.float64),
        (np.arange(3, dtype=np.int32), np.int32),
    ],
)
def test_tensor_dtype_rules(data, dtype):
    t = ember.tensor(data)
    assert t.dtype == dtype
    np.testing.assert_array_equal(t.numpy(), np.asarray(data))


def test_tensor_explicit_dtype_and_requires_grad():
    t = ember.tensor([1, 2], dtype="float64", requires_grad=True)
    assert t.dtype == np.float64 and t.requires_grad and t.is_leaf
    assert ember.tensor([1.0], dtype=np.float16).dtype == np.float16


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(RuntimeError, match="float"):
        ember.tensor([1, 2], requires_grad=True)


@pytest.mark.parametrize("fn, value", [(ember.zeros, 0.0), (ember.ones, 1.0)])
def test_zeros_ones(fn, value):
    for t in (fn(2, 3), fn((2, 3)), fn([2, 3])):
        assert t.shape == (2, 3) and t.dtype == np.float32
        assert (t.numpy() == value).all()
    t = fn(4, dtype="float64", requires_grad=True)
    assert t.dtype == np.float64 and t.requires_grad
    assert fn(()).shape == ()


def test_full():
    t = ember.full((2, 3), 1.5)
    assert t.shape == (2, 3) and t.dtype == np.float32 and (t.numpy() == 1.5).all()
    assert ember.full(4, 2.0).shape == (4,)
    assert ember.full((2,), 7).dtype == np.int64
    assert ember.full((2,), 7, dtype="float64").dtype == np.float64
    assert ember.full((2,), 0.5, requires_grad=True).requires_grad


def test_arange():
    np.testing.assert_array_equal(ember.arange(5).numpy(), np.arange(5))
    assert ember.arange(5).dtype == np.int64
    np.testing.assert_array_equal(ember.arange(1, 7, 2).numpy(), [1, 3, 5])
    t = ember.arange(0, 1, 0.25)
    assert t.dtype == np.float32
    np.testing.assert_allclose(t.numpy(), [0.0, 0.25, 0.5, 0.75])
    assert ember.arange(3, dtype="float64").dtype == np.float64


def test_eye():
    np.testing.assert_array_equal(ember.eye(3).numpy(), np.eye(3))
    assert ember.eye(3).dtype == np.float32
    np.testing.assert_array_equal(ember.eye(2, 3, k=1).numpy(), np.eye(2, 3, k=1))


@pytest.mark.parametrize(
    "fn, args, value",
    [(ember.zeros_like, (), 0), (ember.ones_like, (), 1), (ember.full_like, (2.5,), 2.5)],
)
def test_like_functions_keep_shape_and_dtype(fn, args, value):
    for source in (ember.tensor(np.zeros((2, 3))), np.zeros((2, 3), dtype=np.float32)):
        t = fn(source, *args)
        assert t.shape == (2, 3) and t.dtype == source.dtype
        assert (t.numpy() == value).all()
        assert not t.requires_grad
    assert fn(ember.tensor([1.0]), *args, dtype="float64").dtype == np.float64
    assert fn(ember.tensor([1.0]), *args, requires_grad=True).requires_grad


def test_ops_creation_names_match_top_level():
    assert ops.zeros is ember.zeros and ops.arange is ember.arange
    assert ops.empty(2, 3).shape == (2, 3)


def test_convert_to_tensor_and_numpy():
    t = ops.convert_to_tensor([1.0, 2.0])
    assert isinstance(t, ember.Tensor) and t.dtype == np.float32
    assert ops.convert_to_tensor(t) is t
    assert ops.convert_to_tensor(t, "float64").dtype == np.float64
    np.testing.assert_array_equal(ops.convert_to_numpy(t), [1.0, 2.0])
    assert ops.shape(t) == (2,)


def test_stop_gradient_cuts_the_graph():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = ops.stop_gradient(x * 2.0)
    assert not y.requires_grad and y.grad_fn is None


# ---- random creation ------------------------------------------------------------------

RANDOM = [
    ("rand", lambda: ember.rand(3, 4)),
    ("randn", lambda: ember.randn((3, 4))),
    ("uniform", lambda: ember.uniform((3, 4), -2.0, 2.0)),
    ("normal", lambda: ember.normal((3, 4), 1.0, 0.5)),
]


@pytest.mark.parametrize("name, make", RANDOM, ids=[n for n, _ in RANDOM])
def test_random_creation_is_reproducible_through_set_random_seed(name, make):
    set_random_seed(123)
    first = make()
    set_random_seed(123)
    second = make()
    set_random_seed(124)
    third = make()
    assert first.shape == (3, 4) and first.dtype == np.float32
    np.testing.assert_array_equal(first.numpy(), second.numpy())
    assert not np.array_equal(first.numpy(), third.numpy())


def test_random_seed_argument_and_dtype():
    a = ember.randn(5, seed=7, dtype="float64")
    b = ember.randn(5, seed=7, dtype="float64")
    assert a.dtype == np.float64
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert ember.rand(2, requires_grad=True).requires_grad


def test_random_distributions_have_the_requested_moments():
    u = ember.uniform((20000,), -2.0, 3.0, seed=0).numpy()
    assert u.min() >= -2.0 and u.max() < 3.0
    assert abs(u.mean() - 0.5) < 0.05
    n = ember.normal((20000,), 1.0, 0.5, seed=0).numpy()
    assert abs(n.mean() - 1.0) < 0.02 and abs(n.std() - 0.5) < 0.02
    r = ember.rand(20000, seed=1).numpy()
    assert r.min() >= 0.0 and r.max() < 1.0
