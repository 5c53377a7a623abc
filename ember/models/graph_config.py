"""The config of a functional model in Keras 3's layout: each layer's config with its
``inbound_nodes`` (arguments that name ``[layer, node_index, tensor_index]``), plus
``input_layers`` and ``output_layers``."""

from __future__ import annotations

from ember.layers.symbolic import KerasTensor
from ember.saving.object_registration import serialize_object
from ember.utils import tree


def functional_config(model) -> dict:
    """The Keras-layout config of ``model`` (a ``Functional``)."""
    node_index = {}  # id(node) -> index among the layer's nodes in this model
    per_layer: dict = {}
    input_nodes = [t.node for t in model.inputs]
    for node in input_nodes + list(model._nodes):
        nodes = per_layer.setdefault(id(node.layer), [])
        if id(node) not in node_index:
            node_index[id(node)] = len(nodes)
            nodes.append(node)

    def history(t: KerasTensor) -> list:
        return [t.node.layer.name, node_index[id(t.node)], t.index]

    def encode(a):
        if isinstance(a, KerasTensor):
            return {"class_name": "__keras_tensor__",
                    "config": {"shape": list(a.shape), "dtype": a.dtype,
                               "keras_history": history(a)}}
        return a

    layers = []
    for layer in model.layers:
        entry = serialize_object(layer)
        entry["name"] = layer.name
        entry["inbound_nodes"] = [
            {"args": tree.map_structure(encode, list(node.args)),
             "kwargs": tree.map_structure(encode, dict(node.kwargs))}
            for node in per_layer.get(id(layer), []) if node.args
        ]
        layers.append(entry)
    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": layers,
        "input_layers": tree.map_structure(history, model._inputs_struct),
        "output_layers": tree.map_structure(history, model._outputs_struct),
    }


def functional_from_config(cls, config: dict, custom_objects=None):
    """Rebuild the layers, replay their calls in dependency order, then make the model."""
    from ember.layers import deserialize

    created = {}
    produced: dict = {}  # (layer name, node index) -> list of output KerasTensors
    pending = []
    for entry in config["layers"]:
        layer = deserialize(entry, custom_objects=custom_objects)
        created[entry["name"]] = layer
        if type(layer).__name__ == "InputLayer":
            produced[(entry["name"], 0)] = [layer.output_tensor]
        for i, node in enumerate(entry.get("inbound_nodes", [])):
            pending.append((layer, i, node))

    def ready(node) -> bool:
        refs = [a for a in tree.flatten(_refs_as_leaves([node["args"], node["kwargs"]]))
                if isinstance(a, _Ref)]
        return all((r.name, r.node_index) in produced for r in refs)

    def decode(a):
        if isinstance(a, _Ref):
            return produced[(a.name, a.node_index)][a.tensor_index]
        return a

    while pending:
        progress = False
        for item in list(pending):
            layer, i, node = item
            if not ready(node):
                continue
            args = tree.map_structure(decode, _refs_as_leaves(node["args"]))
            kwargs = tree.map_structure(decode, _refs_as_leaves(node["kwargs"]))
            out = layer(*args, **kwargs)
            produced[(layer.name, i)] = [out] if isinstance(out, KerasTensor) else tree.flatten(
                out)
            pending.remove(item)
            progress = True
        if not progress:
            names = sorted({layer.name for layer, _, _ in pending})
            raise ValueError(f"Model config: cannot resolve the inputs of layers {names}")

    def output_of(ref):
        name, index, tensor_index = ref
        return produced[(name, index)][tensor_index]

    inputs = _map_refs(output_of, config["input_layers"])
    outputs = _map_refs(output_of, config["output_layers"])
    return cls(inputs, outputs, name=config.get("name"),
               trainable=config.get("trainable", True))


class _Ref:
    """A serialized KerasTensor (``[layer name, node index, tensor index]``) as one leaf."""

    def __init__(self, history):
        self.name, self.node_index, self.tensor_index = history


def _refs_as_leaves(structure):
    """Wrap serialized KerasTensor dicts so tree functions treat them as leaves."""
    if isinstance(structure, dict):
        if structure.get("class_name") == "__keras_tensor__":
            return _Ref(structure["config"]["keras_history"])
        return {k: _refs_as_leaves(v) for k, v in structure.items()}
    if isinstance(structure, (list, tuple)):
        return type(structure)(_refs_as_leaves(v) for v in structure)
    return structure


def _map_refs(fn, spec):
    """``spec`` is one ``[name, node, tensor]`` ref, a list of them, or a dict of them."""
    if isinstance(spec, dict):
        return {k: _map_refs(fn, v) for k, v in spec.items()}
    if len(spec) == 3 and isinstance(spec[0], str):
        return fn(spec)
    return [_map_refs(fn, s) for s in spec]
