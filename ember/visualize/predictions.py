"""``plot_predictions``: images with the classes a model gives them."""

from __future__ import annotations

import math

import numpy as np

from ember.visualize._figure import new_figure, save_figure, to_numpy


def plot_predictions(images, probabilities, labels=None, class_names=None, path=None,
                     top: int = 3):
    """Show each image with its ``top`` most probable classes and their probabilities;
    with ``labels``, the true class is the title, green when the most probable class is
    right and red when it is wrong.

    Args:
        images: ``(n, height, width)``, ``(n, height, width, 1 or 3)``, or flat square
            images ``(n, height * width)``; any range (gray images are scaled to theirs,
            color ones above 1 are taken as 0-255).
        probabilities: Class probabilities (or scores) ``(n, classes)``, e.g. from
            ``model.predict``.
        labels: True classes, integers ``(n,)`` or one-hot ``(n, classes)``.
        class_names: Names of the classes, in order; default: the class numbers.
        path: When given, the figure is written there (``.png``, ``.svg``, ``.pdf``).
        top: How many classes to list under each image.

    Returns:
        The matplotlib ``Figure``.

    Example:
        >>> import numpy as np
        >>> from ember.visualize import plot_predictions
        >>> images = np.random.default_rng(0).random((2, 8, 8))
        >>> probabilities = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
        >>> figure = plot_predictions(images, probabilities, labels=[0, 1],
        ...                           class_names=["cat", "dog", "bird"])
        >>> figure.axes[1].get_xlabel().splitlines()[0]
        'bird 0.60'
    """
    images = _images(to_numpy(images))
    probabilities = to_numpy(probabilities).astype(np.float64)
    n = len(images)
    if probabilities.ndim != 2 or len(probabilities) != n:
        raise ValueError(
            f"plot_predictions: expected probabilities of shape ({n}, classes) for {n} "
            f"images, received shape {probabilities.shape}"
        )
    n_classes = probabilities.shape[1]
    names = [str(i) for i in range(n_classes)] if class_names is None else [
        str(name) for name in class_names]
    if len(names) != n_classes:
        raise ValueError(
            f"plot_predictions: expected {n_classes} class_names (one per column of "
            f"probabilities), received {len(names)}"
        )
    if labels is not None:
        labels = to_numpy(labels)
        labels = labels.argmax(axis=1) if labels.ndim == 2 else labels.reshape(-1)
        if len(labels) != n or labels.min() < 0 or labels.max() >= n_classes:
            raise ValueError(
                f"plot_predictions: expected {n} labels (one per image) among classes 0 to "
                f"{n_classes - 1}, received {len(labels)} from {labels.min()} to "
                f"{labels.max()}"
            )
    top = min(top, n_classes)
    ranked = np.argsort(-probabilities, axis=1, kind="stable")[:, :top]
    columns = min(n, 5)
    rows = math.ceil(n / columns)
    figure = new_figure("plot_predictions", 2.2 * columns, (2.4 + 0.2 * top) * rows)
    for i, image in enumerate(images):
        axes = figure.add_subplot(rows, columns, i + 1)
        axes.imshow(image, cmap="gray" if image.ndim == 2 else None,
                    interpolation="nearest")
        axes.set_xticks([])
        axes.set_yticks([])
        axes.set_xlabel("\n".join(f"{names[c]} {probabilities[i, c]:.2f}" for c in ranked[i]),
                        fontsize=8)
        if labels is not None:
            right = ranked[i, 0] == labels[i]
            axes.set_title(f"true: {names[int(labels[i])]}", fontsize=9,
                           color="tab:green" if right else "tab:red")
    if path is not None:
        save_figure("plot_predictions", figure, path)
    return figure


def _images(images: np.ndarray) -> np.ndarray:
    """``(n, h, w)`` gray or ``(n, h, w, 3)`` color images ready for ``imshow``."""
    if images.ndim == 2:
        side = math.isqrt(images.shape[1])
        if side * side == images.shape[1]:
            images = images.reshape(len(images), side, side)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim == 4 and images.shape[-1] == 3:
        images = images.astype(np.float64)
        if images.max(initial=0.0) > 1.0:
            images = images / 255.0
        return np.clip(images, 0.0, 1.0)
    if images.ndim != 3:
        raise ValueError(
            "plot_predictions: expected images (n, height, width), (n, height, width, 1 or 3)"
            f" or flat square images (n, height * width), received shape {images.shape}"
        )
    return images
