"""``plot_filters``: a layer's kernel as images, one per unit or filter."""

from __future__ import annotations

import math

import numpy as np

from ember.visualize._figure import new_figure, save_figure, to_numpy


def plot_filters(layer, path=None, image_shape=None):
    """Show the kernel of a first layer as one image per unit or filter, each scaled to
    its own range (darkest: its smallest weight, brightest: its largest).

    A unit of a ``Dense`` layer on images weighs every pixel: its weights reshaped to the
    image are the pattern it responds to most (a "matched filter": the input of given norm
    that maximizes ``w . x`` is ``x`` proportional to ``w``). A ``Dense`` kernel
    ``(784, units)`` gives ``units`` images of 28x28; a ``Conv2D`` kernel
    ``(kh, kw, in, out)`` gives ``out`` images of ``kh`` x ``kw`` (in color when ``in`` is 3,
    the input channels side by side otherwise); a ``Conv1D`` kernel ``(k, in, out)`` gives
    ``out`` images of ``in`` x ``k``.

    Args:
        layer: A layer with a ``kernel`` weight, or a kernel array.
        path: When given, the figure is written there (``.png``, ``.svg``, ``.pdf``).
        image_shape: The shape of the image a ``Dense`` kernel reads, ``(height, width)``
            or ``(height, width, 3)``; default: a square, gray or color, that the number of
            inputs fits.

    Returns:
        The matplotlib ``Figure`` (the images are tiled into one picture).

    Example:
        >>> import numpy as np
        >>> from ember.visualize import plot_filters
        >>> figure = plot_filters(np.random.default_rng(0).normal(size=(784, 16)))
        >>> figure.axes[0].images[0].get_array().shape  # 4 x 4 tiles of 28 x 28, 1 apart
        (115, 115)
    """
    kernel = to_numpy(getattr(layer, "kernel", layer))
    if kernel.dtype.kind not in "fiu":
        raise TypeError(
            "plot_filters: expected a layer with a kernel (Dense, Conv2D) or a kernel array, "
            f"received {type(layer).__name__}"
        )
    name = getattr(layer, "name", "kernel")
    kernel = kernel.astype(np.float64)
    tiles = _tiles(kernel, name, image_shape)
    low = np.nanmin(tiles, axis=tuple(range(1, tiles.ndim)), keepdims=True)
    high = np.nanmax(tiles, axis=tuple(range(1, tiles.ndim)), keepdims=True)
    tiles = (tiles - low) / np.where(high > low, high - low, 1.0)
    picture = _mosaic(tiles)
    height, width = picture.shape[:2]
    scale = 8.0 / max(height, width)
    figure = new_figure("plot_filters", max(2.5, width * scale), max(2.0, height * scale + 0.4))
    axes = figure.add_subplot()
    import matplotlib

    colormap = matplotlib.colormaps["gray"].with_extremes(bad="white")
    axes.imshow(picture, cmap=colormap, vmin=0.0, vmax=1.0, interpolation="nearest")
    axes.set_axis_off()
    axes.set_title(f"{name}: {len(tiles)} filters, kernel {tuple(kernel.shape)}")
    if path is not None:
        save_figure("plot_filters", figure, path)
    return figure


def _tiles(kernel: np.ndarray, name: str, image_shape) -> np.ndarray:
    """The images ``(n, h, w)`` or ``(n, h, w, 3)`` of a kernel; NaN marks gaps."""
    if kernel.ndim == 2:
        inputs, units = kernel.shape
        shape = tuple(image_shape) if image_shape is not None else _square_image(inputs)
        if shape is None or math.prod(shape) != inputs or len(shape) not in (2, 3) or (
                len(shape) == 3 and shape[-1] != 3):
            raise ValueError(
                f"plot_filters: expected image_shape (height, width) or (height, width, 3) "
                f"holding the {inputs} inputs of '{name}', received image_shape={image_shape}"
            )
        return kernel.T.reshape((units, *shape))
    if kernel.ndim == 3:  # Conv1D (k, in, out): one (in, k) image per filter
        return np.transpose(kernel, (2, 1, 0))
    if kernel.ndim == 4:
        filters = np.moveaxis(kernel, -1, 0)  # (out, kh, kw, in)
        channels = filters.shape[-1]
        if channels == 3:
            return filters
        if channels == 1:
            return filters[..., 0]
        # Input channels side by side, one NaN column apart: (out, kh, in * (kw + 1) - 1).
        gap = np.full(filters.shape[:2] + (1, channels), np.nan)
        padded = np.concatenate([filters, gap], axis=2)
        side = np.transpose(padded, (0, 1, 3, 2)).reshape(filters.shape[0], filters.shape[1],
                                                          -1)
        return side[:, :, :-1]
    raise ValueError(
        f"plot_filters: expected a kernel of rank 2 (Dense), 3 (Conv1D) or 4 (Conv2D) in "
        f"'{name}', received shape {tuple(kernel.shape)}"
    )


def _square_image(inputs: int):
    side = math.isqrt(inputs)
    if side * side == inputs:
        return side, side
    side = math.isqrt(inputs // 3)
    if inputs % 3 == 0 and side * side * 3 == inputs:
        return side, side, 3
    return None


def _mosaic(tiles: np.ndarray) -> np.ndarray:
    """The tiles in a near-square grid, one pixel apart (NaN, or transparent in color)."""
    n, height, width = tiles.shape[:3]
    columns = math.ceil(math.sqrt(n))
    rows = math.ceil(n / columns)
    if tiles.ndim == 4:
        # RGBA: the tiles opaque, the gaps (zeros, alpha 0) transparent.
        tiles = np.concatenate([tiles, np.ones(tiles.shape[:3] + (1,))], axis=-1)
    gap = 0.0 if tiles.ndim == 4 else np.nan
    grid = np.full((rows * columns, height + 1, width + 1) + tiles.shape[3:], gap)
    grid[:n, :height, :width] = tiles
    grid = grid.reshape((rows, columns) + grid.shape[1:]).swapaxes(1, 2)
    picture = grid.reshape((rows * (height + 1), columns * (width + 1)) + tiles.shape[3:])
    return picture[:-1, :-1]
