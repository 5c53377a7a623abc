"""Keras 3's ``.keras`` model file, written and read without Keras.

A ``.keras`` file is a zip of three members:

- ``metadata.json``: ``{"keras_version", "date_saved"}``;
- ``config.json``: the model in Keras 3's serialization layout, every object as
  ``{"module", "class_name", "config", "registered_name"}`` (layers also with their
  ``build_config``; dtypes as ``DTypePolicy`` objects);
- ``model.weights.h5`` (HDF5, through ``h5py``): each layer's own variables, in creation order,
  at ``layers/<name>/vars/0``, ``1``, ... where ``<name>`` is the layer's class in snake case,
  numbered within its model (``dense``, ``dense_1``) as Keras 3's ``_save_state`` names them;
  nested layers below their owner by attribute (``layers/lstm/cell/vars``,
  ``layers/bidirectional/forward_layer/cell/vars``), and the optimizer's variables at
  ``optimizer/vars`` in Keras's order.

Reading maps Keras's configs onto ember's layers: keys that ember has no argument for are
dropped when their value is neutral (``None``, ``False``, a channels-last ``data_format``...)
and name the layer in an error otherwise. Like the ``.ember`` format, nothing in the file is
ever run: a Keras ``Lambda`` (which stores Python bytecode) is refused.
"""

from __future__ import annotations

import datetime
import importlib
import inspect
import io
import json
import zipfile

import numpy as np

from ember.layers.layer import Layer
from ember.saving import model_file, weights_file
from ember.saving.object_registration import custom_object_scope
from ember.utils.naming import snake_case

KERAS_VERSION = "3.15.1"  # the Keras release whose layout this module writes and is tested on

_FAMILIES = ("layers", "initializers", "regularizers", "constraints", "optimizers", "losses",
             "metrics", "activations", "models")
# Layers of ember that Keras 3 does not have, and Lambda, whose Keras form is bytecode.
_NOT_IN_KERAS = {"Swish", "InstanceNormalization", "Lambda"}
# Keras's SpatialDropout layers take no ``trainable`` argument.
_KERAS_REJECTS = {"SpatialDropout1D": ("trainable",), "SpatialDropout2D": ("trainable",),
                  "SpatialDropout3D": ("trainable",)}
# Keras options without an ember argument that change nothing in ember, whatever their value.
_IGNORED_KERAS_OPTIONS = {"use_cudnn", "synchronized", "implementation"}
# Keras options without an ember argument whose value here is what ember does anyway.
_NEUTRAL_KERAS_VALUES = {"data_format": "channels_last", "ragged": False, "sparse": False}
# Slot names of Keras 3's optimizers in the order they are created; names in one tuple are
# created together, interleaved variable by variable.
_KERAS_SLOTS = {
    "SGD": (("momentum",),),
    "Adam": (("momentum", "velocity"), ("velocity_hat",)),
    "AdamW": (("momentum", "velocity"), ("velocity_hat",)),
    "Adamax": (("momentum", "norm"),),
    "RMSprop": (("velocity",), ("momentum",), ("average_gradient",)),
    "Adagrad": (("accumulator",),),
    "Adadelta": (("accumulated_grad", "accumulated_delta_var"),),
    "Lion": (("momentum",),),
}


# ---- writing -----------------------------------------------------------------------------
def save_keras(model, filepath) -> None:
    """Write ``model`` (Sequential or functional) to ``filepath`` in Keras 3's ``.keras``
    format, atomically."""
    from ember import __version__

    weights_file._check_built(model, "save")
    config = _model_entry(model)
    compile_config = getattr(model, "_compile_config", None)
    if compile_config:
        config["compile_config"] = _keras_value(compile_config)
    metadata = {"keras_version": KERAS_VERSION, "ember_version": __version__,
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("metadata.json", json.dumps(metadata))
        zf.writestr("config.json", json.dumps(config, indent=1,
                                              default=model_file._json_default))
        zf.writestr("model.weights.h5", _weights_h5(model))
    weights_file.atomic_write(filepath, buffer.getvalue())


def _model_entry(model) -> dict:
    from ember.models import Functional, Sequential

    if isinstance(model, Sequential):
        layers = [_input_entry(model._input_layer)] + [_layer_entry(la) for la in model.layers]
        return {
            "module": "keras", "class_name": "Sequential",
            "config": {"name": model.name, "trainable": model.trainable,
                       "dtype": _dtype_policy(model.dtype), "layers": layers,
                       "build_input_shape": list(model.input_shape)},
            "registered_name": None,
            "build_config": {"input_shape": list(model.input_shape)},
        }
    if isinstance(model, Functional):
        config = model.get_config()
        entries = {entry["name"]: entry for entry in config["layers"]}
        config["layers"] = []
        for layer in _keras_layer_order(model):
            entry = entries[layer.name]
            keras_entry = (_input_entry(layer) if type(layer).__name__ == "InputLayer"
                           else _layer_entry(layer))
            keras_entry.update(name=layer.name, inbound_nodes=entry["inbound_nodes"])
            config["layers"].append(keras_entry)
        # Keras's own spelling: the class is not exported as ``keras.Functional``.
        return {"module": "keras.src.models.functional", "class_name": "Functional",
                "config": config, "registered_name": "Functional",
                "build_config": {"input_shape": None}}
    raise ValueError(
        f"save: the .keras format holds Sequential and functional models; model "
        f"'{model.name}' is a subclassed {type(model).__name__}, whose code Keras cannot "
        "rebuild. Save it as '.ember' or its weights with save_weights."
    )


def _input_entry(layer) -> dict:
    return {"module": "keras.layers", "class_name": "InputLayer", "config": layer.get_config(),
            "registered_name": None}


def _layer_entry(layer) -> dict:
    from ember.models import Model

    if isinstance(layer, Model):
        return _model_entry(layer)
    cls = type(layer)
    entry = {
        "module": "keras.layers" if cls.__module__.startswith("ember.") else cls.__module__,
        "class_name": cls.__name__,
        "config": _keras_layer_config(cls.__name__, layer.get_config(), layer.name),
        "registered_name": getattr(cls, "_registered_name", None),
    }
    if layer._build_shapes is not None:
        entry["build_config"] = {"input_shape": model_file._json_default(layer._build_shapes)}
    return entry


def _keras_layer_config(class_name: str, config: dict, name: str) -> dict:
    if class_name in _NOT_IN_KERAS:
        raise ValueError(
            f"save: {class_name} '{name}' has no counterpart in Keras 3's .keras format"
            + (" (Keras stores a Lambda's function as bytecode)" if class_name == "Lambda"
               else "")
            + "; save the model as '.ember' instead"
        )
    out = {k: _keras_value(v) for k, v in config.items()
           if k not in _KERAS_REJECTS.get(class_name, ())}
    if isinstance(out.get("dtype"), str):
        out["dtype"] = _dtype_policy(out["dtype"])
    return out


def _dtype_policy(name: str) -> dict:
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": name},
            "registered_name": None}


def _keras_value(value):
    """An ember config value (serialized objects included) in Keras's spelling."""
    if isinstance(value, dict):
        module = value.get("module")
        if isinstance(module, str) and module.startswith("ember.") and "class_name" in value:
            family = _family(module, value["class_name"])
            config = value.get("config", {})
            if family == "layers":
                config = _keras_layer_config(value["class_name"], config,
                                             config.get("name", value["class_name"]))
            else:
                config = _keras_value(config)
            keras_module = "keras.optimizers.schedules" if ".schedules" in module else (
                f"keras.{family}")
            return {"module": keras_module, "class_name": value["class_name"],
                    "config": config, "registered_name": value.get("registered_name")}
        return {k: _keras_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_keras_value(v) for v in value]
    return value


def _family(module: str, class_name: str) -> str | None:
    """The object family (``"layers"``, ``"optimizers"``...) of a serialized object's module,
    ember's or Keras's (``keras.src.backend.torch.optimizers.torch_adam``)."""
    for part in module.split("."):
        if part in _FAMILIES:
            return part
    if class_name in ("Sequential", "Functional", "Model"):
        return "models"
    return None


def _keras_layer_order(model) -> list:
    """The layers of a functional ``model`` in Keras 3's order (``map_graph``): by decreasing
    depth from the outputs, ties broken by the first visit of a depth-first walk from the
    outputs through each call's inputs. Keras numbers same-class layers in this order."""
    first_visit: dict = {}  # id(layer) -> index
    layers: dict = {}
    finished: set = set()
    post_order: list = []  # nodes, each after the nodes it needs
    for output in model.outputs:
        stack = [(output.node, False)]
        while stack:
            node, expanded = stack.pop()
            if id(node) in finished:
                continue
            if expanded:
                finished.add(id(node))
                post_order.append(node)
                continue
            first_visit.setdefault(id(node.layer), len(first_visit))
            layers[id(node.layer)] = node.layer
            stack.append((node, True))
            stack.extend((t.node, False) for t in reversed(node.parent_tensors))
    node_depth: dict = {}
    layer_depth: dict = {}
    for node in reversed(post_order):
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = node_depth[id(node)] = depth
        for parent in node.parent_tensors:
            node_depth[id(parent.node)] = max(depth + 1, node_depth.get(id(parent.node), 0))
    for t in model.inputs:  # inputs that no output needs come last
        if id(t.node.layer) not in layer_depth:
            layers[id(t.node.layer)] = t.node.layer
            layer_depth[id(t.node.layer)], first_visit[id(t.node.layer)] = 0, -1
    return [layers[k] for k in sorted(layers, key=lambda k: (-layer_depth[k], first_visit[k]))]


# ---- the weights file --------------------------------------------------------------------
def _weights_h5(model) -> bytes:
    h5py = _h5py()
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        for path, layer, variables in _saveables(model):
            group = f.require_group(_vars_path(path))
            group.attrs["name"] = layer.name
            for i, v in enumerate(variables):
                group.create_dataset(str(i), data=np.asarray(v.numpy()))
        optimizer = getattr(model, "optimizer", None)
        if optimizer is not None and getattr(optimizer, "built", False):
            group = f.require_group("optimizer/vars")
            group.attrs["name"] = optimizer.name
            for i, v in enumerate(_optimizer_variables_in_keras_order(model, "save")):
                group.create_dataset(str(i), data=np.asarray(v.numpy()))
    return buffer.getvalue()


def _vars_path(path: str) -> str:
    return f"{path}/vars" if path else "vars"


def _saveables(root):
    """``(path, layer, own variables)`` for ``root`` and every layer inside it, walked as
    Keras 3's ``_save_state`` walks: a model's ``layers``, then other layers by attribute
    name (public first), a list of layers as numbered snake-case class names."""
    visited: set = set()
    stack = [("", root)]
    while stack:
        path, layer = stack.pop()
        if id(layer) in visited:
            continue
        visited.add(id(layer))
        yield path, layer, layer._trainable_variables + layer._non_trainable_variables
        children = []
        for attr, value in _saveable_attributes(layer):
            child_path = f"{path}/{attr}" if path else attr
            if isinstance(value, Layer):
                children.append((child_path, value))
                continue
            used: dict = {}
            for item in value:
                if isinstance(item, Layer):
                    name = _numbered(snake_case(type(item).__name__), used)
                    children.append((f"{child_path}/{name}", item))
        stack.extend(reversed(children))


def _saveable_attributes(layer):
    from ember.models import Functional, Sequential

    if isinstance(layer, Sequential):
        return [("layers", layer.layers)]
    if isinstance(layer, Functional):
        return [("layers", _keras_layer_order(layer))]
    out = []
    for attr in sorted(vars(layer), key=lambda a: ("~" + a) if a.startswith("_") else a):
        value = vars(layer)[attr]
        if isinstance(value, dict):
            value = list(value.values())
        is_layer = isinstance(value, Layer) and value is not layer
        holds_layers = isinstance(value, (list, tuple)) and any(isinstance(v, Layer)
                                                                 for v in value)
        if is_layer or holds_layers:
            out.append((attr, value))
    return out


def _numbered(name: str, used: dict) -> str:
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def _optimizer_variables_in_keras_order(model, caller: str) -> list:
    """The optimizer's variables as Keras 3 orders them: ``iteration``, ``learning_rate``
    (unless a schedule), then the slots of each trainable variable (in Keras's order of the
    model's variables), grouped as the Keras optimizer creates them."""
    optimizer = model.optimizer
    name = type(optimizer).__name__
    if name not in _KERAS_SLOTS or optimizer.use_ema or optimizer.gradient_accumulation_steps:
        raise ValueError(
            f"{caller}: the .keras format holds the state of the optimizers "
            f"{sorted(_KERAS_SLOTS)} without use_ema or gradient_accumulation_steps; model "
            f"'{model.name}' has {name}. Save it as '.ember', or compile with one of those."
        )
    by_name: dict = {}
    for v in optimizer.variables:
        by_name.setdefault(v.name, []).append(v)
    head = [v for v in optimizer.variables if v.name in ("iteration", "learning_rate")]
    trainable = {id(v) for v in optimizer._trainable_variables}
    order = [v for v in _keras_weights(model) if id(v) in trainable]

    def slot(variable, slot_name):
        prefix = str(variable.path).replace("/", "_").replace(":", "_")
        found = by_name.get(f"{prefix}_{slot_name}", [])
        return found[0] if len(found) == 1 else None

    slots = []
    for group in _KERAS_SLOTS[name]:
        if order and slot(order[0], group[0]) is not None:
            slots += [slot(v, s) for v in order for s in group]
    if len(order) != len(trainable) or any(v is None for v in slots) or (
            len(head) + len(slots) != len(optimizer.variables)):
        raise ValueError(
            f"{caller}: cannot match the {len(optimizer.variables)} variables of {name} "
            f"'{optimizer.name}' to Keras's layout (two weights of model '{model.name}' "
            "share a path?)"
        )
    return head + slots


def _keras_weights(layer) -> list:
    """Every weight of ``layer`` in Keras 3's order: its own, then each sub-layer's (a
    functional model's layers in Keras's order)."""
    from ember.models import Functional

    out, seen = [], set()
    stack = [layer]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        for v in current._trainable_variables + current._non_trainable_variables:
            if id(v) not in seen:
                seen.add(id(v))
                out.append(v)
        children = (_keras_layer_order(current) if isinstance(current, Functional)
                    else current._sublayers())
        stack.extend(reversed(children))
    return out


def _h5py():
    try:
        import h5py
    except ImportError:
        raise ImportError(
            "the .keras format needs h5py for its weights: pip install 'ember[keras]' "
            "(or h5py)"
        ) from None
    return h5py


# ---- reading -----------------------------------------------------------------------------
def load_keras(filepath, custom_objects=None, compile: bool = True):
    """A model rebuilt from a Keras 3 ``.keras`` file (written by Keras or by ember)."""
    parts = model_file.read_archive(
        filepath, {"metadata.json", "config.json", "model.weights.h5"}, "a .keras model file")
    config = model_file.model_config(parts, filepath)
    where = f"load_model('{filepath}')"
    with custom_object_scope(custom_objects or {}):
        with model_file.config_errors(where):
            model = _deserialize_model(config, custom_objects)
        model_file._ensure_built(model, config.get("build_config"))
        stored = _read_h5(parts["model.weights.h5"], where)
        _assign_weights(model, stored, where)
        compile_config = config.get("compile_config")
        if compile and compile_config:
            with model_file.config_errors(where):
                model_file._compile_from_config(model, _ember_value(compile_config),
                                                custom_objects)
            if "optimizer/vars" in stored:
                _restore_optimizer(model, stored["optimizer/vars"], where)
    return model


def _deserialize_model(config: dict, custom_objects):
    from ember import layers
    from ember.models import Sequential

    model = layers.deserialize(_ember_value(config), custom_objects=custom_objects)
    shape = config["config"].get("build_input_shape")
    if isinstance(model, Sequential) and not model.built and shape:
        model.build(tuple(shape))  # a Keras Sequential saved without its InputLayer
    return model


def _ember_value(value):
    """A Keras config value in ember's spelling: Keras's objects become ember's serialized
    objects, with the options ember has no argument for removed."""
    if isinstance(value, list):
        return [_ember_value(v) for v in value]
    if not isinstance(value, dict):
        return value
    module = value.get("module")
    if not (isinstance(module, str) and module.split(".")[0] == "keras"
            and "class_name" in value):
        return {k: _ember_value(v) for k, v in value.items()}
    class_name, config = value["class_name"], value.get("config")
    if "DTypePolicy" in class_name:
        return config["name"]
    family = _family(module, class_name)
    if family == "activations" and class_name == "function":
        return config
    registered = value.get("registered_name")
    ember_module = "ember.optimizers.schedules" if ".schedules" in module else f"ember.{family}"
    # A functional model's layer entries also carry "name", "inbound_nodes", "build_config".
    out = {k: _ember_value(v) for k, v in value.items()
           if k not in ("module", "config", "registered_name", "shared_object_id")}
    out.update(module=ember_module,
               registered_name=registered if registered and ">" in registered else None)
    if family is None:
        raise ValueError(
            f"Keras object {class_name!r} of module {module!r}: ember rebuilds Keras's layers, "
            "initializers, regularizers, constraints, optimizers, losses and metrics only"
        )
    if family == "models" or not isinstance(config, dict):
        if isinstance(config, dict) and "input_layers" in config:
            config = _functional_graph_for_ember(config)
        out["config"] = _ember_value(config)
        return out
    if class_name == "Lambda":
        raise ValueError(
            f"Lambda '{config.get('name')}': the file stores its function as Python "
            "bytecode, which ember never runs; rebuild the model in code"
        )
    out["config"] = _accepted_config(ember_module, class_name, registered,
                                     {k: _ember_value(v) for k, v in config.items()})
    return out


def _functional_graph_for_ember(config: dict) -> dict:
    """A Keras functional config as ember replays it. Keras records the operations that
    compute a mask (``NotEqual``, ``Any`` after ``Embedding(mask_zero=True)`` or ``Masking``)
    as graph nodes passed as ``mask=``, and the ``training`` flag of the call that built the
    graph; ember's layers propagate masks themselves and take ``training`` from the model's
    call (Keras overrides the recorded one too), so both are dropped. Any other use of a
    Keras operation raises."""
    operations = {entry.get("name") for entry in config["layers"]
                  if _family(str(entry.get("module", "")), entry.get("class_name", "")) is None
                  and str(entry.get("module", "")).startswith("keras.")}
    layers = []
    for entry in config["layers"]:
        if entry.get("name") in operations:
            continue
        entry = dict(entry)
        nodes = []
        for node in entry.get("inbound_nodes", []):
            kwargs = {k: v for k, v in node.get("kwargs", {}).items() if k != "training"
                      and not (k == "mask" and _references(v) <= operations)}
            nodes.append({**node, "kwargs": kwargs})
            used = _references([node.get("args"), kwargs]) & operations
            if used:
                raise ValueError(
                    f"layer '{entry.get('name')}' takes the output of the Keras operation "
                    f"{sorted(used)[0]!r} as an input; ember rebuilds layers, not Keras "
                    "operations"
                )
        entry["inbound_nodes"] = nodes
        layers.append(entry)
    outputs = _output_names(config.get("output_layers")) & operations
    if outputs:
        raise ValueError(
            f"the model's output comes from the Keras operation {sorted(outputs)[0]!r}; ember "
            "rebuilds layers, not Keras operations"
        )
    return {**config, "layers": layers}


def _references(structure) -> set:
    """The layer names that the serialized KerasTensors in ``structure`` come from."""
    if isinstance(structure, dict):
        if structure.get("class_name") == "__keras_tensor__":
            return {structure["config"]["keras_history"][0]}
        return set().union(*(_references(v) for v in structure.values()))
    if isinstance(structure, list):
        return set().union(*(_references(v) for v in structure))
    return set()


def _output_names(spec) -> set:
    """The layer names in ``output_layers``: one ``[layer, node, tensor]``, or lists or dicts
    of them."""
    if isinstance(spec, dict):
        return set().union(*(_output_names(v) for v in spec.values()))
    if isinstance(spec, list) and len(spec) == 3 and isinstance(spec[0], str):
        return {spec[0]}
    return set().union(*(_output_names(v) for v in spec)) if isinstance(spec, list) else set()


def _accepted_config(ember_module: str, class_name: str, registered, config: dict) -> dict:
    """``config`` without the Keras options that ember's class has no argument for; an
    option whose value would change the result raises."""
    module = importlib.import_module(ember_module)
    registry = getattr(module, "_REGISTRY", None) or getattr(module, "REGISTRY", None)
    if registry is None:
        return config
    cls = registry.lookup(registered if registered and ">" in registered else class_name)
    if not inspect.isclass(cls):
        return config
    accepted = _accepted_arguments(cls)
    out = {}
    for key, value in config.items():
        if key in accepted:
            out[key] = value
        elif not (value is None or value is False or key in _IGNORED_KERAS_OPTIONS
                  or _NEUTRAL_KERAS_VALUES.get(key, object()) == value):
            raise ValueError(
                f"{class_name} '{config.get('name', class_name)}': ember's {class_name} has "
                f"no option {key!r}; expected it unset, received {key}={value!r}"
            )
    return out


def _accepted_arguments(cls) -> set:
    """The keyword arguments ``cls(...)`` accepts, following ``**kwargs`` up the classes."""
    names: set = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None or klass is object:
            continue
        params = inspect.signature(init).parameters.values()
        names |= {p.name for p in params
                  if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
        if klass is Layer:  # Layer takes these through **kwargs
            names |= {"input_shape", "input_dim", "batch_size", "batch_input_shape",
                      "input_length"}
        if not any(p.kind == p.VAR_KEYWORD for p in params):
            break
    return names - {"self"}


def _read_h5(data: bytes, where: str) -> dict:
    """``{group path: [array 0, array 1, ...]}`` of every group of a weights file that holds
    arrays; a damaged file raises ValueError."""
    h5py = _h5py()
    found: dict = {}

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            group, _, key = name.rpartition("/")
            found.setdefault(group, {})[key] = np.asarray(obj)

    try:
        with h5py.File(io.BytesIO(data), "r") as f:
            f.visititems(visit)
    except Exception as exc:  # noqa: BLE001 - h5py's many errors all mean a damaged file
        raise ValueError(f"{where}: model.weights.h5 is not a valid HDF5 weights file "
                         f"({exc})") from None
    stored = {}
    for group, arrays in found.items():
        keys = [str(i) for i in range(len(arrays))]
        if sorted(arrays) != sorted(keys):
            raise ValueError(f"{where}: '{group}' expected arrays named 0..{len(keys) - 1}, "
                             f"received {sorted(arrays)}")
        stored[group] = [arrays[k] for k in keys]
    return stored


def _assign_weights(model, stored: dict, where: str) -> None:
    """Assign every layer's ``vars`` arrays, after checking all counts and shapes."""
    problems, pending = [], []
    expected_groups = set()
    for path, layer, variables in _saveables(model):
        group = _vars_path(path)
        expected_groups.add(group)
        arrays = stored.get(group, [])
        if len(arrays) != len(variables):
            problems.append(f"{group} ({type(layer).__name__} '{layer.name}'): expected "
                            f"{len(variables)} arrays, the file has {len(arrays)}")
            continue
        for v, array in zip(variables, arrays):
            if tuple(v.shape) != array.shape:
                problems.append(f"{group} ({type(layer).__name__} '{layer.name}'): "
                                f"{v.name} expected shape {tuple(v.shape)}, the file has "
                                f"{array.shape}")
            pending.append((v, array))
    # Only the layers' part: Keras ignores other state it does not know, and so does ember.
    unexpected = sorted(g for g in set(stored) - expected_groups if g.startswith("layers/"))
    if unexpected:
        problems.append(f"in the file but not in the model: {unexpected}")
    if problems:
        raise ValueError(f"{where}: the weights do not match the model.\n  "
                         + "\n  ".join(problems))
    for v, array in pending:
        v.assign(array.astype(v.dtype, copy=False))


def _restore_optimizer(model, arrays: list, where: str) -> None:
    optimizer = model.optimizer
    optimizer.build(model.trainable_weights)
    variables = _optimizer_variables_in_keras_order(model, where)
    if len(arrays) != len(variables):
        raise ValueError(
            f"{where}: the optimizer state has {len(arrays)} variables, the rebuilt "
            f"{type(optimizer).__name__} {len(variables)}"
        )
    for v, array in zip(variables, arrays):
        if tuple(v.shape) != array.shape:
            raise ValueError(f"{where}: optimizer variable {v.name} expected shape "
                             f"{tuple(v.shape)}, the file has {array.shape}")
        v.assign(array.astype(v.dtype, copy=False))
