"""``Functional``: a model defined by a graph of layer calls from ``Input`` to outputs.

``ember.Model(inputs, outputs)`` returns one. Calling it runs the recorded layer calls in
topological order on real tensors; layers called more than once are shared.
"""

from __future__ import annotations

import numpy as np

from ember.autograd.tensor import Tensor
from ember.layers.core import InputLayer
from ember.layers.layer import _to_tensor
from ember.layers.symbolic import KerasTensor
from ember.models.model import Model
from ember.utils import tree


class Functional(Model):
    """A model from symbolic ``inputs`` to ``outputs`` (tensors, lists or dicts of them).

    Example:
        >>> import ember
        >>> inputs = ember.Input(shape=(4,))
        >>> outputs = ember.layers.Dense(2)(inputs)
        >>> ember.Model(inputs, outputs).output_shape
        (None, 2)
    """

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        if isinstance(inputs, dict):
            self._input_names = sorted(inputs)
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        self.inputs = tree.flatten(inputs)
        self.outputs = tree.flatten(outputs)
        for t in self.inputs + self.outputs:
            if not isinstance(t, KerasTensor):
                raise TypeError(
                    f"Model: expected symbolic tensors from ember.Input and layer calls as "
                    f"inputs and outputs, received {type(t).__name__}"
                )
        self._nodes = _nodes_in_order(self.inputs, self.outputs)
        layers = []
        for t in self.inputs:
            if t.node.layer not in layers:
                layers.append(t.node.layer)
        for node in self._nodes:
            if node.layer not in layers:
                layers.append(node.layer)
        self._layers = layers
        self._output_shape = tree.map_structure(lambda t: t.shape, outputs)
        self.built = True

    @property
    def input_shape(self):
        shapes = [t.shape for t in self.inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        shapes = [t.shape for t in self.outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def input_names(self) -> list:
        return [t.node.layer.name for t in self.inputs]

    @property
    def output_names(self) -> list:
        if isinstance(self._outputs_struct, dict):
            return sorted(self._outputs_struct)
        return [t.node.layer.name for t in self.outputs]

    def build(self, input_shape) -> None:
        self.built = True

    def call(self, inputs, training=None, mask=None):
        flat = self._flatten_inputs(inputs)
        values = {}
        for kt, x in zip(self.inputs, flat):
            values[id(kt)] = x

        def resolve(a):
            return values[id(a)] if isinstance(a, KerasTensor) else a

        for node in self._nodes:
            args = tree.map_structure(resolve, node.args)
            kwargs = tree.map_structure(resolve, node.kwargs)
            if training is not None and "training" not in kwargs:
                kwargs["training"] = training
            outs = node.layer(*args, **kwargs)
            flat_outs = [outs] if isinstance(outs, Tensor) else tree.flatten(outs)
            for kt, o in zip(node.outputs, flat_outs):
                values[id(kt)] = o
        return tree.map_structure(resolve, self._outputs_struct)

    def _flatten_inputs(self, inputs) -> list:
        n = len(self.inputs)
        if isinstance(inputs, dict):
            names = [t.node.layer.name for t in self.inputs]
            missing = [k for k in names if k not in inputs]
            if missing:
                raise ValueError(
                    f"Model '{self.name}': expected inputs named {names}, missing {missing}"
                )
            flat = [inputs[k] for k in names]
        elif n == 1:
            flat = [inputs[0] if isinstance(inputs, (list, tuple)) and len(inputs) == 1
                    else inputs]
        else:
            flat = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
            if len(flat) != n:
                raise ValueError(
                    f"Model '{self.name}': expected {n} inputs {self.input_names}, "
                    f"received {len(flat)}"
                )
        flat = [_adjust_input_rank(kt, _to_tensor(x)) for kt, x in zip(self.inputs, flat)]
        for kt, x in zip(self.inputs, flat):
            _check_input_shape(self, kt, x.shape)
        return flat

    def compute_output_shape(self, input_shape):
        return self._output_shape

    def get_config(self) -> dict:
        from ember.models.graph_config import functional_config

        return functional_config(self)

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        from ember.models.graph_config import functional_from_config

        return functional_from_config(cls, config, custom_objects)


def _adjust_input_rank(kt: KerasTensor, x: Tensor) -> Tensor:
    """Add or drop a trailing axis of size 1 when that is all that differs, as Keras does
    (a 1-D array feeds an ``Input(shape=(1,))``); bool or integer data fed to a float
    ``Input`` is cast to its dtype (one-hot bool arrays, for instance)."""
    if x.dtype.kind in "biu" and np.dtype(kt.dtype).kind == "f":
        x = Tensor(x.data.astype(kt.dtype))
    if x.ndim == len(kt.shape) - 1 and kt.shape[-1] == 1:
        return x.expand_dims(-1)
    if x.ndim == len(kt.shape) + 1 and x.shape[-1] == 1:
        return x.squeeze(-1)
    return x


def _check_input_shape(model, kt: KerasTensor, shape: tuple) -> None:
    expected = kt.shape
    ok = len(expected) == len(shape) and all(
        e is None or e == s for e, s in zip(expected, shape)
    )
    if not ok:
        raise ValueError(
            f"Model '{model.name}': input '{kt.node.layer.name}' expected shape {expected}, "
            f"got input of shape {tuple(shape)}"
        )


def _nodes_in_order(inputs, outputs) -> list:
    """The layer calls between ``inputs`` and ``outputs``, each after the calls it needs."""
    input_ids = {id(t) for t in inputs}
    order, done = [], set()
    stack = [(t.node, False) for t in reversed(outputs)]
    while stack:
        node, expanded = stack.pop()
        if id(node) in done:
            continue
        if expanded:
            done.add(id(node))
            if not isinstance(node.layer, InputLayer):
                order.append(node)
            continue
        stack.append((node, True))
        for parent in node.parent_tensors:
            if id(parent) in input_ids:
                continue
            if isinstance(parent.node.layer, InputLayer):
                raise ValueError(
                    f"Model: output depends on input '{parent.node.layer.name}' that is not "
                    "among the model's inputs"
                )
            if id(parent.node) not in done:
                stack.append((parent.node, False))
    return order
