"""Residual networks for small images (He, Zhang, Ren and Sun 2016, "Deep Residual Learning
for Image Recognition", section 4.2: the CIFAR-10 networks)."""

from __future__ import annotations

from ember import blocks, layers
from ember.applications import common
from ember.models import Model


def ResNet(depth: int = 20, *, input_shape=(32, 32, 3), classes: int = 10,  # noqa: N802
           weights=None, width: float = 1.0, include_top: bool = True, pooling=None,
           classifier_activation="softmax", name: str | None = None) -> Model:
    """The CIFAR ResNet of depth ``6n + 2`` (20, 32, 44, 56, 110, ...): a 3x3 convolution
    with 16 filters, three stages of ``n`` basic residual blocks with 16, 32 and 64 filters
    (the first block of the second and third stage has stride 2), global average pooling
    and the classifier. Every convolution is followed by batch normalization and starts
    from He initialization. Where a block changes the shape its shortcut is a 1x1
    convolution (the paper's option B; its CIFAR networks used option A, zero padding).
    ``width`` multiplies the filter counts.

    Args:
        depth: ``6n + 2`` weight layers, ``n >= 1`` (8, 14, 20, 32, 44, 56, 110).
        input_shape: ``(height, width, channels)``.
        classes: number of classes of the classifier.
        weights: must be None: ember ships no pretrained weights.
        width: multiplier of the filter counts 16, 32, 64.
        include_top: whether to end with global average pooling and the classifier.
        pooling: None, ``"avg"`` or ``"max"``, used when ``include_top=False``.
        classifier_activation: activation of the last layer (None for logits).
        name: the model's name (default ``resnet{depth}``).

    Example:
        >>> import ember
        >>> model = ember.applications.ResNet(20)
        >>> model.output_shape, model.count_params()
        ((None, 10), 274042)
    """
    return build_resnet("ResNet", depth, input_shape, classes, weights, width, include_top,
                        pooling, classifier_activation, name or f"resnet{depth}", se_ratio=None)


def build_resnet(builder: str, depth, input_shape, classes, weights, width, include_top,
                 pooling, classifier_activation, name: str, se_ratio) -> Model:
    """The CIFAR ResNet, with a squeeze-and-excitation block of ``se_ratio`` in every
    residual block when it is given (SENet)."""
    common.check_weights(builder, weights)
    common.check_top(builder, include_top, pooling, classes)
    common.check_positive(builder, width=width)
    if not common.is_positive_int(depth) or depth < 8 or (depth - 2) % 6:
        raise ValueError(
            f"{builder}: expected depth = 6n + 2 with n >= 1 (8, 14, 20, 32, 44, 56, 110), "
            f"received: depth={depth!r}"
        )
    blocks_per_stage = (depth - 2) // 6
    inputs = common.image_input(builder, input_shape)
    x = layers.Conv2D(common.scaled(16, width), 3, padding="same", use_bias=False,
                      kernel_initializer="he_normal", name="conv1")(inputs)
    x = layers.BatchNormalization(name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    for stage, filters in enumerate((16, 32, 64), start=1):
        for block in range(1, blocks_per_stage + 1):
            stride = 2 if stage > 1 and block == 1 else 1
            x = blocks.residual_block(x, common.scaled(filters, width), stride=stride,
                                      se_ratio=se_ratio, name=f"stage{stage}_block{block}")
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = common.predictions(x, classes, classifier_activation)
    else:
        x = common.global_pool(x, pooling)
    return Model(inputs, x, name=name)
