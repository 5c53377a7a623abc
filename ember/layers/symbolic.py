"""Symbolic tensors and graph nodes of the functional API.

``KerasTensor`` stands for a tensor that will exist when the model runs: it has a shape
(``None`` for unknown sizes) and a dtype, and remembers the ``Node`` (layer call) that makes
it. ``ember.Model(inputs, outputs)`` walks these nodes back from the outputs.
"""

from __future__ import annotations

import numpy as np


class KerasTensor:
    """A placeholder with a shape and dtype, made by ``ember.Input`` or a layer call on one."""

    def __init__(self, shape, dtype="float32", name=None, node=None, index=0):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = np.dtype(dtype).name
        self.name = name
        self.node = node
        self.index = index

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    def __hash__(self) -> int:
        return id(self)

    def __bool__(self):
        raise TypeError("A symbolic KerasTensor has no truth value until the model runs")


class Node:
    """One call of ``layer`` in a functional graph: its arguments (which may hold
    KerasTensors) and the KerasTensors it produced."""

    def __init__(self, layer, args: tuple, kwargs: dict, outputs: list):
        self.layer = layer
        self.args = args
        self.kwargs = kwargs
        self.outputs = outputs

    @property
    def parent_tensors(self) -> list:
        from ember.utils import tree

        return [t for t in tree.flatten((self.args, self.kwargs)) if isinstance(t, KerasTensor)]

    def __repr__(self) -> str:
        return f"<Node {self.layer.name}>"


def any_symbolic(structure) -> bool:
    from ember.utils import tree

    return any(isinstance(t, KerasTensor) for t in tree.flatten(structure))
