"""Serialization of ember's objects and model files: ``.ember`` (config JSON, safetensors
weights and optimizer state), Keras 3's ``.keras`` (see ``keras_format``), and weight files
(``.weights.safetensors`` / ``.npz``)."""

from ember.saving.object_registration import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    register_serializable,
)

register_keras_serializable = register_serializable

__all__ = [
    "CustomObjectScope",
    "load_model",
    "load_weights",
    "save_model",
    "save_weights",
    "custom_object_scope",
    "get_custom_objects",
    "register_keras_serializable",
    "register_serializable",
]

from ember.saving.model_file import load_model, save_model
from ember.saving.weights_file import load_weights, save_weights


def export_onnx(model, path=None, opset: int = 17):
    """Export ``model`` to ONNX (see ``ember.saving.onnx.export_onnx``)."""
    from ember.saving.onnx import export_onnx as _export

    return _export(model, path, opset=opset)
