"""Accuracy metrics: per-sample match functions (computed on raw arrays) and their running
means."""

from __future__ import annotations

import numpy as np

from ember import backend
from ember.autograd.tensor import Tensor
from ember.losses import squeeze_or_expand_to_same_rank
from ember.metrics.base import FUNCTIONS, MeanMetricWrapper, to_array


def _register(fn):
    FUNCTIONS.add(fn.__name__, fn)
    return fn


@_register
def accuracy(y_true, y_pred) -> Tensor:
    """``mean(y_true == y_pred, axis=-1)``: exact matches of labels or predicted classes."""
    y_pred = to_array(y_pred)
    y_true = to_array(y_true, y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return _matches((y_true == y_pred).mean(axis=-1))


@_register
def binary_accuracy(y_true, y_pred, threshold: float = 0.5) -> Tensor:
    """``mean(y_true == (y_pred > threshold), axis=-1)``."""
    y_true, y_pred = to_array(y_true), to_array(y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    predicted = (y_pred > threshold).astype(y_true.dtype)
    return _matches((y_true == predicted).mean(axis=-1))


@_register
def categorical_accuracy(y_true, y_pred) -> Tensor:
    """``argmax(y_true, -1) == argmax(y_pred, -1)`` for one-hot labels; logits work too."""
    y_true, y_pred = to_array(y_true), to_array(y_pred)
    _check_same_shape(y_true, y_pred, "categorical_accuracy")
    return _matches(y_true.argmax(axis=-1) == y_pred.argmax(axis=-1))


@_register
def sparse_categorical_accuracy(y_true, y_pred) -> Tensor:
    """``y_true == argmax(y_pred, -1)`` for integer labels of shape ``(N,)`` or ``(N, 1)``."""
    labels, y_pred = _labels(y_true, y_pred, "sparse_categorical_accuracy")
    return _matches(labels == y_pred.argmax(axis=-1))


@_register
def top_k_categorical_accuracy(y_true, y_pred, k: int = 5) -> Tensor:
    """Whether the true class (``argmax(y_true)``) is among the ``k`` highest scores; ties
    at the k-th score count as inside."""
    y_true, y_pred = to_array(y_true), to_array(y_pred)
    _check_same_shape(y_true, y_pred, "top_k_categorical_accuracy")
    return _matches(_in_top_k(y_true.argmax(axis=-1), y_pred, k))


@_register
def sparse_top_k_categorical_accuracy(y_true, y_pred, k: int = 5) -> Tensor:
    """Whether the integer label is among the ``k`` highest scores (ties count as inside)."""
    labels, y_pred = _labels(y_true, y_pred, "sparse_top_k_categorical_accuracy",
                             squeeze=False)
    return _matches(_in_top_k(labels, y_pred, k))


class Accuracy(MeanMetricWrapper):
    """How often ``y_pred`` equals ``y_true`` (see ``accuracy``).

    Example:
        >>> m = Accuracy()
        >>> m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
        >>> float(m.result())
        0.75
    """

    def __init__(self, name: str = "accuracy", dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` matches binary labels.

    Example:
        >>> m = BinaryAccuracy()
        >>> m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
        >>> float(m.result())
        0.75
    """

    def __init__(self, name: str = "binary_accuracy", dtype=None, threshold: float = 0.5):
        if threshold is not None and not 0 < threshold < 1:
            raise ValueError(
                "BinaryAccuracy: expected a threshold in the open interval (0, 1), "
                f"received: threshold={threshold!r}"
            )
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of ``y_pred`` matches the argmax of one-hot ``y_true``.

    Example:
        >>> m = CategoricalAccuracy()
        >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
        >>> float(m.result())
        0.5
    """

    def __init__(self, name: str = "categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of ``y_pred`` matches integer labels.

    Example:
        >>> m = SparseCategoricalAccuracy()
        >>> m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
        >>> float(m.result())
        0.5
    """

    def __init__(self, name: str = "sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot target is among the ``k`` top predictions.

    Example:
        >>> m = TopKCategoricalAccuracy(k=1)
        >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
        >>> float(m.result())
        0.5
    """

    def __init__(self, k: int = 5, name: str = "top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer target is among the ``k`` top predictions.

    Example:
        >>> m = SparseTopKCategoricalAccuracy(k=1)
        >>> m.update_state([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
        >>> float(m.result())
        0.5
    """

    def __init__(self, k: int = 5, name: str = "sparse_top_k_categorical_accuracy",
                 dtype=None):
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k


def _matches(values) -> Tensor:
    return Tensor._make(values.astype(backend.floatx()))


def _labels(y_true, y_pred, name: str, squeeze: bool = True) -> tuple:
    """Integer labels of shape ``y_pred.shape[:-1]`` (or with a trailing 1, kept unless
    ``squeeze``) and the raw predictions."""
    y_pred, labels = to_array(y_pred), to_array(y_true)
    batch_shape = y_pred.shape[:-1]
    if not y_pred.ndim or labels.shape not in (batch_shape, batch_shape + (1,)):
        raise ValueError(
            f"{name}: expected labels of shape {batch_shape} or {batch_shape + (1,)} for "
            f"y_pred of shape {y_pred.shape}, received: y_true.shape={labels.shape}"
        )
    if squeeze:
        labels = labels.reshape(batch_shape)
    return labels.astype(np.int64, copy=False), y_pred


def _check_same_shape(y_true, y_pred, name: str) -> None:
    if not y_pred.ndim or y_true.shape != y_pred.shape:
        raise ValueError(
            f"{name}: expected one-hot y_true of the shape of y_pred (..., num_classes), "
            f"received: y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}"
        )


def _in_top_k(targets, predictions, k: int):
    """Whether ``predictions[..., target]`` is at least the k-th largest score of its row."""
    xp = backend.array_module(predictions)
    n_classes = predictions.shape[-1]
    k = max(1, min(int(k), n_classes))
    flat = predictions.reshape(-1, n_classes)
    target = targets.reshape(-1).astype(np.int64)
    picked = xp.take_along_axis(flat, target[:, None], axis=1)[:, 0]
    kth = xp.partition(flat, n_classes - k, axis=1)[:, n_classes - k]
    return (picked >= kth).reshape(targets.shape)
