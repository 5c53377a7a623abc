"""ember.initializers: fans, statistics on large shapes, orthogonality, delta-orthogonal
structure, seeding, dtypes and the registry."""

import json
import math

import numpy as np
import pytest

import ember
from ember import initializers

TRUNCATED_STD = 0.87962566103423978


@pytest.mark.parametrize("shape, fans", [
    ((), (1, 1)),
    ((7,), (7, 7)),
    ((3, 5), (3, 5)),
    ((5, 4, 3), (20, 15)),
    ((3, 3, 16, 32), (144, 288)),
    ((2, 3, 3, 8, 4), (144, 72)),
])
def test_compute_fans(shape, fans):
    assert initializers.compute_fans(shape) == fans


# (initializer, scale, mode, distribution) of every VarianceScaling variant.
VARIANCE_SCALING = [
    (initializers.GlorotUniform, 1.0, "fan_avg", "uniform"),
    (initializers.GlorotNormal, 1.0, "fan_avg", "truncated_normal"),
    (initializers.HeUniform, 2.0, "fan_in", "uniform"),
    (initializers.HeNormal, 2.0, "fan_in", "truncated_normal"),
    (initializers.LecunUniform, 1.0, "fan_in", "uniform"),
    (initializers.LecunNormal, 1.0, "fan_in", "truncated_normal"),
]


def _expected_std(scale, mode, shape):
    fan_in, fan_out = initializers.compute_fans(shape)
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    return math.sqrt(scale / n)


@pytest.mark.parametrize("cls, scale, mode, distribution", VARIANCE_SCALING)
@pytest.mark.parametrize("shape", [(400, 600), (3, 3, 32, 64)])
def test_named_variance_scaling_statistics(cls, scale, mode, distribution, shape):
    w = cls(seed=1)(shape).numpy().astype(np.float64)
    std = _expected_std(scale, mode, shape)
    assert abs(w.mean()) < 0.02 * std
    assert w.std() == pytest.approx(std, rel=0.02)
    if distribution == "uniform":
        limit = math.sqrt(3.0) * std
        assert np.abs(w).max() <= limit
        assert np.abs(w).max() > 0.99 * limit
    else:
        bound = 2 * std / TRUNCATED_STD
        assert np.abs(w).max() <= bound
        assert np.abs(w).max() > 0.99 * bound


@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
@pytest.mark.parametrize("distribution", ["truncated_normal", "untruncated_normal", "uniform"])
def test_variance_scaling_modes(mode, distribution):
    shape = (300, 700)
    w = initializers.VarianceScaling(3.0, mode, distribution, seed=2)(shape).numpy()
    assert w.astype(np.float64).std() == pytest.approx(_expected_std(3.0, mode, shape),
                                                       rel=0.02)


def test_variance_scaling_normal_means_truncated_and_validates():
    assert initializers.VarianceScaling(distribution="normal").distribution == "truncated_normal"
    with pytest.raises(ValueError, match="scale"):
        initializers.VarianceScaling(scale=0.0)
    with pytest.raises(ValueError, match="mode"):
        initializers.VarianceScaling(mode="fan_middle")
    with pytest.raises(ValueError, match="distribution"):
        initializers.VarianceScaling(distribution="cauchy")


def test_random_normal_and_uniform_statistics():
    w = initializers.RandomNormal(mean=1.0, stddev=0.5, seed=0)((200, 500)).numpy()
    assert w.mean() == pytest.approx(1.0, abs=0.01)
    assert w.std() == pytest.approx(0.5, rel=0.01)
    u = initializers.RandomUniform(minval=-2.0, maxval=4.0, seed=0)((200, 500)).numpy()
    assert u.min() >= -2.0 and u.max() < 4.0
    assert u.mean() == pytest.approx(1.0, abs=0.02)
    assert u.var() == pytest.approx(36 / 12, rel=0.02)


def test_truncated_normal_resamples_beyond_two_stddev():
    w = initializers.TruncatedNormal(mean=3.0, stddev=2.0, seed=0)((200, 500)).numpy()
    assert np.abs(w - 3.0).max() <= 4.0
    assert w.mean() == pytest.approx(3.0, abs=0.02)
    assert w.std() == pytest.approx(2.0 * TRUNCATED_STD, rel=0.01)


def test_keras_defaults():
    assert initializers.RandomNormal().get_config() == {"mean": 0.0, "stddev": 0.05,
                                                         "seed": None}
    assert initializers.RandomUniform().get_config() == {"minval": -0.05, "maxval": 0.05,
                                                          "seed": None}
    assert initializers.TruncatedNormal().stddev == 0.05
    assert initializers.VarianceScaling().get_config() == {
        "scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal", "seed": None}


def test_zeros_ones_constant():
    assert initializers.Zeros()((2, 3)).numpy().tolist() == [[0.0] * 3] * 2
    assert initializers.Ones()((2,)).numpy().tolist() == [1.0, 1.0]
    assert initializers.Zeros()((2,), dtype="int32").dtype == np.int32
    c = initializers.Constant(0.25)((2, 2)).numpy()
    np.testing.assert_array_equal(c, np.full((2, 2), 0.25, dtype=np.float32))
    row = initializers.Constant([1.0, 2.0, 3.0])((2, 3)).numpy()
    np.testing.assert_array_equal(row, [[1, 2, 3], [1, 2, 3]])
    with pytest.raises(ValueError, match="Constant.*broadcasts"):
        initializers.Constant([1.0, 2.0])((2, 3))


def test_identity():
    np.testing.assert_array_equal(initializers.Identity(gain=3.0)((2, 3)).numpy(),
                                  3.0 * np.eye(2, 3))
    with pytest.raises(ValueError, match="Identity.*2-D"):
        initializers.Identity()((2, 2, 2))


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (5, 5), (3, 3, 4, 16), (2, 2, 8, 4)])
def test_orthogonal_is_orthogonal(shape):
    w = initializers.Orthogonal(gain=1.5, seed=0)(shape, dtype="float64").numpy()
    assert w.shape == shape
    flat = w.reshape(-1, shape[-1])
    small = min(flat.shape)
    gram = flat.T @ flat if flat.shape[0] >= flat.shape[1] else flat @ flat.T
    np.testing.assert_allclose(gram, 1.5**2 * np.eye(small), atol=1e-12)


def test_orthogonal_sign_correction_makes_it_haar():
    # Q R with sign(diag R) > 0 is unique; the diagonal of Q then has no sign bias, while
    # plain QR of a Gaussian gives a negative-biased diagonal with LAPACK's Householder.
    diag = np.concatenate([np.diag(initializers.Orthogonal(seed=s)((4, 4), "float64").numpy())
                           for s in range(300)])
    assert abs(diag.mean()) < 0.05


def test_orthogonal_needs_two_dims():
    with pytest.raises(ValueError, match="Orthogonal.*rank >= 2"):
        initializers.Orthogonal()((5,))


@pytest.mark.parametrize("shape, centre", [
    ((3, 3, 4, 8), (1, 1)),
    ((5, 4, 4), (2,)),
    ((4, 4, 2, 6), (1, 1)),
    ((3, 3, 3, 3, 5), (1, 1, 1)),
])
def test_delta_orthogonal_structure(shape, centre):
    w = initializers.DeltaOrthogonal(gain=2.0, seed=0)(shape, dtype="float64").numpy()
    assert w.shape == shape
    c = w[centre]
    np.testing.assert_allclose(c @ c.T, 4.0 * np.eye(shape[-2]), atol=1e-12)
    rest = w.copy()
    rest[centre] = 0.0
    assert not rest.any()


def test_delta_orthogonal_errors():
    with pytest.raises(ValueError, match="DeltaOrthogonal.*in_channels <= out_channels"):
        initializers.DeltaOrthogonal()((3, 3, 8, 4))
    with pytest.raises(ValueError, match="DeltaOrthogonal.*rank >= 3"):
        initializers.DeltaOrthogonal()((4, 4))


def test_int_seed_is_reproducible_and_advances():
    a = initializers.GlorotUniform(seed=7)
    b = initializers.GlorotUniform(seed=7)
    first = a((4, 5)).numpy()
    np.testing.assert_array_equal(first, b((4, 5)).numpy())
    assert not np.array_equal(first, a((4, 5)).numpy())
    np.testing.assert_array_equal(first, a.clone()((4, 5)).numpy())
    assert not np.array_equal(first, initializers.GlorotUniform(seed=8)((4, 5)).numpy())


def test_global_seed_makes_unseeded_initializers_reproducible():
    ember.utils.set_random_seed(123)
    first = initializers.HeNormal()((10, 10)).numpy()
    ember.utils.set_random_seed(123)
    np.testing.assert_array_equal(first, initializers.HeNormal()((10, 10)).numpy())


def test_bad_seed_and_dtype():
    with pytest.raises(ValueError, match="RandomNormal.*seed"):
        initializers.RandomNormal(seed="abc")
    with pytest.raises(ValueError, match="GlorotUniform.*float dtype"):
        initializers.GlorotUniform()((2, 2), dtype="int32")
    with pytest.raises(ValueError, match="Zeros.*shape"):
        initializers.Zeros()((2, -1))


ALL = [
    initializers.Zeros(), initializers.Ones(), initializers.Constant(0.3),
    initializers.RandomNormal(0.1, 0.2, seed=1), initializers.RandomUniform(-1, 1, seed=2),
    initializers.TruncatedNormal(0.0, 0.3, seed=3),
    initializers.VarianceScaling(2.0, "fan_out", "uniform", seed=4),
    initializers.GlorotUniform(seed=5), initializers.GlorotNormal(seed=5),
    initializers.HeUniform(seed=5), initializers.HeNormal(seed=5),
    initializers.LecunUniform(seed=5), initializers.LecunNormal(seed=5),
    initializers.Orthogonal(gain=2.0, seed=6), initializers.Identity(gain=0.5),
    initializers.DeltaOrthogonal(gain=1.0, seed=7),
]


@pytest.mark.parametrize("init", ALL, ids=lambda i: type(i).__name__)
def test_returns_floatx_tensor_without_grad(init):
    shape = (3, 3, 4, 4) if isinstance(init, initializers.DeltaOrthogonal) else (4, 4)
    w = init(shape)
    assert isinstance(w, ember.Tensor)
    assert w.dtype == np.float32 and w.shape == shape and not w.requires_grad
    assert init(shape, dtype="float64").dtype == np.float64


@pytest.mark.parametrize("init", ALL, ids=lambda i: type(i).__name__)
def test_config_round_trip(init):
    config = json.loads(json.dumps(initializers.serialize(init)))  # JSON-safe
    assert config["class_name"] == type(init).__name__
    again = initializers.deserialize(config)
    assert type(again) is type(init)
    assert again.get_config() == init.get_config()
    shape = (3, 3, 4, 4) if isinstance(init, initializers.DeltaOrthogonal) else (4, 4)
    # A seeded initializer rebuilt from its config draws the same first values.
    np.testing.assert_array_equal(again.clone()(shape).numpy(), init.clone()(shape).numpy())


@pytest.mark.parametrize("name, cls", [
    ("glorot_uniform", initializers.GlorotUniform), ("glorot_normal", initializers.GlorotNormal),
    ("he_uniform", initializers.HeUniform), ("he_normal", initializers.HeNormal),
    ("lecun_uniform", initializers.LecunUniform), ("lecun_normal", initializers.LecunNormal),
    ("zeros", initializers.Zeros), ("ones", initializers.Ones),
    ("orthogonal", initializers.Orthogonal), ("identity", initializers.Identity),
    ("random_normal", initializers.RandomNormal), ("random_uniform", initializers.RandomUniform),
    ("truncated_normal", initializers.TruncatedNormal), ("uniform", initializers.RandomUniform),
    ("normal", initializers.RandomNormal), ("constant", initializers.Constant),
    ("variance_scaling", initializers.VarianceScaling),
    ("delta_orthogonal", initializers.DeltaOrthogonal),
    ("GlorotUniform", initializers.GlorotUniform),
    ("OrthogonalInitializer", initializers.Orthogonal),
])
def test_get_by_name(name, cls):
    assert type(initializers.get(name)) is cls


def test_get_passes_objects_and_instantiates_classes():
    init = initializers.HeNormal()
    assert initializers.get(init) is init
    assert type(initializers.get(initializers.Ones)) is initializers.Ones
    assert initializers.get(None) is None


def test_get_unknown_name_suggests_close_match():
    with pytest.raises(ValueError, match="Unknown initializer.*'glorot_uniform'"):
        initializers.get("glorot_unifrom")


def test_variable_uses_initializer_names():
    v = ember.Variable("identity", shape=(3, 3), name="w")
    np.testing.assert_array_equal(v.numpy(), np.eye(3))
