"""Merge layers: combine a list of tensors elementwise (``Add``, ``Subtract``, ``Multiply``,
``Average``, ``Maximum``, ``Minimum``), by joining (``Concatenate``) or by a batch-wise dot
product (``Dot``), with the functional helpers ``add``, ``concatenate``, ``dot``...

Elementwise merges follow Keras: batch sizes must agree, the other axes broadcast
(aligned on the right, a size of 1 stretches), and an input of lower rank gets new axes
after the batch axis.
"""

from __future__ import annotations

import numbers

from ember import backend, ops
from ember.layers.layer import Layer


class Merge(Layer):
    """Base of the elementwise merge layers: subclasses give ``_merge_function`` on a list
    of tensors of equal rank."""

    _exact_inputs: int | None = None

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def build(self, input_shape) -> None:
        self.compute_output_shape(input_shape)
        self.built = True

    def call(self, inputs):
        inputs = self._input_list(inputs)
        self.compute_output_shape([tuple(x.shape) for x in inputs])
        max_ndim = max(x.ndim for x in inputs)
        aligned = []
        for x in inputs:
            if x.ndim < max_ndim:
                x = ops.reshape(x, x.shape[:1] + (1,) * (max_ndim - x.ndim) + x.shape[1:])
            aligned.append(x)
        return self._merge_function(aligned)

    def compute_output_shape(self, input_shape):
        shapes = self._shape_list(input_shape)
        batch_sizes = {s[0] for s in shapes if s} - {None}
        if len(batch_sizes) > 1:
            raise ValueError(
                f"{self._where()}: expected inputs with the same batch size, got input shapes "
                f"{_shapes_text(shapes)}"
            )
        out = tuple(shapes[0][1:])
        for shape in shapes[1:]:
            out = self._broadcast(out, tuple(shape[1:]), shapes)
        return (batch_sizes.pop() if batch_sizes else None,) + out

    def _broadcast(self, a: tuple, b: tuple, shapes) -> tuple:
        """The broadcast of non-batch shapes ``a`` and ``b`` (Keras's rule)."""
        if len(a) < len(b):
            a, b = b, a
        out = list(a[:len(a) - len(b)])
        for i, j in zip(a[len(a) - len(b):], b, strict=True):
            if i is None or j is None:
                out.append(None)
            elif i == 1 or j == 1:
                out.append(j if i == 1 else i)
            elif i != j:
                raise ValueError(
                    f"{self._where()}: expected inputs with compatible shapes, got "
                    f"{_shapes_text(shapes)}"
                )
            else:
                out.append(i)
        return tuple(out)

    def _input_list(self, inputs) -> list:
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                f"{self._where()}: expected a list of input tensors, got one tensor of shape "
                f"{tuple(inputs.shape)}"
            )
        self._check_count(len(inputs), [tuple(x.shape) for x in inputs])
        return list(inputs)

    def _shape_list(self, input_shape) -> list:
        """``input_shape`` as a list of shapes. The base ``Layer`` hands a one-element list
        of shapes over as its only shape, so a bare shape counts as one input."""
        shapes = [input_shape] if _is_shape(input_shape) else list(input_shape)
        if not shapes or not all(_is_shape(s) for s in shapes):
            raise ValueError(
                f"{self._where()}: expected a list of input shapes, received {input_shape}"
            )
        self._check_count(len(shapes), shapes)
        return [tuple(s) for s in shapes]

    def _check_count(self, n: int, shapes) -> None:
        if self._exact_inputs is not None and n != self._exact_inputs:
            raise ValueError(
                f"{self._where()}: expected exactly {self._exact_inputs} inputs, got {n} "
                f"inputs of shapes {_shapes_text(shapes)}"
            )

    def _where(self) -> str:
        return f"{type(self).__name__} '{self.name}'"


class Add(Merge):
    """Sum of the inputs, elementwise.

    Example:
        >>> import ember
        >>> ember.layers.Add()([ember.ones(2, 3), ember.ones(2, 3)]).numpy()[0]
        array([2., 2., 2.], dtype=float32)
    """

    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out


class Subtract(Merge):
    """``inputs[0] - inputs[1]``, for exactly two inputs.

    Example:
        >>> import ember
        >>> ember.layers.Subtract()([ember.ones(2, 3), ember.ones(2, 3)]).numpy()[0]
        array([0., 0., 0.], dtype=float32)
    """

    _exact_inputs = 2

    def _merge_function(self, inputs):
        return inputs[0] - inputs[1]


class Multiply(Merge):
    """Product of the inputs, elementwise.

    Example:
        >>> import ember
        >>> ember.layers.Multiply()([ember.full((1, 2), 3.0), ember.full((1, 2), 2.0)]).numpy()
        array([[6., 6.]], dtype=float32)
    """

    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = out * x
        return out


class Average(Merge):
    """Mean of the inputs, elementwise.

    Example:
        >>> import ember
        >>> ember.layers.Average()([ember.zeros(1, 2), ember.ones(1, 2)]).numpy()
        array([[0.5, 0.5]], dtype=float32)
    """

    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out / len(inputs)


class Maximum(Merge):
    """Maximum of the inputs, elementwise (on ties the gradient is shared).

    Example:
        >>> import ember
        >>> ember.layers.Maximum()([ember.tensor([[1.0, 5.0]]), ember.tensor([[3.0, 2.0]])])
        tensor([[3., 5.]])
    """

    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = ops.maximum(out, x)
        return out


class Minimum(Merge):
    """Minimum of the inputs, elementwise (on ties the gradient is shared).

    Example:
        >>> import ember
        >>> ember.layers.Minimum()([ember.tensor([[1.0, 5.0]]), ember.tensor([[3.0, 2.0]])])
        tensor([[1., 2.]])
    """

    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = ops.minimum(out, x)
        return out


class Concatenate(Merge):
    """Join the inputs along ``axis``; all other axes must match.

    Example:
        >>> import ember
        >>> ember.layers.Concatenate(axis=1)([ember.ones(2, 3), ember.ones(2, 4)]).shape
        (2, 7)
    """

    def __init__(self, axis: int = -1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def call(self, inputs):
        inputs = self._input_list(inputs)
        self.compute_output_shape([tuple(x.shape) for x in inputs])
        return ops.concatenate(inputs, axis=self.axis)

    def compute_output_shape(self, input_shape):
        shapes = self._shape_list(input_shape)
        ndim = len(shapes[0])
        if not -ndim <= self.axis < ndim:
            raise ValueError(
                f"{self._where()}: expected axis in [{-ndim}, {ndim}), received axis={self.axis} "
                f"for inputs of shapes {_shapes_text(shapes)}"
            )
        axis = self.axis % ndim
        out = list(shapes[0])
        for shape in shapes[1:]:
            if len(shape) != ndim:
                self._raise_mismatch(shapes)
            for i, size in enumerate(shape):
                if i == axis:
                    out[i] = None if out[i] is None or size is None else out[i] + size
                elif out[i] is None:
                    out[i] = size
                elif size is not None and size != out[i]:
                    self._raise_mismatch(shapes)
        return tuple(out)

    def _raise_mismatch(self, shapes) -> None:
        raise ValueError(
            f"{self._where()}: expected inputs with matching shapes except on axis "
            f"{self.axis}, got shapes {_shapes_text(shapes)}"
        )

    def get_config(self) -> dict:
        config = super().get_config()
        config["axis"] = self.axis
        return config


class Dot(Merge):
    """Batch-wise dot product of two inputs: for every sample, the sum over axis
    ``axes[0]`` of the first and ``axes[1]`` of the second (``axes`` an int means the same
    axis in both). With ``normalize=True`` both are first L2-normalized along those axes, so
    the result is the cosine similarity. The output holds the first input's remaining axes,
    then the second's (without batch); a result of rank 1 becomes ``(batch, 1)``.

    Example:
        >>> import ember
        >>> ember.layers.Dot(axes=1)([ember.ones(4, 3), ember.ones(4, 3)]).numpy()[0]
        array([3.], dtype=float32)
    """

    _exact_inputs = 2

    def __init__(self, axes, normalize: bool = False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axes, (list, tuple)):
            if len(axes) != 2 or not all(isinstance(a, int) for a in axes):
                raise ValueError(f"Dot: expected axes as an int or two ints, received {axes!r}")
            axes = [int(a) for a in axes]
        elif not isinstance(axes, int):
            raise TypeError(f"Dot: expected axes as an int or two ints, received {axes!r}")
        self.axes = axes
        self.normalize = bool(normalize)

    def call(self, inputs):
        x1, x2 = self._input_list(inputs)
        self.compute_output_shape([tuple(x1.shape), tuple(x2.shape)])
        a1, a2 = self._resolve_axes(x1.ndim, x2.ndim)
        if self.normalize:
            x1, x2 = _l2_normalize(x1, a1), _l2_normalize(x2, a2)
        batch = x1.shape[0]
        # One batched matrix product: (batch, m, k) @ (batch, k, n).
        left = ops.moveaxis(x1, a1, -1)
        right = ops.moveaxis(x2, a2, 1)
        out = ops.matmul(ops.reshape(left, (batch, -1, x1.shape[a1])),
                         ops.reshape(right, (batch, x2.shape[a2], -1)))
        out_shape = left.shape[:-1] + right.shape[2:]
        return ops.reshape(out, out_shape if len(out_shape) > 1 else (batch, 1))

    def compute_output_shape(self, input_shape):
        shape1, shape2 = self._shape_list(input_shape)
        if min(len(shape1), len(shape2)) < 2:
            raise ValueError(
                f"{self._where()}: expected inputs of rank >= 2, got shapes {shape1} and {shape2}"
            )
        a1, a2 = self._resolve_axes(len(shape1), len(shape2))
        if None not in (shape1[0], shape2[0]) and shape1[0] != shape2[0]:
            raise ValueError(
                f"{self._where()}: expected inputs with the same batch size, got shapes "
                f"{shape1} and {shape2}"
            )
        d1, d2 = shape1[a1], shape2[a2]
        if d1 is not None and d2 is not None and d1 != d2:
            raise ValueError(
                f"{self._where()}: expected equal sizes on axes {a1} and {a2}, got {d1} and "
                f"{d2} in shapes {shape1} and {shape2}"
            )
        out = [d for i, d in enumerate(shape1) if i != a1]
        out += [d for i, d in enumerate(shape2) if i not in (0, a2)]
        return tuple(out) if len(out) > 1 else (out[0], 1)

    def _resolve_axes(self, ndim1: int, ndim2: int) -> tuple:
        pair = self.axes if isinstance(self.axes, list) else [self.axes, self.axes]
        resolved = []
        for axis, ndim in zip(pair, (ndim1, ndim2), strict=True):
            if not -ndim <= axis < ndim or axis % ndim == 0:
                raise ValueError(
                    f"{self._where()}: expected axes that are not the batch axis and lie in "
                    f"[{-ndim}, {ndim}), received axes={self.axes} for an input of rank {ndim}"
                )
            resolved.append(axis % ndim)
        return tuple(resolved)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"axes": self.axes, "normalize": self.normalize})
        return config


def add(inputs, **kwargs):
    """Functional form of ``Add``: ``add([x1, x2])``."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """Functional form of ``Subtract``: ``subtract([x1, x2])``."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """Functional form of ``Multiply``: ``multiply([x1, x2])``."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """Functional form of ``Average``: ``average([x1, x2])``."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """Functional form of ``Maximum``: ``maximum([x1, x2])``."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """Functional form of ``Minimum``: ``minimum([x1, x2])``."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis: int = -1, **kwargs):
    """Functional form of ``Concatenate``: ``concatenate([x1, x2], axis=-1)``."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, normalize: bool = False, **kwargs):
    """Functional form of ``Dot``: ``dot([x1, x2], axes=1)``."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)


def _l2_normalize(x, axis: int):
    """``x / max(||x||, epsilon)`` along ``axis``, as ``keras.ops.normalize``."""
    square_sum = ops.sum(x * x, axis=axis, keepdims=True)
    return x * ops.rsqrt(ops.maximum(square_sum, backend.epsilon() ** 2))


def _is_shape(x) -> bool:
    return isinstance(x, (tuple, list)) and all(
        d is None or isinstance(d, numbers.Integral) for d in x
    )


def _shapes_text(shapes) -> str:
    """``(2, 3) and (2, 4)``, or ``(2, 1), (2, 3) and (2, 4)``."""
    texts = [str(tuple(s)) for s in shapes]
    return texts[0] if len(texts) == 1 else ", ".join(texts[:-1]) + " and " + texts[-1]
