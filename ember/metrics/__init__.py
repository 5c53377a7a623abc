"""Metrics as ``keras.metrics``: stateful objects that accumulate over batches.

``update_state(y_true, y_pred, sample_weight=None)`` adds a batch, ``result()`` gives the
value so far (a Tensor; ``float(m.result())`` for a number), ``reset_state()`` starts over.
Names resolve as in Keras: ``get("mse")`` and ``get("mean_squared_error")`` give a new
``MeanSquaredError()``; ``"acc"`` is accepted for ``"accuracy"``.

Example:
    >>> import ember
    >>> m = ember.metrics.get("sparse_categorical_accuracy")
    >>> m.update_state([0, 1], [[0.9, 0.1], [0.8, 0.2]])
    >>> float(m.result())
    0.5
"""

from ember.metrics.accuracy import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from ember.metrics.base import Mean, MeanMetricWrapper, Metric, Sum
from ember.metrics.confusion import (
    AUC,
    FalseNegatives,
    FalsePositives,
    Precision,
    Recall,
    TrueNegatives,
    TruePositives,
)
from ember.metrics.probabilistic import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CategoricalHinge,
    Hinge,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
    SquaredHinge,
)
from ember.metrics.regression import (
    CosineSimilarity,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    RootMeanSquaredError,
)
from ember.saving.object_registration import Registry
from ember.utils.naming import snake_case

_REGISTRY = Registry("metric")

for _cls in (
    Metric, Mean, Sum, MeanMetricWrapper,
    Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy,
    MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, RootMeanSquaredError, CosineSimilarity, LogCoshError,
    BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy,
    KLDivergence, Poisson, Hinge, SquaredHinge, CategoricalHinge,
    Precision, Recall, AUC, TruePositives, FalsePositives, TrueNegatives, FalseNegatives,
):
    _REGISTRY.add(_cls.__name__, _cls)
    _REGISTRY.add(snake_case(_cls.__name__), _cls)
del _cls

for _alias, _cls in {
    "acc": Accuracy,
    "bce": BinaryCrossentropy,
    "mse": MeanSquaredError,
    "mae": MeanAbsoluteError,
    "mape": MeanAbsolutePercentageError,
    "msle": MeanSquaredLogarithmicError,
    "rmse": RootMeanSquaredError,
}.items():
    _REGISTRY.add(_alias, _cls)
del _alias, _cls


def get(identifier):
    """A metric from a name (a new instance: ``"accuracy"``, ``"mse"``, ``"auc"``), a config
    dict, a class (instantiated) or a callable (returned as is)."""
    return _REGISTRY.get(identifier)


def serialize(metric):
    return _REGISTRY.serialize(metric)


def deserialize(config, custom_objects=None):
    return _REGISTRY.deserialize(config, custom_objects)


__all__ = [
    "AUC",
    "Accuracy",
    "BinaryAccuracy",
    "BinaryCrossentropy",
    "CategoricalAccuracy",
    "CategoricalCrossentropy",
    "CategoricalHinge",
    "CosineSimilarity",
    "FalseNegatives",
    "FalsePositives",
    "Hinge",
    "KLDivergence",
    "LogCoshError",
    "Mean",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanMetricWrapper",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Metric",
    "Poisson",
    "Precision",
    "Recall",
    "RootMeanSquaredError",
    "SparseCategoricalAccuracy",
    "SparseCategoricalCrossentropy",
    "SparseTopKCategoricalAccuracy",
    "SquaredHinge",
    "Sum",
    "TopKCategoricalAccuracy",
    "TrueNegatives",
    "TruePositives",
    "accuracy",
    "binary_accuracy",
    "categorical_accuracy",
    "deserialize",
    "get",
    "serialize",
    "sparse_categorical_accuracy",
    "sparse_top_k_categorical_accuracy",
    "top_k_categorical_accuracy",
]
