"""Dropout: a fixed mask per seed (so gradcheck sees one function), inverted scaling, the
identity outside training, noise_shape, dtype, and its arguments checked."""

import numpy as np
import pytest
from op_harness import Case, check_float32, check_forward, check_gradcheck, normal, params

import ember
from ember import ops
from ember.utils import set_random_seed


def np_dropout(x, rate, seed, shape=None):
    keep = np.random.default_rng(seed).random(size=shape or x.shape, dtype=np.float32) >= rate
    return x * keep / (1.0 - rate)


CASES = [
    Case("dropout-0.3", lambda x: ops.dropout(x, 0.3, seed=1),
         lambda x: np_dropout(x, 0.3, 1), [normal(4, 5)]),
    Case("dropout-0.5-3d", lambda x: ops.dropout(x, 0.5, seed=3),
         lambda x: np_dropout(x, 0.5, 3), [normal(2, 3, 4)]),
    Case("dropout-noise-shape", lambda x: ops.dropout(x, 0.5, noise_shape=(None, 1), seed=2),
         lambda x: np_dropout(x, 0.5, 2, (4, 1)), [normal(4, 3)]),
    Case("dropout-not-training", lambda x: ops.dropout(x, 0.5, seed=1, training=False) * 1.0,
         lambda x: x, [normal(3)]),
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


def test_dropout_zeroes_about_rate_and_scales_the_rest():
    x = ember.tensor(np.ones(20000), requires_grad=True)
    y = ops.dropout(x, 0.25, seed=0)
    kept = y.numpy() != 0
    assert abs(1 - kept.mean() - 0.25) < 0.02
    np.testing.assert_allclose(y.numpy()[kept], 1 / 0.75)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.numpy())  # gradient is the mask


def test_dropout_is_reproducible_through_set_random_seed():
    x = ember.tensor(np.ones((8, 8)))
    set_random_seed(5)
    a = ops.dropout(x, 0.5).numpy()
    set_random_seed(5)
    b = ops.dropout(x, 0.5).numpy()
    c = ops.dropout(x, 0.5).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)


@pytest.mark.parametrize("kwargs", [{"training": False}, {"rate": 0.0}])
def test_dropout_identity_cases_return_input(kwargs):
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    args = {"rate": 0.5, **kwargs}
    assert ops.dropout(x, **args) is x


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5])
def test_dropout_rate_out_of_range_raises(rate):
    with pytest.raises(ValueError, match="rate"):
        ops.dropout(ember.tensor([1.0]), rate)
