"""The layer graph of a Functional or Sequential model, for drawings and TensorBoard.

``plot_model`` draws it and the ``TensorBoard`` callback writes it as a graph of layers;
both read it from here: one ``LayerNode`` per layer, after every layer it reads from.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class LayerNode:
    """One layer of a model's graph.

    Attributes:
        layer: The layer (an ``InputLayer`` for each model input).
        inbound: Names of the layers whose outputs it reads, in call order.
        outputs: The symbolic tensors (``KerasTensor``) of its first call in the graph.
    """

    layer: object
    inbound: list
    outputs: list

    @property
    def output_shapes(self) -> list:
        return [t.shape for t in self.outputs]


def layer_graph(model) -> list:
    """The ``LayerNode`` of each layer of ``model``, each after the layers it reads from.

    A layer called several times (shared) is one node with the inbound layers of all its
    calls. Only models with a graph of layer calls have one: a Functional model, or a built
    Sequential.

    Example:
        >>> import ember
        >>> from ember.visualize.graph import layer_graph
        >>> inputs = ember.Input(shape=(4,), name="x")
        >>> outputs = ember.layers.Dense(2, name="out")(inputs)
        >>> [(n.layer.name, n.inbound) for n in layer_graph(ember.Model(inputs, outputs))]
        [('x', []), ('out', ['x'])]
    """
    outputs = getattr(model, "outputs", None)
    if not outputs or not all(hasattr(t, "node") for t in outputs):
        raise ValueError(
            f"{type(model).__name__} '{model.name}': expected a Functional model or a built "
            "Sequential, received a model without a graph of layer calls (a subclassed model, "
            "or a Sequential not yet called on data)"
        )
    by_layer: dict = {}
    for node in _nodes_in_order(outputs):
        entry = by_layer.get(id(node.layer))
        if entry is None:
            entry = by_layer[id(node.layer)] = LayerNode(node.layer, [], list(node.outputs))
        for parent in node.parent_tensors:
            name = parent.node.layer.name
            if name not in entry.inbound:
                entry.inbound.append(name)
    return list(by_layer.values())


def _nodes_in_order(outputs) -> list:
    """Every node the outputs depend on, parents first (an iterative depth-first walk)."""
    order, done = [], set()
    stack = [(t.node, False) for t in reversed(outputs)]
    while stack:
        node, expanded = stack.pop()
        if id(node) in done:
            continue
        if expanded:
            done.add(id(node))
            order.append(node)
            continue
        stack.append((node, True))
        for parent in reversed(node.parent_tensors):
            if id(parent.node) not in done:
                stack.append((parent.node, False))
    return order
