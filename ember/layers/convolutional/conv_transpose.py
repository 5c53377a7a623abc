"""Transposed convolution layers ``Conv1DTranspose``, ``Conv2DTranspose``,
``Conv3DTranspose`` (Keras 3, channels-last)."""

from __future__ import annotations

from ember import activations, constraints, initializers, regularizers
from ember.layers.convolutional.arguments import (
    check_input_rank,
    check_output_lengths,
    check_strides_and_dilation,
    label,
    positive_int,
    standardize_data_format,
    standardize_padding,
    standardize_tuple,
)
from ember.layers.input_spec import InputSpec
from ember.layers.layer import Layer
from ember.ops.conv import conv_transpose, transpose_output_spatial


class BaseConvTranspose(Layer):
    """N-D transposed convolution ("deconvolution"): the gradient of a convolution with
    respect to its input, used as a layer that maps ``(batch, *n, C)`` to ``(batch, *m,
    filters)`` with ``m`` about ``n * strides`` (the upsampling of decoders and GAN
    generators; Zeiler et al. 2010, Dumoulin & Visin 2016).

    The kernel has Keras's shape ``(*kernel_size, filters, input_channels)``. With
    ``k_eff = dilation_rate * (kernel_size - 1) + 1`` the output length is
    ``(n - 1) * strides + max(k_eff, strides)`` for ``"valid"`` and ``n * strides`` for
    ``"same"``; an ``output_padding`` (each ``< strides``) replaces that rule by
    ``(n - 1) * strides + k_eff + output_padding`` (valid) or ``(n - 1) * strides + k_eff
    - 2 * (k_eff // 2) + output_padding`` (same). Subclasses set ``rank``.
    """

    rank = 2

    def __init__(self, filters: int, kernel_size, strides=1, padding: str = "valid",
                 output_padding=None, data_format=None, dilation_rate=1, activation=None,
                 use_bias: bool = True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        rank = self.rank
        self.filters = positive_int(self, filters, "filters")
        self.kernel_size = standardize_tuple(self, kernel_size, rank, "kernel_size")
        self.strides = standardize_tuple(self, strides, rank, "strides")
        self.dilation_rate = standardize_tuple(self, dilation_rate, rank, "dilation_rate")
        check_strides_and_dilation(self)
        self.output_padding = None
        if output_padding is not None:
            self.output_padding = standardize_tuple(self, output_padding, rank,
                                                    "output_padding", minimum=0)
            if any(p >= s for p, s in zip(self.output_padding, self.strides)):
                raise ValueError(
                    f"{label(self)}: expected output_padding < strides, received "
                    f"output_padding={self.output_padding}, strides={self.strides}"
                )
        self.padding = standardize_padding(self, padding)
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
        if channels is None:
            raise ValueError(
                f"{label(self)}: expected a known number of input channels, got input shape "
                f"{tuple(input_shape)}"
            )
        self.compute_output_shape(input_shape)
        self.kernel = self.add_weight(
            shape=self.kernel_size + (self.filters, channels),
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
        x = conv_transpose(inputs, self.kernel, self.strides, self.padding,
                           self.output_padding, dilation_rate=self.dilation_rate)
        if self.bias is not None:
            x = x + self.bias
        return self.activation(x) if self.activation is not activations.linear else x

    def compute_output_shape(self, input_shape):
        check_input_rank(self, input_shape, self.rank)
        k_eff = tuple(d * (k - 1) + 1 for k, d in zip(self.kernel_size, self.dilation_rate))
        lengths = transpose_output_spatial(tuple(input_shape[1:-1]), k_eff, self.strides,
                                           self.padding, self.output_padding, label(self))
        check_output_lengths(self, input_shape, lengths, f"kernel_size={self.kernel_size}")
        return (input_shape[0],) + lengths + (self.filters,)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "output_padding": self.output_padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
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


class Conv1DTranspose(BaseConvTranspose):
    """Transposed 1-D convolution over ``(batch, steps, channels)`` (see
    ``BaseConvTranspose``).

    Example:
        >>> import ember
        >>> ember.layers.Conv1DTranspose(4, 3, strides=2)(ember.ones(2, 5, 3)).shape
        (2, 11, 4)
    """

    rank = 1


class Conv2DTranspose(BaseConvTranspose):
    """Transposed 2-D convolution over ``(batch, height, width, channels)`` (see
    ``BaseConvTranspose``).

    Example:
        >>> import ember
        >>> layer = ember.layers.Conv2DTranspose(16, 3, strides=2, padding="same")
        >>> layer(ember.ones(2, 7, 7, 32)).shape
        (2, 14, 14, 16)
        >>> layer.kernel.shape
        (3, 3, 16, 32)
    """

    rank = 2


class Conv3DTranspose(BaseConvTranspose):
    """Transposed 3-D convolution over ``(batch, depth, height, width, channels)`` (see
    ``BaseConvTranspose``).

    Example:
        >>> import ember
        >>> ember.layers.Conv3DTranspose(2, 2, strides=2)(ember.ones(1, 3, 3, 3, 4)).shape
        (1, 6, 6, 6, 2)
    """

    rank = 3
