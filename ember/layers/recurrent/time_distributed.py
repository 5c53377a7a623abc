"""``TimeDistributed``: apply a layer to every time step of a sequence."""

from __future__ import annotations

from ember import ops
from ember.layers.layer import Layer


class TimeDistributed(Layer):
    """Apply ``layer`` to every slice ``inputs[:, t]`` of ``(batch, timesteps, ...)``
    inputs, with the same weights at every step.

    The steps run as one call of ``layer`` on the batch and time axes merged,
    ``(batch * timesteps, ...)``, which gives the same result as a loop over steps for any
    layer that treats samples independently (``Dense``, convolutions, ...). A mask
    ``(batch, timesteps)`` is passed on, merged the same way, to a layer that takes one.

    Example:
        >>> import ember
        >>> layer = ember.layers.TimeDistributed(ember.layers.Dense(8))
        >>> layer(ember.ones(2, 10, 3)).shape
        (2, 10, 8)
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"TimeDistributed: expected a Layer, received layer={layer!r}")
        super().__init__(**kwargs)
        self.layer = layer
        self.supports_masking = True

    def _child_shape(self, input_shape) -> tuple:
        if len(input_shape) < 3:
            raise ValueError(
                f"TimeDistributed '{self.name}': expected inputs of rank >= 3 "
                f"(batch, timesteps, ...), received input shape {tuple(input_shape)}"
            )
        return (input_shape[0],) + tuple(input_shape[2:])

    def build(self, input_shape) -> None:
        self.layer._maybe_build(self._child_shape(input_shape))
        self.built = True

    def compute_output_shape(self, input_shape):
        child = self.layer.compute_output_shape(self._child_shape(input_shape))
        return (child[0], input_shape[1]) + tuple(child[1:])

    def call(self, inputs, training=None, mask=None):
        batch, steps = inputs.shape[:2]
        merged = ops.reshape(inputs, (batch * steps,) + tuple(inputs.shape[2:]))
        kwargs = {"training": training}
        if mask is not None:
            mask = ops.convert_to_tensor(mask)
            if tuple(mask.shape[:2]) != (batch, steps):
                raise ValueError(
                    f"TimeDistributed '{self.name}': expected a mask of shape "
                    f"{(batch, steps)}, received {tuple(mask.shape)}"
                )
            kwargs["mask"] = ops.reshape(mask, (batch * steps,) + tuple(mask.shape[2:]))
        outputs = self.layer(merged, **kwargs)
        return ops.reshape(outputs, (batch, steps) + tuple(outputs.shape[1:]))

    def get_config(self) -> dict:
        from ember.layers import serialize

        return {**super().get_config(), "layer": serialize(self.layer)}

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        from ember.layers import deserialize

        config = dict(config)
        config["layer"] = deserialize(config["layer"], custom_objects)
        return super().from_config(config)
