"""Reshaping layers: ``Flatten``, ``Reshape``, ``Permute``, ``RepeatVector``. The batch
axis is never touched."""

from __future__ import annotations

import math

from ember import ops
from ember.layers.input_spec import InputSpec
from ember.layers.layer import Layer


class Flatten(Layer):
    """Flatten every axis but the batch axis: ``(batch, ...)`` to ``(batch, prod(...))``.

    With ``data_format="channels_first"`` the channels axis is moved last before
    flattening, so the order matches a channels-last model's.

    Example:
        >>> import ember
        >>> ember.layers.Flatten()(ember.ones(2, 28, 28, 1)).shape
        (2, 784)
    """

    def __init__(self, data_format: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = "channels_last" if data_format is None else str(data_format).lower()
        if self.data_format not in ("channels_last", "channels_first"):
            raise ValueError(
                f"Flatten '{self.name}': expected data_format 'channels_last' or "
                f"'channels_first', received data_format={data_format!r}"
            )
        self.input_spec = InputSpec(min_ndim=1)
        self.built = True

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = ops.moveaxis(inputs, 1, -1)
        return ops.reshape(inputs, (inputs.shape[0], -1))

    def compute_output_shape(self, input_shape):
        rest = tuple(input_shape[1:])
        flat = None if None in rest else math.prod(rest)
        return (input_shape[0], flat)

    def get_config(self) -> dict:
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


class Reshape(Layer):
    """Reshape each sample to ``target_shape`` (without the batch axis; one entry may be
    -1, inferred from the size).

    Example:
        >>> import ember
        >>> ember.layers.Reshape((4, -1))(ember.ones(2, 12)).shape
        (2, 4, 3)
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)
        unknown = [d for d in self.target_shape if d == -1]
        if len(unknown) > 1 or any(d < -1 or d == 0 for d in self.target_shape):
            raise ValueError(
                "Reshape: expected positive sizes with at most one -1 in target_shape, "
                f"received target_shape={self.target_shape}"
            )
        self.built = True

    def call(self, inputs):
        target = self._sample_shape(tuple(inputs.shape))
        return ops.reshape(inputs, (inputs.shape[0],) + target)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self._sample_shape(tuple(input_shape))

    def _sample_shape(self, input_shape: tuple) -> tuple:
        """``target_shape`` with its -1 resolved (None when the input size is unknown)."""
        rest = input_shape[1:]
        known = math.prod(d for d in self.target_shape if d != -1)
        if None in rest:
            return tuple(None if d == -1 else d for d in self.target_shape)
        size = math.prod(rest)
        fits = size % known == 0 if -1 in self.target_shape else size == known
        if not fits:
            raise ValueError(
                f"Reshape '{self.name}': expected an input with "
                f"{'a multiple of ' if -1 in self.target_shape else ''}{known} values per "
                f"sample for target_shape {self.target_shape}, got input of shape {input_shape}"
            )
        return tuple(size // known if d == -1 else d for d in self.target_shape)

    def get_config(self) -> dict:
        config = super().get_config()
        config["target_shape"] = list(self.target_shape)
        return config


class Permute(Layer):
    """Permute the non-batch axes: ``dims`` are 1-based (``(2, 1)`` swaps axes 1 and 2).

    Example:
        >>> import ember
        >>> ember.layers.Permute((2, 1))(ember.ones(4, 10, 64)).shape
        (4, 64, 10)
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(
                "Permute: expected dims to be a permutation of 1..n (the batch axis is 0 and "
                f"is not permuted), received dims={self.dims}"
            )
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)
        self.built = True

    def call(self, inputs):
        return ops.transpose(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self) -> dict:
        config = super().get_config()
        config["dims"] = list(self.dims)
        return config


class RepeatVector(Layer):
    """Repeat a ``(batch, features)`` input ``n`` times: ``(batch, n, features)``.

    Example:
        >>> import ember
        >>> ember.layers.RepeatVector(3)(ember.ones(2, 5)).shape
        (2, 3, 5)
    """

    def __init__(self, n: int, **kwargs):
        super().__init__(**kwargs)
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"RepeatVector: expected a positive integer n, received n={n!r}")
        self.n = n
        self.input_spec = InputSpec(ndim=2)
        self.built = True

    def call(self, inputs):
        return ops.repeat(ops.expand_dims(inputs, 1), self.n, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self) -> dict:
        config = super().get_config()
        config["n"] = self.n
        return config

