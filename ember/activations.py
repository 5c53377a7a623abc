"""Activation functions as ``keras.activations``: tensor in, tensor out, differentiable.

Each is a thin wrapper over ``ember.ops`` with Keras's signature and defaults (note that
``gelu`` defaults to the exact form here, as in Keras, while ``ops.gelu`` defaults to the
tanh approximation). Layers resolve ``activation="relu"`` through ``get``.

Example:
    >>> import ember
    >>> from ember import activations
    >>> activations.get("relu")(ember.tensor([-1.0, 2.0]))
    tensor([0., 2.])
"""

from __future__ import annotations

from ember import ops
from ember.autograd.tensor import Tensor
from ember.ops._util import operand
from ember.saving.object_registration import Registry

_REGISTRY = Registry("activation")


def _register(fn):
    _REGISTRY.add(fn.__name__, fn)
    return fn


@_register
def relu(x, negative_slope: float = 0.0, max_value: float | None = None,
         threshold: float = 0.0) -> Tensor:
    """Rectified linear unit with Keras's options.

    ``f(x) = max_value`` for ``x >= max_value``, ``x`` for ``threshold <= x < max_value``
    and ``negative_slope * (x - threshold)`` otherwise; the defaults give ``max(x, 0)``.

    Example:
        >>> import ember
        >>> relu(ember.tensor([-2.0, 1.0, 8.0]), negative_slope=0.5, max_value=6.0)
        tensor([-1.,  1.,  6.])
    """
    x = operand(x)
    if negative_slope != 0.0 and max_value is None and threshold == 0.0:
        return ops.leaky_relu(x, negative_slope=negative_slope)
    negative_part = None
    if negative_slope != 0.0:
        negative_part = ops.relu(threshold - x) if threshold != 0.0 else ops.relu(-x)
    if threshold != 0.0:
        # Keeps x where x > threshold, zero elsewhere (no shift, as Keras).
        x = x * ops.cast(ops.greater(x, threshold), x.dtype)
    elif max_value == 6:
        x = ops.relu6(x)
        max_value = None
    else:
        x = ops.relu(x)
    if max_value is not None:
        x = ops.clip(x, 0.0, max_value)
    if negative_part is not None:
        x = x - negative_slope * negative_part
    return x


@_register
def leaky_relu(x, negative_slope: float = 0.2) -> Tensor:
    """``x`` where positive, ``negative_slope * x`` elsewhere."""
    return ops.leaky_relu(x, negative_slope=negative_slope)


@_register
def relu6(x) -> Tensor:
    """``min(max(x, 0), 6)``."""
    return ops.relu6(x)


@_register
def elu(x, alpha: float = 1.0) -> Tensor:
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere (Clevert et al. 2016)."""
    return ops.elu(x, alpha=alpha)


@_register
def selu(x) -> Tensor:
    """``scale * elu(x, alpha)`` with ``alpha = 1.67326324``, ``scale = 1.05070098``
    (Klambauer et al. 2017, self-normalizing networks)."""
    return ops.selu(x)


@_register
def sigmoid(x) -> Tensor:
    """``1 / (1 + exp(-x))``."""
    return ops.sigmoid(x)


@_register
def tanh(x) -> Tensor:
    """Hyperbolic tangent."""
    return ops.tanh(x)


@_register
def softmax(x, axis: int = -1) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``axis``."""
    return ops.softmax(x, axis=axis)


@_register
def log_softmax(x, axis: int = -1) -> Tensor:
    """``x - log(sum(exp(x)))`` along ``axis``."""
    return ops.log_softmax(x, axis=axis)


@_register
def gelu(x, approximate: bool = False) -> Tensor:
    """Gaussian error linear unit ``x * Phi(x)`` (Hendrycks & Gimpel 2016); with
    ``approximate=True``, ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``."""
    return ops.gelu(x, approximate=approximate)


@_register
def silu(x) -> Tensor:
    """Swish / SiLU: ``x * sigmoid(x)`` (Ramachandran et al. 2017)."""
    return ops.silu(x)


swish = silu


@_register
def softplus(x) -> Tensor:
    """``log(exp(x) + 1)``."""
    return ops.softplus(x)


@_register
def softsign(x) -> Tensor:
    """``x / (|x| + 1)``."""
    return ops.softsign(x)


@_register
def hard_sigmoid(x) -> Tensor:
    """``relu6(x + 3) / 6``: 0 below -3, 1 above 3, linear between."""
    return ops.hard_sigmoid(x)


@_register
def hard_silu(x) -> Tensor:
    """``x * hard_sigmoid(x)`` (Howard et al. 2019, MobileNetV3's hard swish)."""
    return ops.hard_silu(x)


hard_swish = hard_silu


@_register
def exponential(x) -> Tensor:
    """``exp(x)``."""
    return ops.exp(x)


@_register
def mish(x) -> Tensor:
    """``x * tanh(softplus(x))`` (Misra 2019)."""
    x = operand(x)
    return x * ops.tanh(ops.softplus(x))


@_register
def linear(x) -> Tensor:
    """The identity: ``x`` unchanged (a NumPy array becomes a Tensor)."""
    return operand(x)


_REGISTRY.add("swish", silu)
_REGISTRY.add("hard_swish", hard_silu)


def get(identifier):
    """The activation function for ``identifier``: ``None`` gives ``linear``, a name looks
    up the registry (``"relu"``, ``"gelu"``, ...), a callable is returned as is."""
    if identifier is None:
        return linear
    obj = _REGISTRY.get(identifier)
    if not callable(obj):
        raise ValueError(
            f"activations.get: expected a name, a config dict or a callable, "
            f"received: identifier={identifier!r}"
        )
    return obj


def serialize(activation):
    """The name of a built-in or registered activation; a config dict for an object."""
    return _REGISTRY.serialize(activation)


def deserialize(config, custom_objects=None):
    """The activation a ``serialize`` result names."""
    return _REGISTRY.deserialize(config, custom_objects)
