"""What every model builder shares: argument checks, the input, and the classifier top
(Keras applications' ``include_top`` / ``pooling`` / ``classifier_activation``)."""

from __future__ import annotations

import numbers

from ember import layers
from ember.layers.core import Input


def check_weights(builder: str, weights) -> None:
    """Only random initialization: ember ships no pretrained weights."""
    if weights is not None:
        raise ValueError(
            f"{builder}: no pretrained weights ship with ember, so weights must be None "
            f"(random initialization); received: weights={weights!r}"
        )


def image_input(builder: str, input_shape, min_size: int = 1):
    """``ember.Input`` for images of ``input_shape`` ``(height, width, channels)``, each
    a positive integer, height and width at least ``min_size``."""
    shape = tuple(input_shape) if isinstance(input_shape, (tuple, list)) else None
    if shape is None or len(shape) != 3 or not all(is_positive_int(d) for d in shape):
        raise ValueError(
            f"{builder}: expected input_shape to be (height, width, channels) of positive "
            f"integers, received: input_shape={input_shape!r}"
        )
    if min(shape[:2]) < min_size:
        raise ValueError(
            f"{builder}: expected images of at least {min_size}x{min_size} for this "
            f"architecture, received: input_shape={shape}"
        )
    return Input(shape=shape)


def check_top(builder: str, include_top: bool, pooling, classes) -> None:
    if pooling not in (None, "avg", "max"):
        raise ValueError(
            f"{builder}: expected pooling to be None, 'avg' or 'max', "
            f"received: pooling={pooling!r}"
        )
    if include_top and not is_positive_int(classes):
        raise ValueError(
            f"{builder}: expected classes to be a positive integer, received: "
            f"classes={classes!r}"
        )


def check_positive(builder: str, **values) -> None:
    for arg, value in values.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or value <= 0:
            raise ValueError(
                f"{builder}: expected {arg} to be a positive number, received: "
                f"{arg}={value!r}"
            )


def global_pool(x, pooling):
    """The feature maps as they are (``None``), or averaged / maxed over the image."""
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name="max_pool")(x)
    return x


def predictions(x, classes: int, classifier_activation):
    return layers.Dense(classes, activation=classifier_activation, name="predictions")(x)


def scaled(filters: int, width: float) -> int:
    """``filters`` times the width multiplier, rounded, at least 1."""
    return max(1, int(round(filters * width)))


def is_positive_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value > 0
