"""Activation layers: ``ReLU``, ``LeakyReLU``, ``PReLU``, ``ELU``, ``Softmax`` and ember's
``Swish`` with a learnable ``beta``."""

from __future__ import annotations

import numpy as np

from ember import activations, constraints, initializers, ops, regularizers
from ember.layers.input_spec import InputSpec
from ember.layers.layer import Layer


class ReLU(Layer):
    """Rectified linear unit with Keras's options:

    ``f(x) = max_value`` for ``x >= max_value``, ``x`` for ``threshold <= x < max_value``,
    ``negative_slope * (x - threshold)`` otherwise.

    Example:
        >>> import ember
        >>> ember.layers.ReLU(max_value=6.0)(ember.tensor([-1.0, 2.0, 9.0])).numpy()
        array([0., 2., 6.], dtype=float32)
    """

    def __init__(self, max_value: float | None = None, negative_slope: float = 0.0,
                 threshold: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0.0:
            raise ValueError(
                f"ReLU: expected max_value >= 0 or None, received max_value={max_value}"
            )
        if negative_slope is None or negative_slope < 0.0:
            raise ValueError(
                f"ReLU: expected negative_slope >= 0, received negative_slope={negative_slope}"
            )
        if threshold is None or threshold < 0.0:
            raise ValueError(f"ReLU: expected threshold >= 0, received threshold={threshold}")
        self.max_value = max_value
        self.negative_slope = negative_slope
        self.threshold = threshold
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return activations.relu(inputs, negative_slope=self.negative_slope,
                                max_value=self.max_value, threshold=self.threshold)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"max_value": self.max_value, "negative_slope": self.negative_slope,
                       "threshold": self.threshold})
        return config


class LeakyReLU(Layer):
    """``x`` where ``x >= 0``, ``negative_slope * x`` elsewhere (Keras 3 default 0.3).

    Example:
        >>> import ember
        >>> ember.layers.LeakyReLU(0.5)(ember.tensor([-4.0, 3.0])).numpy()
        array([-2.,  3.], dtype=float32)
    """

    def __init__(self, negative_slope: float = 0.3, **kwargs):
        if "alpha" in kwargs:  # the Keras 2 name, still accepted by Keras 3
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        if negative_slope is None or negative_slope < 0.0:
            raise ValueError(
                "LeakyReLU: expected negative_slope >= 0, "
                f"received negative_slope={negative_slope}"
            )
        self.negative_slope = negative_slope
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return activations.leaky_relu(inputs, negative_slope=self.negative_slope)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        config = super().get_config()
        config["negative_slope"] = self.negative_slope
        return config


class PReLU(Layer):
    """Parametric ReLU (He et al. 2015): ``max(x, 0) - alpha * max(-x, 0)`` with a learned
    ``alpha`` per input unit, shared along the 1-based axes in ``shared_axes``.

    Example:
        >>> import ember
        >>> layer = ember.layers.PReLU(shared_axes=[1, 2])
        >>> layer(ember.ones(2, 5, 5, 3)).shape, layer.alpha.shape
        ((2, 5, 5, 3), (1, 1, 3))
    """

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None,
                 alpha_constraint=None, shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        elif isinstance(shared_axes, (list, tuple)):
            self.shared_axes = [int(a) for a in shared_axes]
        else:
            self.shared_axes = [int(shared_axes)]
        self.supports_masking = True

    def build(self, input_shape) -> None:
        ndim = len(input_shape)
        shared = self.shared_axes or []
        bad = [a for a in shared if not 1 <= a < ndim]
        if bad:
            raise ValueError(
                f"PReLU '{self.name}': expected shared_axes in 1..{ndim - 1}, received "
                f"{self.shared_axes} for input of shape {tuple(input_shape)}"
            )
        param_shape = [1 if axis in shared else input_shape[axis] for axis in range(1, ndim)]
        if None in param_shape:
            raise ValueError(
                f"PReLU '{self.name}': expected known sizes on the axes that are not shared, "
                f"got input of shape {tuple(input_shape)}"
            )
        self.alpha = self.add_weight(
            shape=param_shape, initializer=self.alpha_initializer,
            regularizer=self.alpha_regularizer, constraint=self.alpha_constraint, name="alpha",
        )
        axes = {axis: input_shape[axis] for axis in range(1, ndim) if axis not in shared}
        self.input_spec = InputSpec(ndim=ndim, axes=axes)
        self.built = True

    def call(self, inputs):
        return ops.relu(inputs) - self.alpha * ops.relu(-inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
            "alpha_constraint": constraints.serialize(self.alpha_constraint),
            "shared_axes": self.shared_axes,
        })
        return config


class ELU(Layer):
    """Exponential linear unit: ``x`` where ``x > 0``, ``alpha * (exp(x) - 1)`` elsewhere.

    Example:
        >>> import ember
        >>> ember.layers.ELU()(ember.tensor([0.0, 2.0])).numpy()
        array([0., 2.], dtype=float32)
    """

    def __init__(self, alpha: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = alpha
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return activations.elu(inputs, alpha=self.alpha)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        config = super().get_config()
        config["alpha"] = self.alpha
        return config


class Softmax(Layer):
    """Softmax along ``axis`` (an int or a list of ints). ``mask`` (1 keeps, 0 masks, the
    shape of the inputs or broadcastable to it) adds a large negative number to masked
    logits before the softmax, so they get (almost) zero probability.

    Example:
        >>> import ember
        >>> x = ember.tensor([[1.0, 2.0, 3.0]])
        >>> ember.layers.Softmax()(x, mask=ember.tensor([[1.0, 1.0, 0.0]])).numpy().round(3)
        array([[0.269, 0.731, 0.   ]], dtype=float32)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else axis
        self.supports_masking = True
        self.built = True

    def call(self, inputs, mask=None):
        if mask is not None:
            keep = ops.cast(ops.convert_to_tensor(mask), inputs.dtype)
            inputs = inputs + (1.0 - keep) * _large_negative_number(inputs.dtype)
        if isinstance(self.axis, list):
            if len(self.axis) > 1:
                axis = tuple(self.axis)
                return ops.exp(inputs - ops.logsumexp(inputs, axis=axis, keepdims=True))
            return ops.softmax(inputs, axis=self.axis[0])
        return ops.softmax(inputs, axis=self.axis)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        config = super().get_config()
        config["axis"] = self.axis
        return config


class Swish(Layer):
    """``x * sigmoid(beta * x)`` with ``beta`` a learned scalar weight (Ramachandran et al.
    2017), the course's form of swish; ``trainable_beta=False`` keeps ``beta`` fixed.

    Example:
        >>> import ember
        >>> layer = ember.layers.Swish(beta=1.0)
        >>> y = layer(ember.tensor([[1.0, -2.0]]))
        >>> y.sum().backward()
        >>> layer.beta.grad is not None
        True
    """

    def __init__(self, beta: float = 1.0, trainable_beta: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.initial_beta = float(beta)
        self.trainable_beta = bool(trainable_beta)
        self.supports_masking = True

    def build(self, input_shape) -> None:
        self.beta = self.add_weight(
            shape=(), initializer=initializers.Constant(self.initial_beta),
            trainable=self.trainable_beta, name="beta",
        )
        self.built = True

    def call(self, inputs):
        return ops.swish(inputs, self.beta)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"beta": self.initial_beta, "trainable_beta": self.trainable_beta})
        return config


def _large_negative_number(dtype) -> float:
    """A number that makes ``exp`` underflow to 0 without overflowing ``dtype``."""
    return -3e4 if np.dtype(dtype) == np.float16 else -1e9
