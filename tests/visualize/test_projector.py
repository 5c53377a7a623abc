"""``project_embeddings``, ``pca`` and ``tsne``: projections against references, and the
self-contained HTML page."""

import re
import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest

from ember.visualize import pca, project_embeddings, tsne
from ember.visualize.projector import _joint_probabilities, _squared_distances


def _clusters(n_per_cluster=40, features=10, distance=12.0, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.zeros((2, features))
    centres[1, 0] = distance
    x = np.concatenate([rng.normal(size=(n_per_cluster, features)) + c for c in centres])
    return x, np.repeat([0, 1], n_per_cluster)


def test_pca_matches_numpy_svd_up_to_sign():
    x = np.random.default_rng(0).normal(size=(30, 6)) @ np.diag([5, 3, 1, 0.5, 0.2, 0.1])
    centred = x - x.mean(axis=0)
    u, s, _ = np.linalg.svd(centred, full_matrices=False)
    reference = u[:, :2] * s[:2]
    coordinates = pca(x)
    for k in range(2):
        sign = np.sign(coordinates[:, k] @ reference[:, k])
        np.testing.assert_allclose(coordinates[:, k], sign * reference[:, k], atol=1e-10)
    assert pca(x, n_components=3).shape == (30, 3)
    with pytest.raises(ValueError, match="n_components between 1 and 6"):
        pca(x, n_components=7)


def test_input_probabilities_have_the_requested_perplexity():
    x, _ = _clusters(20)
    n = len(x)
    p = _joint_probabilities(_squared_distances(x), perplexity=8.0)
    assert p.shape == (n, n)
    np.testing.assert_allclose(p, p.T)
    assert p.sum() == pytest.approx(1.0, abs=1e-6)
    # Recover the conditional rows of one point from scratch and check 2^H = perplexity.
    distances = _squared_distances(x)[0, 1:]
    lo, hi = 1e-8, 1e3
    for _ in range(200):
        beta = np.sqrt(lo * hi)
        row = np.exp(-(distances - distances.min()) * beta)
        row /= row.sum()
        entropy = -(row * np.log(np.maximum(row, 1e-300))).sum()
        lo, hi = (beta, hi) if entropy > np.log(8.0) else (lo, beta)
    assert np.exp(entropy) == pytest.approx(8.0, rel=1e-4)


def test_tsne_separates_two_clusters():
    x, labels = _clusters()
    y = tsne(x, perplexity=15.0, n_iter=300, seed=0)
    assert y.shape == (80, 2) and np.isfinite(y).all()
    distances = _squared_distances(y)
    np.fill_diagonal(distances, np.inf)
    nearest = distances.argmin(axis=1)
    assert np.mean(labels[nearest] == labels) > 0.95
    np.testing.assert_allclose(tsne(x, perplexity=15.0, n_iter=300, seed=0), y)


def test_tsne_argument_errors():
    x, _ = _clusters(5)
    with pytest.raises(ValueError, match=r"perplexity between 0 and the number of points \(10\)"):
        tsne(x, perplexity=30.0)
    with pytest.raises(ValueError, match="positive integer n_iter"):
        tsne(x, perplexity=3.0, n_iter=0)


def test_project_embeddings_writes_a_self_contained_page(tmp_path):
    x, labels = _clusters(25)
    names = np.where(labels == 0, "cat <small>", "dog")
    path = tmp_path / "embeddings.html"
    coordinates = project_embeddings(x, labels=names, method="tsne", path=path,
                                     perplexity=10.0, n_iter=250)
    assert coordinates.shape == (50, 2)
    page = path.read_text(encoding="utf-8")
    assert "http://" not in page and "https://" not in page
    assert "<link" not in page and " src=" not in page
    svg = page[page.index("<svg"):page.index("</svg>") + len("</svg>")]
    circles = ElementTree.fromstring(svg).findall("circle")
    assert len(circles) == 50 == page.count("<circle")
    assert circles[0].find("title").text == "0: cat <small>"  # escaped in the page
    assert "cat &lt;small&gt;" in page
    assert {c.get("data-class") for c in circles[:25]} == {"0"}
    assert {c.get("data-class") for c in circles[25:]} == {"1"}
    assert len(re.findall(r'<li class="legend-item"', page)) == 2
    # The points are drawn where the projection put them (y flipped in SVG).
    xs = np.array([float(c.get("cx")) for c in circles])
    ys = np.array([float(c.get("cy")) for c in circles])
    assert np.corrcoef(xs, coordinates[:, 0])[0, 1] > 0.999
    assert np.corrcoef(ys, coordinates[:, 1])[0, 1] < -0.999


def test_project_embeddings_pca_without_labels_and_without_file(tmp_path):
    x = np.random.default_rng(1).normal(size=(12, 2, 3))  # extra axes are flattened
    np.testing.assert_allclose(project_embeddings(x, path=None), pca(x.reshape(12, 6)))
    path = tmp_path / "sub" / "page.html"
    project_embeddings(x, path=path)
    page = path.read_text()
    assert page.count("<circle") == 12 and page.count('class="legend-item"') == 1


def test_project_embeddings_errors(tmp_path):
    x = np.zeros((4, 3))
    with pytest.raises(ValueError, match="expected 4 labels"):
        project_embeddings(x, labels=[0, 1], path=None)
    with pytest.raises(ValueError, match="method 'pca' or 'tsne'"):
        project_embeddings(x, method="umap", path=None)
    with pytest.raises(ValueError, match=r"shape \(n, features\) with n >= 2"):
        project_embeddings(np.zeros(5), path=None)
