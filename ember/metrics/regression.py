"""Regression metrics: running means of per-sample errors, and the root mean squared error."""

from __future__ import annotations

from ember import losses
from ember.losses import squeeze_or_expand_to_same_rank
from ember.metrics.base import Mean, MeanMetricWrapper, scalar_result, to_array


class MeanSquaredError(MeanMetricWrapper):
    """Running mean of ``mean((y_true - y_pred)^2, axis=-1)``.

    Example:
        >>> m = MeanSquaredError()
        >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
        >>> float(m.result())
        0.25
    """

    def __init__(self, name: str = "mean_squared_error", dtype=None):
        super().__init__(losses.mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    """Running mean of ``mean(|y_true - y_pred|, axis=-1)``.

    Example:
        >>> m = MeanAbsoluteError()
        >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
        >>> float(m.result())
        0.25
    """

    def __init__(self, name: str = "mean_absolute_error", dtype=None):
        super().__init__(losses.mean_absolute_error, name=name, dtype=dtype)


class MeanAbsolutePercentageError(MeanMetricWrapper):
    """Running mean of ``100 * mean(|(y_true - y_pred) / y_true|, axis=-1)``.

    Example:
        >>> m = MeanAbsolutePercentageError()
        >>> m.update_state([[2.0, 4.0]], [[1.0, 5.0]])
        >>> float(m.result())
        37.5
    """

    def __init__(self, name: str = "mean_absolute_percentage_error", dtype=None):
        super().__init__(losses.mean_absolute_percentage_error, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(MeanMetricWrapper):
    """Running mean of ``mean((log(1 + y_pred) - log(1 + y_true))^2, axis=-1)``.

    Example:
        >>> m = MeanSquaredLogarithmicError()
        >>> m.update_state([[0.0]], [[1.718281828]])
        >>> round(float(m.result()), 5)
        1.0
    """

    def __init__(self, name: str = "mean_squared_logarithmic_error", dtype=None):
        super().__init__(losses.mean_squared_logarithmic_error, name=name, dtype=dtype)


class RootMeanSquaredError(Mean):
    """``sqrt(sum(w * (y_true - y_pred)^2) / sum(w))`` over every element seen.

    Example:
        >>> m = RootMeanSquaredError()
        >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
        >>> float(m.result())
        0.5
    """

    def __init__(self, name: str = "root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        y_true = to_array(y_true, self.dtype)
        y_pred = to_array(y_pred, self.dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        super().update_state((y_pred - y_true) ** 2, sample_weight=sample_weight)

    def result(self):
        return scalar_result(super().result().data ** 0.5, self.dtype)


class CosineSimilarity(MeanMetricWrapper):
    """Running mean of the cosine similarity ``sum(l2n(y_true) * l2n(y_pred), axis)``.

    Example:
        >>> m = CosineSimilarity()
        >>> m.update_state([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]])
        >>> round(float(m.result()), 6)
        0.5
    """

    def __init__(self, name: str = "cosine_similarity", dtype=None, axis: int = -1):
        super().__init__(_cosine_similarity, name=name, dtype=dtype, axis=axis)


class LogCoshError(MeanMetricWrapper):
    """Running mean of ``mean(log(cosh(y_pred - y_true)), axis=-1)``.

    Example:
        >>> m = LogCoshError()
        >>> m.update_state([[0.0]], [[1.0]])
        >>> round(float(m.result()), 6)
        0.433781
    """

    def __init__(self, name: str = "logcosh", dtype=None):
        super().__init__(losses.log_cosh, name=name, dtype=dtype)


def _cosine_similarity(y_true, y_pred, axis: int = -1):
    return -losses.cosine_similarity(y_true, y_pred, axis=axis)
