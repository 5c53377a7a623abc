"""String identifiers and serialization of ember's objects.

Every family (activations, initializers, losses, metrics, optimizers, layers, ...) resolves
strings through a ``Registry`` and round-trips through ``{"class_name", "config"}`` dicts,
so a saved model reloads without user code. User classes join with
``register_serializable`` or ``custom_objects``.
"""

from __future__ import annotations

import contextlib
import difflib
import inspect

_CUSTOM_OBJECTS: dict = {}
_SCOPE_STACK: list = []


def register_serializable(package: str = "Custom", name: str | None = None):
    """Decorator registering a class or function so that it deserializes by name.

    Example:
        >>> import ember
        >>> @ember.saving.register_serializable(package="demo")
        ... class Scale(ember.layers.Layer):
        ...     pass
    """

    def decorator(obj):
        key = name or obj.__name__
        _CUSTOM_OBJECTS[f"{package}>{key}"] = obj
        _CUSTOM_OBJECTS[key] = obj
        obj._registered_name = f"{package}>{key}"
        return obj

    return decorator


@contextlib.contextmanager
def custom_object_scope(custom_objects: dict):
    """Make ``custom_objects`` resolvable by name inside a ``with`` block."""
    _SCOPE_STACK.append(dict(custom_objects or {}))
    try:
        yield
    finally:
        _SCOPE_STACK.pop()


CustomObjectScope = custom_object_scope


def get_custom_objects() -> dict:
    """The global dict of registered custom objects (mutable, as in Keras)."""
    return _CUSTOM_OBJECTS


def _lookup_custom(name: str, custom_objects=None):
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    for scope in reversed(_SCOPE_STACK):
        if name in scope:
            return scope[name]
    return _CUSTOM_OBJECTS.get(name)


class Registry:
    """Name -> object table for one family, with Keras's ``get``/``serialize``/``deserialize``.

    ``kind`` names the family in errors ("activation", "optimizer", ...).
    """

    def __init__(self, kind: str):
        self.kind = kind
        self._objects: dict = {}

    def register(self, *names: str):
        def decorator(obj):
            for n in names or (obj.__name__,):
                self._objects[n] = obj
            return obj

        return decorator

    def add(self, name: str, obj) -> None:
        self._objects[name] = obj

    def names(self) -> list:
        return sorted(self._objects)

    def lookup(self, name: str, custom_objects=None):
        obj = _lookup_custom(name, custom_objects)
        if obj is not None:
            return obj
        if name in self._objects:
            return self._objects[name]
        lowered = name.lower()
        if lowered in self._objects:
            return self._objects[lowered]
        close = difflib.get_close_matches(name, self.names(), n=5, cutoff=0.5)
        hint = f" Did you mean: {', '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(
            f"Unknown {self.kind}: {name!r}.{hint} Known: "
            f"{', '.join(self.names())}. A custom one must be registered with "
            "ember.saving.register_serializable() or passed in custom_objects."
        )

    def get(self, identifier, custom_objects=None, instantiate: bool = True):
        """Resolve ``identifier`` (None, a name, a config dict, a class or an object)."""
        if identifier is None:
            return None
        if isinstance(identifier, str):
            obj = self.lookup(identifier, custom_objects)
            return obj() if instantiate and inspect.isclass(obj) else obj
        if isinstance(identifier, dict):
            return self.deserialize(identifier, custom_objects)
        if inspect.isclass(identifier) and instantiate:
            return identifier()
        if callable(identifier) or hasattr(identifier, "get_config"):
            return identifier
        raise ValueError(
            f"Could not interpret {self.kind} identifier: {identifier!r} "
            f"(expected a name, a config dict or a callable)"
        )

    def serialize(self, obj):
        """``{"class_name", "config"}`` for an object, its name for a registered function."""
        if obj is None:
            return None
        if inspect.isfunction(obj) or inspect.isbuiltin(obj):
            return getattr(obj, "_registered_name", obj.__name__)
        return serialize_object(obj)

    def deserialize(self, config, custom_objects=None):
        if config is None:
            return None
        if isinstance(config, str):
            return self.get(config, custom_objects)
        cls = self.lookup(_class_key(config), custom_objects)
        inner = config.get("config", {})
        if inspect.isclass(cls):
            return cls.from_config(inner) if hasattr(cls, "from_config") else cls(**inner)
        return cls


def serialize_object(obj) -> dict:
    """The Keras-style dict of an object with ``get_config``."""
    cls = type(obj)
    out = {
        "module": cls.__module__,
        "class_name": cls.__name__,
        "config": obj.get_config(),
    }
    registered = getattr(cls, "_registered_name", None)
    if registered:
        out["registered_name"] = registered
    return out


def _class_key(config: dict) -> str:
    return config.get("registered_name") or config["class_name"]
