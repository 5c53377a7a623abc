"""Pooling layers, as in Keras 3 (channels-last): ``MaxPooling1D/2D/3D``,
``AveragePooling1D/2D/3D`` and the global poolings ``GlobalMaxPooling1D/2D/3D``,
``GlobalAveragePooling1D/2D/3D``, with Keras's aliases (``MaxPool2D``, ``AvgPool2D``,
``GlobalAvgPool2D``, ...)."""

from __future__ import annotations

from ember.layers.convolutional.arguments import (
    check_input_rank,
    check_output_lengths,
    standardize_data_format,
    standardize_padding,
    standardize_tuple,
    window_output_length,
)
from ember.layers.input_spec import InputSpec
from ember.layers.layer import Layer
from ember.ops.math import cast
from ember.ops.pool import average_pool, max_pool
from ember.ops.reduce import max as reduce_max
from ember.ops.reduce import mean as reduce_mean
from ember.ops.reduce import sum as reduce_sum
from ember.ops.shape import expand_dims


class BasePooling(Layer):
    """Pool each ``pool_size`` window, moved by ``strides`` (``pool_size`` when None), over
    the spatial axes of ``(batch, *spatial, channels)``: the maximum (``MaxPooling``) or the
    mean (``AveragePooling``; with ``"same"`` padding, of the real elements only, as
    TensorFlow). Output length ``(n - pool_size) // strides + 1`` for ``"valid"``,
    ``ceil(n / strides)`` for ``"same"``. Subclasses set ``rank`` and ``pool_function``.
    """

    rank = 2
    pool_function = staticmethod(max_pool)

    def __init__(self, pool_size=2, strides=None, padding: str = "valid", data_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.pool_size = standardize_tuple(self, pool_size, self.rank, "pool_size")
        self.strides = self.pool_size if strides is None else standardize_tuple(
            self, strides, self.rank, "strides")
        self.padding = standardize_padding(self, padding)
        self.data_format = standardize_data_format(self, data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def build(self, input_shape) -> None:
        self.compute_output_shape(input_shape)
        self.built = True

    def call(self, inputs):
        return self.pool_function(inputs, self.pool_size, self.strides, self.padding)

    def compute_output_shape(self, input_shape):
        check_input_rank(self, input_shape, self.rank)
        lengths = tuple(window_output_length(n, k, s, self.padding)
                        for n, k, s in zip(input_shape[1:-1], self.pool_size, self.strides))
        check_output_lengths(self, input_shape, lengths, f"pool_size={self.pool_size}")
        return (input_shape[0],) + lengths + (input_shape[-1],)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"pool_size": self.pool_size, "padding": self.padding,
                       "strides": self.strides, "data_format": self.data_format})
        return config


class MaxPooling1D(BasePooling):
    """Max pooling over steps (see ``BasePooling``).

    Example:
        >>> import ember
        >>> ember.layers.MaxPooling1D(2)(ember.ones(4, 10, 3)).shape
        (4, 5, 3)
    """

    rank = 1


class MaxPooling2D(BasePooling):
    """Max pooling over height and width (see ``BasePooling``); the gradient goes to the
    maximum of each window (the first one on ties).

    Example:
        >>> import ember
        >>> ember.layers.MaxPooling2D((2, 2))(ember.ones(2, 26, 26, 32)).shape
        (2, 13, 13, 32)
    """

    rank = 2


class MaxPooling3D(BasePooling):
    """Max pooling over depth, height and width (see ``BasePooling``).

    Example:
        >>> import ember
        >>> ember.layers.MaxPooling3D(2, padding="same")(ember.ones(1, 5, 4, 4, 2)).shape
        (1, 3, 2, 2, 2)
    """

    rank = 3


class AveragePooling1D(BasePooling):
    """Average pooling over steps (see ``BasePooling``).

    Example:
        >>> import ember
        >>> ember.layers.AveragePooling1D(3, strides=1)(ember.ones(4, 10, 3)).shape
        (4, 8, 3)
    """

    rank = 1
    pool_function = staticmethod(average_pool)


class AveragePooling2D(BasePooling):
    """Average pooling over height and width (see ``BasePooling``).

    Example:
        >>> import ember
        >>> ember.layers.AveragePooling2D(2, padding="same")(ember.ones(2, 7, 7, 8)).shape
        (2, 4, 4, 8)
    """

    rank = 2
    pool_function = staticmethod(average_pool)


class AveragePooling3D(BasePooling):
    """Average pooling over depth, height and width (see ``BasePooling``).

    Example:
        >>> import ember
        >>> ember.layers.AveragePooling3D(2)(ember.ones(1, 4, 4, 4, 2)).shape
        (1, 2, 2, 2, 2)
    """

    rank = 3
    pool_function = staticmethod(average_pool)


class BaseGlobalPooling(Layer):
    """Reduce all spatial axes of ``(batch, *spatial, channels)`` to ``(batch, channels)``
    (``(batch, 1, ..., 1, channels)`` with ``keepdims=True``) by their maximum or mean.
    Subclasses set ``rank`` and ``reduce``."""

    rank = 2
    reduce = staticmethod(reduce_max)

    def __init__(self, data_format=None, keepdims: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(self, data_format)
        self.keepdims = keepdims
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def build(self, input_shape) -> None:
        check_input_rank(self, input_shape, self.rank)
        self.built = True

    def call(self, inputs):
        return self.reduce(inputs, axis=tuple(range(1, self.rank + 1)), keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        check_input_rank(self, input_shape, self.rank)
        if self.keepdims:
            return (input_shape[0],) + (1,) * self.rank + (input_shape[-1],)
        return (input_shape[0], input_shape[-1])

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"data_format": self.data_format, "keepdims": self.keepdims})
        return config


class GlobalMaxPooling1D(BaseGlobalPooling):
    """Maximum over steps (see ``BaseGlobalPooling``).

    Example:
        >>> import ember
        >>> ember.layers.GlobalMaxPooling1D()(ember.ones(4, 10, 3)).shape
        (4, 3)
    """

    rank = 1


class GlobalMaxPooling2D(BaseGlobalPooling):
    """Maximum over height and width (see ``BaseGlobalPooling``).

    Example:
        >>> import ember
        >>> ember.layers.GlobalMaxPooling2D(keepdims=True)(ember.ones(2, 5, 5, 8)).shape
        (2, 1, 1, 8)
    """

    rank = 2


class GlobalMaxPooling3D(BaseGlobalPooling):
    """Maximum over depth, height and width (see ``BaseGlobalPooling``).

    Example:
        >>> import ember
        >>> ember.layers.GlobalMaxPooling3D()(ember.ones(2, 3, 3, 3, 4)).shape
        (2, 4)
    """

    rank = 3


class GlobalAveragePooling1D(BaseGlobalPooling):
    """Mean over steps (see ``BaseGlobalPooling``); with a mask ``(batch, steps)`` (from
    ``Embedding(mask_zero=True)`` or ``Masking``), the mean over the unmasked steps only.

    Example:
        >>> import ember
        >>> ember.layers.GlobalAveragePooling1D()(ember.ones(4, 10, 3)).shape
        (4, 3)
    """

    rank = 1
    reduce = staticmethod(reduce_mean)

    def __init__(self, data_format=None, keepdims: bool = False, **kwargs):
        super().__init__(data_format=data_format, keepdims=keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        weights = expand_dims(cast(mask, inputs.dtype), -1)
        total = reduce_sum(inputs * weights, axis=1, keepdims=self.keepdims)
        return total / reduce_sum(weights, axis=1, keepdims=self.keepdims)

    def compute_mask(self, inputs, previous_mask=None):
        return None


class GlobalAveragePooling2D(BaseGlobalPooling):
    """Mean over height and width (see ``BaseGlobalPooling``).

    Example:
        >>> import ember
        >>> ember.layers.GlobalAveragePooling2D()(ember.ones(2, 5, 5, 8)).shape
        (2, 8)
    """

    rank = 2
    reduce = staticmethod(reduce_mean)


class GlobalAveragePooling3D(BaseGlobalPooling):
    """Mean over depth, height and width (see ``BaseGlobalPooling``).

    Example:
        >>> import ember
        >>> ember.layers.GlobalAveragePooling3D(keepdims=True)(ember.ones(2, 3, 3, 3, 4)).shape
        (2, 1, 1, 1, 4)
    """

    rank = 3
    reduce = staticmethod(reduce_mean)


MaxPool1D = MaxPooling1D
MaxPool2D = MaxPooling2D
MaxPool3D = MaxPooling3D
AvgPool1D = AveragePooling1D
AvgPool2D = AveragePooling2D
AvgPool3D = AveragePooling3D
GlobalMaxPool1D = GlobalMaxPooling1D
GlobalMaxPool2D = GlobalMaxPooling2D
GlobalMaxPool3D = GlobalMaxPooling3D
GlobalAvgPool1D = GlobalAveragePooling1D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalAvgPool3D = GlobalAveragePooling3D
