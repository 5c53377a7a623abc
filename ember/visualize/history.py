"""``plot_history``: training curves of a ``fit``, training against validation."""

from __future__ import annotations

import math

import numpy as np

from ember.visualize._figure import new_figure, save_figure


def plot_history(history, metrics=None, path=None, validation_freq: int = 1):
    """Plot the loss and each metric per epoch, one subplot each, training against
    validation (the ``val_`` values) where there are validation values.

    Args:
        history: The ``History`` returned by ``fit``, or its ``history`` dict.
        metrics: Names to plot (without ``val_``), in order; default: every training log
            name, the loss first.
        path: When given, the figure is written there, in the format of its extension
            (``.png``, ``.svg``, ``.pdf``).
        validation_freq: The ``validation_freq`` of ``fit``: validation values are drawn
            at every ``validation_freq``-th epoch.

    Returns:
        The matplotlib ``Figure``.

    Example:
        >>> from ember.visualize import plot_history
        >>> figure = plot_history({"loss": [0.9, 0.5, 0.4], "val_loss": [1.0, 0.7, 0.6],
        ...                        "accuracy": [0.6, 0.8, 0.9],
        ...                        "val_accuracy": [0.5, 0.7, 0.8]})
        >>> [axes.get_title() for axes in figure.axes]
        ['loss', 'accuracy']
    """
    if isinstance(validation_freq, bool) or not isinstance(validation_freq, int) or (
            validation_freq < 1):
        raise ValueError(
            f"plot_history: expected a positive integer validation_freq, received "
            f"{validation_freq!r}"
        )
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict) or not logs:
        raise ValueError(
            "plot_history: expected a History or a non-empty dict of per-epoch values, "
            f"received {type(history).__name__}"
        )
    available = [name for name in logs if not name.startswith("val_")]
    available.sort(key=lambda name: name != "loss")
    names = available if metrics is None else (
        [metrics] if isinstance(metrics, str) else list(metrics))
    unknown = [name for name in names if name not in logs]
    if unknown or not names:
        raise ValueError(
            f"plot_history: expected metric names among {available}, received {names}"
        )
    columns = min(len(names), 2)
    rows = math.ceil(len(names) / columns)
    figure = new_figure("plot_history", 5.0 * columns, 3.5 * rows)
    from matplotlib.ticker import MaxNLocator

    grid = figure.subplots(rows, columns, squeeze=False)
    for axes, name in zip(grid.flat, names):
        train = np.asarray(logs[name], dtype=float)
        axes.plot(np.arange(1, len(train) + 1), train, marker="o", markersize=3,
                  label="training")
        validation = logs.get(f"val_{name}")
        if validation is not None:
            validation = np.asarray(validation, dtype=float)
            if len(validation) != len(train) // validation_freq:
                raise ValueError(
                    f"plot_history: expected {len(train) // validation_freq} values of "
                    f"'val_{name}' ({len(train)} epochs, validation_freq={validation_freq}), "
                    f"received {len(validation)}; pass the validation_freq given to fit"
                )
            epochs = validation_freq * np.arange(1, len(validation) + 1)
            axes.plot(epochs, validation, marker="o", markersize=3, label="validation")
        axes.set_title(name)
        axes.set_xlabel("epoch")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.grid(alpha=0.3)
        axes.legend()
    for axes in list(grid.flat)[len(names):]:
        axes.set_visible(False)
    if path is not None:
        save_figure("plot_history", figure, path)
    return figure
