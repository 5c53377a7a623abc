"""Building blocks of convolutional networks, as functions of a tensor (Keras applications'
style): the residual block and its bottleneck form (He et al. 2016), the squeeze-and-
excitation block (Hu et al. 2018) and the inception module (Szegedy et al. 2015).

Each function creates fresh layers and applies them to ``x``, a channels-last 4-D tensor
``(batch, height, width, channels)``. Given a symbolic ``KerasTensor`` (from ``ember.Input``)
it returns one, to build a functional ``ember.Model``; given real data it returns a real
tensor. With ``name="b1"`` the layers are named ``b1_conv1``, ``b1_bn1``, ... so a model's
``get_layer`` finds them.

Example:
    >>> import ember
    >>> from ember import blocks
    >>> inputs = ember.Input(shape=(8, 8, 16))
    >>> x = blocks.residual_block(inputs, 32, stride=2, name="stage2")
    >>> x = blocks.squeeze_excitation_block(x, ratio=8)
    >>> ember.Model(inputs, x).output_shape
    (None, 4, 4, 32)
"""

from __future__ import annotations

import numbers

from ember import layers


def residual_block(x, filters: int, kernel_size: int = 3, stride: int = 1, projection=None,
                   use_batchnorm: bool = True, activation="relu",
                   kernel_initializer="he_normal", se_ratio: int | None = None,
                   name: str | None = None):
    """The basic residual block of He et al. 2016, "Deep Residual Learning for Image
    Recognition" (two ``kernel_size`` convolutions, batch normalization after each):

        y = activation(shortcut(x) + BN(conv(activation(BN(conv_stride(x))))))

    The shortcut is the identity when the output has the input's shape, else a 1x1
    convolution with ``stride`` (followed by batch normalization), the paper's option B.
    ``projection=None`` chooses so; ``True`` forces the projection, ``False`` the identity
    (an error when the shapes differ). With ``se_ratio`` a squeeze-and-excitation block
    rescales the residual branch's channels before the addition (SE-ResNet, Hu et al. 2018).

    Example:
        >>> import ember
        >>> y = residual_block(ember.ones(2, 8, 8, 16), 16)
        >>> y.shape
        (2, 8, 8, 16)
    """
    channels = _channels("residual_block", x)
    _check_positive("residual_block", filters=filters, kernel_size=kernel_size, stride=stride)
    shortcut = _shortcut("residual_block", x, channels, filters, stride, projection,
                         use_batchnorm, kernel_initializer, name)
    y = _conv_bn(x, filters, kernel_size, stride, use_batchnorm, kernel_initializer, name, "1")
    y = layers.Activation(activation, name=_join(name, "act1"))(y)
    y = _conv_bn(y, filters, kernel_size, 1, use_batchnorm, kernel_initializer, name, "2")
    if se_ratio is not None:
        y = squeeze_excitation_block(y, ratio=se_ratio, name=_join(name, "se"))
    y = layers.Add(name=_join(name, "add"))([shortcut, y])
    return layers.Activation(activation, name=_join(name, "out"))(y)


def bottleneck_block(x, filters: int, kernel_size: int = 3, stride: int = 1,
                     expansion: int = 4, projection=None, use_batchnorm: bool = True,
                     activation="relu", kernel_initializer="he_normal",
                     se_ratio: int | None = None, name: str | None = None):
    """The bottleneck residual block of He et al. 2016 (ResNet-50 and deeper): a 1x1
    convolution with ``stride`` down to ``filters`` channels, a ``kernel_size`` convolution,
    and a 1x1 convolution up to ``filters * expansion`` channels, each followed by batch
    normalization, the first two by ``activation``; then the shortcut is added and
    ``activation`` applied. Shortcut, ``projection`` and ``se_ratio`` are as in
    ``residual_block``.

    Example:
        >>> import ember
        >>> y = bottleneck_block(ember.ones(2, 8, 8, 16), 8, stride=2)
        >>> y.shape
        (2, 4, 4, 32)
    """
    channels = _channels("bottleneck_block", x)
    _check_positive("bottleneck_block", filters=filters, kernel_size=kernel_size, stride=stride,
                    expansion=expansion)
    out_channels = filters * expansion
    shortcut = _shortcut("bottleneck_block", x, channels, out_channels, stride, projection,
                         use_batchnorm, kernel_initializer, name)
    y = _conv_bn(x, filters, 1, stride, use_batchnorm, kernel_initializer, name, "1")
    y = layers.Activation(activation, name=_join(name, "act1"))(y)
    y = _conv_bn(y, filters, kernel_size, 1, use_batchnorm, kernel_initializer, name, "2")
    y = layers.Activation(activation, name=_join(name, "act2"))(y)
    y = _conv_bn(y, out_channels, 1, 1, use_batchnorm, kernel_initializer, name, "3")
    if se_ratio is not None:
        y = squeeze_excitation_block(y, ratio=se_ratio, name=_join(name, "se"))
    y = layers.Add(name=_join(name, "add"))([shortcut, y])
    return layers.Activation(activation, name=_join(name, "out"))(y)


def squeeze_excitation_block(x, ratio: int = 16, name: str | None = None):
    """The squeeze-and-excitation block of Hu et al. 2018, "Squeeze-and-Excitation
    Networks": each of the ``C`` channels is multiplied by a gate in (0, 1) computed from the
    whole feature map,

        s = sigmoid(W2 relu(W1 mean_{h,w}(x) + b1) + b2),    y = x * s  (per channel),

    with ``W1`` of ``C // ratio`` units (at least one) and ``W2`` of ``C`` units.

    Example:
        >>> import ember
        >>> y = squeeze_excitation_block(ember.ones(2, 4, 4, 32), ratio=16)
        >>> y.shape
        (2, 4, 4, 32)
    """
    channels = _channels("squeeze_excitation_block", x)
    _check_positive("squeeze_excitation_block", ratio=ratio)
    s = layers.GlobalAveragePooling2D(keepdims=True, name=_join(name, "squeeze"))(x)
    s = layers.Dense(max(1, channels // ratio), activation="relu",
                     name=_join(name, "reduce"))(s)
    s = layers.Dense(channels, activation="sigmoid", name=_join(name, "expand"))(s)
    return layers.Multiply(name=_join(name, "excite"))([x, s])


def inception_module(x, filters_1x1: int, filters_3x3_reduce: int, filters_3x3: int,
                     filters_5x5_reduce: int, filters_5x5: int, filters_pool_proj: int,
                     name: str | None = None):
    """The inception module of Szegedy et al. 2015, "Going Deeper with Convolutions"
    (GoogLeNet): four branches on the same input, concatenated on the channel axis,

        1x1 conv  |  1x1 conv -> 3x3 conv  |  1x1 conv -> 5x5 conv  |  3x3 max pool -> 1x1 conv

    all with ReLU, stride 1 and 'same' padding, so the output keeps the spatial size and has
    ``filters_1x1 + filters_3x3 + filters_5x5 + filters_pool_proj`` channels. The 1x1
    "reduce" convolutions shrink the channels before the expensive 3x3 and 5x5 ones.

    Example:
        >>> import ember
        >>> y = inception_module(ember.ones(1, 8, 8, 16), 8, 12, 16, 2, 4, 4)
        >>> y.shape
        (1, 8, 8, 32)
    """
    _channels("inception_module", x)
    _check_positive("inception_module", filters_1x1=filters_1x1,
                    filters_3x3_reduce=filters_3x3_reduce, filters_3x3=filters_3x3,
                    filters_5x5_reduce=filters_5x5_reduce, filters_5x5=filters_5x5,
                    filters_pool_proj=filters_pool_proj)

    def conv(inputs, filters, size, suffix):
        return layers.Conv2D(filters, size, padding="same", activation="relu",
                             name=_join(name, suffix))(inputs)

    branch_1x1 = conv(x, filters_1x1, 1, "1x1")
    branch_3x3 = conv(conv(x, filters_3x3_reduce, 1, "3x3_reduce"), filters_3x3, 3, "3x3")
    branch_5x5 = conv(conv(x, filters_5x5_reduce, 1, "5x5_reduce"), filters_5x5, 5, "5x5")
    pooled = layers.MaxPooling2D(3, strides=1, padding="same", name=_join(name, "pool"))(x)
    branch_pool = conv(pooled, filters_pool_proj, 1, "pool_proj")
    return layers.Concatenate(axis=-1, name=_join(name, "concat"))(
        [branch_1x1, branch_3x3, branch_5x5, branch_pool])


# ---- helpers ---------------------------------------------------------------------------


def _conv_bn(x, filters, kernel_size, stride, use_batchnorm, kernel_initializer, name, index):
    """Convolution ('same' padding) followed by batch normalization, which makes the
    convolution's bias redundant."""
    x = layers.Conv2D(filters, kernel_size, strides=stride, padding="same",
                      use_bias=not use_batchnorm, kernel_initializer=kernel_initializer,
                      name=_join(name, f"conv{index}"))(x)
    if use_batchnorm:
        x = layers.BatchNormalization(name=_join(name, f"bn{index}"))(x)
    return x


def _shortcut(block, x, channels, out_channels, stride, projection, use_batchnorm,
              kernel_initializer, name):
    """The identity, or a 1x1 convolution with ``stride`` when ``projection`` asks for one
    or the shapes differ."""
    if projection not in (None, True, False):
        raise ValueError(
            f"{block}: expected projection to be None (automatic), True or False, "
            f"received: projection={projection!r}"
        )
    needed = stride != 1 or channels != out_channels
    if projection is False and needed:
        raise ValueError(
            f"{block}: an identity shortcut needs stride 1 and as many output as input "
            f"channels; received projection=False with stride={stride}, {channels} input "
            f"and {out_channels} output channels"
        )
    if not (projection or needed):
        return x
    return _conv_bn(x, out_channels, 1, stride, use_batchnorm, kernel_initializer,
                    _join(name, "shortcut"), "")


def _channels(block: str, x) -> int:
    shape = tuple(getattr(x, "shape", ()))
    if len(shape) != 4 or shape[-1] is None:
        raise ValueError(
            f"{block}: expected a 4-D channels-last input (batch, height, width, channels) "
            f"with a known channel count, received: x of shape {shape}"
        )
    return int(shape[-1])


def _check_positive(block: str, **values) -> None:
    for arg, value in values.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(
                f"{block}: expected {arg} to be a positive integer, received: "
                f"{arg}={value!r}"
            )


def _join(name: str | None, suffix: str) -> str | None:
    """``name_suffix``, or None (an automatic layer name) when the block has no name."""
    if name is None:
        return None
    return f"{name}_{suffix}" if suffix else name
