"""Behaviour of Flatten, Reshape, Permute and RepeatVector."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember import layers
from ember.layers import Input


def _x(*shape):
    return np.arange(np.prod(shape), dtype="float32").reshape(shape)


def test_flatten_keeps_batch_and_order():
    x = _x(2, 3, 4, 5)
    np.testing.assert_array_equal(layers.Flatten()(ember.tensor(x)).numpy(), x.reshape(2, -1))


def test_flatten_channels_first_matches_channels_last_order():
    x = _x(2, 3, 4, 5)  # (batch, channels, h, w)
    y = layers.Flatten(data_format="channels_first")(ember.tensor(x)).numpy()
    np.testing.assert_array_equal(y, np.transpose(x, (0, 2, 3, 1)).reshape(2, -1))
    with pytest.raises(ValueError, match="Flatten 'flat_bad'.*data_format"):
        layers.Flatten(data_format="channels_middle", name="flat_bad")


def test_flatten_symbolic_unknown_size():
    assert layers.Flatten()(Input((None, 3))).shape == (None, None)
    assert layers.Flatten()(Input((28, 28, 1))).shape == (None, 784)


def test_reshape_values_and_inferred_axis():
    x = _x(2, 12)
    y = layers.Reshape((3, -1))(ember.tensor(x))
    assert y.shape == (2, 3, 4)
    np.testing.assert_array_equal(y.numpy(), x.reshape(2, 3, 4))
    assert layers.Reshape((-1,))(ember.tensor(_x(5, 2, 3))).shape == (5, 6)


def test_reshape_errors():
    with pytest.raises(ValueError, match=r"Reshape: .*at most one -1"):
        layers.Reshape((-1, -1))
    with pytest.raises(ValueError, match=r"Reshape 'rs': expected an input with 10 values per "
                                         r"sample.*\(2, 12\)"):
        layers.Reshape((2, 5), name="rs")(ember.tensor(_x(2, 12)))
    with pytest.raises(ValueError, match=r"Reshape 'rs5': .*a multiple of 5.*\(2, 12\)"):
        layers.Reshape((5, -1), name="rs5")(ember.tensor(_x(2, 12)))


def test_reshape_symbolic():
    assert layers.Reshape((4, -1))(Input((12,))).shape == (None, 4, 3)
    assert layers.Reshape((4, -1))(Input((None,))).shape == (None, 4, None)


def test_permute_is_one_based_and_keeps_batch():
    x = _x(2, 3, 4, 5)
    y = layers.Permute((3, 1, 2))(ember.tensor(x))
    np.testing.assert_array_equal(y.numpy(), np.transpose(x, (0, 3, 1, 2)))
    assert layers.Permute((2, 1))(Input((10, 64))).shape == (None, 64, 10)


def test_permute_errors():
    with pytest.raises(ValueError, match="Permute: .*dims"):
        layers.Permute((0, 1))
    with pytest.raises(ValueError, match="Permute: .*dims"):
        layers.Permute((1, 3))
    with pytest.raises(ValueError, match=r"Permute 'perm': expected input with ndim=3, got "
                                         r"input of shape \(2, 3\)"):
        layers.Permute((2, 1), name="perm")(ember.tensor(_x(2, 3)))


def test_permute_gradient_is_inverse_permutation():
    x = ember.tensor(_x(2, 3, 4), requires_grad=True)
    y = layers.Permute((2, 1))(x)
    weights = np.random.default_rng(0).normal(size=y.shape).astype("float32")
    (y * ember.tensor(weights)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.transpose(weights, (0, 2, 1)))


def test_repeat_vector():
    x = _x(2, 4)
    y = layers.RepeatVector(3)(ember.tensor(x)).numpy()
    np.testing.assert_array_equal(y, np.repeat(x[:, None, :], 3, axis=1))
    with pytest.raises(ValueError, match=r"RepeatVector 'rep': expected input with ndim=2"):
        layers.RepeatVector(3, name="rep")(ember.tensor(_x(2, 3, 4)))
    with pytest.raises(ValueError, match="RepeatVector"):
        layers.RepeatVector(0)
    t = ember.tensor(x, requires_grad=True)
    layers.RepeatVector(3)(t).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), np.full((2, 4), 3.0))
