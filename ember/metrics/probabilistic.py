"""Metrics that track a loss function: cross-entropies, KL divergence, Poisson and hinges."""

from __future__ import annotations

from ember import losses
from ember.metrics.base import MeanMetricWrapper


class BinaryCrossentropy(MeanMetricWrapper):
    """Running mean of ``losses.binary_crossentropy``.

    Example:
        >>> m = BinaryCrossentropy()
        >>> m.update_state([[0.0, 1.0]], [[0.5, 0.5]])
        >>> round(float(m.result()), 6)
        0.693147
    """

    def __init__(self, name: str = "binary_crossentropy", dtype=None, from_logits: bool = False,
                 label_smoothing: float = 0.0):
        super().__init__(losses.binary_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing)


class CategoricalCrossentropy(MeanMetricWrapper):
    """Running mean of ``losses.categorical_crossentropy``.

    Example:
        >>> m = CategoricalCrossentropy()
        >>> m.update_state([[0.0, 1.0]], [[0.5, 0.5]])
        >>> round(float(m.result()), 6)
        0.693147
    """

    def __init__(self, name: str = "categorical_crossentropy", dtype=None,
                 from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1):
        super().__init__(losses.categorical_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """Running mean of ``losses.sparse_categorical_crossentropy``.

    Example:
        >>> m = SparseCategoricalCrossentropy()
        >>> m.update_state([1], [[0.5, 0.5]])
        >>> round(float(m.result()), 6)
        0.693147
    """

    def __init__(self, name: str = "sparse_categorical_crossentropy", dtype=None,
                 from_logits: bool = False, axis: int = -1):
        super().__init__(losses.sparse_categorical_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, axis=axis)


class KLDivergence(MeanMetricWrapper):
    """Running mean of ``losses.kl_divergence``.

    Example:
        >>> m = KLDivergence()
        >>> m.update_state([[0.5, 0.5]], [[0.25, 0.75]])
        >>> round(float(m.result()), 6)
        0.143841
    """

    def __init__(self, name: str = "kl_divergence", dtype=None):
        super().__init__(losses.kl_divergence, name=name, dtype=dtype)


class Poisson(MeanMetricWrapper):
    """Running mean of ``losses.poisson``.

    Example:
        >>> m = Poisson()
        >>> m.update_state([[1.0]], [[2.0]])
        >>> round(float(m.result()), 6)
        1.306853
    """

    def __init__(self, name: str = "poisson", dtype=None):
        super().__init__(losses.poisson, name=name, dtype=dtype)


class Hinge(MeanMetricWrapper):
    """Running mean of ``losses.hinge``.

    Example:
        >>> m = Hinge()
        >>> m.update_state([[1.0, 0.0]], [[0.5, -2.0]])
        >>> float(m.result())
        0.25
    """

    def __init__(self, name: str = "hinge", dtype=None):
        super().__init__(losses.hinge, name=name, dtype=dtype)


class SquaredHinge(MeanMetricWrapper):
    """Running mean of ``losses.squared_hinge``.

    Example:
        >>> m = SquaredHinge()
        >>> m.update_state([[1.0, 0.0]], [[0.5, -2.0]])
        >>> float(m.result())
        0.125
    """

    def __init__(self, name: str = "squared_hinge", dtype=None):
        super().__init__(losses.squared_hinge, name=name, dtype=dtype)


class CategoricalHinge(MeanMetricWrapper):
    """Running mean of ``losses.categorical_hinge``.

    Example:
        >>> m = CategoricalHinge()
        >>> m.update_state([[0.0, 1.0]], [[0.5, 1.0]])
        >>> float(m.result())
        0.5
    """

    def __init__(self, name: str = "categorical_hinge", dtype=None):
        super().__init__(losses.categorical_hinge, name=name, dtype=dtype)
