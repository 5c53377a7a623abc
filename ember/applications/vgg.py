"""VGG networks (Simonyan and Zisserman 2015, "Very Deep Convolutional Networks for
Large-Scale Image Recognition")."""

from __future__ import annotations

import numbers

from ember import layers
from ember.applications import common
from ember.models import Model

# Table 1 of the paper: the filters of each 3x3 convolution, stage by stage (a 2x2 max
# pool ends every stage). Depth counts these convolutions plus three dense layers.
CONFIGS = {
    11: ((64,), (128,), (256, 256), (512, 512), (512, 512)),
    13: ((64, 64), (128, 128), (256, 256), (512, 512), (512, 512)),
    16: ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512), (512, 512, 512)),
    19: ((64, 64), (128, 128), (256,) * 4, (512,) * 4, (512,) * 4),
}


def VGG(depth: int | None = None, *, block_config=None, input_shape=(32, 32, 3),  # noqa: N802
        classes: int = 10, weights=None, batch_norm: bool = False, width: float = 1.0,
        dense_units=(4096, 4096), dropout: float = 0.5, include_top: bool = True,
        pooling=None, classifier_activation="softmax", name: str | None = None) -> Model:
    """A VGG network: stages of 3x3 convolutions (stride 1, 'same' padding, ReLU), each
    stage ended by a 2x2 max pool, then dense layers with dropout and the classifier.

    ``depth`` picks a layout of the paper (11, 13, 16 or 19 weight layers; 16 when neither
    ``depth`` nor ``block_config`` is given); ``block_config`` gives one instead, as the
    filters of each convolution stage by stage, e.g. ``((32, 32), (64, 64))``. ``width``
    multiplies every filter count and dense size, which makes the layouts small enough for
    28x28 or 32x32 images on a CPU. With ``batch_norm=True`` each convolution is followed by
    batch normalization before its ReLU (Ioffe and Szegedy 2015), and has no bias.

    Args:
        depth: 11, 13, 16 or 19.
        block_config: the filters of each convolution, a sequence of stages.
        input_shape: ``(height, width, channels)``; each stage halves height and width, so
            they must be at least ``2 ** stages``.
        classes: number of classes of the classifier.
        weights: must be None: ember ships no pretrained weights.
        batch_norm: batch normalization after every convolution.
        width: multiplier of filters and dense units.
        dense_units: the hidden dense layers of the top (the paper's ``(4096, 4096)``).
        dropout: dropout rate after each hidden dense layer (0 for none).
        include_top: whether to end with the dense layers and the classifier.
        pooling: None, ``"avg"`` or ``"max"``, used when ``include_top=False``.
        classifier_activation: activation of the last layer (None for logits).
        name: the model's name (default ``vgg{depth}``, ``_bn`` added with batch norm).

    Example:
        >>> import ember
        >>> model = ember.applications.VGG(block_config=((8,), (16, 16)), dense_units=(32,),
        ...                                input_shape=(28, 28, 1), batch_norm=True)
        >>> model.output_shape
        (None, 10)
    """
    builder = "VGG"
    common.check_weights(builder, weights)
    common.check_top(builder, include_top, pooling, classes)
    common.check_positive(builder, width=width)
    stages = _stages(builder, depth, block_config)
    units = _dense_units(builder, dense_units)
    if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real) \
            or not 0 <= dropout < 1:
        raise ValueError(
            f"{builder}: expected dropout in [0, 1), received: dropout={dropout!r}"
        )
    inputs = common.image_input(builder, input_shape, min_size=2 ** len(stages))
    x = inputs
    for s, stage in enumerate(stages, start=1):
        for i, filters in enumerate(stage, start=1):
            x = layers.Conv2D(common.scaled(filters, width), 3, padding="same",
                              activation=None if batch_norm else "relu",
                              use_bias=not batch_norm, name=f"block{s}_conv{i}")(x)
            if batch_norm:
                x = layers.BatchNormalization(name=f"block{s}_bn{i}")(x)
                x = layers.Activation("relu", name=f"block{s}_relu{i}")(x)
        x = layers.MaxPooling2D(2, name=f"block{s}_pool")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        for i, n in enumerate(units, start=1):
            x = layers.Dense(common.scaled(n, width), activation="relu", name=f"fc{i}")(x)
            if dropout:
                x = layers.Dropout(dropout, name=f"fc{i}_dropout")(x)
        x = common.predictions(x, classes, classifier_activation)
    else:
        x = common.global_pool(x, pooling)
    if name is None:
        name = (f"vgg{depth or 16}" if block_config is None else "vgg") + (
            "_bn" if batch_norm else "")
    return Model(inputs, x, name=name)


def _stages(builder: str, depth, block_config) -> tuple:
    if block_config is None:
        depth = 16 if depth is None else depth
        if depth not in CONFIGS:
            raise ValueError(
                f"{builder}: expected depth to be one of {sorted(CONFIGS)}, or a "
                f"block_config; received: depth={depth!r}"
            )
        return CONFIGS[depth]
    if depth is not None:
        raise ValueError(
            f"{builder}: give depth or block_config, not both; received: depth={depth!r} "
            f"and block_config={block_config!r}"
        )
    try:
        stages = tuple(tuple(stage) for stage in block_config)
    except TypeError:
        stages = ()
    if not stages or not all(stage and all(common.is_positive_int(f) for f in stage)
                             for stage in stages):
        raise ValueError(
            f"{builder}: expected block_config to be a non-empty sequence of stages, each a "
            f"non-empty sequence of positive filter counts; received: "
            f"block_config={block_config!r}"
        )
    return stages


def _dense_units(builder: str, dense_units) -> tuple:
    try:
        units = tuple(dense_units)
    except TypeError:
        units = None
    if units is None or not all(common.is_positive_int(n) for n in units):
        raise ValueError(
            f"{builder}: expected dense_units to be a sequence of positive integers, "
            f"received: dense_units={dense_units!r}"
        )
    return units


