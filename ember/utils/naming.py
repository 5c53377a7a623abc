"""Automatic names for layers and models: ``dense``, ``dense_1``, ``dense_2``..."""

from __future__ import annotations

import re

_NAME_COUNTS: dict = {}


def unique_name(base: str) -> str:
    """``base``, then ``base_1``, ``base_2``... as Keras names layers."""
    n = _NAME_COUNTS.get(base, 0)
    _NAME_COUNTS[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


def snake_case(name: str) -> str:
    """``"GaussianNoise"`` -> ``"gaussian_noise"``, ``"Conv2DTranspose"`` ->
    ``"conv2d_transpose"`` (Keras's rule: no break between a digit and a capital)."""
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def clear_session() -> None:
    """Reset automatic names, as ``keras.utils.clear_session`` does."""
    _NAME_COUNTS.clear()
