"""``Bidirectional``: run a recurrent layer forwards and a copy of it backwards, and merge."""

from __future__ import annotations

from ember import ops
from ember.layers.layer import Layer

_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


class Bidirectional(Layer):
    """Bidirectional wrapper (Schuster & Paliwal 1997) for a recurrent layer.

    ``forward_layer`` is a fresh copy of ``layer`` (from its config, new weights);
    ``backward_layer`` a copy with ``go_backwards=True`` unless given. The backward
    outputs are flipped back to the forward time order before merging; with
    ``return_sequences``, both layers output zeros at masked steps
    (``zero_output_for_mask``), as Keras forces.

    Args:
        layer: An ``RNN`` (``LSTM``, ``GRU``...) or a layer with ``go_backwards``,
            ``return_sequences`` and ``return_state``.
        merge_mode: ``"concat"`` (default), ``"sum"``, ``"mul"``, ``"ave"`` or None (a
            tuple of both outputs).
        backward_layer: The layer for the backward direction (``go_backwards`` must differ
            from ``layer``'s; ``stateful``, ``return_sequences``, ``return_state`` agree).

    Call arguments as the wrapped layer's; ``initial_state`` holds the forward states then
    the backward ones. With ``return_state`` the result is ``(output, *forward_states,
    *backward_states)``.

    Example:
        >>> import ember
        >>> layer = ember.layers.Bidirectional(ember.layers.LSTM(4, return_sequences=True))
        >>> layer(ember.ones(2, 5, 3)).shape
        (2, 5, 8)
    """

    def __init__(self, layer, merge_mode: str | None = "concat", backward_layer=None,
                 **kwargs):
        from ember.layers import deserialize, serialize

        if not isinstance(layer, Layer):
            raise ValueError(f"Bidirectional: expected a Layer, received layer={layer!r}")
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(
                f"Bidirectional: expected a Layer as backward_layer, received {backward_layer!r}"
            )
        if merge_mode not in _MERGE_MODES:
            raise ValueError(
                f"Bidirectional: expected merge_mode in {_MERGE_MODES}, "
                f"received merge_mode={merge_mode!r}"
            )
        super().__init__(**kwargs)
        config = serialize(layer)
        config["config"]["name"] = "forward_" + _strip(layer.name, "forward_")
        self.forward_layer = deserialize(config)
        if backward_layer is None:
            config = serialize(layer)
            config["config"]["go_backwards"] = True
            config["config"]["name"] = "backward_" + _strip(layer.name, "backward_")
            backward_layer = deserialize(config)
        self.backward_layer = backward_layer
        self._verify_layers()
        for sub in (self.forward_layer, self.backward_layer):
            if hasattr(sub, "zero_output_for_mask"):
                sub.zero_output_for_mask = sub.return_sequences
        self.merge_mode = merge_mode
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True
        self.input_spec = layer.input_spec

    def _verify_layers(self) -> None:
        fwd, bwd = self.forward_layer, self.backward_layer
        if fwd.go_backwards == bwd.go_backwards:
            raise ValueError(
                f"Bidirectional '{self.name}': expected forward and backward layers with "
                f"different go_backwards, received {fwd.go_backwards} for both"
            )
        for attr in ("stateful", "return_sequences", "return_state"):
            if getattr(fwd, attr) != getattr(bwd, attr):
                raise ValueError(
                    f"Bidirectional '{self.name}': expected the same {attr} in both layers, "
                    f"received {getattr(fwd, attr)} (forward) and {getattr(bwd, attr)} "
                    "(backward)"
                )

    def build(self, sequences_shape, initial_state_shape=None) -> None:
        self.forward_layer._maybe_build(tuple(sequences_shape))
        self.backward_layer._maybe_build(tuple(sequences_shape))
        self.built = True

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        output_shape = self.forward_layer.compute_output_shape(sequences_shape)
        state_shapes = ()
        if self.return_state:
            output_shape, state_shapes = output_shape[0], tuple(output_shape[1:])
        if self.merge_mode == "concat":
            output_shape = tuple(output_shape[:-1]) + (2 * output_shape[-1],)
        if self.merge_mode is None:
            return (tuple(output_shape), tuple(output_shape)) + state_shapes * 2
        if self.return_state:
            return (tuple(output_shape),) + state_shapes * 2
        return tuple(output_shape)

    def call(self, sequences, initial_state=None, mask=None, training=None):
        kwargs = {"training": training}
        if mask is not None:
            kwargs["mask"] = mask
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = initial_state[:half], initial_state[half:]
        y = self.forward_layer(sequences, initial_state=forward_state, **kwargs)
        y_rev = self.backward_layer(sequences, initial_state=backward_state, **kwargs)
        states = ()
        if self.return_state:
            states = tuple(y[1:]) + tuple(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = ops.flip(y_rev, axis=1)
        if self.merge_mode == "concat":
            output = ops.concatenate([y, y_rev], axis=-1)
        elif self.merge_mode == "sum":
            output = y + y_rev
        elif self.merge_mode == "ave":
            output = (y + y_rev) / 2
        elif self.merge_mode == "mul":
            output = y * y_rev
        else:
            return (y, y_rev) + states
        return (output,) + states if self.return_state else output

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        masks = [output_mask] if self.merge_mode else [output_mask, output_mask]
        if self.return_state:
            n_states = len(getattr(self.forward_layer, "state_size", ()))
            masks += [None] * (2 * n_states)
        return masks if len(masks) > 1 else masks[0]

    @property
    def states(self):
        if self.forward_layer.states and self.backward_layer.states:
            return tuple(self.forward_layer.states) + tuple(self.backward_layer.states)
        return None

    def reset_state(self) -> None:
        if not self.stateful:
            raise AttributeError(f"Bidirectional '{self.name}': the layer is not stateful")
        self.forward_layer.reset_state()
        self.backward_layer.reset_state()

    reset_states = reset_state

    def get_config(self) -> dict:
        from ember.layers import serialize

        config = super().get_config()
        config.update({"merge_mode": self.merge_mode,
                       "layer": serialize(self.forward_layer),
                       "backward_layer": serialize(self.backward_layer)})
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        from ember.layers import deserialize

        config = dict(config)
        config["layer"] = deserialize(config["layer"], custom_objects)
        if config.get("backward_layer") is not None:
            config["backward_layer"] = deserialize(config["backward_layer"], custom_objects)
        return super().from_config(config)


def _strip(name: str, prefix: str) -> str:
    return name[len(prefix):] if name.startswith(prefix) else name
