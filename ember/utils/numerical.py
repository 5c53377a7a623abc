"""NumPy-level helpers with Keras's names and semantics: one-hot labels, normalization, splits."""

from __future__ import annotations

import numbers

import numpy as np

from ember import backend


def to_categorical(x, num_classes: int | None = None) -> np.ndarray:
    """Convert a vector (or array) of class indices to one-hot rows, as ``keras.utils``.

    A trailing axis of size 1 is dropped first (labels of shape (n, 1) give (n, num_classes)),
    then a new last axis of size ``num_classes`` is appended. ``num_classes`` defaults to the
    largest label plus one. The result is float32.

    Example:
        >>> to_categorical([0, 2, 1])
        array([[1., 0., 0.],
               [0., 0., 1.],
               [0., 1., 0.]], dtype=float32)
    """
    labels = np.asarray(x)
    if labels.dtype.kind == "f":
        if not (np.isfinite(labels).all() and (labels == np.round(labels)).all()):
            raise ValueError(
                "to_categorical: expected integer class indices, received non-integer values "
                f"in an array of dtype {labels.dtype}"
            )
    elif labels.dtype.kind not in "biu":
        raise ValueError(
            f"to_categorical: expected integer class indices, received dtype {labels.dtype}"
        )
    labels = labels.astype(np.int64)
    shape = labels.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    flat = labels.reshape(-1)
    if not num_classes:  # None (and 0, as in Keras) means: infer from the labels
        if flat.size == 0:
            raise ValueError(
                "to_categorical: expected num_classes for an empty label array, received None"
            )
        num_classes = int(flat.max()) + 1
    elif isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral):
        raise ValueError(
            f"to_categorical: expected num_classes to be a positive integer, "
            f"received num_classes={num_classes!r}"
        )
    num_classes = int(num_classes)
    if num_classes < 1:
        raise ValueError(
            f"to_categorical: expected num_classes >= 1, received num_classes={num_classes}"
        )
    if flat.size and (flat.min() < 0 or flat.max() >= num_classes):
        raise ValueError(
            f"to_categorical: expected class indices in [0, {num_classes - 1}], received "
            f"values from {int(flat.min())} to {int(flat.max())}"
        )
    categorical = np.zeros((flat.size, num_classes), dtype=np.float32)
    categorical[np.arange(flat.size), flat] = 1.0
    return categorical.reshape(shape + (num_classes,))


def normalize(x, axis: int = -1, order: int | float = 2) -> np.ndarray:
    """Divide ``x`` by its ``order``-norm along ``axis``, as ``keras.utils.normalize``.

    Slices whose norm is zero are left unchanged (all zeros) instead of becoming NaN. A float
    array keeps its dtype; an integer array gives float32.

    Example:
        >>> normalize(np.array([[3.0, 4.0], [0.0, 0.0]]))
        array([[0.6, 0.8],
               [0. , 0. ]])
    """
    x = np.asarray(x)
    if x.dtype.kind not in "fc":
        x = x.astype(np.float32)
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise ValueError(f"normalize: expected an integer axis, received axis={axis!r}")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(
            f"normalize: expected axis in [{-x.ndim}, {x.ndim - 1}] for an input of shape "
            f"{x.shape}, received axis={axis}"
        )
    norm = np.linalg.norm(x, ord=order, axis=int(axis), keepdims=True)
    norm[norm == 0] = 1
    return (x / norm).astype(x.dtype, copy=False)


def split_dataset(
    dataset,
    left_size: int | float | None = None,
    right_size: int | float | None = None,
    shuffle: bool = False,
    seed: int | None = None,
):
    """Split an array, or a tuple/list of arrays of equal length, into a left and right part.

    As ``keras.utils.split_dataset`` but on NumPy arrays instead of ``tf.data``: a float size
    is a fraction in (0, 1) (rounded to a count), an int size a count in (0, n); ``None`` is
    the complement of the other size. When both are given and sum to less than the data, the
    left part is taken from the start and the right part from the end. With ``shuffle`` the
    samples are permuted first (``seed`` makes it reproducible). Returns two arrays for an
    array, two tuples of arrays for a tuple or list.

    Example:
        >>> x, y = np.arange(10).reshape(5, 2), np.arange(5)
        >>> (x_left, y_left), (x_right, y_right) = split_dataset((x, y), left_size=0.6)
        >>> y_left.tolist(), y_right.tolist()
        ([0, 1, 2], [3, 4])
    """
    arrays, single = _as_arrays(dataset)
    total = len(arrays[0])
    left, right = _split_sizes(left_size, right_size, total)
    if shuffle:
        rng = backend.rng() if seed is None else np.random.default_rng(seed)
        order = rng.permutation(total)
    else:
        order = np.arange(total)
    left_index, right_index = order[:left], order[total - right :]
    if single:
        return arrays[0][left_index], arrays[0][right_index]
    return (
        tuple(a[left_index] for a in arrays),
        tuple(a[right_index] for a in arrays),
    )


def _as_arrays(dataset) -> tuple[list[np.ndarray], bool]:
    if isinstance(dataset, np.ndarray):
        if dataset.ndim == 0:
            raise ValueError(
                "split_dataset: expected an array with a sample axis, received a 0-d array"
            )
        return [dataset], True
    if not isinstance(dataset, (tuple, list)):
        raise TypeError(
            "split_dataset: expected a NumPy array or a tuple/list of arrays, received "
            f"dataset of type {type(dataset).__name__}"
        )
    if len(dataset) == 0:
        raise ValueError("split_dataset: expected a non-empty tuple/list of arrays, received []")
    arrays = [np.asarray(a) for a in dataset]
    lengths = [a.shape[0] if a.ndim else None for a in arrays]
    if len(set(lengths)) != 1 or lengths[0] is None:
        shapes = [a.shape for a in arrays]
        raise ValueError(
            f"split_dataset: expected arrays with the same number of samples, received shapes "
            f"{shapes}"
        )
    return arrays, False


def _split_sizes(left_size, right_size, total: int) -> tuple[int, int]:
    """Keras's rules for ``left_size`` / ``right_size``, resolved to two counts."""
    if left_size is None and right_size is None:
        raise ValueError(
            "split_dataset: expected left_size or right_size, received left_size=None and "
            "right_size=None"
        )
    counts, fractions = {}, []
    for side, size in (("left", left_size), ("right", right_size)):
        if size is None:
            continue
        if isinstance(size, bool) or not isinstance(size, numbers.Real):
            raise TypeError(
                f"split_dataset: expected {side}_size to be an int, a float or None, received "
                f"{side}_size={size!r} of type {type(size).__name__}"
            )
        if isinstance(size, numbers.Integral):
            if not 0 < size < total:
                raise ValueError(
                    f"split_dataset: expected an integer {side}_size in (0, {total}) for "
                    f"{total} samples, received {side}_size={size}"
                )
            counts[side] = int(size)
        else:
            if not 0 < size < 1:
                raise ValueError(
                    f"split_dataset: expected a float {side}_size in (0, 1), received "
                    f"{side}_size={size}"
                )
            counts[side] = round(size * total)
            fractions.append(size)
    if len(fractions) == 2 and sum(fractions) > 1:
        raise ValueError(
            "split_dataset: expected left_size + right_size <= 1, received "
            f"{left_size} + {right_size}"
        )
    left = counts.get("left", total - counts.get("right", 0))
    right = counts.get("right", total - left)
    if left + right > total:
        raise ValueError(
            f"split_dataset: expected left_size + right_size <= {total} samples, received "
            f"{left} + {right}"
        )
    if left == 0 or right == 0:
        raise ValueError(
            "split_dataset: expected two non-empty splits, received "
            f"left_size={left_size} and right_size={right_size}, which leave the "
            f"{'left' if left == 0 else 'right'} split empty for {total} samples"
        )
    return left, right
