"""The 2-D data sets of the TensorFlow Playground (playground.tensorflow.org, ``dataset.ts``).

Each function returns ``(x, y)``: ``x`` float32 of shape (n_samples, 2) with coordinates
roughly in [-6, 6], and ``y`` int64 labels in {0, 1} for the classification sets (the
playground's -1 is 0 here) or float32 targets of shape (n_samples,) for the regression sets.
``noise`` is on the playground's scale: its slider runs from 0 to 50 %, that is 0.0 to 0.5.
``seed=None`` draws from ember's global generator (fresh randomness unless
``ember.utils.set_random_seed`` was called); an int makes the result reproducible.
Classification sets come shuffled, as the playground shuffles them before splitting.

Example:
    >>> from ember.datasets import toy
    >>> x, y = toy.load("spiral", n_samples=200, noise=0.1, seed=0)
    >>> x.shape, x.dtype, y.shape, y.dtype
    ((200, 2), dtype('float32'), (200,), dtype('int64'))
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Callable

import numpy as np

from ember import backend


def circle(
    n_samples: int = 500, noise: float = 0.0, seed: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Class 1 inside a disc of radius 2.5, class 0 on a ring of radii 3.5 to 5.

    Labels are those of the point displaced by uniform noise in ``[-5, 5] * noise``, so with
    noise some points carry the other class's label.

    Example:
        >>> x, y = circle(100, seed=0)
        >>> bool((np.hypot(x[:, 0], x[:, 1])[y == 1] < 2.5).all())
        True
    """
    rng, n_in, n_out = _setup("circle", n_samples, noise, seed)
    radius = 5.0
    r = np.concatenate(
        [rng.uniform(0, radius * 0.5, n_in), rng.uniform(radius * 0.7, radius, n_out)]
    )
    angle = rng.uniform(0, 2 * math.pi, n_samples)
    x = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)
    noisy = x + rng.uniform(-radius, radius, x.shape) * noise
    y = np.hypot(noisy[:, 0], noisy[:, 1]) < radius * 0.5
    return _classification(rng, x, y)


def xor(
    n_samples: int = 500, noise: float = 0.0, seed: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Class 1 where both coordinates have the same sign, class 0 elsewhere.

    Coordinates are uniform in [-5, 5], pushed 0.3 away from the axes so that the quadrants
    are separated by a margin.

    Example:
        >>> x, y = xor(100, seed=0)
        >>> bool(((x[:, 0] * x[:, 1] > 0) == (y == 1)).all())
        True
    """
    rng, _, _ = _setup("xor", n_samples, noise, seed)
    x = rng.uniform(-5, 5, (n_samples, 2))
    x += np.where(x > 0, 0.3, -0.3)
    noisy = x + rng.uniform(-5, 5, x.shape) * noise
    y = noisy[:, 0] * noisy[:, 1] >= 0
    return _classification(rng, x, y)


def gaussians(
    n_samples: int = 500, noise: float = 0.0, seed: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian blobs: class 1 around (2, 2), class 0 around (-2, -2).

    The variance of each coordinate grows linearly with the noise, from 0.5 at ``noise=0``
    to 4 at ``noise=0.5``.

    Example:
        >>> x, y = gaussians(1000, seed=0)
        >>> np.round(x[y == 1].mean(axis=0)).tolist()
        [2.0, 2.0]
    """
    rng, n_pos, n_neg = _setup("gaussians", n_samples, noise, seed)
    std = math.sqrt(0.5 + 7.0 * noise)
    centers = np.repeat(np.array([[2.0, 2.0], [-2.0, -2.0]]), [n_pos, n_neg], axis=0)
    x = centers + rng.normal(0.0, std, (n_samples, 2))
    y = np.arange(n_samples) < n_pos
    return _classification(rng, x, y)


def spiral(
    n_samples: int = 500, noise: float = 0.0, seed: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals of 1.75 turns and radius 5, half a turn apart.

    Point i of a spiral of m points sits at radius ``5 i / m`` and angle ``3.5 pi i / m``
    (plus pi for class 0), moved by uniform noise in ``[-1, 1] * noise``.

    Example:
        >>> x, y = spiral(100, seed=0)
        >>> float(np.abs(x).max()) <= 5.0
        True
    """
    rng, n_pos, n_neg = _setup("spiral", n_samples, noise, seed)
    parts = []
    for count, delta in ((n_pos, 0.0), (n_neg, math.pi)):
        t = np.arange(count) / max(count, 1)
        angle = 1.75 * t * 2 * math.pi + delta
        parts.append(5.0 * t[:, None] * np.stack([np.sin(angle), np.cos(angle)], axis=1))
    x = np.concatenate(parts) + rng.uniform(-1, 1, (n_samples, 2)) * noise
    y = np.arange(n_samples) < n_pos
    return _classification(rng, x, y)


def reg_plane(
    n_samples: int = 500, noise: float = 0.0, seed: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Regression on a plane: target ``(x0 + x1) / 10``, for x uniform in [-6, 6]^2.

    The target is computed at the point displaced by uniform noise in ``[-6, 6] * noise``.

    Example:
        >>> x, y = reg_plane(100, seed=0)
        >>> bool(np.allclose(y, x.sum(axis=1) / 10, atol=1e-6))
        True
    """
    rng, _, _ = _setup("reg_plane", n_samples, noise, seed)
    x = rng.uniform(-6, 6, (n_samples, 2))
    noisy = x + rng.uniform(-6, 6, x.shape) * noise
    return x.astype(np.float32), (noisy.sum(axis=1) / 10).astype(np.float32)


def reg_gauss(
    n_samples: int = 500, noise: float = 0.0, seed: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Regression on six bumps of alternating sign centred at (-4|0|4, +-2.5).

    Each bump is ``sign * max(0, 1 - d / 2)`` for the distance d to its centre; the target is
    the bump of largest magnitude, taken at the point displaced by ``[-6, 6] * noise``.

    Example:
        >>> x, y = reg_gauss(100, seed=0)
        >>> bool((np.abs(y) <= 1).all())
        True
    """
    rng, _, _ = _setup("reg_gauss", n_samples, noise, seed)
    x = rng.uniform(-6, 6, (n_samples, 2))
    noisy = x + rng.uniform(-6, 6, x.shape) * noise
    centers = np.array([[-4, 2.5], [0, 2.5], [4, 2.5], [-4, -2.5], [0, -2.5], [4, -2.5]])
    signs = np.array([1.0, -1.0, 1.0, -1.0, 1.0, -1.0])
    distance = np.linalg.norm(noisy[:, None, :] - centers[None], axis=-1)
    bumps = signs * np.clip(1.0 - distance / 2.0, 0.0, 1.0)
    strongest = np.abs(bumps).argmax(axis=1)
    y = bumps[np.arange(n_samples), strongest]
    return x.astype(np.float32), y.astype(np.float32)


DATASETS: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {
    "circle": circle,
    "xor": xor,
    "gaussian": gaussians,
    "spiral": spiral,
    "reg-plane": reg_plane,
    "reg-gauss": reg_gauss,
}


def load(name: str, **kwargs) -> tuple[np.ndarray, np.ndarray]:
    """Generate the data set called ``name`` (a key of ``DATASETS``, the playground's names).

    Underscores are accepted for dashes (``"reg_plane"``); ``kwargs`` go to the generator.

    Example:
        >>> x, y = load("circle", n_samples=10, seed=1)
        >>> x.shape
        (10, 2)
    """
    key = name.replace("_", "-") if isinstance(name, str) else name
    if key not in DATASETS:
        raise ValueError(f"toy.load: expected a name in {sorted(DATASETS)}, received name={name!r}")
    return DATASETS[key](**kwargs)


def _setup(
    who: str, n_samples: int, noise: float, seed: int | None
) -> tuple[np.random.Generator, int, int]:
    """Validate the common arguments; return a generator and the two class sizes."""
    try:
        if isinstance(n_samples, bool):
            raise TypeError
        n = operator.index(n_samples)
    except TypeError:
        n = -1
    if n < 1:
        raise ValueError(
            f"toy.{who}: expected n_samples to be a positive integer, "
            f"received n_samples={n_samples!r}"
        )
    if (
        isinstance(noise, bool)
        or not isinstance(noise, numbers.Real)
        or not (math.isfinite(noise) and noise >= 0)
    ):
        raise ValueError(
            f"toy.{who}: expected noise to be a number >= 0 (the playground uses 0 to 0.5), "
            f"received noise={noise!r}"
        )
    rng = backend.rng() if seed is None else np.random.default_rng(seed)
    return rng, n - n // 2, n // 2


def _classification(
    rng: np.random.Generator, x: np.ndarray, positive: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(len(x))
    return x[order].astype(np.float32), positive[order].astype(np.int64)
