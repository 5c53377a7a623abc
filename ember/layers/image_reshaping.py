"""Spatial reshaping layers, as in Keras 3 (channels-last): ``UpSampling1D/2D/3D``,
``ZeroPadding1D/2D/3D`` and ``Cropping1D/2D/3D``."""

from __future__ import annotations

import numbers

import numpy as np

from ember.backend import array_module
from ember.layers.convolutional.arguments import (
    check_input_rank,
    label,
    standardize_data_format,
    standardize_tuple,
)
from ember.layers.input_spec import InputSpec
from ember.layers.layer import Layer
from ember.ops.shape import broadcast_to, getitem, pad, reshape, take


class _SpatialLayer(Layer):
    """Shared lifecycle: channels-last data, a rank check when built."""

    rank = 2

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(self, data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def build(self, input_shape) -> None:
        self.compute_output_shape(input_shape)
        self.built = True


class BaseUpSampling(_SpatialLayer):
    """Repeat each element ``size`` times along each spatial axis (nearest neighbour), or,
    for ``UpSampling2D(interpolation="bilinear")``, interpolate linearly along each axis
    with half-pixel centers as ``tf.image.resize`` (output pixel ``o`` samples the input at
    ``(o + 0.5) / size - 0.5``, clamped to the edge). Subclasses set ``rank``."""

    def __init__(self, size=2, data_format=None, interpolation: str = "nearest", **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.size = standardize_tuple(self, size, self.rank, "size")
        modes = ("nearest", "bilinear") if self.rank == 2 else ("nearest",)
        if interpolation not in modes:
            raise ValueError(
                f"{label(self)}: expected interpolation in {modes}, received "
                f"interpolation={interpolation!r}"
            )
        self.interpolation = interpolation

    def call(self, inputs):
        if self.interpolation == "bilinear":
            return _bilinear(inputs, self.size)
        # (batch, n1, 1, n2, 1, ..., C) broadcast to (batch, n1, f1, n2, f2, ..., C).
        spatial = inputs.shape[1:-1]
        split = (inputs.shape[0],) + sum(((n, 1) for n in spatial), ()) + inputs.shape[-1:]
        grown = (inputs.shape[0],) + sum(((n, f) for n, f in zip(spatial, self.size)), ())
        x = broadcast_to(reshape(inputs, split), grown + inputs.shape[-1:])
        out = tuple(n * f for n, f in zip(spatial, self.size))
        return reshape(x, (inputs.shape[0],) + out + inputs.shape[-1:])

    def compute_output_shape(self, input_shape):
        check_input_rank(self, input_shape, self.rank)
        out = tuple(None if n is None else n * f for n, f in zip(input_shape[1:-1], self.size))
        return (input_shape[0],) + out + (input_shape[-1],)

    def get_config(self) -> dict:
        config = super().get_config()
        config["size"] = self.size if self.rank > 1 else self.size[0]
        if self.rank > 1:
            config["data_format"] = self.data_format
        if self.rank == 2:
            config["interpolation"] = self.interpolation
        return config


class UpSampling1D(BaseUpSampling):
    """Repeat each step ``size`` times: ``(batch, steps, C)`` to ``(batch, steps * size, C)``.

    Example:
        >>> import ember
        >>> ember.layers.UpSampling1D(3)(ember.ones(2, 4, 5)).shape
        (2, 12, 5)
    """

    rank = 1

    def __init__(self, size: int = 2, **kwargs):
        super().__init__(size=size, **kwargs)


class UpSampling2D(BaseUpSampling):
    """Upsample height and width by ``size``, by ``"nearest"`` repetition or ``"bilinear"``
    interpolation (see ``BaseUpSampling``).

    Example:
        >>> import ember
        >>> x = ember.tensor([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 2, 2, 1)
        >>> y = ember.layers.UpSampling2D(interpolation="bilinear")(x)
        >>> y.numpy()[0, 0, :, 0].tolist()
        [1.0, 1.25, 1.75, 2.0]
    """

    rank = 2

    def __init__(self, size=(2, 2), data_format=None, interpolation: str = "nearest",
                 **kwargs):
        super().__init__(size=size, data_format=data_format, interpolation=interpolation,
                         **kwargs)


class UpSampling3D(BaseUpSampling):
    """Repeat each voxel ``size`` times along depth, height and width.

    Example:
        >>> import ember
        >>> ember.layers.UpSampling3D((1, 2, 2))(ember.ones(1, 2, 3, 3, 4)).shape
        (1, 2, 6, 6, 4)
    """

    rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(size=size, data_format=data_format, **kwargs)


class BaseZeroPadding(_SpatialLayer):
    """Add rows/columns of zeros at the start and end of each spatial axis. ``padding`` is
    one int (every side), one int per axis (both sides) or one ``(start, end)`` pair per
    axis; for 1-D, an int or one ``(start, end)`` pair. Subclasses set ``rank``."""

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.padding = _pairs(self, padding, "padding")

    def call(self, inputs):
        return pad(inputs, ((0, 0),) + self.padding + ((0, 0),))

    def compute_output_shape(self, input_shape):
        check_input_rank(self, input_shape, self.rank)
        out = tuple(None if n is None else n + lo + hi
                    for n, (lo, hi) in zip(input_shape[1:-1], self.padding))
        return (input_shape[0],) + out + (input_shape[-1],)

    def get_config(self) -> dict:
        config = super().get_config()
        config["padding"] = self.padding[0] if self.rank == 1 else self.padding
        if self.rank > 1:
            config["data_format"] = self.data_format
        return config


class ZeroPadding1D(BaseZeroPadding):
    """Pad steps with zeros: ``padding`` is an int or ``(start, end)``.

    Example:
        >>> import ember
        >>> ember.layers.ZeroPadding1D((1, 2))(ember.ones(2, 4, 3)).shape
        (2, 7, 3)
    """

    rank = 1

    def __init__(self, padding=1, **kwargs):
        super().__init__(padding=padding, **kwargs)


class ZeroPadding2D(BaseZeroPadding):
    """Pad height and width with zeros: ``padding`` is an int, ``(rows, cols)`` or
    ``((top, bottom), (left, right))``.

    Example:
        >>> import ember
        >>> ember.layers.ZeroPadding2D(((1, 0), (2, 2)))(ember.ones(2, 4, 4, 3)).shape
        (2, 5, 8, 3)
    """

    rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding=padding, data_format=data_format, **kwargs)


class ZeroPadding3D(BaseZeroPadding):
    """Pad depth, height and width with zeros (see ``BaseZeroPadding``).

    Example:
        >>> import ember
        >>> ember.layers.ZeroPadding3D(1)(ember.ones(1, 2, 2, 2, 3)).shape
        (1, 4, 4, 4, 3)
    """

    rank = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(padding=padding, data_format=data_format, **kwargs)


class BaseCropping(_SpatialLayer):
    """Remove elements at the start and end of each spatial axis; ``cropping`` is given as
    ``BaseZeroPadding``'s ``padding``. Subclasses set ``rank``."""

    def __init__(self, cropping=1, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.cropping = _pairs(self, cropping, "cropping")

    def call(self, inputs):
        index = tuple(slice(lo, n - hi) for n, (lo, hi) in zip(inputs.shape[1:-1],
                                                                self.cropping))
        return getitem(inputs, (slice(None),) + index)

    def compute_output_shape(self, input_shape):
        check_input_rank(self, input_shape, self.rank)
        out = tuple(None if n is None else n - lo - hi
                    for n, (lo, hi) in zip(input_shape[1:-1], self.cropping))
        if any(n is not None and n < 1 for n in out):
            raise ValueError(
                f"{label(self)}: cropping {self.cropping} removes every element of an input "
                f"of shape {tuple(input_shape)}"
            )
        return (input_shape[0],) + out + (input_shape[-1],)

    def get_config(self) -> dict:
        config = super().get_config()
        config["cropping"] = self.cropping[0] if self.rank == 1 else self.cropping
        if self.rank > 1:
            config["data_format"] = self.data_format
        return config


class Cropping1D(BaseCropping):
    """Crop steps: ``cropping`` is an int or ``(start, end)``.

    Example:
        >>> import ember
        >>> ember.layers.Cropping1D((1, 2))(ember.ones(2, 6, 3)).shape
        (2, 3, 3)
    """

    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(cropping=cropping, **kwargs)


class Cropping2D(BaseCropping):
    """Crop height and width: ``cropping`` is an int, ``(rows, cols)`` or
    ``((top, bottom), (left, right))``.

    Example:
        >>> import ember
        >>> ember.layers.Cropping2D(((2, 2), (4, 4)))(ember.ones(2, 28, 28, 3)).shape
        (2, 24, 20, 3)
    """

    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping=cropping, data_format=data_format, **kwargs)


class Cropping3D(BaseCropping):
    """Crop depth, height and width (see ``BaseCropping``).

    Example:
        >>> import ember
        >>> ember.layers.Cropping3D(1)(ember.ones(1, 4, 4, 4, 2)).shape
        (1, 2, 2, 2, 2)
    """

    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping=cropping, data_format=data_format, **kwargs)


def _pairs(layer, value, name: str) -> tuple:
    """``value`` as one ``(start, end)`` pair of non-negative ints per spatial axis."""
    rank = layer.rank
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        pairs = ((int(value),) * 2,) * rank
    elif rank == 1:
        pairs = (standardize_tuple(layer, value, 2, name, minimum=0),)
    else:
        try:
            items = tuple(value)
        except TypeError:
            items = ()
        if len(items) != rank:
            raise ValueError(
                f"{label(layer)}: expected {name} to be an int, {rank} ints or {rank} "
                f"(start, end) pairs, received {name}={value!r}"
            )
        pairs = tuple((int(p),) * 2 if isinstance(p, numbers.Integral)
                      else standardize_tuple(layer, p, 2, name, minimum=0) for p in items)
    if any(p < 0 for pair in pairs for p in pair):
        raise ValueError(f"{label(layer)}: expected non-negative {name}, received {value!r}")
    return tuple(tuple(pair) for pair in pairs)


def _bilinear(x, size: tuple):
    """Linear interpolation along each spatial axis in turn (half-pixel centers)."""
    xp = array_module(x.data)
    for axis, factor in enumerate(size, start=1):
        n = x.shape[axis]
        source = (np.arange(n * factor) + 0.5) / factor - 0.5
        below = np.floor(source)
        weight = (source - below).astype(x.dtype)
        low = np.clip(below, 0, n - 1).astype(np.int64)
        high = np.clip(below + 1, 0, n - 1).astype(np.int64)
        shape = [1] * x.ndim
        shape[axis] = n * factor
        weight = xp.asarray(weight.reshape(shape))
        x = (take(x, low, axis=axis) * (1 - weight)
             + take(x, high, axis=axis) * weight)
    return x
