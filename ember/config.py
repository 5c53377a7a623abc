"""Global settings, as ``keras.config``: the default float dtype, epsilon, the backend."""

from ember.backend import backend, epsilon, floatx, set_floatx

__all__ = ["backend", "epsilon", "floatx", "set_floatx"]
