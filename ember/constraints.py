"""Weight constraints as ``keras.constraints``: ``constraint(w)`` returns the projected
weight, computed on the raw array (no graph); an optimizer assigns it after each update.

Norms are taken over ``axis`` (``axis=0`` for a Dense kernel ``(in, out)`` constrains each
unit's incoming weight vector; use ``[0, 1, 2]`` for a conv kernel ``(kh, kw, in, out)``).

Example:
    >>> import ember
    >>> ember.constraints.NonNeg()(ember.tensor([-1.0, 2.0]))
    tensor([0., 2.])
"""

from __future__ import annotations

from ember import backend
from ember.autograd.tensor import Tensor
from ember.saving.object_registration import Registry

_REGISTRY = Registry("constraint")


def _register(*names):
    def decorator(cls):
        for name in (cls.__name__, *names):
            _REGISTRY.add(name, cls)
        return cls

    return decorator


class Constraint:
    """Base class: ``__call__(w)`` returns the constrained weight (the identity here).

    Example:
        >>> import ember
        >>> class Clip(ember.constraints.Constraint):
        ...     def __call__(self, w):
        ...         return ember.ops.clip(w, -1.0, 1.0)
        >>> Clip()(ember.tensor([3.0])).tolist()
        [1.0]
    """

    def __call__(self, w) -> Tensor:
        return w

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


@_register("max_norm")
class MaxNorm(Constraint):
    """Rescale weight vectors whose L2 norm over ``axis`` exceeds ``max_value``:
    ``w * clip(||w||, 0, max_value) / (eps + ||w||)`` (Srivastava et al. 2014).

    Example:
        >>> import ember
        >>> MaxNorm(max_value=1.0)(ember.tensor([[3.0], [4.0]])).tolist()
        [[0.6000000238418579], [0.800000011920929]]
    """

    def __init__(self, max_value: float = 2, axis=0):
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w) -> Tensor:
        w = _raw(w)
        xp = backend.array_module(w)
        norms = _norms(w, self.axis)
        desired = xp.clip(norms, 0, self.max_value)
        return _wrap(w * (desired / (backend.epsilon() + norms)))

    def get_config(self) -> dict:
        return {"max_value": self.max_value, "axis": self.axis}


@_register("non_neg")
class NonNeg(Constraint):
    """Zero the negative weights: ``max(w, 0)``.

    Example:
        >>> import ember
        >>> NonNeg()(ember.tensor([-0.5, 0.5])).tolist()
        [0.0, 0.5]
    """

    def __call__(self, w) -> Tensor:
        w = _raw(w)
        return _wrap(backend.array_module(w).maximum(w, 0))


@_register("unit_norm")
class UnitNorm(Constraint):
    """Scale weight vectors to unit L2 norm over ``axis``: ``w / (eps + ||w||)``.

    Example:
        >>> import ember
        >>> UnitNorm()(ember.tensor([[3.0], [4.0]])).tolist()
        [[0.6000000238418579], [0.800000011920929]]
    """

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w) -> Tensor:
        w = _raw(w)
        return _wrap(w / (_norms(w, self.axis) + backend.epsilon()))

    def get_config(self) -> dict:
        return {"axis": self.axis}


@_register("min_max_norm")
class MinMaxNorm(Constraint):
    """Move the L2 norm over ``axis`` into ``[min_value, max_value]`` at speed ``rate``:
    ``w * (rate * clip(||w||, min, max) + (1 - rate) * ||w||) / (eps + ||w||)``.

    Example:
        >>> import ember
        >>> w = MinMaxNorm(min_value=1.0, max_value=2.0)(ember.tensor([[0.3], [0.4]]))
        >>> [round(v, 4) for v in w.numpy().ravel().tolist()]
        [0.6, 0.8]
    """

    def __init__(self, min_value: float = 0.0, max_value: float = 1.0, rate: float = 1.0,
                 axis=0):
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w) -> Tensor:
        w = _raw(w)
        xp = backend.array_module(w)
        norms = _norms(w, self.axis)
        desired = (self.rate * xp.clip(norms, self.min_value, self.max_value)
                   + (1 - self.rate) * norms)
        return _wrap(w * (desired / (backend.epsilon() + norms)))

    def get_config(self) -> dict:
        return {"min_value": self.min_value, "max_value": self.max_value,
                "rate": self.rate, "axis": self.axis}


max_norm = MaxNorm
non_neg = NonNeg
unit_norm = UnitNorm
min_max_norm = MinMaxNorm


def get(identifier):
    """A constraint from a name (``"max_norm"``), a config dict, a class or a callable."""
    return _REGISTRY.get(identifier)


def serialize(constraint):
    return _REGISTRY.serialize(constraint)


def deserialize(config, custom_objects=None):
    return _REGISTRY.deserialize(config, custom_objects)


def _raw(w):
    """The array behind ``w`` (a Tensor, Variable, NumPy array or list); floats stay as they
    are, anything else becomes floatx."""
    if isinstance(w, Tensor):
        return w.data
    arr = backend.xp().asarray(w)
    return arr if arr.dtype.kind == "f" else arr.astype(backend.floatx())


def _norms(w, axis):
    axis = tuple(axis) if isinstance(axis, list) else axis
    return backend.array_module(w).sqrt((w * w).sum(axis=axis, keepdims=True))


def _wrap(array) -> Tensor:
    return Tensor._make(array)
