"""Losses as ``keras.losses``: per-sample functions and ``Loss`` classes that reduce them.

A loss function ``fn(y_true, y_pred)`` returns one value per sample (the last axis is
averaged or summed away). A ``Loss`` object applies ``sample_weight`` and a reduction
(``"sum_over_batch_size"`` by default; see ``ember.losses.loss``), and its result is
differentiable with respect to ``y_pred``. Cross-entropies use the fused kernels of
``ember.ops`` and, without sample weights, reduce inside them (one graph node). With
``dtype=None`` a float ``y_pred`` keeps its dtype (float64 stays float64, so losses pass
``ember.gradcheck``); other inputs become floatx.

Names resolve as in Keras: ``get("mse")`` and ``get("categorical_crossentropy")`` give the
functions, ``get("CategoricalCrossentropy")`` a new instance.

Example:
    >>> import ember
    >>> loss = ember.losses.MeanSquaredError()
    >>> float(loss([[0.0, 1.0]], [[1.0, 1.0]]))
    0.5
"""

from ember.losses.hinge import (
    CategoricalHinge,
    Hinge,
    SquaredHinge,
    categorical_hinge,
    hinge,
    squared_hinge,
)
from ember.losses.loss import (
    REGISTRY,
    Loss,
    LossFunctionWrapper,
    reduce_values,
    reduce_weighted_values,
    squeeze_or_expand_to_same_rank,
    standardize_reduction,
)
from ember.losses.probabilistic import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    categorical_crossentropy,
    kl_divergence,
    poisson,
    sparse_categorical_crossentropy,
)
from ember.losses.regression import (
    CosineSimilarity,
    Huber,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    SmoothL1,
    cosine_similarity,
    huber,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    smooth_l1,
)

mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kl_divergence


def get(identifier):
    """A loss from a name (``"mse"``, ``"categorical_crossentropy"``: the function;
    ``"CategoricalCrossentropy"``: an instance), a config dict, a class or a callable."""
    return REGISTRY.get(identifier)


def serialize(loss):
    return REGISTRY.serialize(loss)


def deserialize(config, custom_objects=None):
    return REGISTRY.deserialize(config, custom_objects)


__all__ = [
    "KLD",
    "MAE",
    "MAPE",
    "MSE",
    "MSLE",
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalHinge",
    "CosineSimilarity",
    "Hinge",
    "Huber",
    "KLDivergence",
    "LogCosh",
    "Loss",
    "LossFunctionWrapper",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Poisson",
    "SmoothL1",
    "SparseCategoricalCrossentropy",
    "SquaredHinge",
    "binary_crossentropy",
    "categorical_crossentropy",
    "categorical_hinge",
    "cosine_similarity",
    "deserialize",
    "get",
    "hinge",
    "huber",
    "kl_divergence",
    "kld",
    "log_cosh",
    "mae",
    "mape",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "mse",
    "msle",
    "poisson",
    "reduce_values",
    "reduce_weighted_values",
    "serialize",
    "smooth_l1",
    "sparse_categorical_crossentropy",
    "squared_hinge",
    "squeeze_or_expand_to_same_rank",
    "standardize_reduction",
]
