"""``StackedRNNCells``: several cells run as one, each feeding the next within a step."""

from __future__ import annotations

from ember import ops
from ember.layers.layer import Layer
from ember.utils import tree


class StackedRNNCells(Layer):
    """Wrap a list of cells so that ``RNN`` runs them as one deep cell: at each step, cell
    ``k`` reads the output of cell ``k - 1``. The state is the list of the cells' states.

    Example:
        >>> import ember
        >>> cells = [ember.layers.LSTMCell(4), ember.layers.GRUCell(3)]
        >>> layer = ember.layers.RNN(ember.layers.StackedRNNCells(cells))
        >>> layer(ember.ones(2, 5, 6)).shape
        (2, 3)
    """

    def __init__(self, cells, **kwargs):
        cells = list(cells)
        for cell in cells:
            if not isinstance(cell, Layer) or getattr(cell, "state_size", None) is None:
                raise ValueError(
                    "StackedRNNCells: expected cells that are Layers with a `state_size` "
                    f"attribute, received cell={cell!r}"
                )
        if not cells:
            raise ValueError("StackedRNNCells: expected at least one cell, received none")
        # The cells' dtype by default: a float32 stack would round float64 steps.
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = cells[0].dtype
        super().__init__(**kwargs)
        self.cells = cells

    @property
    def state_size(self) -> list:
        return [cell.state_size for cell in self.cells]

    @property
    def output_size(self) -> int:
        return cell_output_size(self.cells[-1])

    def get_initial_state(self, batch_size=None) -> list:
        states = []
        for cell in self.cells:
            fn = getattr(cell, "get_initial_state", None)
            if fn is not None:
                states.append(fn(batch_size=batch_size))
            elif isinstance(cell.state_size, int):
                states.append(ops.zeros((batch_size, cell.state_size),
                                             dtype=cell.compute_dtype))
            else:
                states.append([ops.zeros((batch_size, size), dtype=cell.compute_dtype)
                               for size in cell.state_size])
        return states

    def call(self, inputs, states, training=False):
        new_states = []
        for cell, cell_states in zip(self.cells, states):
            was_list = tree.is_nested(cell_states)
            cell_states = list(cell_states) if was_list else [cell_states]
            inputs, cell_states = cell(inputs, cell_states, training=training)
            if not tree.is_nested(cell_states):
                cell_states = [cell_states]
            new_states.append(cell_states if was_list or len(cell_states) > 1
                              else cell_states[0])
        return inputs, new_states

    def build(self, input_shape) -> None:
        for cell in self.cells:
            cell._maybe_build(tuple(input_shape))
            input_shape = (input_shape[0], cell_output_size(cell))
        self.built = True

    def get_config(self) -> dict:
        from ember.layers import serialize

        return {**super().get_config(), "cells": [serialize(cell) for cell in self.cells]}

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        from ember.layers import deserialize

        config = dict(config)
        cells = [deserialize(c, custom_objects) for c in config.pop("cells")]
        return cls(cells, **config)


def cell_output_size(cell) -> int:
    size = getattr(cell, "output_size", None)
    if size is not None:
        return size
    return cell.state_size[0] if isinstance(cell.state_size, (list, tuple)) else cell.state_size
