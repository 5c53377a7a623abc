"""``Embedding`` (integer indices to dense vectors) and ``Masking`` (skip padded steps)."""

from __future__ import annotations

import numbers

import numpy as np

from ember import constraints, initializers, ops, regularizers
from ember.layers.layer import Layer


class Embedding(Layer):
    """Turn integer indices into dense vectors: ``outputs[..., :] = embeddings[inputs[...]]``
    with ``embeddings`` of shape ``(input_dim, output_dim)``.

    The gradient scatter-adds: an index that occurs several times in a batch receives the
    sum of the gradients of all its occurrences. Indices must lie in ``[0, input_dim)``.

    Args:
        input_dim: Size of the vocabulary (largest index + 1).
        output_dim: Size of each vector.
        embeddings_initializer: ``"uniform"`` (``U[-0.05, 0.05]``) by default.
        embeddings_regularizer, embeddings_constraint, activity_regularizer: As ``Dense``.
        mask_zero: Index 0 is padding: the layer outputs the mask ``inputs != 0`` for the
            layers after it (an ``LSTM`` then skips those steps). Index 0 stays a valid row,
            so ``input_dim`` counts it.
        weights: Initial ``embeddings`` (an array, or a list holding one).

    Example:
        >>> import ember
        >>> layer = ember.layers.Embedding(10, 4, mask_zero=True)
        >>> out = layer(ember.tensor([[3, 1, 0]]))
        >>> out.shape, out._keras_mask.numpy().tolist()
        ((1, 3, 4), [[True, True, False]])
    """

    def __init__(self, input_dim: int, output_dim: int, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None,
                 mask_zero: bool = False, weights=None, **kwargs):
        super().__init__(**kwargs)
        for arg, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if (isinstance(value, bool) or not isinstance(value, numbers.Integral)
                    or value <= 0):
                raise ValueError(
                    f"Embedding: expected a positive integer `{arg}`, received {arg}={value!r}"
                )
        self.input_dim = int(input_dim)
        self.output_dim = int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self.autocast = False
        if weights is not None:
            self.build()
            self.set_weights(weights if isinstance(weights, list) else [weights])

    def build(self, input_shape=None) -> None:
        if self.built:
            return
        self.embeddings = self.add_weight(
            shape=(self.input_dim, self.output_dim), initializer=self.embeddings_initializer,
            regularizer=self.embeddings_regularizer, constraint=self.embeddings_constraint,
            name="embeddings",
        )
        self.built = True

    def call(self, inputs):
        ids = inputs.data
        if ids.dtype.kind not in "iu":
            ids = ids.astype(np.int64)  # float or bool indices, as Keras casts them
        if ids.size and (int(ids.min()) < 0 or int(ids.max()) >= self.input_dim):
            raise ValueError(
                f"Embedding '{self.name}': expected indices in [0, {self.input_dim}), "
                f"received values from {int(ids.min())} to {int(ids.max())}"
            )
        return ops.take(self.embeddings, ids, axis=0)

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return ops.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
        })
        return config


class Masking(Layer):
    """Mark the time steps whose features all equal ``mask_value`` as padding.

    The output is the input with those steps set to zero, and carries the mask
    ``any(inputs != mask_value, axis=-1)`` (``(batch, timesteps)``) for the layers after it:
    recurrent layers skip the masked steps.

    Example:
        >>> import ember, numpy as np
        >>> x = np.array([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]]], dtype="float32")
        >>> ember.layers.Masking()(x)._keras_mask.numpy().tolist()
        [[True, False, True]]
    """

    def __init__(self, mask_value: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.supports_masking = True
        self.built = True

    def compute_mask(self, inputs, mask=None):
        return ops.any(ops.not_equal(inputs, self.mask_value), axis=-1)

    def call(self, inputs):
        keep = ops.any(ops.not_equal(inputs, self.mask_value), axis=-1, keepdims=True)
        return inputs * ops.cast(keep, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "mask_value": self.mask_value}
