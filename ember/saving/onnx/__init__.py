"""ONNX export of ember models (``ember.saving.export_onnx``)."""

from ember.saving.onnx.exporter import CONVERTERS, converter, export_onnx

__all__ = ["CONVERTERS", "converter", "export_onnx"]
