"""GoogLeNet for small images (Szegedy et al. 2015, "Going Deeper with Convolutions")."""

from __future__ import annotations

import numbers

from ember import blocks, layers
from ember.applications import common
from ember.models import Model

# Table 1 of the paper: #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj of each
# inception module; a 3x3 max pool with stride 2 separates the three groups.
MODULES = (
    (("3a", (64, 96, 128, 16, 32, 32)),
     ("3b", (128, 128, 192, 32, 96, 64))),
    (("4a", (192, 96, 208, 16, 48, 64)),
     ("4b", (160, 112, 224, 24, 64, 64)),
     ("4c", (128, 128, 256, 24, 64, 64)),
     ("4d", (112, 144, 288, 32, 64, 64)),
     ("4e", (256, 160, 320, 32, 128, 128))),
    (("5a", (256, 160, 320, 32, 128, 128)),
     ("5b", (384, 192, 384, 48, 128, 128))),
)


def GoogLeNet(*, input_shape=(32, 32, 3), classes: int = 10, weights=None,  # noqa: N802
              width: float = 1.0, dropout: float = 0.4, include_top: bool = True,
              pooling=None, classifier_activation="softmax",
              name: str = "googlenet") -> Model:
    """GoogLeNet's nine inception modules (3a-3b, 4a-4e, 5a-5b of the paper's Table 1,
    a 3x3 stride-2 max pool between the groups) on a stem for small images: one 3x3
    convolution of 192 filters with ReLU instead of the paper's 7x7/2 convolution, pools and
    local response normalization, which shrink 224x224 images to 28x28. Then global average
    pooling, dropout (40% in the paper) and the classifier; the paper's two auxiliary
    classifiers, which only helped training, are left out. ``width`` multiplies every
    filter count (``width=0.25`` trains on MNIST on a CPU).

    Args:
        input_shape: ``(height, width, channels)``.
        classes: number of classes of the classifier.
        weights: must be None: ember ships no pretrained weights.
        width: multiplier of the filter counts.
        dropout: dropout rate before the classifier (0 for none).
        include_top: whether to end with global average pooling and the classifier.
        pooling: None, ``"avg"`` or ``"max"``, used when ``include_top=False``.
        classifier_activation: activation of the last layer (None for logits).
        name: the model's name.

    Example:
        >>> import ember
        >>> model = ember.applications.GoogLeNet(input_shape=(28, 28, 1), width=0.25)
        >>> model.get_layer("inception_5b_concat").output.shape
        (None, 7, 7, 256)
    """
    builder = "GoogLeNet"
    common.check_weights(builder, weights)
    common.check_top(builder, include_top, pooling, classes)
    common.check_positive(builder, width=width)
    if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real) \
            or not 0 <= dropout < 1:
        raise ValueError(
            f"{builder}: expected dropout in [0, 1), received: dropout={dropout!r}"
        )
    inputs = common.image_input(builder, input_shape)
    x = layers.Conv2D(common.scaled(192, width), 3, padding="same", activation="relu",
                      name="stem_conv")(inputs)
    for group, modules in enumerate(MODULES):
        if group:
            x = layers.MaxPooling2D(3, strides=2, padding="same", name=f"pool{group}")(x)
        for label, filters in modules:
            x = blocks.inception_module(x, *(common.scaled(f, width) for f in filters),
                                        name=f"inception_{label}")
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout:
            x = layers.Dropout(dropout, name="dropout")(x)
        x = common.predictions(x, classes, classifier_activation)
    else:
        x = common.global_pool(x, pooling)
    return Model(inputs, x, name=name)
