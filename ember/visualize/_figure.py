"""Figures for ``ember.visualize``: matplotlib (an optional extra) drawn with Agg, saved
whole or not at all."""

from __future__ import annotations

import io
import os

import numpy as np

from ember.saving.weights_file import atomic_write


def new_figure(caller: str, width: float, height: float):
    """A matplotlib ``Figure`` on an Agg canvas: no display, no pyplot global state."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(
            f"{caller} needs the matplotlib package: pip install 'ember[plot]'"
        ) from None
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def save_figure(caller: str, figure, path) -> None:
    """Write ``figure`` to ``path`` in the format of its extension (``.png``, ``.svg``,
    ``.pdf``...), whole or not at all."""
    path = os.fspath(path)
    extension = os.path.splitext(path)[1][1:].lower()
    formats = figure.canvas.get_supported_filetypes()
    if extension not in formats:
        raise ValueError(
            f"{caller}: expected a path ending in one of "
            f"{sorted('.' + f for f in formats)}, received path='{path}'"
        )
    buffer = io.BytesIO()
    figure.savefig(buffer, format=extension, dpi=100, bbox_inches="tight")
    atomic_write(path, buffer.getvalue())


def to_numpy(x):
    """An ember tensor, a CuPy array or an array-like as a NumPy array."""
    if hasattr(x, "numpy"):
        return x.numpy()
    if hasattr(x, "get") and type(x).__module__.startswith("cupy"):
        return x.get()
    return np.asarray(x)
