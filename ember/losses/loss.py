"""The ``Loss`` contract, the reductions and the input handling every loss shares.

A ``Loss`` object turns per-sample values into one number: ``sample_weight`` is squeezed or
expanded by one trailing axis to the rank of the values (Keras's rule) and broadcast from
the left when it has fewer axes still, then the reduction applies:

- ``"sum_over_batch_size"`` (default) and ``"mean"``: ``sum(loss * w) / loss.size``
- ``"mean_with_sample_weight"``: ``sum(loss * w) / sum(w)``
- ``"sum"``: ``sum(loss * w)``; ``"none"`` / ``None``: the weighted per-sample values
"""

from __future__ import annotations

import numpy as np

from ember import backend, ops
from ember.autograd.tensor import Tensor
from ember.saving.object_registration import Registry
from ember.utils.naming import snake_case, unique_name

REGISTRY = Registry("loss")
# Per-sample function -> the same function taking ``reduction=`` ("mean" or "sum") and
# reducing inside its fused kernel: one graph node for the common unweighted case.
FUSED_REDUCTIONS: dict = {}
_REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


def register(*names):
    """Add a loss function or class to the registry under its name and ``names``."""
    def decorator(obj):
        for name in (obj.__name__, *names):
            REGISTRY.add(name, obj)
        return obj

    return decorator


@register()
class Loss:
    """Base class of losses: subclasses implement ``call(y_true, y_pred)``, returning one
    value per sample; ``__call__`` weights and reduces them (see the module docstring).

    Example:
        >>> import ember
        >>> class MeanCubed(ember.losses.Loss):
        ...     def call(self, y_true, y_pred):
        ...         return ember.ops.mean((y_pred - y_true) ** 3, axis=-1)
        >>> float(MeanCubed()(ember.tensor([[0.0, 0.0]]), ember.tensor([[1.0, 2.0]])))
        4.5
    """

    def __init__(self, name: str | None = None, reduction: str | None = "sum_over_batch_size",
                 dtype=None):
        self.name = name or unique_name(snake_case(type(self).__name__))
        self.reduction = standardize_reduction(reduction, type(self).__name__)
        self._dtype = None if dtype is None else np.dtype(getattr(dtype, "name", dtype)).name

    @property
    def dtype(self) -> str:
        """The dtype the loss computes in (floatx unless given)."""
        return self._dtype or backend.floatx()

    def __call__(self, y_true, y_pred, sample_weight=None) -> Tensor:
        y_pred = float_tensor(y_pred, self._dtype)
        if sample_weight is None and self.reduction not in ("none", None):
            return self._reduced_call(y_true, y_pred)
        return reduce_weighted_values(self.call(y_true, y_pred), sample_weight,
                                      reduction=self.reduction)

    def call(self, y_true, y_pred) -> Tensor:
        raise TypeError(f"{type(self).__name__}.call must be overridden by a subclass")

    def _reduced_call(self, y_true, y_pred) -> Tensor:
        """The reduced loss without sample weights; losses with a fused kernel override it."""
        return reduce_values(self.call(y_true, y_pred), self.reduction)

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction, "dtype": self._dtype}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


@register()
class LossFunctionWrapper(Loss):
    """A ``Loss`` around a per-sample function ``fn(y_true, y_pred, **kwargs)``.

    Example:
        >>> import ember
        >>> loss = ember.losses.LossFunctionWrapper(ember.losses.mean_absolute_error)
        >>> float(loss([[1.0], [3.0]], [[2.0], [2.0]]))
        1.0
    """

    def __init__(self, fn, reduction: str | None = "sum_over_batch_size",
                 name: str | None = None, dtype=None, **kwargs):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred) -> Tensor:
        y_true, y_pred = squeeze_or_expand_to_same_rank(array_like(y_true, y_pred), y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def _reduced_call(self, y_true, y_pred) -> Tensor:
        fused = FUSED_REDUCTIONS.get(self.fn)
        if fused is None:
            return super()._reduced_call(y_true, y_pred)
        y_true, y_pred = squeeze_or_expand_to_same_rank(array_like(y_true, y_pred), y_pred)
        reduction = "sum" if self.reduction == "sum" else "mean"
        return fused(y_true, y_pred, reduction=reduction, **self._fn_kwargs)

    def get_config(self) -> dict:
        config = {**super().get_config(), **self._fn_kwargs}
        if type(self) is LossFunctionWrapper:  # the built-in subclasses fix fn themselves
            config["fn"] = REGISTRY.serialize(self.fn)
        return config

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        if "fn" in config:
            config["fn"] = REGISTRY.get(config["fn"])
        return cls(**config)


# ---- reduction -------------------------------------------------------------------------


def standardize_reduction(reduction, owner: str = "Loss"):
    if reduction not in _REDUCTIONS:
        raise ValueError(
            f"{owner}: expected reduction in {_REDUCTIONS}, received: reduction={reduction!r}"
        )
    return reduction


def reduce_values(values: Tensor, reduction: str | None = "sum_over_batch_size",
                  sample_weight=None) -> Tensor:
    """Sum, or sum divided by the number of values (by ``sum(sample_weight)`` for
    ``"mean_with_sample_weight"``); scalars and empty tensors pass through."""
    if reduction in (None, "none") or values.shape in ((), (0,)):
        return values
    total = ops.sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        weight_sum = float(backend.array_module(sample_weight).sum(sample_weight))
        return total / weight_sum if weight_sum else total * 0.0
    return total / values.size


def reduce_weighted_values(values: Tensor, sample_weight=None, mask=None,
                           reduction: str | None = "sum_over_batch_size") -> Tensor:
    """Weight per-sample ``values`` by ``sample_weight`` (and a boolean ``mask``), then
    reduce them. A mask counts as a weight that, for the mean reductions, also rescales so
    that the mean runs over the unmasked entries only (Keras's ``apply_mask``)."""
    standardize_reduction(reduction)
    xp = backend.array_module(values.data)
    weight = None
    if sample_weight is not None:
        raw = sample_weight.data if isinstance(sample_weight, Tensor) else sample_weight
        weight = xp.asarray(raw, dtype=values.dtype)
    if mask is not None:
        mask = xp.asarray(mask, dtype=values.dtype)
        if reduction in ("mean", "sum_over_batch_size"):
            valid = float(mask.sum())
            mask = mask * (mask.size / valid) if valid else mask
        if weight is None:
            weight = mask
        else:
            mask, weight = squeeze_or_expand_to_same_rank(mask, weight)
            weight = weight * mask
    if weight is None:
        return reduce_values(values, reduction)
    values, weight = squeeze_or_expand_to_same_rank(values, weight)
    if weight.ndim < values.ndim and weight.ndim:
        weight = weight.reshape(weight.shape + (1,) * (values.ndim - weight.ndim))
    return reduce_values(values * Tensor._make(weight), reduction, sample_weight=weight)


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1: bool = True):
    """Make ranks equal when they differ by one trailing axis of size 1 (Keras's rule):
    a rank-1 partner gains the axis, otherwise the axis is squeezed. Works on Tensors and
    raw arrays."""
    r1, r2 = len(x1.shape), len(x2.shape)
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = x2.reshape(x2.shape + (1,))
        else:
            x1 = x1.reshape(x1.shape[:-1])
    elif r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = x1.reshape(x1.shape + (1,))
        else:
            x2 = x2.reshape(x2.shape[:-1])
    return x1, x2


# ---- input handling shared by the loss functions ---------------------------------------


def float_tensor(x, dtype=None) -> Tensor:
    """``x`` as a float Tensor: cast to ``dtype`` when given, else a float Tensor keeps its
    dtype and anything else becomes floatx."""
    if isinstance(x, Tensor):
        if dtype is not None:
            return ops.cast(x, dtype)
        return x if x.dtype.kind == "f" else ops.cast(x, backend.floatx())
    return Tensor(x, dtype=dtype or backend.floatx())


def cast_like(y_true, y_pred: Tensor) -> Tensor:
    if isinstance(y_true, Tensor):
        return ops.cast(y_true, y_pred.dtype)
    xp = backend.array_module(y_pred.data)
    return Tensor._make(xp.asarray(y_true, dtype=y_pred.dtype))


def prepare(y_true, y_pred) -> tuple:
    y_pred = float_tensor(y_pred)
    return squeeze_or_expand_to_same_rank(cast_like(y_true, y_pred), y_pred)


def array_like(y_true, y_pred: Tensor):
    """``y_true`` as a Tensor or an array of ``y_pred``'s module (keeps integer labels)."""
    if isinstance(y_true, Tensor) or hasattr(y_true, "shape"):
        return y_true
    return backend.array_module(y_pred.data).asarray(y_true)


def class_labels(y_true, y_pred: Tensor):
    """Class labels as a raw integer array, a trailing axis of size 1 dropped."""
    xp = backend.array_module(y_pred.data)
    labels = y_true.data if isinstance(y_true, Tensor) else xp.asarray(y_true)
    if labels.ndim == y_pred.ndim and labels.ndim and labels.shape[-1] == 1:
        labels = labels[..., 0]
    return labels.astype(np.int64, copy=False)


def l2_normalize(x: Tensor, axis: int) -> Tensor:
    """``x / max(||x||, eps)`` along ``axis`` (Keras's ``ops.normalize``)."""
    square_sum = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return x / ops.sqrt(ops.maximum(square_sum, backend.epsilon() ** 2))
