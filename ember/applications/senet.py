"""Squeeze-and-excitation networks (Hu, Shen and Sun 2018, "Squeeze-and-Excitation
Networks"): the CIFAR ResNet with an SE block in every residual block."""

from __future__ import annotations

from ember.applications import common
from ember.applications.resnet import build_resnet
from ember.models import Model


def SENet(depth: int = 20, *, ratio: int = 16, input_shape=(32, 32, 3),  # noqa: N802
          classes: int = 10, weights=None, width: float = 1.0, include_top: bool = True,
          pooling=None, classifier_activation="softmax", name: str | None = None) -> Model:
    """SE-ResNet for small images: ``ember.applications.ResNet`` of the same ``depth`` in
    which every residual block rescales the channels of its residual branch, before the
    shortcut is added, by gates computed from the branch's global average (squeeze, a dense
    layer of ``C // ratio`` ReLU units, a dense layer of ``C`` sigmoid units, excite); see
    ``ember.blocks.squeeze_excitation_block``. The other arguments are ResNet's.

    Args:
        depth: ``6n + 2`` weight layers, ``n >= 1``.
        ratio: the SE reduction ratio ``r`` (16 in the paper).
        input_shape, classes, weights, width, include_top, pooling, classifier_activation:
            as in ``ResNet``.
        name: the model's name (default ``seresnet{depth}``).

    Example:
        >>> import ember
        >>> model = ember.applications.SENet(20, ratio=8)
        >>> model.output_shape
        (None, 10)
    """
    if not common.is_positive_int(ratio):
        raise ValueError(
            f"SENet: expected ratio to be a positive integer, received: ratio={ratio!r}"
        )
    return build_resnet("SENet", depth, input_shape, classes, weights, width, include_top,
                        pooling, classifier_activation, name or f"seresnet{depth}",
                        se_ratio=ratio)
