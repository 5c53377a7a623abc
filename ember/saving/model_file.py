"""The ``.ember`` model file: one zip holding the architecture and compile configuration as
JSON, the weights as safetensors and the optimizer state (slots and step count) as
safetensors. No pickle anywhere: loading a file never runs code from it."""

from __future__ import annotations

import contextlib
import io
import json
import zipfile
import zlib

import numpy as np

from ember.saving import weights_file
from ember.saving.object_registration import custom_object_scope

FORMAT = "ember-model"
FORMAT_VERSION = 1


def save_model(model, filepath: str) -> None:
    """Write ``model`` to ``filepath`` atomically: a ``.ember`` zip, or Keras 3's format for a
    name ending in ``.keras``."""
    from ember import __version__

    if str(filepath).endswith(".keras"):
        from ember.saving.keras_format import save_keras

        return save_keras(model, filepath)
    weights_file._check_built(model, "save")
    config = {
        "class_name": type(model).__name__,
        "registered_name": getattr(type(model), "_registered_name", None),
        "config": model.get_config(),
        "build_config": _build_config(model),
        "compile_config": getattr(model, "_compile_config", None),
    }
    weights = weights_file.host_arrays(weights_file.weight_dict(model))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("metadata.json", json.dumps(
            {"format": FORMAT, "format_version": FORMAT_VERSION, "ember_version": __version__}))
        zf.writestr("config.json", json.dumps(config, indent=1, default=_json_default))
        zf.writestr("model.weights.safetensors", weights_file.encode(weights, "safetensors"))
        optimizer = getattr(model, "optimizer", None)
        if optimizer is not None and getattr(optimizer, "built", False):
            state = weights_file.host_arrays(
                {str(i): v for i, v in enumerate(optimizer.variables)})
            zf.writestr("optimizer.safetensors", weights_file.encode(state, "safetensors"))
    weights_file.atomic_write(filepath, buffer.getvalue())


def load_model(filepath: str, custom_objects=None, compile: bool = True, safe_mode=True):
    """Rebuild a model saved by ``model.save``: architecture, weights, and (when ``compile``)
    the optimizer with its state, the loss and the metrics. A ``.keras`` file (Keras 3's
    format, written by Keras or by ember) is read by ``ember.saving.keras_format``."""
    from ember import layers

    if str(filepath).endswith(".keras"):
        from ember.saving.keras_format import load_keras

        return load_keras(filepath, custom_objects=custom_objects, compile=compile)
    parts = _read_zip(filepath)
    config = parts["config.json"]
    # A scope, not only an argument: nested configs (a functional model's layers, a
    # Lambda's function) resolve their names through it too.
    with custom_object_scope(custom_objects or {}), config_errors(f"load_model('{filepath}')"):
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
        with config_errors(f"load_model('{filepath}')"):
            _compile_from_config(model, compile_config, custom_objects)
        if "optimizer.safetensors" in parts:
            state = weights_file.decode(parts["optimizer.safetensors"], "safetensors", filepath)
            _restore_optimizer(model, state, filepath)
    return model


def _read_zip(filepath: str) -> dict:
    parts = read_archive(filepath, {"metadata.json", "config.json", "model.weights.safetensors"},
                         "an ember model file")
    metadata = parse_json(parts, "metadata.json", filepath)
    parts["config.json"] = model_config(parts, filepath)
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise ValueError(
            f"'{filepath}': expected metadata of format '{FORMAT}', received {metadata!r}"
        )
    return parts


def read_archive(filepath, needed: set, kind: str) -> dict:
    """``{member name: bytes}`` of the zip at ``filepath``, which must hold ``needed``. A file
    that is not a zip, is truncated or damaged raises ValueError naming it."""
    with open(filepath, "rb") as f:  # a missing file is a FileNotFoundError, not damage
        data = f.read()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            parts = {name: zf.read(name) for name in zf.namelist()}
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError,
            RuntimeError, ValueError) as exc:  # what zipfile raises on damaged headers
        raise ValueError(
            f"'{filepath}' is not {kind} (not a zip archive, truncated or damaged: {exc})"
        ) from None
    if not needed <= set(parts):
        raise ValueError(f"'{filepath}' is not {kind}: missing {sorted(needed - set(parts))}")
    return parts


def parse_json(parts: dict, name: str, filepath):
    """The JSON member ``name`` of an archive read by ``read_archive``."""
    try:
        return json.loads(parts[name])
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"'{filepath}' has a corrupt {name} ({exc})") from None


def model_config(parts: dict, filepath) -> dict:
    """The ``config.json`` of an archive, checked to be a serialized model."""
    config = parse_json(parts, "config.json", filepath)
    if not isinstance(config, dict) or not {"class_name", "config"} <= set(config):
        raise ValueError(
            f"'{filepath}': expected config.json to hold an object with 'class_name' and "
            f"'config', received {str(config)[:80]}"
        )
    return config


@contextlib.contextmanager
def config_errors(where: str):
    """Report any failure to rebuild a model from its config as one ValueError that names
    the file: an unknown class, an argument the class rejects, a missing key."""
    try:
        yield
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    except (KeyError, TypeError, AttributeError, IndexError) as exc:
        raise ValueError(
            f"{where}: malformed model config ({type(exc).__name__}: {exc})"
        ) from None


def _build_config(model):
    shapes = getattr(model, "_build_shapes", None)
    if shapes is None:
        return None
    return {"input_shape": _json_default(shapes)}


def _ensure_built(model, build_config) -> None:
    """Create the weights of a model whose config does not build it (a subclassed model) by
    running it once on zeros of the recorded input shape."""
    if model.weights or not build_config or build_config.get("input_shape") is None:
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
