"""``Variable``: a tensor that holds state (a layer's weight, an optimizer's slot).

As in Keras 3, a variable is created from an initializer or a value, has a ``name`` and a
``path`` (``"dense/kernel"``), and changes only through ``assign``, ``assign_add`` and
``assign_sub`` (in place, never recorded). Trainable variables require grad.
"""

from __future__ import annotations

import numpy as np

from ember import backend
from ember.autograd.tensor import Tensor


class Variable(Tensor):
    """A named, assignable tensor.

    Example:
        >>> import ember
        >>> v = ember.Variable("zeros", shape=(2,), name="bias")
        >>> v.assign_add([1.0, 2.0])
        >>> v.numpy()
        array([1., 2.], dtype=float32)
    """

    def __init__(self, initializer, shape=None, dtype=None, trainable: bool = True,
                 name: str | None = None, autocast: bool = True, aggregation: str = "none",
                 synchronization: str = "auto"):
        value = _initial_value(initializer, shape, dtype)
        super().__init__(value)
        self.name = name or "variable"
        self.path = self.name
        self._trainable = False
        self.trainable = trainable
        self.regularizer = None
        self.constraint = None
        self.aggregation = aggregation
        self.synchronization = synchronization

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        self.requires_grad = self._trainable and self.data.dtype.kind in "fc"

    @property
    def value(self) -> Tensor:
        return self

    def assign(self, value) -> Variable:
        """Replace the value in place (shape must match)."""
        value = value.data if isinstance(value, Tensor) else value
        xp = backend.array_module(self.data)
        value = xp.asarray(value)
        if value.shape != self.data.shape and value.size != self.data.size:
            raise ValueError(
                f"Variable '{self.path}': expected a value of shape {self.data.shape}, "
                f"received shape {value.shape}"
            )
        self.data[...] = value.reshape(self.data.shape)
        return self

    def assign_add(self, value) -> Variable:
        self.data += value.data if isinstance(value, Tensor) else value
        return self

    def assign_sub(self, value) -> Variable:
        self.data -= value.data if isinstance(value, Tensor) else value
        return self

    def __repr__(self) -> str:
        return (f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}, "
                f"value={np.array2string(self.numpy(), threshold=20, precision=4)}>")


def _initial_value(initializer, shape, dtype):
    """A fresh array (never shared with the caller) from an initializer or a value."""
    if isinstance(initializer, str) or (
        callable(initializer) and not isinstance(initializer, (np.ndarray, Tensor))
    ):
        if shape is None:
            raise ValueError("Variable: an initializer needs a shape, received shape=None")
        from ember import initializers

        value = initializers.get(initializer)(tuple(shape), dtype=dtype or backend.floatx())
    else:
        value = initializer
    value = value.data if isinstance(value, Tensor) else value
    arr = backend.xp().array(value)
    if dtype is not None:
        arr = arr.astype(dtype)
    elif arr.dtype.kind == "f":
        arr = arr.astype(backend.floatx())
    if shape is not None and tuple(arr.shape) != tuple(shape):
        raise ValueError(
            f"Variable: expected an initial value of shape {tuple(shape)}, received {arr.shape}"
        )
    return arr
