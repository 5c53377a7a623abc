"""Behaviour of the activation layers against NumPy references."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember import layers


def _x(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _relu_reference(x, max_value=None, negative_slope=0.0, threshold=0.0):
    """Keras's documented formula, written piecewise."""
    out = np.where(x >= threshold, x, negative_slope * (x - threshold))
    if max_value is not None:
        out = np.where(x >= max_value, max_value, out)
    return out


@pytest.mark.parametrize("options", [
    {},
    {"max_value": 0.5},
    {"max_value": 6.0},
    {"negative_slope": 0.2},
    {"threshold": 0.4},
    {"max_value": 1.0, "negative_slope": 0.1, "threshold": 0.3},
])
def test_relu_matches_keras_formula(options):
    x = _x(4, 50) * 3
    y = layers.ReLU(**options)(ember.tensor(x)).numpy()
    np.testing.assert_allclose(y, _relu_reference(x, **options), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("options", [{"max_value": -1.0}, {"negative_slope": -0.1},
                                     {"threshold": -0.5}])
def test_relu_rejects_negative_options(options):
    with pytest.raises(ValueError, match="ReLU"):
        layers.ReLU(**options)


def test_leaky_relu_default_slope_is_keras3s():
    layer = layers.LeakyReLU()
    assert layer.negative_slope == 0.3
    y = layer(ember.tensor([[-10.0, -1.0, 0.0, 2.0]])).numpy()
    np.testing.assert_allclose(y, [[-3.0, -0.3, 0.0, 2.0]], rtol=1e-6)


def test_leaky_relu_alpha_alias_and_validation():
    assert layers.LeakyReLU(alpha=0.1).get_config()["negative_slope"] == 0.1
    with pytest.raises(ValueError, match="LeakyReLU"):
        layers.LeakyReLU(negative_slope=-0.2)


def test_elu_values():
    x = _x(3, 7) * 2
    for alpha in (1.0, 0.5):
        y = layers.ELU(alpha=alpha)(ember.tensor(x)).numpy()
        np.testing.assert_allclose(y, np.where(x > 0, x, alpha * np.expm1(x)), rtol=1e-5,
                                   atol=1e-6)


def test_prelu_values_and_alpha_gradient():
    x = _x(5, 4)
    layer = layers.PReLU()
    layer(ember.tensor(x))
    alpha = np.array([0.1, 0.2, 0.3, 0.4], dtype="float32")
    layer.set_weights([alpha])
    xt = ember.tensor(x, requires_grad=True)
    y = layer(xt)
    np.testing.assert_allclose(y.numpy(), np.where(x > 0, x, alpha * x), rtol=1e-6)
    y.sum().backward()
    # d(sum y)/d alpha_j = sum over the batch of min(x, 0).
    np.testing.assert_allclose(layer.alpha.grad.numpy(), np.minimum(x, 0).sum(axis=0),
                               rtol=1e-5)
    np.testing.assert_allclose(xt.grad.numpy(), np.where(x > 0, 1.0, alpha), rtol=1e-6)


def test_prelu_learns_alpha_by_gradient_descent():
    """With targets 0.25 * x on negative inputs, alpha moves from 0 towards 0.25."""
    x = -np.abs(_x(64, 1)) - 0.1
    layer = layers.PReLU()
    for _ in range(200):
        y = layer(ember.tensor(x))
        loss = ((y - ember.tensor(0.25 * x)) ** 2).mean()
        loss.backward()
        layer.alpha.assign_sub(0.5 * layer.alpha.grad.numpy())
        layer.alpha.grad = None
    np.testing.assert_allclose(layer.alpha.numpy(), [0.25], atol=1e-3)


def test_prelu_shared_axes_shape_and_spec():
    layer = layers.PReLU(shared_axes=[1, 2], name="prelu_conv")
    layer(ember.ones(2, 5, 5, 3))
    assert layer.alpha.shape == (1, 1, 3)
    assert layer.get_config()["shared_axes"] == [1, 2]
    layer(ember.ones(4, 7, 6, 3))  # shared axes may change size
    with pytest.raises(ValueError, match=r"PReLU 'prelu_conv'.*\(4, 7, 6, 2\)"):
        layer(ember.ones(4, 7, 6, 2))


def test_prelu_rejects_batch_axis_as_shared():
    with pytest.raises(ValueError, match=r"PReLU 'prelu_bad'.*shared_axes"):
        layers.PReLU(shared_axes=0, name="prelu_bad")(ember.ones(2, 3))


def test_softmax_values_and_axes():
    x = _x(2, 3, 4)
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    np.testing.assert_allclose(layers.Softmax()(ember.tensor(x)).numpy(),
                               e / e.sum(-1, keepdims=True), rtol=1e-5)
    e1 = np.exp(x - x.max(axis=1, keepdims=True))
    np.testing.assert_allclose(layers.Softmax(axis=1)(ember.tensor(x)).numpy(),
                               e1 / e1.sum(1, keepdims=True), rtol=1e-5)
    both = layers.Softmax(axis=[1, 2])(ember.tensor(x)).numpy()
    np.testing.assert_allclose(both.sum(axis=(1, 2)), np.ones(2), rtol=1e-5)
    np.testing.assert_allclose(both, np.exp(x) / np.exp(x).sum(axis=(1, 2), keepdims=True),
                               rtol=1e-5)


def test_softmax_mask_excludes_positions():
    x = _x(2, 5)
    mask = np.array([[1, 1, 0, 1, 0], [0, 1, 1, 1, 1]], dtype=bool)
    y = layers.Softmax()(ember.tensor(x), mask=mask).numpy()
    assert y.dtype == np.float32
    assert np.all(y[~mask] < 1e-30)
    e = np.where(mask, np.exp(x), 0.0)
    np.testing.assert_allclose(y, e / e.sum(-1, keepdims=True), rtol=1e-5, atol=1e-7)
    # A float 0/1 mask broadcast over the rows works the same way.
    y2 = layers.Softmax()(ember.tensor(x), mask=ember.tensor([[1.0, 1.0, 0.0, 1.0, 0.0]]))
    np.testing.assert_allclose(y2.numpy()[0], y[0], rtol=1e-6)


def test_swish_values_and_beta_gradient():
    x = _x(4, 3)
    layer = layers.Swish(beta=1.5)
    xt = ember.tensor(x, requires_grad=True)
    y = layer(xt)
    s = _sigmoid(1.5 * x)
    np.testing.assert_allclose(y.numpy(), x * s, rtol=1e-5)
    y.sum().backward()
    assert layer.beta in layer.trainable_weights and layer.beta.shape == ()
    np.testing.assert_allclose(float(layer.beta.grad.numpy()),
                               np.sum(x * x * s * (1 - s)), rtol=1e-4)
    np.testing.assert_allclose(xt.grad.numpy(), s + 1.5 * x * s * (1 - s), rtol=1e-5)


def test_swish_fixed_beta_is_not_trained():
    layer = layers.Swish(beta=2.0, trainable_beta=False)
    y = layer(ember.tensor(_x(3, 3), requires_grad=True))
    y.sum().backward()
    assert layer.trainable_weights == []
    assert layer.non_trainable_weights == [layer.beta]
    assert layer.beta.grad is None
    assert float(layer.beta.numpy()) == 2.0
