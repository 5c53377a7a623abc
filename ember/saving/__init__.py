"""Serialization of ember's objects (and, later, model files)."""

from ember.saving.object_registration import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    register_serializable,
)

register_keras_serializable = register_serializable

__all__ = [
    "CustomObjectScope",
    "custom_object_scope",
    "get_custom_objects",
    "register_keras_serializable",
    "register_serializable",
]
