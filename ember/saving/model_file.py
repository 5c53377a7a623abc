"""The ``.ember`` model file: one zip holding the architecture and compile configuration as
JSON, the weights as safetensors and the optimizer state (slots and step count) as
safetensors. No pickle anywhere: loading a file never runs code from it."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np

from ember.saving import weights_file

FORMAT = "ember-model"
FORMAT_VERSION = 1


def save_model(model, filepath: str) -> None:
    """Write ``model`` to ``filepath`` (a ``.ember`` zip), atomically."""
    from ember import __version__

    weights_file._check_built(model, "save")
    config = {
        "class_name": type(model).__name__,
        "registered_name": getattr(type(model), "_registered_name", None),
        "config": model.get_config(),
        "build_config": _build_config(model),
        "compile_config": getattr(model, "_compile_config", None),
    }
    weights = {k: np.ascontiguousarray(v.numpy())
               for k, v in weights_file.weight_dict(model).items()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("metadata.json", json.dumps(
            {"format": FORMAT, "format_version": FORMAT_VERSION, "ember_version": __version__}))
        zf.writestr("config.json", json.dumps(config, indent=1, default=_json_default))
        zf.writestr("model.weights.safetensors", weights_file.encode(weights, "safetensors"))
        optimizer = getattr(model, "optimizer", None)
        if optimizer is not None and getattr(optimizer, "built", False):
            state = {str(i): np.ascontiguousarray(v.numpy())
                     for i, v in enumerate(optimizer.variables)}
            zf.writestr("optimizer.safetensors", weights_file.encode(state, "safetensors"))
    weights_file.atomic_write(filepath, buffer.getvalue())


def load_model(filepath: str, custom_objects=None, compile: bool = True, safe_mode=True):
    """Rebuild a model saved by ``model.save``: architecture, weights, and (when ``compile``)
    the optimizer with its state, the loss and the metrics."""
    from ember import layers

    parts = _read_zip(filepath)
    config = parts["config.json"]
    model = layers.deserialize(
        {"class_name": config["class_name"], "config": config["config"],
         "registered_name": config.get("registered_name")},
        custom_objects=custom_objects,
    )
    _ensure_built(model, config.get("build_config"))
    weights = weights_file.decode(parts["model.weights.safetensors"], "safetensors", filepath)
    weights_file.assign_by_name(weights_file.weight_dict(model), weights,
                                f"load_model('{filepath}')")
    compile_config = config.get("compile_config")
    if compile and compile_config:
        _compile_from_config(model, compile_config, custom_objects)
        if "optimizer.safetensors" in parts:
            state = weights_file.decode(parts["optimizer.safetensors"], "safetensors", filepath)
            _restore_optimizer(model, state, filepath)
    return model


def _read_zip(filepath: str) -> dict:
    try:
        with zipfile.ZipFile(filepath) as zf:
            names = set(zf.namelist())
            needed = {"metadata.json", "config.json", "model.weights.safetensors"}
            if not needed <= names:
                raise ValueError(
                    f"'{filepath}' is not an ember model file: missing {sorted(needed - names)}"
                )
            parts = {name: zf.read(name) for name in names}
    except zipfile.BadZipFile:
        raise ValueError(
            f"'{filepath}' is not an ember model file (not a zip archive, or truncated)"
        ) from None
    try:
        metadata = json.loads(parts["metadata.json"])
        parts["config.json"] = json.loads(parts["config.json"])
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"'{filepath}' has a corrupt configuration ({exc})") from None
    if metadata.get("format") != FORMAT:
        raise ValueError(
            f"'{filepath}': expected format '{FORMAT}', received {metadata.get('format')!r}"
        )
    return parts


def _build_config(model):
    shapes = getattr(model, "_build_shapes", None)
    if shapes is None:
        return None
    return {"input_shape": _json_default(shapes)}


def _ensure_built(model, build_config) -> None:
    """Create the weights of a model whose config does not build it (a subclassed model) by
    running it once on zeros of the recorded input shape."""
    if model.weights or not build_config:
        return
    from ember import backend
    from ember.autograd.grad_mode import no_grad

    def zeros(shape):
        return backend.xp().zeros(tuple(1 if d is None else d for d in shape),
                                  dtype=model.dtype)

    shape = build_config["input_shape"]
    is_single = all(d is None or isinstance(d, int) for d in shape)
    inputs = zeros(shape) if is_single else [zeros(s) for s in shape]
    with no_grad():
        model(inputs)


def _compile_from_config(model, config: dict, custom_objects) -> None:
    from ember import optimizers

    model.compile(
        optimizer=optimizers.deserialize(config["optimizer"], custom_objects=custom_objects),
        loss=_deserialize_spec(config.get("loss"), "losses", custom_objects),
        loss_weights=config.get("loss_weights"),
        metrics=_deserialize_spec(config.get("metrics"), "metrics", custom_objects),
        weighted_metrics=_deserialize_spec(config.get("weighted_metrics"), "metrics",
                                           custom_objects),
    )


def _deserialize_spec(spec, family: str, custom_objects):
    import importlib

    module = importlib.import_module(f"ember.{family}")
    if spec is None or isinstance(spec, str):
        return spec
    if isinstance(spec, list):
        return [_deserialize_spec(s, family, custom_objects) for s in spec]
    if isinstance(spec, dict) and "class_name" in spec:
        return module.deserialize(spec, custom_objects=custom_objects)
    if isinstance(spec, dict):
        return {k: _deserialize_spec(v, family, custom_objects) for k, v in spec.items()}
    return spec


def _restore_optimizer(model, state: dict, filepath: str) -> None:
    optimizer = model.optimizer
    optimizer.build(model.trainable_weights)
    variables = optimizer.variables
    if len(variables) != len(state):
        raise ValueError(
            f"load_model('{filepath}'): the optimizer state has {len(state)} variables, the "
            f"rebuilt optimizer {len(variables)}"
        )
    for i, v in enumerate(variables):
        v.assign(state[str(i)])


def _json_default(value):
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, list):
        return [_json_default(v) for v in value]
    raise TypeError(f"save: cannot store {type(value).__name__} in the model config")
