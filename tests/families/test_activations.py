"""ember.activations: values against NumPy formulas, gradients, Keras's relu options and the
registry."""

import math

import numpy as np
import pytest

import ember
from ember import activations

RNG = np.random.default_rng(0)
# Values away from the kinks at 0, +-3 (hard_sigmoid) and 6 (relu6).
X = np.array([-5.1, -2.4, -1.3, -0.6, -0.2, 0.3, 0.7, 1.6, 2.5, 4.2, 7.3])


erf = np.vectorize(math.erf)  # SciPy is not a test dependency


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softplus(x):
    return np.log1p(np.exp(x))


SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

REFERENCES = {
    "relu": lambda x: np.maximum(x, 0),
    "relu6": lambda x: np.clip(x, 0, 6),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
    "elu": lambda x: np.where(x > 0, x, np.expm1(x)),
    "selu": lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x)),
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "gelu": lambda x: 0.5 * x * (1 + erf(x / math.sqrt(2))),
    "silu": lambda x: x * _sigmoid(x),
    "swish": lambda x: x * _sigmoid(x),
    "softplus": _softplus,
    "softsign": lambda x: x / (1 + np.abs(x)),
    "hard_sigmoid": lambda x: np.clip(x / 6 + 0.5, 0, 1),
    "hard_silu": lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
    "hard_swish": lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
    "exponential": np.exp,
    "linear": lambda x: x,
    "mish": lambda x: x * np.tanh(_softplus(x)),
}


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_values_match_numpy(name):
    fn = activations.get(name)
    out = fn(ember.tensor(X, dtype="float64"))
    np.testing.assert_allclose(out.numpy(), REFERENCES[name](X), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_gradcheck(name):
    x = ember.tensor(X, dtype="float64", requires_grad=True)
    assert ember.gradcheck(activations.get(name), [x])


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_float32_stays_float32(name):
    x = ember.tensor(X.astype(np.float32), requires_grad=True)
    y = activations.get(name)(x)
    assert y.dtype == np.float32
    if name != "linear":
        y.sum().backward()
        assert x.grad.dtype == np.float32


def test_numpy_input_accepted():
    out = activations.relu(np.array([-1.0, 2.0], dtype=np.float32))
    assert isinstance(out, ember.Tensor)
    assert out.tolist() == [0.0, 2.0]


def _keras_relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    y = np.where(x > threshold, x, 0.0) if threshold else np.maximum(x, 0.0)
    if max_value is not None:
        y = np.clip(y, 0.0, max_value)  # Keras clips from 0, even below a negative threshold
    if negative_slope:
        y = y - negative_slope * np.maximum(threshold - x, 0.0)
    return y


@pytest.mark.parametrize("kwargs", [
    {"negative_slope": 0.1},
    {"max_value": 6.0},
    {"max_value": 2.0},
    {"threshold": 1.0},
    {"negative_slope": 0.3, "max_value": 4.0},
    {"negative_slope": 0.3, "threshold": 0.5},
    {"negative_slope": 0.2, "max_value": 3.0, "threshold": -1.0},
])
def test_relu_options_match_keras_definition(kwargs):
    out = activations.relu(ember.tensor(X, dtype="float64"), **kwargs)
    np.testing.assert_allclose(out.numpy(), _keras_relu(X, **kwargs), rtol=1e-12)


def test_relu_options_gradcheck():
    x = ember.tensor(X, dtype="float64", requires_grad=True)
    assert ember.gradcheck(
        lambda t: activations.relu(t, negative_slope=0.2, max_value=4.0, threshold=0.5), [x]
    )


def test_relu_by_hand():
    out = activations.relu(ember.tensor([-2.0, 1.0, 8.0]), negative_slope=0.5, max_value=6.0)
    assert out.tolist() == [-1.0, 1.0, 6.0]


def test_gelu_approximate_is_tanh_form():
    out = activations.gelu(ember.tensor(X, dtype="float64"), approximate=True)
    ref = 0.5 * X * (1 + np.tanh(math.sqrt(2 / math.pi) * (X + 0.044715 * X**3)))
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-12)


def test_leaky_relu_slope_and_elu_alpha():
    x = ember.tensor(X, dtype="float64")
    np.testing.assert_allclose(activations.leaky_relu(x, negative_slope=0.01).numpy(),
                               np.where(X > 0, X, 0.01 * X))
    np.testing.assert_allclose(activations.elu(x, alpha=0.5).numpy(),
                               np.where(X > 0, X, 0.5 * np.expm1(X)))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_and_log_softmax_axis(axis):
    x = RNG.standard_normal((3, 4))
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    ref = e / e.sum(axis=axis, keepdims=True)
    np.testing.assert_allclose(activations.softmax(ember.tensor(x), axis=axis).numpy(), ref,
                               rtol=1e-12)
    np.testing.assert_allclose(activations.log_softmax(ember.tensor(x), axis=axis).numpy(),
                               np.log(ref), rtol=1e-12)


def test_get_none_and_linear():
    assert activations.get(None) is activations.linear
    assert activations.get("linear") is activations.linear


def test_get_names_and_callables():
    assert activations.get("relu") is activations.relu
    assert activations.get("swish") is activations.silu
    assert activations.get("hard_swish") is activations.hard_silu

    def custom(x):
        return x

    assert activations.get(custom) is custom


def test_get_unknown_name_suggests_close_match():
    with pytest.raises(ValueError, match="Did you mean.*'relu'"):
        activations.get("rellu")


def test_get_rejects_non_callables():
    with pytest.raises(ValueError, match="activation"):
        activations.get(3)


def test_serialize_round_trip():
    for name in ("relu", "gelu", "softmax", "silu", "linear"):
        fn = activations.get(name)
        assert activations.serialize(fn) == name
        assert activations.deserialize(activations.serialize(fn)) is fn


def test_custom_registered_activation_deserializes():
    @ember.saving.register_serializable(package="test_activations")
    def doubled(x):
        return 2 * x

    assert activations.deserialize("test_activations>doubled") is doubled
    assert activations.get("doubled") is doubled
