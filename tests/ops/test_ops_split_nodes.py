"""split/unstack are one graph node with one output per piece."""

import numpy as np

import ember
from ember import ops


def test_unused_pieces_get_zero_gradient():
    x = ember.tensor(np.arange(12.0).reshape(3, 4), dtype="float64", requires_grad=True)
    a, _, c = ops.split(x, 3, axis=0)
    (a * 2 + c * 3).sum().backward()
    expected = np.array([[2.0] * 4, [0.0] * 4, [3.0] * 4])
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_unstack_is_one_node_and_gradchecks():
    x = ember.randn(4, 5, 3, dtype="float64", requires_grad=True)
    steps = ops.unstack(x, axis=1)
    assert len(steps) == 5 and steps[0].shape == (4, 3)
    assert len({id(s.grad_fn) for s in steps}) == 1
    weights = [float(i + 1) for i in range(5)]
    ember.gradcheck(lambda t: sum(w * s for w, s in zip(weights, ops.unstack(t, axis=1))), [x])


def test_split_at_indices_matches_numpy():
    data = np.random.default_rng(0).normal(size=(2, 7))
    pieces = ops.split(ember.tensor(data), [2, 5], axis=-1)
    for got, want in zip(pieces, np.split(data, [2, 5], axis=-1)):
        np.testing.assert_array_equal(got.numpy(), want)
