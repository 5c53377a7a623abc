"""``export_onnx``: write an ember model as an ONNX graph.

The exporter walks the model's layer graph (a ``Sequential`` stack or a functional graph,
nested models inlined) and asks a converter registered for each layer class to emit ONNX
nodes. Weights become initializers; the batch axis stays symbolic. A layer without a
converter stops the export with an error that names it.
"""

from __future__ import annotations

import numpy as np

from ember.saving.weights_file import atomic_write

CONVERTERS: dict = {}


def converter(*class_names: str):
    """Register ``fn(ctx, layer, inputs, outputs)`` as the ONNX converter of layer classes."""

    def decorator(fn):
        for name in class_names:
            CONVERTERS[name] = fn
        return fn

    return decorator


class GraphBuilder:
    """Collects ONNX nodes, initializers and unique value names while converting."""

    def __init__(self, opset: int):
        from onnx import helper

        self.helper = helper
        self.opset = opset
        self.nodes: list = []
        self.initializers: list = []
        self._names: set = set()

    def fresh(self, base: str) -> str:
        base = base.replace("/", "_")
        name, n = base, 1
        while name in self._names:
            name = f"{base}_{n}"
            n += 1
        self._names.add(name)
        return name

    def constant(self, base: str, value, dtype=None) -> str:
        """An initializer holding ``value``; returns its name."""
        from onnx import numpy_helper

        array = np.asarray(value, dtype=dtype)
        name = self.fresh(base)
        self.initializers.append(numpy_helper.from_array(array, name=name))
        return name

    def node(self, op_type: str, inputs: list, outputs: list | None = None, base=None,
             **attrs) -> list:
        """Add a node; returns its output names (fresh ones when ``outputs`` is None)."""
        if outputs is None:
            outputs = [self.fresh(base or op_type.lower())]
        self.nodes.append(self.helper.make_node(op_type, inputs, outputs,
                                                name=self.fresh(f"{base or op_type}_node"),
                                                **attrs))
        return outputs


def export_onnx(model, path: str | None = None, opset: int = 17):
    """Export ``model`` (Sequential or functional) to ONNX and return the ``ModelProto``.

    Writes ``path`` atomically when given. The model is checked with ``onnx.checker``.

    Example:
        >>> import ember  # doctest: +SKIP
        >>> model = ember.Sequential([ember.Input(shape=(4,)), ember.layers.Dense(2)])
        >>> proto = ember.saving.export_onnx(model, "model.onnx")  # doctest: +SKIP
    """
    try:
        import onnx
        from onnx import TensorProto, helper
    except ImportError:
        raise ImportError(
            "export_onnx needs the onnx package: pip install 'ember[onnx]'"
        ) from None
    from ember.saving.onnx import image, layers, recurrent  # noqa: F401 - registers converters

    if not 13 <= opset <= onnx.defs.onnx_opset_version():
        raise ValueError(
            f"export_onnx: expected opset between 13 and {onnx.defs.onnx_opset_version()}, "
            f"received {opset}"
        )
    inputs, outputs = _graph_ends(model)
    builder = GraphBuilder(opset)
    names = {}
    graph_inputs = []
    for kt in inputs:
        name = builder.fresh(kt.node.layer.name)
        names[id(kt)] = name
        graph_inputs.append(helper.make_tensor_value_info(
            name, _onnx_dtype(kt.dtype), ["batch"] + [d if d is not None else f"d{i}"
                                                      for i, d in enumerate(kt.shape[1:], 1)]))
    _convert_graph(builder, model, names)
    graph_outputs = []
    for i, kt in enumerate(outputs):
        final = builder.fresh(f"output_{i}" if len(outputs) > 1 else "output")
        builder.node("Identity", [names[id(kt)]], [final])
        graph_outputs.append(helper.make_tensor_value_info(
            final, TensorProto.FLOAT, ["batch"] + [d if d is not None else f"o{i}_{j}"
                                                   for j, d in enumerate(kt.shape[1:], 1)]))
    graph = helper.make_graph(builder.nodes, model.name, graph_inputs, graph_outputs,
                              builder.initializers)
    proto = helper.make_model(graph, producer_name="ember",
                              opset_imports=[helper.make_opsetid("", opset)])
    proto.ir_version = min(proto.ir_version, 10)
    onnx.checker.check_model(proto, full_check=True)
    if path is not None:
        atomic_write(path, proto.SerializeToString())
    return proto


def _graph_ends(model):
    if not getattr(model, "built", False) or not getattr(model, "outputs", None):
        raise ValueError(
            f"export_onnx: model '{model.name}' has no layer graph; export needs a built "
            "Sequential (with an Input) or a functional model, not a subclassed one"
        )
    return list(model.inputs), list(model.outputs)


def _layer_calls(model):
    """(layer, args, output KerasTensors) of each call in execution order."""
    if type(model).__name__ == "Sequential":
        calls, x = [], model.inputs[0]
        for layer in model.layers:
            node = _node_from(layer, x)
            calls.append((layer, (x,), node.outputs))
            x = node.outputs[0]
        return calls
    return [(node.layer, node.args, node.outputs) for node in model._nodes]


def _node_from(layer, x):
    """The node where ``layer`` consumed the KerasTensor ``x``."""
    for node in reversed(layer._inbound_nodes):
        if node.args and node.args[0] is x:
            return node
    raise ValueError(f"export_onnx: layer '{layer.name}' is not connected in the model graph")


def _convert_graph(builder, model, names: dict) -> None:
    """Convert every layer call of ``model``; ``names`` maps KerasTensors to ONNX names."""
    from ember.layers.symbolic import KerasTensor
    from ember.utils import tree

    for layer, args, outs in _layer_calls(model):
        in_names = [names[id(t)] for t in tree.flatten(args) if isinstance(t, KerasTensor)]
        out_names = [builder.fresh(f"{layer.name}_out") for _ in outs]
        if getattr(layer, "outputs", None) and hasattr(layer, "compile"):
            _convert_nested(builder, layer, in_names, out_names)
        else:
            fn = CONVERTERS.get(type(layer).__name__)
            if fn is None:
                raise ValueError(
                    f"export_onnx: no ONNX mapping for layer '{layer.name}' "
                    f"({type(layer).__name__})"
                )
            fn(builder, layer, in_names, out_names)
        for kt, name in zip(outs, out_names):
            names[id(kt)] = name


def _convert_nested(builder, model, in_names, out_names) -> None:
    """Inline a nested model's graph between ``in_names`` and ``out_names``."""
    inputs, outputs = _graph_ends(model)
    names = {id(kt): name for kt, name in zip(inputs, in_names)}
    _convert_graph(builder, model, names)
    for kt, name in zip(outputs, out_names):
        builder.node("Identity", [names[id(kt)]], [name])


def _onnx_dtype(dtype: str):
    from onnx import TensorProto

    return {"float32": TensorProto.FLOAT, "float64": TensorProto.DOUBLE,
            "int32": TensorProto.INT32, "int64": TensorProto.INT64}[str(dtype)]
