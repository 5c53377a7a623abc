"""Weight regularizers as ``keras.regularizers``: ``regularizer(w)`` is a scalar penalty,
differentiable with respect to ``w``, that a layer adds to the loss.

Example:
    >>> import ember
    >>> w = ember.tensor([[1.0, -2.0]], requires_grad=True)
    >>> ember.regularizers.L2(0.5)(w)
    tensor(2.5, grad_fn=<MultiplyBackward>)
"""

from __future__ import annotations

import math
import numbers

from ember import backend, ops
from ember.autograd.tensor import Tensor
from ember.ops._util import operand
from ember.saving.object_registration import Registry

_REGISTRY = Registry("regularizer")


def _register(*names):
    def decorator(cls):
        for name in (cls.__name__, *names):
            _REGISTRY.add(name, cls)
        return cls

    return decorator


class Regularizer:
    """Base class: ``__call__(x)`` returns the penalty for the weight tensor ``x``.

    Subclasses implement ``__call__`` and ``get_config``.

    Example:
        >>> import ember
        >>> class L1Sum(ember.regularizers.Regularizer):
        ...     def __call__(self, x):
        ...         return ember.ops.sum(ember.ops.abs(x))
        >>> float(L1Sum()(ember.tensor([1.0, -3.0])))
        4.0
    """

    def __call__(self, x) -> Tensor:
        raise TypeError(f"{type(self).__name__}.__call__ must be overridden by a subclass")

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


@_register("l1_l2", "l1l2")
class L1L2(Regularizer):
    """``l1 * sum(|x|) + l2 * sum(x^2)``.

    Example:
        >>> import ember
        >>> round(float(L1L2(l1=0.1, l2=0.01)(ember.tensor([3.0, -4.0]))), 6)
        0.95
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        self.l1 = _check_factor(0.0 if l1 is None else l1, "l1", self)
        self.l2 = _check_factor(0.0 if l2 is None else l2, "l2", self)

    def __call__(self, x) -> Tensor:
        x = operand(x)
        penalty = ops.zeros((), dtype=x.dtype)
        if self.l1:
            penalty = penalty + self.l1 * ops.sum(ops.abs(x))
        if self.l2:
            penalty = penalty + self.l2 * ops.sum(ops.square(x))
        return penalty

    def get_config(self) -> dict:
        return {"l1": self.l1, "l2": self.l2}


@_register("l1")
class L1(Regularizer):
    """``l1 * sum(|x|)``.

    Example:
        >>> import ember
        >>> float(L1(0.5)(ember.tensor([1.0, -3.0])))
        2.0
    """

    def __init__(self, l1: float = 0.01):
        self.l1 = _check_factor(0.01 if l1 is None else l1, "l1", self)

    def __call__(self, x) -> Tensor:
        return self.l1 * ops.sum(ops.abs(x))

    def get_config(self) -> dict:
        return {"l1": self.l1}


@_register("l2")
class L2(Regularizer):
    """``l2 * sum(x^2)`` (no factor 1/2, as in Keras; ``L2(wd / 2)`` is weight decay ``wd``).

    Example:
        >>> import ember
        >>> float(L2(0.5)(ember.tensor([1.0, -3.0])))
        5.0
    """

    def __init__(self, l2: float = 0.01):
        self.l2 = _check_factor(0.01 if l2 is None else l2, "l2", self)

    def __call__(self, x) -> Tensor:
        return self.l2 * ops.sum(ops.square(x))

    def get_config(self) -> dict:
        return {"l2": self.l2}


@_register("orthogonal_regularizer")
class OrthogonalRegularizer(Regularizer):
    """Pushes the rows (``mode="rows"``) or columns of a 2-D weight to be orthogonal.

    With ``v_i`` the L2-normalized rows (or columns), ``n`` of them:
    ``factor * 0.5 * sum_{i != j} |v_i . v_j| / (n (n - 1) / 2)``, i.e. ``factor`` times the
    mean absolute cosine similarity over distinct pairs.

    Example:
        >>> import ember
        >>> float(OrthogonalRegularizer(factor=1.0)(ember.tensor([[1.0, 0.0], [1.0, 1.0]])))
        0.7071067690849304
    """

    def __init__(self, factor: float = 0.01, mode: str = "rows"):
        self.factor = _check_factor(factor, "factor", self)
        if mode not in ("rows", "columns"):
            raise ValueError(
                "OrthogonalRegularizer: expected mode 'rows' or 'columns', "
                f"received: mode={mode!r}"
            )
        self.mode = mode

    def __call__(self, x) -> Tensor:
        x = operand(x)
        if x.ndim != 2:
            raise ValueError(
                f"OrthogonalRegularizer: expected a 2-D input, received: shape={x.shape}"
            )
        if self.mode == "rows":
            v = _l2_normalize(x, axis=1)
            product = ops.matmul(v, ops.transpose(v))
        else:
            v = _l2_normalize(x, axis=0)
            product = ops.matmul(ops.transpose(v), v)
        n = product.shape[0]
        off_diagonal = product * (1.0 - ops.eye(n, dtype=x.dtype))
        num_pairs = n * (n - 1.0) / 2.0
        return self.factor * 0.5 * ops.sum(ops.abs(off_diagonal)) / num_pairs

    def get_config(self) -> dict:
        return {"factor": self.factor, "mode": self.mode}


l1 = L1
l2 = L2
l1_l2 = L1L2
orthogonal_regularizer = OrthogonalRegularizer


def get(identifier):
    """A regularizer from a name (``"l2"``), a config dict, a class or a callable."""
    return _REGISTRY.get(identifier)


def serialize(regularizer):
    return _REGISTRY.serialize(regularizer)


def deserialize(config, custom_objects=None):
    return _REGISTRY.deserialize(config, custom_objects)


def _check_factor(value, name: str, owner) -> float:
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or math.isnan(value) or math.isinf(value) or value < 0):
        raise ValueError(
            f"{type(owner).__name__}: expected a non-negative float for {name}, "
            f"received: {name}={value!r}"
        )
    return float(value)


def _l2_normalize(x: Tensor, axis: int) -> Tensor:
    """``x / max(||x||, eps)`` along ``axis`` (Keras's ``ops.normalize``)."""
    square_sum = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return x / ops.sqrt(ops.maximum(square_sum, backend.epsilon() ** 2))
