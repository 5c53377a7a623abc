"""ember.random: seeding semantics (int, SeedGenerator, global), dtypes and distributions."""

import numpy as np
import pytest

from ember import random
from ember.autograd.tensor import Tensor
from ember.utils.seed import set_random_seed

N = 200_000


def test_default_dtype_shape_and_tensor_type():
    for sample in (random.normal((2, 3)), random.uniform((2, 3)),
                   random.truncated_normal((2, 3)), random.gamma((2, 3), 2.0),
                   random.beta((2, 3), 2.0, 3.0), random.binomial((2, 3), 5, 0.5)):
        assert isinstance(sample, Tensor) and not sample.requires_grad
        assert sample.shape == (2, 3) and sample.dtype == np.float32
    assert random.normal(4, dtype="float64").dtype == np.float64
    assert random.randint((5,), 0, 3).dtype == np.int32


def test_int_seed_repeats_seed_generator_advances():
    a = random.normal((5,), seed=7)
    assert np.array_equal(a.numpy(), random.normal((5,), seed=7).numpy())
    assert not np.array_equal(a.numpy(), random.normal((5,), seed=8).numpy())

    gen = random.SeedGenerator(seed=7)
    first, second = random.uniform((5,), seed=gen), random.uniform((5,), seed=gen)
    assert not np.array_equal(first.numpy(), second.numpy())
    again = random.SeedGenerator(seed=7)
    assert np.array_equal(first.numpy(), random.uniform((5,), seed=again).numpy())
    assert np.array_equal(second.numpy(), random.uniform((5,), seed=again).numpy())


def test_global_generator_reproducible_after_set_random_seed():
    set_random_seed(3)
    a, b = random.normal((4,)), random.normal((4,))
    gen_seed = random.SeedGenerator().get_config()["seed"]
    assert not np.array_equal(a.numpy(), b.numpy())
    set_random_seed(3)
    assert np.array_equal(a.numpy(), random.normal((4,)).numpy())
    assert np.array_equal(b.numpy(), random.normal((4,)).numpy())
    assert random.SeedGenerator().get_config()["seed"] == gen_seed


def test_seed_generator_state_and_config():
    gen = random.SeedGenerator(seed=5)
    assert gen.state.numpy().tolist() == [5, 0] and not gen.state.trainable
    assert gen.next().numpy().tolist() == [5, 0]
    assert gen.next().numpy().tolist() == [5, 1]
    assert gen.state.numpy().tolist() == [5, 2]
    gen.next(ordered=False)
    assert gen.state.numpy().tolist() == [(5 + 1) * 5387 % 933199, (2 + 1) * 5387 % 933199]
    clone = random.SeedGenerator.from_config(gen.get_config())
    assert clone.state.numpy().tolist() == [5, 0]
    with pytest.raises(ValueError, match="SeedGenerator: expected seed to be an int or None, "
                                         "received seed=1.5"):
        random.SeedGenerator(1.5)
    with pytest.raises(ValueError, match="normal: expected seed to be None, an int or a "
                                         "SeedGenerator, received seed='x'"):
        random.normal((2,), seed="x")


def test_normal_and_uniform_moments():
    x = random.normal((N,), mean=2.0, stddev=3.0, seed=0).numpy()
    assert abs(x.mean() - 2.0) < 0.03 and abs(x.std() - 3.0) < 0.03
    u = random.uniform((N,), minval=-1.0, maxval=3.0, seed=0).numpy()
    assert u.min() >= -1.0 and u.max() < 3.0 and abs(u.mean() - 1.0) < 0.02
    with pytest.raises(ValueError, match="uniform: expected a floating point dtype, "
                                         "received dtype=int32"):
        random.uniform((2,), dtype="int32")


def test_truncated_normal_stays_within_two_stddev():
    x = random.truncated_normal((N,), mean=1.0, stddev=2.0, seed=0).numpy()
    assert x.min() >= 1.0 - 4.0 and x.max() <= 1.0 + 4.0
    assert x.min() < -2.9 and x.max() > 4.9  # the whole interval is used
    # The standard deviation of N(0, 1) truncated to [-2, 2] is 0.8796.
    assert abs(x.std() - 2.0 * 0.8796) < 0.02


def test_categorical_frequencies_follow_softmax():
    logits = np.array([[0.0, 1.0, 2.0], [3.0, 0.0, -np.inf]])
    draws = random.categorical(logits, 30_000, seed=0)
    assert draws.shape == (2, 30_000) and draws.dtype == np.int32
    draws = draws.numpy()
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    for row in range(2):
        freq = np.bincount(draws[row], minlength=3) / draws.shape[1]
        assert np.allclose(freq, expected[row], atol=0.01)
    assert not (draws[1] == 2).any()
    with pytest.raises(ValueError, match="categorical: expected logits of shape "
                                         r"\(batch_size, num_classes\), received shape \(3,\)"):
        random.categorical([0.0, 1.0, 2.0], 2)


def test_randint_range_and_dtype():
    x = random.randint((10_000,), 2, 7, seed=0).numpy()
    assert set(np.unique(x)) == {2, 3, 4, 5, 6}
    assert random.randint((3,), 0, 5, dtype="int64").dtype == np.int64
    with pytest.raises(ValueError, match="randint: expected an integer dtype, "
                                         "received dtype=float32"):
        random.randint((3,), 0, 5, dtype="float32")


def test_dropout_rate_scale_seed_and_gradient():
    x = Tensor(np.ones((100, 100), dtype=np.float32), requires_grad=True)
    y = random.dropout(x, 0.25, seed=1)
    values = y.numpy()
    assert abs((values == 0).mean() - 0.25) < 0.02
    assert np.allclose(values[values != 0], 1 / 0.75)
    assert np.array_equal(values, random.dropout(x, 0.25, seed=1).numpy())
    y.sum().backward()
    assert np.array_equal(x.grad.numpy(), values)
    column_mask = random.dropout(x, 0.5, noise_shape=(None, 1), seed=2).numpy()
    assert (column_mask == column_mask[:, :1]).all()


def test_shuffle_permutes_along_axis():
    x = np.arange(60, dtype=np.float32).reshape(20, 3)
    rows = random.shuffle(x, seed=0).numpy()
    assert not np.array_equal(rows, x)
    assert np.array_equal(rows[np.argsort(rows[:, 0])], x)
    assert np.array_equal(rows, random.shuffle(x, seed=0).numpy())
    cols = random.shuffle(x.T, axis=1, seed=0).numpy()
    assert np.array_equal(np.sort(cols, axis=1), x.T)
    with pytest.raises(ValueError, match=r"shuffle: expected axis in \[-2, 2\), received axis=2"):
        random.shuffle(x, axis=2)
    t = Tensor(x, requires_grad=True)
    (random.shuffle(t, seed=0) * Tensor(np.arange(3, dtype=np.float32))).sum().backward()
    assert np.array_equal(t.grad.numpy(), np.tile(np.arange(3, dtype=np.float32), (20, 1)))


def test_gamma_beta_binomial_means():
    assert abs(random.gamma((N,), 3.0, seed=0).numpy().mean() - 3.0) < 0.03
    assert abs(random.beta((N,), 2.0, 6.0, seed=0).numpy().mean() - 0.25) < 0.005
    b = random.binomial((N,), 10, 0.3, seed=0).numpy()
    assert abs(b.mean() - 3.0) < 0.03 and set(np.unique(b)) <= set(range(11))
