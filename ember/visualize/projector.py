"""An embedding projector without TensorBoard: 2-D projections (PCA, t-SNE) in NumPy,
written as a self-contained HTML scatter plot."""

from __future__ import annotations

import html
import numbers

import numpy as np

from ember.saving.weights_file import atomic_write
from ember.visualize._figure import to_numpy

# Matplotlib's "tab10" then "tab20" light colors: distinct hues for up to 20 classes.
_PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
            "#7f7f7f", "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896",
            "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5")


def project_embeddings(x, labels=None, method: str = "pca", path="embeddings.html",
                       perplexity: float = 30.0, n_iter: int = 500, seed: int = 0):
    """Project vectors to 2-D and write an interactive scatter plot as one HTML file.

    The page needs nothing else (no TensorBoard, no network): the points are inline SVG,
    colored by label, with the row number and label shown on hover, and a legend whose
    entries hide and show their class on click.

    Args:
        x: Vectors ``(n, features)`` (more axes are flattened), e.g. a layer's outputs.
        labels: One label per row (numbers or strings), for colors and the legend.
        method: ``"pca"`` (``pca``: the two directions of largest variance) or ``"tsne"``
            (``tsne``: keeps neighbours together; slower, O(n^2) per step).
        path: Where to write the HTML page; ``None`` writes nothing.
        perplexity: t-SNE's effective number of neighbours of each point.
        n_iter: t-SNE's number of gradient steps.
        seed: Seed of t-SNE's random start, used where the PCA start has no spread
            (fewer features than 2, or identical points).

    Returns:
        The 2-D coordinates, an array ``(n, 2)``.

    Example:
        >>> import numpy as np
        >>> from ember.visualize import project_embeddings
        >>> x = np.random.default_rng(0).normal(size=(50, 8))
        >>> project_embeddings(x, labels=np.arange(50) % 2, path=None).shape
        (50, 2)
    """
    x = _matrix("project_embeddings", x)
    if labels is not None:
        labels = to_numpy(labels).reshape(-1)
        if len(labels) != len(x):
            raise ValueError(
                f"project_embeddings: expected {len(x)} labels (one per row of x), received "
                f"{len(labels)}"
            )
    if method == "pca":
        coordinates = pca(x)
    elif method == "tsne":
        coordinates = tsne(x, perplexity=perplexity, n_iter=n_iter, seed=seed)
    else:
        raise ValueError(
            f"project_embeddings: expected method 'pca' or 'tsne', received {method!r}"
        )
    if path is not None:
        atomic_write(path, _scatter_html(coordinates, labels, method).encode("utf-8"))
    return coordinates


def pca(x, n_components: int = 2) -> np.ndarray:
    """Principal component analysis: the centred rows of ``x`` in the basis of its
    ``n_components`` directions of largest variance.

    With ``X - mean = U S V^T`` (SVD), the result is ``U[:, :k] S[:k]`` (= ``(X - mean)
    V[:k]^T``); each direction's sign is chosen so that its largest coefficient is
    positive, which makes the result deterministic.

    Example:
        >>> import numpy as np
        >>> from ember.visualize import pca
        >>> x = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])
        >>> np.round(pca(x, n_components=1), 4).ravel().tolist()
        [-1.4142, 0.0, 1.4142]
    """
    x = _matrix("pca", x)
    if not 1 <= n_components <= min(x.shape):
        raise ValueError(
            f"pca: expected n_components between 1 and {min(x.shape)} for x of shape "
            f"{x.shape}, received {n_components}"
        )
    centred = x - x.mean(axis=0)
    u, s, vt = np.linalg.svd(centred, full_matrices=False)
    rows = np.arange(len(vt))
    signs = np.sign(vt[rows, np.argmax(np.abs(vt), axis=1)])
    return (u[:, :n_components] * s[:n_components]) * signs[:n_components]


def tsne(x, n_components: int = 2, perplexity: float = 30.0, n_iter: int = 500,
         seed: int = 0, early_exaggeration: float = 12.0) -> np.ndarray:
    """t-distributed stochastic neighbour embedding (van der Maaten and Hinton, 2008),
    exact: O(n^2) time and memory per step, fine up to a few thousand points.

    Neighbourhoods in ``x`` are probabilities ``p_ij = (p_j|i + p_i|j) / 2n`` with
    ``p_j|i`` proportional to ``exp(-|x_i - x_j|^2 / 2 sigma_i^2)``, each ``sigma_i`` found
    by bisection so that ``2^H(P_i) = perplexity``. The embedding ``y`` has
    ``q_ij`` proportional to ``(1 + |y_i - y_j|^2)^-1`` and descends
    ``KL(P || Q)`` with gradient ``4 sum_j (p_ij - q_ij)(y_i - y_j)(1 + |y_i - y_j|^2)^-1``:
    momentum 0.5 and ``P`` multiplied by ``early_exaggeration`` for the first
    ``min(250, n_iter // 2)`` steps, momentum 0.8 after, per-coordinate adaptive gains,
    learning rate ``max(n / early_exaggeration / 4, 50)``, started from the PCA projection
    scaled to a standard deviation of 1e-4 (from a random start drawn with ``seed`` where
    that projection has no spread).

    Example:
        >>> import numpy as np
        >>> from ember.visualize import tsne
        >>> x = np.random.default_rng(0).normal(size=(40, 5))
        >>> tsne(x, perplexity=10.0, n_iter=100).shape
        (40, 2)
    """
    x = _matrix("tsne", x)
    n = len(x)
    if not 0 < perplexity < n:
        raise ValueError(
            f"tsne: expected a perplexity between 0 and the number of points ({n}), "
            f"received {perplexity}"
        )
    if isinstance(n_iter, bool) or not isinstance(n_iter, numbers.Integral) or n_iter < 1:
        raise ValueError(f"tsne: expected a positive integer n_iter, received {n_iter!r}")
    p = _joint_probabilities(_squared_distances(x), perplexity)
    y = pca(x, n_components) if min(x.shape) >= n_components else np.zeros((n, n_components))
    spread = np.std(y[:, 0])
    if spread > 0:
        y *= 1e-4 / spread
    else:
        y = np.random.default_rng(seed).normal(scale=1e-4, size=(n, n_components))
    learning_rate = max(n / early_exaggeration / 4.0, 50.0)
    update = np.zeros_like(y)
    gains = np.ones_like(y)
    exploration = min(250, n_iter // 2)
    # The n x n work runs in float32 in two preallocated buffers: it is memory-bound, and
    # the embedding needs no more precision.
    p = (p * early_exaggeration).astype(np.float32)
    kernel, weights = np.empty((n, n), dtype=np.float32), np.empty((n, n), dtype=np.float32)
    momentum = 0.5
    for step in range(n_iter):
        if step == exploration:
            p /= early_exaggeration
            momentum = 0.8
        points = y.astype(np.float32)
        _student_kernel(points, kernel)
        np.multiply(kernel, np.float32(-1.0 / kernel.sum()), out=weights)
        weights += p  # p_ij - q_ij
        weights *= kernel
        gradient = 4.0 * (weights.sum(axis=1, keepdims=True) * points - weights @ points)
        same_sign = (update * gradient) > 0.0
        gains = np.clip(np.where(same_sign, gains * 0.8, gains + 0.2), 0.01, None)
        update = momentum * update - learning_rate * gains * gradient
        y += update
    return y - y.mean(axis=0)


def _student_kernel(points: np.ndarray, out: np.ndarray) -> None:
    """``out[i, j] = 1 / (1 + |y_i - y_j|^2)``, 0 on the diagonal.

    ``1 + |y_i|^2 + |y_j|^2 - 2 y_i . y_j`` is one matrix product of the rows
    ``[y_i, 1, 1 + |y_i|^2]`` and ``[-2 y_j, |y_j|^2, 1]``.
    """
    squares = np.einsum("ij,ij->i", points, points)[:, None]
    ones = np.ones_like(squares)
    left = np.concatenate([points, ones, squares + 1.0], axis=1)
    right = np.concatenate([-2.0 * points, squares, ones], axis=1)
    np.matmul(left, right.T, out=out)
    np.reciprocal(out, out=out)
    np.fill_diagonal(out, 0.0)


def _matrix(caller: str, x) -> np.ndarray:
    x = to_numpy(x).astype(np.float64)
    if x.ndim < 2 or len(x) < 2:
        raise ValueError(
            f"{caller}: expected x of shape (n, features) with n >= 2, received shape {x.shape}"
        )
    return x.reshape(len(x), -1)


def _squared_distances(x: np.ndarray) -> np.ndarray:
    squares = np.einsum("ij,ij->i", x, x)
    distances = squares[:, None] + squares[None, :] - 2.0 * (x @ x.T)
    np.maximum(distances, 0.0, out=distances)
    np.fill_diagonal(distances, 0.0)
    return distances


def _joint_probabilities(distances: np.ndarray, perplexity: float,
                         tolerance: float = 1e-5, max_steps: int = 200) -> np.ndarray:
    """Symmetric t-SNE input probabilities. The precisions ``beta_i = 1 / 2 sigma_i^2``
    of all rows are bisected together (only the rows not yet within ``tolerance``) until
    each row's entropy is ``log(perplexity)``."""
    n = len(distances)
    rows = np.arange(n)
    # Shifting a row by its smallest distance changes no p_j|i and avoids exp underflow.
    shifted = distances.copy()
    shifted[rows, rows] = np.inf
    shifted -= shifted.min(axis=1, keepdims=True)
    shifted[rows, rows] = 0.0
    beta = (n - 1) / np.maximum(shifted.sum(axis=1), 1e-12)
    low, high = np.zeros(n), np.full(n, np.inf)
    target = np.log(perplexity)
    conditional = np.empty_like(shifted)
    active = rows
    for _ in range(max_steps):
        block = np.exp(-shifted[active] * beta[active, None])
        block[np.arange(len(active)), active] = 0.0
        total = block.sum(axis=1)
        entropy = np.log(total) + beta[active] * (shifted[active] * block).sum(axis=1) / total
        conditional[active] = block / total[:, None]
        excess = entropy - target
        unsettled = np.abs(excess) >= tolerance
        if not unsettled.any():
            break
        active, excess = active[unsettled], excess[unsettled]
        too_flat = excess > 0.0  # entropy too high: narrow the Gaussian (larger beta)
        low[active] = np.where(too_flat, beta[active], low[active])
        high[active] = np.where(too_flat, high[active], beta[active])
        beta[active] = np.where(np.isinf(high[active]), beta[active] * 2.0,
                                (low[active] + high[active]) / 2.0)
    joint = (conditional + conditional.T) / (2.0 * n)
    return np.maximum(joint, 1e-12)


def _scatter_html(coordinates: np.ndarray, labels, method: str) -> str:
    """A page with one SVG ``circle`` per point, a legend and a little script."""
    size, margin = 640.0, 20.0
    low, high = coordinates.min(axis=0), coordinates.max(axis=0)
    scale = (size - 2 * margin) / max(float(np.max(high - low)), 1e-12)
    centre = (low + high) / 2.0
    xs = size / 2 + (coordinates[:, 0] - centre[0]) * scale
    ys = size / 2 - (coordinates[:, 1] - centre[1]) * scale  # SVG's y axis points down
    if labels is None:
        classes, index = ["all"], np.zeros(len(coordinates), dtype=int)
    else:
        values = labels.astype(str) if labels.dtype == object else labels
        unique, index = np.unique(values, return_inverse=True)
        classes = [str(value) for value in unique]
    points = []
    for row, (x, y, k) in enumerate(zip(xs, ys, index)):
        title = f"{row}" if labels is None else f"{row}: {classes[k]}"
        points.append(
            f'<circle cx="{x:.2f}" cy="{y:.2f}" r="4" fill="{_PALETTE[k % len(_PALETTE)]}" '
            f'data-class="{k}"><title>{html.escape(title)}</title></circle>')
    legend = [
        f'<li class="legend-item" data-class="{k}"><span style="background:'
        f'{_PALETTE[k % len(_PALETTE)]}"></span>{html.escape(name)}</li>'
        for k, name in enumerate(classes)]
    title = f"{'t-SNE' if method == 'tsne' else 'PCA'} projection of {len(coordinates)} points"
    return _PAGE.format(title=html.escape(title), size=int(size), points="\n".join(points),
                        legend="\n".join(legend))


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font-family: sans-serif; margin: 16px; display: flex; gap: 24px; }}
svg {{ border: 1px solid #ccc; background: #fff; }}
circle {{ fill-opacity: 0.75; }}
circle:hover {{ stroke: #000; stroke-width: 1.5; fill-opacity: 1; }}
ul {{ list-style: none; padding: 0; }}
.legend-item {{ cursor: pointer; margin: 3px 0; user-select: none; }}
.legend-item span {{ display: inline-block; width: 12px; height: 12px; margin-right: 6px;
  border-radius: 6px; }}
.legend-item.off {{ opacity: 0.35; }}
</style>
</head>
<body>
<div>
<h3>{title}</h3>
<svg width="{size}" height="{size}" viewBox="0 0 {size} {size}">
{points}
</svg>
</div>
<div>
<h3>Labels</h3>
<p>Click a label to hide or show its points.</p>
<ul>
{legend}
</ul>
</div>
<script>
document.querySelectorAll(".legend-item").forEach(function (item) {{
  item.addEventListener("click", function () {{
    var hidden = item.classList.toggle("off");
    var selector = 'circle[data-class="' + item.dataset.class + '"]';
    document.querySelectorAll(selector).forEach(function (point) {{
      point.style.display = hidden ? "none" : "";
    }});
  }});
}});
</script>
</body>
</html>
"""
