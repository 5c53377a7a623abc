"""``plot_confusion_matrix``: which classes a classifier confuses with which."""

from __future__ import annotations

import numpy as np

from ember.visualize._figure import new_figure, save_figure, to_numpy


def plot_confusion_matrix(y_true, y_pred, class_names=None, normalize: bool = False,
                          path=None):
    """Draw the confusion matrix: row ``i``, column ``j`` counts the examples of true class
    ``i`` predicted as class ``j``; the count is written in each cell.

    Args:
        y_true: True classes: integer labels ``(n,)`` or one-hot rows ``(n, classes)``.
        y_pred: Predicted classes: integer labels, or scores/probabilities
            ``(n, classes)`` (the largest one is the prediction).
        class_names: Names of the classes, in order; default: the class numbers.
        normalize: Divide each row by its total, so a cell is the fraction of the true
            class predicted as the column's class (the diagonal is each class's recall).
        path: When given, the figure is written there (``.png``, ``.svg``, ``.pdf``).

    Returns:
        The matplotlib ``Figure``.

    Example:
        >>> from ember.visualize import plot_confusion_matrix
        >>> figure = plot_confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2])
        >>> [text.get_text() for text in figure.axes[0].texts]
        ['1', '0', '0', '0', '1', '1', '0', '0', '1']
    """
    true = _classes("y_true", y_true)
    pred = _classes("y_pred", y_pred)
    if true.shape != pred.shape:
        raise ValueError(
            f"plot_confusion_matrix: expected as many predictions as labels, received "
            f"y_true of {len(true)} and y_pred of {len(pred)} examples"
        )
    n_classes = int(max(true.max(initial=-1), pred.max(initial=-1))) + 1
    # Scores and one-hot rows also tell the number of classes (some may never occur).
    widths = [np.shape(values)[-1] for values in (y_true, y_pred) if np.ndim(values) == 2]
    n_classes = max([n_classes, *widths])
    if class_names is not None:
        class_names = [str(name) for name in class_names]
        if len(class_names) < n_classes:
            raise ValueError(
                f"plot_confusion_matrix: expected at least {n_classes} class_names, "
                f"received {len(class_names)}"
            )
        n_classes = len(class_names)
    else:
        class_names = [str(i) for i in range(n_classes)]
    counts = np.bincount(true * n_classes + pred, minlength=n_classes * n_classes)
    matrix = counts.reshape(n_classes, n_classes).astype(np.float64)
    if normalize:
        matrix /= np.maximum(matrix.sum(axis=1, keepdims=True), 1.0)
    size = min(3.0 + 0.5 * n_classes, 14.0)
    figure = new_figure("plot_confusion_matrix", size + 1.0, size)
    axes = figure.add_subplot()
    image = axes.imshow(matrix, cmap="Blues", vmin=0.0)
    figure.colorbar(image, ax=axes, fraction=0.046)
    threshold = matrix.max() / 2.0
    for (row, column), value in np.ndenumerate(matrix):
        text = f"{value:.2f}" if normalize else f"{int(value)}"
        axes.text(column, row, text, ha="center", va="center", fontsize=9,
                  color="white" if value > threshold else "black")
    ticks = np.arange(n_classes)
    slanted = n_classes > 5
    axes.set_xticks(ticks, class_names, rotation=45 if slanted else 0,
                    ha="right" if slanted else "center")
    axes.set_yticks(ticks, class_names)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    axes.set_title("confusion matrix" + (" (normalized by row)" if normalize else ""))
    if path is not None:
        save_figure("plot_confusion_matrix", figure, path)
    return figure


def _classes(arg: str, values) -> np.ndarray:
    """Integer class labels from labels ``(n,)`` / ``(n, 1)`` or scores ``(n, classes)``."""
    values = to_numpy(values)
    if values.ndim == 2 and values.shape[1] > 1:
        values = values.argmax(axis=1)
    values = values.reshape(-1) if values.ndim == 2 else values
    if values.ndim != 1 or values.size == 0:
        raise ValueError(
            f"plot_confusion_matrix: expected {arg} as labels (n,) or scores (n, classes), "
            f"received shape {values.shape}"
        )
    labels = values.astype(np.int64)
    if not np.array_equal(labels, values) or labels.min() < 0:
        raise ValueError(
            f"plot_confusion_matrix: expected {arg} to hold non-negative integer classes, "
            f"received values such as {values[:5].tolist()}"
        )
    return labels
