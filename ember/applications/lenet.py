"""LeNet-5 (LeCun, Bottou, Bengio and Haffner 1998, "Gradient-Based Learning Applied to
Document Recognition")."""

from __future__ import annotations

from ember import layers
from ember.applications import common
from ember.models import Model

_SUBSAMPLING = {"average": layers.AveragePooling2D, "max": layers.MaxPooling2D}


def LeNet5(*, input_shape=(28, 28, 1), classes: int = 10, weights=None,  # noqa: N802
           activation="tanh", subsampling: str = "average", include_top: bool = True,
           pooling=None, classifier_activation="softmax", name: str = "lenet5") -> Model:
    """LeNet-5: two 5x5 convolutions, each followed by 2x2 subsampling, a third 5x5
    convolution (C5), a dense layer of 84 units (F6) and the classifier:

        C1 conv 6@5x5 -> S2 pool 2x2 -> C3 conv 16@5x5 -> S4 pool 2x2 -> C5 conv 120@5x5
        -> F6 dense 84 -> dense ``classes``

    The paper's 32x32 inputs are MNIST's 28x28 digits padded by 2; here C1 uses 'same'
    padding on the 28x28 digits instead, which gives the same 28x28 C1 maps. Like today's
    re-implementations it connects C3 to all six S2 maps (the paper used a sparse table),
    subsamples without trainable coefficients and ends with a softmax instead of RBF
    units. ``activation="tanh"`` with ``subsampling="average"`` is the 1998 network;
    ``activation="relu"`` with ``subsampling="max"`` is its modern form.

    Args:
        input_shape: ``(height, width, channels)``, at least 28x28.
        classes: number of classes of the classifier.
        weights: must be None: ember ships no pretrained weights.
        activation: activation of C1, C3, C5 and F6.
        subsampling: ``"average"`` or ``"max"`` pooling in S2 and S4.
        include_top: whether to end with F6 and the classifier; without it the model ends
            at C5 (then ``pooling`` may average or max it over the image).
        pooling: None, ``"avg"`` or ``"max"``, used when ``include_top=False``.
        classifier_activation: activation of the last layer (None for logits).
        name: the model's name.

    Example:
        >>> import ember
        >>> model = ember.applications.LeNet5()
        >>> model.count_params()
        61706
    """
    builder = "LeNet5"
    common.check_weights(builder, weights)
    common.check_top(builder, include_top, pooling, classes)
    if subsampling not in _SUBSAMPLING:
        raise ValueError(
            f"{builder}: expected subsampling to be 'average' or 'max', received: "
            f"subsampling={subsampling!r}"
        )
    pool = _SUBSAMPLING[subsampling]
    inputs = common.image_input(builder, input_shape, min_size=28)
    x = layers.Conv2D(6, 5, padding="same", activation=activation, name="c1")(inputs)
    x = pool(2, name="s2")(x)
    x = layers.Conv2D(16, 5, activation=activation, name="c3")(x)
    x = pool(2, name="s4")(x)
    x = layers.Conv2D(120, 5, activation=activation, name="c5")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(84, activation=activation, name="f6")(x)
        x = common.predictions(x, classes, classifier_activation)
    else:
        x = common.global_pool(x, pooling)
    return Model(inputs, x, name=name)
