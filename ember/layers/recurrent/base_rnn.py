"""``RNN``: run a cell over the time axis, with Keras 3's arguments and mask semantics."""

from __future__ import annotations

from ember import ops
from ember.autograd.tensor import Tensor
from ember.layers.input_spec import InputSpec
from ember.layers.layer import Layer
from ember.layers.recurrent.cell_base import DropoutRNNCell
from ember.layers.recurrent.stacked_rnn_cells import StackedRNNCells, cell_output_size
from ember.ops._util import as_tensor, xp_of
from ember.ops.rnn import unstack_time
from ember.utils import tree
from ember.variables import Variable


class RNN(Layer):
    """Apply a recurrent cell to every time step of ``(batch, timesteps, features)`` inputs.

    A cell is a Layer with ``state_size`` (an int, or a list of ints for several states)
    and ``call(inputs, states, training=None) -> (output, new_states)``; optionally
    ``output_size`` and ``get_initial_state(batch_size)``. A list of cells is stacked with
    ``StackedRNNCells``. Here every step goes through the cell's own tensor code; ``LSTM``,
    ``GRU`` and ``SimpleRNN`` run their cells through fused sequence kernels instead.

    Args:
        cell: The cell, or a list of cells.
        return_sequences: Return the output of every step ``(batch, timesteps, units)``
            instead of the last one ``(batch, units)``.
        return_state: Also return the final states: ``(output, *states)``.
        go_backwards: Process the sequence in reverse (the returned sequence is reversed).
        stateful: Start each batch from the final states of the previous one (sample ``i``
            continues sample ``i``); needs a fixed batch size. ``reset_state()`` zeros them.
        unroll: Accepted for Keras compatibility; ember always runs an unrolled Python loop.
        zero_output_for_mask: Output zeros at masked steps instead of repeating the previous
            output.

    Masks (from ``Embedding(mask_zero=True)``, ``Masking`` or ``mask=``), as in Keras 3: at a
    masked step the states are carried through unchanged and the output repeats the last
    unmasked step's output (zeros before the first one, or always zeros with
    ``zero_output_for_mask=True``); the last output is thus the last unmasked step's.

    Call arguments: ``sequences``, ``initial_state`` (a tensor or a list, one per state),
    ``mask`` ``(batch, timesteps)`` booleans, ``training``.

    Example:
        >>> import ember
        >>> layer = ember.layers.RNN(ember.layers.SimpleRNNCell(4), return_sequences=True)
        >>> layer(ember.ones(2, 5, 3)).shape
        (2, 5, 4)
    """

    def __init__(self, cell, return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, unroll: bool = False,
                 zero_output_for_mask: bool = False, **kwargs):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        if not isinstance(cell, Layer):
            raise ValueError(f"RNN: expected a cell that is a Layer, received cell={cell!r}")
        state_size = getattr(cell, "state_size", None)
        if not isinstance(state_size, (int, list, tuple)):
            raise ValueError(
                "RNN: expected a cell with a `state_size` attribute (an int, or a list of ints, "
                f"one per state), received state_size={state_size!r} on cell {cell.name!r}"
            )
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.state_size = [state_size] if isinstance(state_size, int) else list(state_size)
        self.supports_masking = True
        self.input_spec = InputSpec(min_ndim=3)
        self.states = None

    # ---- shapes and masks ---------------------------------------------------------------
    def build(self, sequences_shape, initial_state_shape=None) -> None:
        if not self.cell.built:
            self.cell._maybe_build((sequences_shape[0],) + tuple(sequences_shape[2:]))
        if self.stateful:
            if sequences_shape[0] is None:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': stateful=True needs a fixed batch "
                    f"size, received input shape {tuple(sequences_shape)}; pass batch_size= "
                    "to Input"
                )
            self.states = tree.map_structure(
                lambda s: Variable(s, dtype=s.dtype, trainable=False, name="rnn_state"),
                self.get_initial_state(sequences_shape[0]))
        self.built = True

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        batch, steps = sequences_shape[0], sequences_shape[1]
        size = cell_output_size(self.cell)
        output_shape = (batch, steps, size) if self.return_sequences else (batch, size)
        if not self.return_state:
            return output_shape
        states = tree.map_structure(lambda size: (batch, size), self.state_size)
        return (output_shape, *states)

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self.state_size)
        return output_mask

    # ---- states -------------------------------------------------------------------------
    def get_initial_state(self, batch_size) -> list:
        fn = getattr(self.cell, "get_initial_state", None)
        if fn is None:
            return [ops.zeros((batch_size, size), dtype=self.cell.compute_dtype)
                    for size in self.state_size]
        states = fn(batch_size=batch_size)
        return list(states) if tree.is_nested(states) else [states]

    def reset_state(self) -> None:
        """Zero the states a ``stateful`` layer carries between batches."""
        if self.states is not None:
            for v in tree.flatten(self.states):
                v.assign(xp_of(v.data).zeros_like(v.data))

    reset_states = reset_state

    # ---- the computation ----------------------------------------------------------------
    def call(self, sequences, initial_state=None, mask=None, training=False):
        batch = sequences.shape[0]
        if initial_state is not None:
            initial_state = self._checked_states(initial_state, batch)
        elif self.stateful:
            self._check_stateful_batch(batch)
            # Copies: the variables change in place after the call, while the graph keeps them.
            initial_state = tree.map_structure(lambda v: Tensor(v.data.copy()), self.states)
        else:
            initial_state = self.get_initial_state(batch)
        mask = self._mask_array(mask, sequences)
        try:
            last_output, outputs, states = self.inner_loop(sequences, initial_state, mask,
                                                           training)
        finally:
            _reset_dropout_masks(self.cell)
        if self.stateful:
            for v, s in zip(tree.flatten(self.states), tree.flatten(states)):
                v.assign(s.data)
        output = outputs if self.return_sequences else last_output
        return (output, *states) if self.return_state else output

    def inner_loop(self, sequences, initial_state, mask, training=False):
        """``(last_output, outputs, states)``: every step through the cell's ``call``.
        ``outputs`` is None unless ``return_sequences``."""
        steps = unstack_time(sequences)
        if self.go_backwards:
            steps.reverse()
            mask = None if mask is None else mask[:, ::-1]
        states, output, outputs = initial_state, None, []
        for t, x_t in enumerate(steps):
            out, new_states = self.cell(x_t, states, training=training)
            if not tree.is_nested(new_states):
                new_states = [new_states]
            if mask is not None:
                keep = mask[:, t]
                flat = [_select(keep, new, old)
                        for new, old in zip(tree.flatten(new_states), tree.flatten(states))]
                new_states = tree.pack_sequence_as(new_states, flat)
                previous = 0.0 if output is None or self.zero_output_for_mask else output
                out = _select(keep, out, previous)
            states, output = new_states, out
            if self.return_sequences:
                outputs.append(out)
        return output, (ops.stack(outputs, axis=1) if outputs else None), states

    # ---- input checks -------------------------------------------------------------------
    def _checked_states(self, initial_state, batch: int):
        flat = tree.flatten(initial_state)
        sizes = tree.flatten(self.state_size)
        if len(flat) != len(sizes):
            raise ValueError(
                f"{type(self).__name__} '{self.name}': expected {len(sizes)} initial states "
                f"(state_size {self.state_size}), received {len(flat)}"
            )
        flat = [as_tensor(s, self.compute_dtype) for s in flat]
        for s, size in zip(flat, sizes):
            if s.shape[0] != batch or s.shape[-1] != size:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': expected initial states of shape "
                    f"{(batch, size)}, received {s.shape}"
                )
        return tree.pack_sequence_as(self.state_size, flat)

    def _check_stateful_batch(self, batch: int) -> None:
        expected = tree.flatten(self.states)[0].shape[0]
        if batch != expected:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': stateful layer built for batch size "
                f"{expected}, received a batch of {batch}"
            )

    def _mask_array(self, mask, sequences):
        """``mask`` as a boolean array ``(batch, timesteps)`` of the inputs' module."""
        if isinstance(mask, (list, tuple)):
            mask = tree.flatten(mask)[0]
        if mask is None:
            return None
        data = mask.data if isinstance(mask, Tensor) else xp_of(sequences.data).asarray(mask)
        if data.shape != tuple(sequences.shape[:2]):
            raise ValueError(
                f"{type(self).__name__} '{self.name}': expected a mask of shape "
                f"{tuple(sequences.shape[:2])}, received {data.shape}"
            )
        return data.astype(bool)

    # ---- configuration ------------------------------------------------------------------
    def get_config(self) -> dict:
        from ember.layers import serialize

        config = super().get_config()
        config.update({
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
            "cell": serialize(self.cell),
        })
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        from ember.layers import deserialize

        config = dict(config)
        if isinstance(config.get("cell"), dict):
            config["cell"] = deserialize(config["cell"], custom_objects)
        return super().from_config(config)


def _select(keep, new, old):
    """``new`` where ``keep`` (``(batch,)`` booleans), else ``old``, for any state rank."""
    keep = keep.reshape(keep.shape + (1,) * (new.ndim - 1))
    return ops.where(keep, new, old)


def _reset_dropout_masks(cell) -> None:
    if isinstance(cell, DropoutRNNCell):
        cell.reset_dropout_mask()
        cell.reset_recurrent_dropout_mask()
    for inner in getattr(cell, "cells", ()):
        _reset_dropout_masks(inner)
