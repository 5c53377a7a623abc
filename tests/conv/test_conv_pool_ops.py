"""max_pool and average_pool: every configuration against the direct-loop reference of
``conv_reference``, float64 gradient checks (max pooling on inputs without ties), the
first-maximum rule on ties, padding left out of averages, and clear errors."""

from __future__ import annotations

import conv_reference as ref
import numpy as np
import pytest
from op_harness import Case, check_float32, check_forward, check_gradcheck, distinct, params

import ember
from ember import ops

CONFIGS = [
    # id, input shape, pool_size, strides, padding
    ("1d-valid", (2, 7, 3), (2,), None, "valid"),
    ("1d-same-stride1", (2, 6, 1), (3,), (1,), "same"),
    ("1d-same-overlap", (1, 7, 2), (3,), (2,), "same"),
    ("2d-valid-2x2", (2, 6, 4, 3), (2, 2), None, "valid"),
    ("2d-valid-odd-size", (1, 7, 5, 1), (2, 2), None, "valid"),
    ("2d-same-odd-size", (2, 7, 5, 3), (2, 2), None, "same"),
    ("2d-nonsquare-strides", (1, 7, 6, 2), (3, 2), (2, 1), "same"),
    ("2d-valid-stride-larger-than-pool", (2, 7, 7, 1), (2, 2), (3, 3), "valid"),
    ("2d-explicit-pads", (1, 5, 4, 3), (3, 3), (2, 2), [(1, 2), (0, 1)]),
    ("3d-valid", (1, 4, 5, 4, 2), (2, 2, 2), None, "valid"),
    ("3d-same-nonsquare", (2, 5, 3, 4, 1), (2, 3, 2), (2, 1, 2), "same"),
]


def pool_cases(op, reduce):
    cases = []
    for id_, shape, pool, strides, padding in CONFIGS:
        cases.append(Case(
            f"{op.__name__}-{id_}",
            lambda x, pool=pool, strides=strides, padding=padding: op(x, pool, strides, padding),
            lambda x, pool=pool, strides=strides, padding=padding: ref.pool(
                x, pool, strides, padding, reduce),
            [distinct(*shape, spacing=0.05)],
        ))
    return cases


CASES = pool_cases(ops.max_pool, "max") + pool_cases(ops.average_pool, "mean")


@pytest.mark.parametrize("case", params(CASES))
def test_forward_matches_loops(case):
    check_forward(case)


@pytest.mark.parametrize("case", params(CASES))
def test_gradcheck(case):
    check_gradcheck(case)


@pytest.mark.parametrize("case", params(CASES[::2]))
def test_float32(case):
    check_float32(case)


def test_max_pool_ties_send_the_gradient_to_the_first_maximum():
    x = ember.tensor(np.ones((1, 2, 4, 1)), requires_grad=True)
    ops.max_pool(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[0, :, :, 0], [[1, 0, 1, 0], [0, 0, 0, 0]])


def test_max_pool_same_padding_never_wins_over_negative_values():
    x = -np.arange(1.0, 10.0).reshape(1, 3, 3, 1)
    y = ops.max_pool(x, 2, padding="same").numpy().ravel()
    np.testing.assert_array_equal(y, [-1.0, -3.0, -7.0, -9.0])


def test_average_pool_same_leaves_padding_out_of_the_mean():
    x = ember.tensor(np.arange(9.0).reshape(1, 3, 3, 1), requires_grad=True)
    y = ops.average_pool(x, 2, padding="same")
    np.testing.assert_array_equal(y.numpy().ravel(), [2.0, 3.5, 6.5, 8.0])
    y.sum().backward()
    # Each corner window weighs its elements by 1 / (number of real elements).
    np.testing.assert_allclose(x.grad.numpy()[0, :, :, 0],
                               [[0.25, 0.25, 0.5], [0.25, 0.25, 0.5], [0.5, 0.5, 1.0]])


def test_strides_default_to_pool_size():
    x = ember.zeros(2, 9, 6, 1)
    assert ops.max_pool(x, (3, 2)).shape == (2, 3, 3, 1)
    assert ops.average_pool(x, 3, strides=1).shape == (2, 7, 4, 1)


@pytest.mark.parametrize("call, message", [
    (lambda: ops.max_pool(ember.zeros(4, 4), 2),
     r"max_pool: expected inputs \(batch, \*spatial, channels\) with at least 3 dimensions, "
     r"received inputs of shape \(4, 4\)"),
    (lambda: ops.average_pool(ember.zeros(1, 4, 4, 1), (2, 2, 2)),
     r"average_pool: expected pool_size to be an int or 2 ints, received pool_size=\(2, 2, 2\)"),
    (lambda: ops.max_pool(ember.zeros(1, 4, 4, 1), 2, padding=[(2, 0), (0, 0)]),
     r"max_pool: expected pads smaller than pool_size \(2, 2\)"),
    (lambda: ops.max_pool(ember.zeros(1, 1, 4, 1), 2),
     r"max_pool: the window .* larger than the padded input: input shape \(1, 1, 4, 1\)"),
    (lambda: ops.average_pool(ember.zeros(1, 4, 4, 1), 2, padding="causal"),
     r"average_pool: expected padding 'valid', 'same' or explicit pads, received "
     r"padding='causal'"),
    (lambda: ops.max_pool(ember.zeros(1, 4, 4, 1), 2, data_format="channels_first"),
     r"max_pool: expected data_format='channels_last' or None"),
])
def test_errors_name_the_op_and_the_values(call, message):
    with pytest.raises(ValueError, match=message):
        call()
