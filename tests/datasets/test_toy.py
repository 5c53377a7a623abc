"""The TensorFlow Playground 2-D data sets."""

import numpy as np
import pytest

from ember import backend
from ember.datasets import toy

CLASSIFICATION = [toy.circle, toy.xor, toy.gaussians, toy.spiral]
REGRESSION = [toy.reg_plane, toy.reg_gauss]


@pytest.mark.parametrize("make", CLASSIFICATION + REGRESSION, ids=lambda f: f.__name__)
@pytest.mark.parametrize("n", [1, 7, 500])
def test_shapes_and_dtypes(make, n):
    x, y = make(n, noise=0.2, seed=0)
    assert x.shape == (n, 2) and x.dtype == np.float32
    assert y.shape == (n,)
    assert y.dtype == (np.int64 if make in CLASSIFICATION else np.float32)
    assert np.isfinite(x).all() and np.isfinite(y).all()


@pytest.mark.parametrize("make", CLASSIFICATION + REGRESSION, ids=lambda f: f.__name__)
def test_seeds(make):
    x1, y1 = make(100, noise=0.3, seed=42)
    x2, y2 = make(100, noise=0.3, seed=42)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    x3, _ = make(100, noise=0.3, seed=43)
    x4, _ = make(100, noise=0.3)
    x5, _ = make(100, noise=0.3)
    assert not np.array_equal(x1, x3)
    assert not np.array_equal(x4, x5)  # seed=None: fresh randomness


def test_seed_none_follows_the_global_seed(monkeypatch):
    monkeypatch.setitem(backend._state, "rng", backend.rng())
    backend.set_seed(5)
    x1, _ = toy.spiral(50, noise=0.5)
    backend.set_seed(5)
    x2, _ = toy.spiral(50, noise=0.5)
    np.testing.assert_array_equal(x1, x2)


@pytest.mark.parametrize("make", CLASSIFICATION, ids=lambda f: f.__name__)
def test_classes_are_balanced_and_shuffled(make):
    _, y = make(501, seed=3)
    assert set(np.unique(y).tolist()) <= {0, 1}
    counts = np.bincount(y, minlength=2)
    if make is toy.xor:  # labels follow the quadrant of uniform points: balanced on average
        assert abs(counts[1] - counts[0]) < 100
    else:
        assert counts.tolist() == [250, 251]
    assert 0 < np.abs(np.diff(y)).sum() < 500  # shuffled, not two sorted blocks


def test_circle_separates_by_radius():
    x, y = toy.circle(1000, seed=0)
    r = np.hypot(x[:, 0], x[:, 1])
    assert r[y == 1].max() <= 2.5 and r[y == 0].min() >= 3.5 and r.max() <= 5.0
    # With noise some labels come from displaced points, so a few cross the boundary.
    x, y = toy.circle(1000, noise=0.5, seed=0)
    r = np.hypot(x[:, 0], x[:, 1])
    flipped = ((r < 2.5) & (y == 0)) | ((r > 3.5) & (y == 1))
    assert 0 < flipped.mean() < 0.5


def test_xor_labels_follow_quadrants_with_a_margin():
    x, y = toy.xor(1000, seed=0)
    np.testing.assert_array_equal(y, (x[:, 0] * x[:, 1] > 0).astype(np.int64))
    assert np.abs(x).min() >= 0.3 - 1e-6 and np.abs(x).max() <= 5.3 + 1e-6


def test_gaussians_centres_and_spread():
    x, y = toy.gaussians(4000, seed=0)
    np.testing.assert_allclose(x[y == 1].mean(axis=0), [2, 2], atol=0.1)
    np.testing.assert_allclose(x[y == 0].mean(axis=0), [-2, -2], atol=0.1)
    np.testing.assert_allclose(x[y == 1].var(axis=0), [0.5, 0.5], rtol=0.1)
    x, y = toy.gaussians(4000, noise=0.5, seed=0)
    np.testing.assert_allclose(x[y == 1].var(axis=0), [4, 4], rtol=0.1)


def test_spiral_radius_and_angle():
    x, y = toy.spiral(400, seed=0)
    for label, delta in ((1, 0.0), (0, np.pi)):
        points = x[y == label]
        r = np.hypot(points[:, 0], points[:, 1])
        order = np.argsort(r)
        r, points = r[order], points[order]
        np.testing.assert_allclose(r, 5 * np.arange(200) / 200, atol=1e-5)
        t = 1.75 * 2 * np.pi * np.arange(200) / 200 + delta
        np.testing.assert_allclose(points[1:, 0], (r * np.sin(t))[1:], atol=1e-5)
        np.testing.assert_allclose(points[1:, 1], (r * np.cos(t))[1:], atol=1e-5)


def test_reg_plane_targets():
    x, y = toy.reg_plane(300, seed=0)
    np.testing.assert_allclose(y, x.sum(axis=1) / 10, atol=1e-6)
    assert np.abs(x).max() <= 6
    _, y_noisy = toy.reg_plane(300, noise=0.5, seed=0)
    assert not np.allclose(y_noisy, y)


def playground_gauss_target(points):
    """The playground's regressGaussian label, written out independently."""
    centers = np.array([[-4, 2.5], [0, 2.5], [4, 2.5], [-4, -2.5], [0, -2.5], [4, -2.5]])
    signs = np.array([1, -1, 1, -1, 1, -1])
    d = np.linalg.norm(points[:, None].astype(np.float64) - centers, axis=-1)
    bumps = signs * np.clip(1 - d / 2, 0, 1)
    return bumps[np.arange(len(points)), np.abs(bumps).argmax(axis=1)]


def test_reg_gauss_targets():
    grid = np.array([[-4, 2.5], [0, 2.5], [4, -2.5], [1, 2.5], [0, 0], [-6, 6]])
    np.testing.assert_allclose(playground_gauss_target(grid), [1, -1, -1, -0.5, 0, 0])
    x, y = toy.reg_gauss(2000, seed=1)
    np.testing.assert_allclose(y, playground_gauss_target(x), atol=1e-5)
    assert np.abs(y).max() <= 1 and y.max() > 0.9 and y.min() < -0.9
    _, y_noisy = toy.reg_gauss(2000, noise=0.5, seed=1)
    assert not np.allclose(y_noisy, y)


def test_load_dispatches_by_name():
    names = {
        "circle": toy.circle,
        "xor": toy.xor,
        "gaussian": toy.gaussians,
        "spiral": toy.spiral,
        "reg-plane": toy.reg_plane,
        "reg_gauss": toy.reg_gauss,  # underscores are accepted too
    }
    for name, make in names.items():
        x, y = toy.load(name, n_samples=20, noise=0.1, seed=9)
        x2, y2 = make(20, 0.1, 9)
        np.testing.assert_array_equal(x, x2)
        np.testing.assert_array_equal(y, y2)
    with pytest.raises(ValueError, match=r"toy.load: expected a name in \['circle', .*received"):
        toy.load("moons")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_samples": 0}, "n_samples to be a positive integer, received n_samples=0"),
        ({"n_samples": 2.5}, "received n_samples=2.5"),
        ({"n_samples": True}, "received n_samples=True"),
        ({"noise": -0.1}, "expected noise to be a number >= 0"),
        ({"noise": float("nan")}, "received noise=nan"),
        ({"noise": "0.1"}, "received noise='0.1'"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match) as info:
        toy.circle(**kwargs)
    assert str(info.value).startswith("toy.circle: expected ")
