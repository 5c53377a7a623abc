"""Core layers: ``InputLayer``/``Input``, ``Dense``, ``Activation``, ``Identity``,
``Lambda``."""

from __future__ import annotations

import numpy as np

from ember import activations, backend, constraints, initializers, regularizers
from ember.layers.input_spec import InputSpec
from ember.layers.layer import Layer
from ember.layers.symbolic import KerasTensor, Node
from ember.ops import linalg


class InputLayer(Layer):
    """The entry of a functional graph: makes the ``KerasTensor`` that ``Input`` returns."""

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None,
                 input_tensor=None, optional=False, name=None, **kwargs):
        batch_shape = kwargs.pop("batch_input_shape", batch_shape)
        if shape is None and batch_shape is None:
            raise ValueError("InputLayer: expected `shape` or `batch_shape`, received neither")
        if batch_shape is None:
            if isinstance(shape, int):
                shape = (shape,)
            batch_shape = (batch_size,) + tuple(shape)
        super().__init__(name=name, dtype=dtype, **kwargs)
        self.batch_shape = tuple(None if d is None else int(d) for d in batch_shape)
        self._dtype = np.dtype(getattr(dtype, "name", dtype) or backend.floatx()).name
        node = Node(self, (), {}, [])
        self.output_tensor = KerasTensor(self.batch_shape, self._dtype, name=self.name,
                                         node=node, index=0)
        node.outputs = [self.output_tensor]
        self._inbound_nodes.append(node)
        self._output_shape = self.batch_shape
        self.built = True

    def get_config(self) -> dict:
        return {"batch_shape": list(self.batch_shape), "dtype": self._dtype, "name": self.name,
                "sparse": False}


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None,
          tensor=None, optional=False) -> KerasTensor:  # noqa: N802 - Keras's name
    """A symbolic input of ``shape`` (without the batch axis) for the functional API.

    Example:
        >>> import ember
        >>> x = ember.Input(shape=(784,))
        >>> x.shape
        (None, 784)
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, batch_shape=batch_shape,
                       name=name)
    return layer.output_tensor


class Dense(Layer):
    """``activation(inputs @ kernel + bias)`` on the last axis.

    Example:
        >>> import ember
        >>> layer = ember.layers.Dense(3, activation="relu")
        >>> layer(ember.ones(2, 5)).shape
        (2, 3)
    """

    def __init__(self, units: int, activation=None, use_bias: bool = True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, lora_rank=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if not isinstance(units, (int, np.integer)) or units <= 0:
            raise ValueError(f"Dense: expected a positive integer `units`, received {units!r}")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True

    def build(self, input_shape) -> None:
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f"Dense '{self.name}': the last axis of the input must be known, "
                f"received input shape {tuple(input_shape)}"
            )
        self.kernel = self.add_weight(
            shape=(input_dim, self.units), initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
            name="kernel",
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.units,), initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                name="bias",
            )
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})
        self.built = True

    def call(self, inputs):
        x = linalg.matmul(inputs, self.kernel)
        if self.bias is not None:
            x = x + self.bias
        return self.activation(x) if self.activation is not activations.linear else x

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        })
        return config


class Activation(Layer):
    """Apply an activation function: ``Activation("relu")``."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.supports_masking = True

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config


class Identity(Layer):
    """Return the input unchanged (a placeholder in architectures)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape


class Lambda(Layer):
    """Wrap a function of tensors as a layer: ``Lambda(lambda x: x * 2)``.

    A Lambda's function is code, so a saved model stores only its name; reloading needs the
    function in ``custom_objects``.
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda: expected a callable `function`, received {function!r}")
        self.function = function
        self._given_output_shape = output_shape
        self.arguments = dict(arguments or {})
        self.mask = mask

    def call(self, inputs):
        return self.function(inputs, **self.arguments)

    def compute_output_shape(self, input_shape):
        if self._given_output_shape is None:
            return self._shape_by_running(input_shape)
        if callable(self._given_output_shape):
            return self._given_output_shape(input_shape)
        batch = input_shape[0] if input_shape and not isinstance(input_shape[0], tuple) else None
        return (batch,) + tuple(self._given_output_shape)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"function": getattr(self.function, "__name__", "lambda"),
                       "arguments": self.arguments})
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        from ember.saving.object_registration import _lookup_custom

        config = dict(config)
        name = config.pop("function")
        fn = _lookup_custom(name, custom_objects)
        if fn is None:
            raise ValueError(
                f"Lambda: cannot rebuild function {name!r}; pass it in custom_objects "
                "(a saved model never stores code)"
            )
        return cls(fn, **config)
