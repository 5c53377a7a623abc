"""Convolution layers ``Conv1D``, ``Conv2D``, ``Conv3D`` (grouped, dilated, strided), as in
Keras 3, channels-last."""

from __future__ import annotations

from ember import activations, constraints, initializers, regularizers
from ember.layers.convolutional.arguments import (
    check_input_rank,
    check_strides_and_dilation,
    conv_output_lengths,
    label,
    positive_int,
    standardize_data_format,
    standardize_padding,
    standardize_tuple,
)
from ember.layers.input_spec import InputSpec
from ember.layers.layer import Layer
from ember.ops.conv import conv


class BaseConv(Layer):
    """N-D convolution layer: ``activation(conv(inputs, kernel) + bias)``.

    The kernel has shape ``(*kernel_size, input_channels // groups, filters)``: with
    ``groups > 1`` the input channels are split into ``groups`` blocks, each convolved with
    its own ``filters // groups`` filters (``groups == input_channels`` is a depthwise
    convolution). ``padding`` is ``"valid"``, ``"same"`` (output size ``ceil(n / strides)``,
    TensorFlow's padding with the odd element at the end) or, for ``Conv1D``, ``"causal"``
    (``dilation_rate * (kernel_size - 1)`` zeros on the left, so output ``t`` sees inputs up
    to ``t`` only; WaveNet, van den Oord et al. 2016). Subclasses set ``rank``.
    """

    rank = 2

    def __init__(self, filters: int, kernel_size, strides=1, padding: str = "valid",
                 data_format=None, dilation_rate=1, groups: int = 1, activation=None,
                 use_bias: bool = True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        rank = self.rank
        self.filters = positive_int(self, filters, "filters")
        self.groups = positive_int(self, groups, "groups")
        if self.filters % self.groups:
            raise ValueError(
                f"{label(self)}: expected filters divisible by groups, received "
                f"filters={filters}, groups={groups}"
            )
        self.kernel_size = standardize_tuple(self, kernel_size, rank, "kernel_size")
        self.strides = standardize_tuple(self, strides, rank, "strides")
        self.dilation_rate = standardize_tuple(self, dilation_rate, rank, "dilation_rate")
        check_strides_and_dilation(self)
        self.padding = standardize_padding(self, padding, allow_causal=rank == 1)
        self.data_format = standardize_data_format(self, data_format)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape) -> None:
        check_input_rank(self, input_shape, self.rank)
        channels = input_shape[-1]
        if channels is None or channels % self.groups:
            raise ValueError(
                f"{label(self)}: expected a known number of input channels divisible by "
                f"groups={self.groups}, got input shape {tuple(input_shape)}"
            )
        self.compute_output_shape(input_shape)
        self.kernel = self.add_weight(
            shape=self.kernel_size + (channels // self.groups, self.filters),
            initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint, name="kernel",
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.filters,), initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                name="bias",
            )
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={-1: channels})
        self.built = True

    def call(self, inputs):
        padding = self.padding
        if padding == "causal":
            padding = [(self.dilation_rate[0] * (self.kernel_size[0] - 1), 0)]
        # The bias and a ReLU run inside the convolution op, in place.
        fused = "relu" if self.activation is activations.relu else None
        x = conv(inputs, self.kernel, self.strides, padding, dilation_rate=self.dilation_rate,
                 bias=self.bias, activation=fused)
        if fused or self.activation is activations.linear:
            return x
        return self.activation(x)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + conv_output_lengths(self, input_shape) + (self.filters,)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "groups": self.groups,
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


class Conv1D(BaseConv):
    """1-D convolution over ``(batch, steps, channels)`` (see ``BaseConv``); ``padding`` may
    also be ``"causal"``.

    Example:
        >>> import ember
        >>> layer = ember.layers.Conv1D(8, 3, padding="causal", dilation_rate=2)
        >>> layer(ember.ones(4, 10, 3)).shape
        (4, 10, 8)
    """

    rank = 1


class Conv2D(BaseConv):
    """2-D convolution over ``(batch, height, width, channels)`` (see ``BaseConv``).

    Example:
        >>> import ember
        >>> layer = ember.layers.Conv2D(32, (3, 3), activation="relu")
        >>> layer(ember.ones(2, 28, 28, 1)).shape
        (2, 26, 26, 32)
        >>> layer.kernel.shape
        (3, 3, 1, 32)
    """

    rank = 2


class Conv3D(BaseConv):
    """3-D convolution over ``(batch, depth, height, width, channels)`` (see ``BaseConv``).

    Example:
        >>> import ember
        >>> layer = ember.layers.Conv3D(4, 3, strides=2, padding="same")
        >>> layer(ember.ones(1, 8, 8, 8, 2)).shape
        (1, 4, 4, 4, 4)
    """

    rank = 3

