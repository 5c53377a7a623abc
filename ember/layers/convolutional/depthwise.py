"""Depthwise and depthwise-separable convolution layers: ``DepthwiseConv1D``,
``DepthwiseConv2D``, ``SeparableConv1D``, ``SeparableConv2D`` (Keras 3, channels-last)."""

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
from ember.ops.conv import conv, depthwise_conv


class BaseDepthwiseConv(Layer):
    """N-D depthwise convolution: each input channel ``c`` is convolved with its own
    ``depth_multiplier`` filters, giving output channel ``c * depth_multiplier + m``.

    The kernel (named ``kernel``, as in Keras 3) has shape ``(*kernel_size, input_channels,
    depth_multiplier)``; the bias ``(input_channels * depth_multiplier,)``. It costs
    ``1 / filters`` of a full convolution's multiplications (Howard et al. 2017, MobileNets).
    Subclasses set ``rank``.
    """

    rank = 2

    def __init__(self, kernel_size, strides=1, padding: str = "valid",
                 depth_multiplier: int = 1, data_format=None, dilation_rate=1,
                 activation=None, use_bias: bool = True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        rank = self.rank
        self.depth_multiplier = positive_int(self, depth_multiplier, "depth_multiplier")
        self.kernel_size = standardize_tuple(self, kernel_size, rank, "kernel_size")
        self.strides = standardize_tuple(self, strides, rank, "strides")
        self.dilation_rate = standardize_tuple(self, dilation_rate, rank, "dilation_rate")
        check_strides_and_dilation(self)
        self.padding = standardize_padding(self, padding)
        self.data_format = standardize_data_format(self, data_format)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape) -> None:
        channels = _input_channels(self, input_shape)
        self.compute_output_shape(input_shape)
        self.kernel = self.add_weight(
            shape=self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint, name="kernel",
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(channels * self.depth_multiplier,), initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                name="bias",
            )
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={-1: channels})
        self.built = True

    def call(self, inputs):
        x = depthwise_conv(inputs, self.kernel, self.strides, self.padding,
                           dilation_rate=self.dilation_rate)
        if self.bias is not None:
            x = x + self.bias
        return self.activation(x) if self.activation is not activations.linear else x

    def compute_output_shape(self, input_shape):
        lengths = conv_output_lengths(self, input_shape)
        channels = None if input_shape[-1] is None else input_shape[-1] * self.depth_multiplier
        return (input_shape[0],) + lengths + (channels,)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({
            "depth_multiplier": self.depth_multiplier,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        })
        return config


class DepthwiseConv1D(BaseDepthwiseConv):
    """Depthwise 1-D convolution over ``(batch, steps, channels)`` (see
    ``BaseDepthwiseConv``).

    Example:
        >>> import ember
        >>> ember.layers.DepthwiseConv1D(3, depth_multiplier=2)(ember.ones(2, 10, 4)).shape
        (2, 8, 8)
    """

    rank = 1


class DepthwiseConv2D(BaseDepthwiseConv):
    """Depthwise 2-D convolution over ``(batch, height, width, channels)`` (see
    ``BaseDepthwiseConv``).

    Example:
        >>> import ember
        >>> layer = ember.layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2)
        >>> layer(ember.ones(2, 8, 8, 3)).shape
        (2, 8, 8, 6)
        >>> layer.kernel.shape
        (3, 3, 3, 2)
    """

    rank = 2


class BaseSeparableConv(Layer):
    """N-D depthwise-separable convolution (Chollet 2017, Xception): a depthwise
    convolution (``depthwise_kernel`` ``(*kernel_size, input_channels, depth_multiplier)``)
    followed by a pointwise 1 x 1 convolution (``pointwise_kernel`` ``(1, ..., 1,
    input_channels * depth_multiplier, filters)``) and the bias. Subclasses set ``rank``.
    """

    rank = 2

    def __init__(self, filters: int, kernel_size, strides=1, padding: str = "valid",
                 data_format=None, dilation_rate=1, depth_multiplier: int = 1,
                 activation=None, use_bias: bool = True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, pointwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        rank = self.rank
        self.filters = positive_int(self, filters, "filters")
        self.depth_multiplier = positive_int(self, depth_multiplier, "depth_multiplier")
        self.kernel_size = standardize_tuple(self, kernel_size, rank, "kernel_size")
        self.strides = standardize_tuple(self, strides, rank, "strides")
        self.dilation_rate = standardize_tuple(self, dilation_rate, rank, "dilation_rate")
        check_strides_and_dilation(self)
        self.padding = standardize_padding(self, padding)
        self.data_format = standardize_data_format(self, data_format)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.pointwise_constraint = constraints.get(pointwise_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape) -> None:
        channels = _input_channels(self, input_shape)
        self.compute_output_shape(input_shape)
        self.depthwise_kernel = self.add_weight(
            shape=self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint, name="depthwise_kernel",
        )
        self.pointwise_kernel = self.add_weight(
            shape=(1,) * self.rank + (channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint, name="pointwise_kernel",
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
        x = depthwise_conv(inputs, self.depthwise_kernel, self.strides, self.padding,
                           dilation_rate=self.dilation_rate)
        x = conv(x, self.pointwise_kernel)
        if self.bias is not None:
            x = x + self.bias
        return self.activation(x) if self.activation is not activations.linear else x

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + conv_output_lengths(self, input_shape) + (self.filters,)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({
            "depth_multiplier": self.depth_multiplier,
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "pointwise_regularizer": regularizers.serialize(self.pointwise_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
            "pointwise_constraint": constraints.serialize(self.pointwise_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        })
        return config


class SeparableConv1D(BaseSeparableConv):
    """Depthwise-separable 1-D convolution over ``(batch, steps, channels)`` (see
    ``BaseSeparableConv``).

    Example:
        >>> import ember
        >>> ember.layers.SeparableConv1D(8, 3, padding="same")(ember.ones(2, 10, 4)).shape
        (2, 10, 8)
    """

    rank = 1


class SeparableConv2D(BaseSeparableConv):
    """Depthwise-separable 2-D convolution over ``(batch, height, width, channels)`` (see
    ``BaseSeparableConv``).

    Example:
        >>> import ember
        >>> layer = ember.layers.SeparableConv2D(16, 3, depth_multiplier=2)
        >>> layer(ember.ones(2, 9, 9, 3)).shape
        (2, 7, 7, 16)
        >>> layer.pointwise_kernel.shape
        (1, 1, 6, 16)
    """

    rank = 2


def _input_channels(layer, input_shape) -> int:
    check_input_rank(layer, input_shape, layer.rank)
    if input_shape[-1] is None:
        raise ValueError(
            f"{label(layer)}: expected a known number of input channels, got input shape "
            f"{tuple(input_shape)}"
        )
    return input_shape[-1]

