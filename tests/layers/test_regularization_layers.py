"""Behaviour of Dropout, GaussianNoise, GaussianDropout, AlphaDropout and
ActivityRegularization: statistics, scaling, gradients, seeding."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember import layers

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def test_dropout_inverted_scaling_and_rate():
    x = np.full((200, 500), 3.0, dtype="float32")
    y = layers.Dropout(0.3, seed=0)(ember.tensor(x), training=True).numpy()
    assert y.dtype == np.float32
    kept = y != 0
    np.testing.assert_allclose(y[kept], 3.0 / 0.7, rtol=1e-6)
    assert abs((~kept).mean() - 0.3) < 0.01
    # Inverted dropout keeps the expected value: the mean stays about 3.
    assert abs(y.mean() - 3.0) < 0.03


def test_dropout_is_identity_outside_training():
    x = ember.randn(4, 5)
    layer = layers.Dropout(0.5)
    np.testing.assert_array_equal(layer(x).numpy(), x.numpy())
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x.numpy())


def test_dropout_gradient_is_the_scaled_mask():
    x = ember.tensor(np.ones((50, 40), dtype="float32"), requires_grad=True)
    y = layers.Dropout(0.25, seed=1)(x, training=True)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), (y.numpy() != 0) / 0.75, rtol=1e-6)


def test_dropout_noise_shape_shares_the_mask():
    x = np.ones((8, 6, 10), dtype="float32")
    y = layers.Dropout(0.5, noise_shape=(None, 1, 10), seed=2)(ember.tensor(x),
                                                                 training=True).numpy()
    # One mask per (sample, feature), the same at every time step.
    np.testing.assert_array_equal(y, np.broadcast_to(y[:, :1, :], y.shape))
    assert 0 < (y == 0).mean() < 1
    with pytest.raises(ValueError, match=r"Dropout 'drop_ns'.*\(None, 2, 10\).*\(8, 6, 10\)"):
        layers.Dropout(0.5, noise_shape=(None, 2, 10), name="drop_ns")(ember.tensor(x),
                                                                         training=True)


def test_dropout_rate_limits():
    for bad in (-0.1, 1.5, "half"):
        with pytest.raises(ValueError, match="Dropout: expected rate in"):
            layers.Dropout(bad)
    x = ember.ones(3, 4)
    np.testing.assert_array_equal(layers.Dropout(1.0)(x, training=True).numpy(), np.zeros((3, 4)))
    np.testing.assert_array_equal(layers.Dropout(0.0)(x, training=True).numpy(), x.numpy())


def test_dropout_seed_gives_a_reproducible_sequence():
    x = ember.ones(10, 10)
    a, b = layers.Dropout(0.5, seed=42), layers.Dropout(0.5, seed=42)
    a1, a2 = a(x, training=True).numpy(), a(x, training=True).numpy()
    b1, b2 = b(x, training=True).numpy(), b(x, training=True).numpy()
    np.testing.assert_array_equal(a1, b1)
    np.testing.assert_array_equal(a2, b2)
    assert not np.array_equal(a1, a2), "a seeded layer must draw fresh masks on each call"


def test_set_random_seed_makes_unseeded_layers_reproducible():
    x = ember.ones(10, 10)
    results = []
    for _ in range(2):
        ember.utils.set_random_seed(123)
        results.append([layers.Dropout(0.5)(x, training=True).numpy(),
                        layers.GaussianNoise(0.5)(x, training=True).numpy(),
                        layers.GaussianDropout(0.5)(x, training=True).numpy(),
                        layers.AlphaDropout(0.5)(x, training=True).numpy()])
    for first, second in zip(*results, strict=True):
        np.testing.assert_array_equal(first, second)


def test_training_flag_reaches_nested_dropout():
    class Block(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.drop = layers.Dropout(0.5)

        def call(self, inputs):
            return self.drop(inputs)

    x = ember.ones(20, 20)
    block = Block()
    assert (block(x, training=True).numpy() == 0).any()
    np.testing.assert_array_equal(block(x).numpy(), x.numpy())


def test_gaussian_noise_statistics_and_gradient():
    x = ember.tensor(np.zeros((400, 250), dtype="float32"), requires_grad=True)
    y = layers.GaussianNoise(0.2, seed=0)(x, training=True)
    assert y.dtype == np.float32
    noise = y.numpy()
    assert abs(noise.mean()) < 0.003
    assert abs(noise.std() - 0.2) < 0.003
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((400, 250)))
    with pytest.raises(ValueError, match="GaussianNoise"):
        layers.GaussianNoise(-1.0)


def test_gaussian_dropout_statistics_and_gradient():
    rate = 0.2
    x = ember.tensor(np.full((400, 250), 2.0, dtype="float32"), requires_grad=True)
    y = layers.GaussianDropout(rate, seed=0)(x, training=True)
    factor = y.numpy() / 2.0
    assert abs(factor.mean() - 1.0) < 0.005
    assert abs(factor.std() - np.sqrt(rate / (1 - rate))) < 0.005
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), factor, rtol=1e-6)
    with pytest.raises(ValueError, match=r"GaussianDropout: expected rate in \[0, 1\)"):
        layers.GaussianDropout(1.0)


def test_alpha_dropout_keeps_selu_mean_and_variance():
    rate = 0.2
    x = np.random.default_rng(0).normal(size=(400, 500)).astype("float32")
    y = layers.AlphaDropout(rate, seed=0)(ember.tensor(x), training=True).numpy()
    assert y.dtype == np.float32
    assert abs(y.mean()) < 0.01 and abs(y.var() - 1.0) < 0.01
    alpha_p = -_SELU_ALPHA * _SELU_SCALE
    a = ((1 - rate) * (1 + rate * alpha_p**2)) ** -0.5
    b = -a * alpha_p * rate
    dropped = np.isclose(y, a * alpha_p + b, atol=1e-6)
    assert abs(dropped.mean() - rate) < 0.01
    np.testing.assert_allclose(y[~dropped], a * x[~dropped] + b, rtol=1e-5, atol=1e-6)


def test_alpha_dropout_gradient():
    x = ember.tensor(np.ones((30, 30), dtype="float32"), requires_grad=True)
    y = layers.AlphaDropout(0.3, seed=4)(x, training=True)
    y.sum().backward()
    grads = np.unique(np.round(x.grad.numpy(), 6))
    alpha_p = -_SELU_ALPHA * _SELU_SCALE
    a = ((1 - 0.3) * (1 + 0.3 * alpha_p**2)) ** -0.5
    np.testing.assert_allclose(grads, [0.0, a], rtol=1e-5)


def test_activity_regularization_value_and_reset():
    layer = layers.ActivityRegularization(l1=0.2, l2=0.3)
    layer(ember.tensor([[2.0, -1.0]]))
    assert len(layer.losses) == 1
    np.testing.assert_allclose(float(layer.losses[0].numpy()), 0.2 * 3 + 0.3 * 5, rtol=1e-6)
    layer(ember.tensor([[1.0, 1.0]]))
    assert len(layer.losses) == 1, "losses of an earlier call must not accumulate"
    np.testing.assert_allclose(float(layer.losses[0].numpy()), 0.2 * 2 + 0.3 * 2, rtol=1e-6)


def test_activity_regularization_is_divided_by_batch_size():
    x = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    layer = layers.ActivityRegularization(l1=0.1, l2=0.5)
    layer(ember.tensor(x))
    total = 0.1 * np.abs(x).sum() + 0.5 * (x**2).sum()
    np.testing.assert_allclose(float(layer.losses[0].numpy()), total / 4, rtol=1e-5)


def test_activity_regularization_loss_has_a_gradient():
    x = ember.tensor([[2.0, -1.0]], requires_grad=True)
    layer = layers.ActivityRegularization(l1=0.0, l2=0.5)
    layer(x)
    layer.losses[0].backward()
    np.testing.assert_allclose(x.grad.numpy(), [[2.0, -1.0]])


def test_configs_keep_seed_and_noise_shape():
    config = layers.Dropout(0.2, noise_shape=(None, 1, 4), seed=5).get_config()
    assert (config["rate"], config["seed"], config["noise_shape"]) == (0.2, 5, [None, 1, 4])
    config = layers.ActivityRegularization(l1=0.5).get_config()
    assert "activity_regularizer" not in config and config["l1"] == 0.5
