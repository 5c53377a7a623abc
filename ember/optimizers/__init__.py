"""Optimizers (Keras 3 names, arguments and update rules) and learning-rate schedules.

``get("adam")`` (case-insensitive), ``serialize(opt)`` and ``deserialize(config)`` resolve
optimizers through a ``Registry``, as every ember family does.
"""

from ember.optimizers import schedules
from ember.optimizers.adam import Adam, Adamax, AdamW, Nadam
from ember.optimizers.adaptive import Adadelta, Adagrad, RMSprop
from ember.optimizers.base import Optimizer, clip_by_global_norm, global_norm
from ember.optimizers.lion import Lion
from ember.optimizers.sgd import SGD
from ember.saving.object_registration import Registry, custom_object_scope

_REGISTRY = Registry("optimizer")
for _cls in (SGD, Adagrad, RMSprop, Adam, AdamW, Nadam, Adadelta, Adamax, Lion):
    _REGISTRY.add(_cls.__name__.lower(), _cls)


def serialize(optimizer: Optimizer) -> dict:
    """The ``{"module", "class_name", "config"}`` dict of an optimizer.

    Example:
        >>> from ember import optimizers
        >>> optimizers.serialize(optimizers.Adam())["class_name"]
        'Adam'
    """
    return _REGISTRY.serialize(optimizer)


def deserialize(config, custom_objects=None) -> Optimizer:
    """An optimizer from its ``serialize`` dict (or name); ``custom_objects`` resolves user
    classes, also inside a serialized learning-rate schedule."""
    with custom_object_scope(custom_objects or {}):
        return _REGISTRY.deserialize(config, custom_objects)


def get(identifier) -> Optimizer | None:
    """Resolve an optimizer from a name (``"adam"``, ``"Adam"``), a config dict or an instance.

    Example:
        >>> from ember import optimizers
        >>> type(optimizers.get("rmsprop")).__name__
        'RMSprop'
    """
    if identifier is None or isinstance(identifier, Optimizer):
        return identifier
    obj = None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = _REGISTRY.get(identifier)
    if isinstance(obj, Optimizer):
        return obj
    raise ValueError(
        "Could not interpret optimizer identifier: expected a name, a config dict or an "
        f"Optimizer. Received: identifier={identifier!r}")


__all__ = [
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Lion",
    "Nadam",
    "Optimizer",
    "RMSprop",
    "clip_by_global_norm",
    "deserialize",
    "get",
    "global_norm",
    "schedules",
    "serialize",
]
