"""to_categorical, normalize and split_dataset against hand-computed values."""

import numpy as np
import pytest

from ember.utils.numerical import normalize, split_dataset, to_categorical

# to_categorical


def test_to_categorical_vector():
    out = to_categorical([1, 0, 3])
    expected = [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1]]
    np.testing.assert_array_equal(out, expected)
    assert out.dtype == np.float32


def test_to_categorical_num_classes_and_trailing_one():
    out = to_categorical(np.array([[2], [0]]), num_classes=5)  # (2, 1) -> (2, 5), as Keras
    np.testing.assert_array_equal(out, [[0, 0, 1, 0, 0], [1, 0, 0, 0, 0]])
    out = to_categorical(np.array([[0, 1], [1, 1]]))  # (2, 2) -> (2, 2, 2)
    np.testing.assert_array_equal(out, [[[1, 0], [0, 1]], [[0, 1], [0, 1]]])
    assert to_categorical(np.zeros((3, 4, 1), dtype=np.uint8), 2).shape == (3, 4, 2)
    assert to_categorical(2, num_classes=3).tolist() == [0, 0, 1]
    assert to_categorical(np.array([1]), num_classes=2).shape == (1, 2)  # 1-D keeps its axis


def test_to_categorical_accepts_integral_floats_and_empty():
    np.testing.assert_array_equal(to_categorical(np.array([1.0, 0.0])), [[0, 1], [1, 0]])
    assert to_categorical(np.zeros(0, dtype=int), num_classes=3).shape == (0, 3)


@pytest.mark.parametrize(
    "x, num_classes, match",
    [
        ([0, 3], 3, r"expected class indices in \[0, 2\], received values from 0 to 3"),
        ([-1, 1], None, r"received values from -1 to 1"),
        ([0.5], None, "received non-integer values"),
        (["a"], None, "expected integer class indices, received dtype <U1"),
        ([0], -2, "expected num_classes >= 1, received num_classes=-2"),
        ([0], 2.0, "expected num_classes to be a positive integer"),
        (np.zeros(0, dtype=int), None, "expected num_classes for an empty label array"),
    ],
)
def test_to_categorical_errors(x, num_classes, match):
    with pytest.raises(ValueError, match=match) as info:
        to_categorical(x, num_classes)
    assert str(info.value).startswith("to_categorical: expected ")


# normalize


def test_normalize_l2_last_axis():
    x = np.array([[3.0, 4.0], [0.0, 0.0], [1.0, 0.0]], dtype=np.float32)
    out = normalize(x)
    np.testing.assert_allclose(out, [[0.6, 0.8], [0, 0], [1, 0]], rtol=1e-6)
    assert out.dtype == np.float32 and not np.isnan(out).any()
    np.testing.assert_array_equal(x[0], [3, 4])  # the input is not modified


def test_normalize_other_axis_and_order():
    x = np.array([[3.0, 1.0, 2.0], [4.0, -1.0, 0.0]])
    np.testing.assert_allclose(normalize(x, axis=0), [[0.6, 2**-0.5, 1], [0.8, -(2**-0.5), 0]])
    np.testing.assert_allclose(normalize(x, order=1), [[0.5, 1 / 6, 1 / 3], [0.8, -0.2, 0]])
    np.testing.assert_allclose(normalize(x, order=np.inf)[1], [1, -0.25, 0])
    out = normalize(np.ones((2, 3, 4)), axis=1)
    np.testing.assert_allclose(out, np.full((2, 3, 4), 3**-0.5))
    assert out.dtype == np.float64


def test_normalize_integer_input_gives_float32():
    out = normalize([[0, 5]])
    np.testing.assert_array_equal(out, [[0, 1]])
    assert out.dtype == np.float32


@pytest.mark.parametrize("axis", [2, -3, None, 0.5])
def test_normalize_bad_axis(axis):
    with pytest.raises(ValueError, match="normalize: expected .*axis"):
        normalize(np.ones((2, 2)), axis=axis)


# split_dataset


def test_split_array_by_fraction():
    x = np.arange(10) * 10
    left, right = split_dataset(x, left_size=0.8)
    assert left.tolist() == [0, 10, 20, 30, 40, 50, 60, 70] and right.tolist() == [80, 90]
    left, right = split_dataset(x, right_size=0.25)  # round(2.5) = 2, as Keras
    assert len(left) == 8 and right.tolist() == [80, 90]


def test_split_tuple_and_list_by_count():
    x, y = np.arange(12).reshape(6, 2), np.arange(6)
    (x_l, y_l), (x_r, y_r) = split_dataset((x, y), left_size=4)
    assert y_l.tolist() == [0, 1, 2, 3] and y_r.tolist() == [4, 5]
    np.testing.assert_array_equal(x_r, [[8, 9], [10, 11]])
    left, right = split_dataset([x, y], right_size=1)
    assert isinstance(left, tuple) and len(left) == 2 and right[1].tolist() == [5]


def test_split_both_sizes_drop_the_middle():
    left, right = split_dataset(np.arange(10), left_size=3, right_size=0.2)
    assert left.tolist() == [0, 1, 2] and right.tolist() == [8, 9]


def test_split_shuffle_is_seeded_and_keeps_pairs():
    x, y = np.arange(100) * 2, np.arange(100)
    (x_l, y_l), (x_r, y_r) = split_dataset((x, y), left_size=0.7, shuffle=True, seed=1)
    np.testing.assert_array_equal(x_l, 2 * y_l)
    np.testing.assert_array_equal(x_r, 2 * y_r)
    assert sorted(np.concatenate([y_l, y_r]).tolist()) == list(range(100))
    assert y_l.tolist() != list(range(70))
    (_, again), _ = split_dataset((x, y), left_size=0.7, shuffle=True, seed=1)
    np.testing.assert_array_equal(again, y_l)
    (_, other), _ = split_dataset((x, y), left_size=0.7, shuffle=True, seed=2)
    assert not np.array_equal(other, y_l)


def test_split_returns_copies():
    x = np.arange(4)
    left, _ = split_dataset(x, left_size=2)
    left[0] = 99
    assert x[0] == 0


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({}, ValueError, "expected left_size or right_size"),
        ({"left_size": 10}, ValueError, r"integer left_size in \(0, 10\)"),
        ({"left_size": 0}, ValueError, r"integer left_size in \(0, 10\)"),
        ({"right_size": 1.0}, ValueError, r"float right_size in \(0, 1\)"),
        ({"left_size": 0.7, "right_size": 0.4}, ValueError, "left_size \\+ right_size <= 1"),
        ({"left_size": 6, "right_size": 5}, ValueError, "<= 10 samples, received 6 \\+ 5"),
        ({"left_size": 0.01}, ValueError, "leave the left split empty"),
        ({"left_size": "half"}, TypeError, "left_size to be an int, a float or None"),
        ({"left_size": True}, TypeError, "left_size to be an int"),
    ],
)
def test_split_bad_sizes(kwargs, error, match):
    with pytest.raises(error, match=match) as info:
        split_dataset(np.arange(10), **kwargs)
    assert str(info.value).startswith("split_dataset: expected ")


def test_split_bad_datasets():
    match = r"same number of samples, received shapes \[\(3,\), \(2,\)\]"
    with pytest.raises(ValueError, match=match):
        split_dataset((np.zeros(3), np.zeros(2)), left_size=1)
    with pytest.raises(TypeError, match="received dataset of type dict"):
        split_dataset({"x": np.zeros(3)}, left_size=1)
    with pytest.raises(ValueError, match="non-empty"):
        split_dataset((), left_size=1)
