"""The backward engine: accumulation into leaves, forks and diamonds, retain_graph and freed
graphs, the checks on backward's arguments, and graphs deeper than Python's recursion limit."""

import sys

import numpy as np
import pytest

import ember


def leaf(values, dtype=np.float64):
    return ember.tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def test_gradients_accumulate_over_two_backward_calls():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0 + 3.0, 4.0 + 3.0])


def test_zero_grad_resets_accumulation():
    x = leaf([1.0, 2.0])
    (x * 2.0).sum().backward()
    x.zero_grad()
    assert x.grad is None
    (x * 5.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 5.0])


def test_tensor_used_several_times_gets_the_sum_of_its_uses():
    x = leaf([3.0])
    y = x * x + x * 2.0 - x / 3.0  # dy/dx = 2x + 2 - 1/3
    y.backward(np.array([1.0]))
    np.testing.assert_allclose(x.grad.numpy(), [2 * 3.0 + 2.0 - 1 / 3])


def test_diamond_graph():
    x = leaf([0.5, -1.0])
    a = x.exp()
    left, right = a * 2.0, ember.ops.sin(a)
    out = (left * right).sum()  # 2 e^x sin(e^x)
    out.backward()
    e = np.exp(x.numpy())
    expected = 2 * e * np.sin(e) + 2 * e * np.cos(e) * e
    np.testing.assert_allclose(x.grad.numpy(), expected)


def test_fork_where_one_branch_does_not_reach_the_root():
    x = leaf([1.0, 2.0])
    used = x * 3.0
    _unused = x * 100.0
    used.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_gradient_reaches_only_leaves_that_require_it():
    x = leaf([1.0, 2.0])
    c = ember.tensor(np.array([4.0, 5.0]))
    (x * c).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 5.0])
    assert c.grad is None


def test_retain_graph_allows_a_second_backward():
    x = leaf([2.0])
    y = (x * x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [2 * 12.0])


def test_second_backward_through_freed_graph_raises_clearly():
    x = leaf([2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_backward_through_a_shared_freed_subgraph_raises():
    x = leaf([2.0])
    shared = x.exp()
    (shared * 2.0).sum().backward()
    with pytest.raises(RuntimeError, match="freed"):
        (shared * 3.0).sum().backward()


def test_backward_on_non_scalar_without_grad_raises():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"one element.*\(2,\)"):
        (x * 2.0).backward()


def test_backward_with_grad_of_wrong_shape_raises():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"expected grad of shape \(2,\)"):
        (x * 2.0).backward(np.ones(3))


def test_backward_with_explicit_grad_weights_outputs():
    x = leaf([1.0, 2.0, 3.0])
    (x * x).backward(ember.tensor(np.array([1.0, 0.0, -1.0])))
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 0.0, -6.0])


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        ember.tensor([1.0, 2.0]).sum().backward()


def test_backward_on_a_leaf_itself():
    x = leaf([1.0, 2.0])
    x.backward(np.array([3.0, 4.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])


def test_one_element_non_0d_root_needs_no_grad():
    x = leaf([[3.0]])
    (x * x).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[6.0]])


def test_leaf_grads_are_independent_writable_arrays():
    # Add hands the same gradient array to both inputs and Sum a read-only broadcast view;
    # a leaf's .grad must still be its own array, safe to update in place.
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    g = np.array([1.0, 1.0])
    (a + b).backward(g)
    a.grad *= 2.0
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 2.0])
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(g, [1.0, 1.0])
    c = leaf([[1.0, 2.0], [3.0, 4.0]])
    c.sum().backward()
    c.grad.zero_()
    np.testing.assert_array_equal(c.grad.numpy(), np.zeros((2, 2)))


def test_float32_leaf_gets_float32_grad_even_from_float64_seed():
    x = leaf([1.0, 2.0], dtype=np.float32)
    (x * 2.0).backward(np.array([1.0, 1.0], dtype=np.float64))
    assert x.grad.dtype == np.float32


def test_chain_of_100000_ops_backpropagates_without_recursion():
    n = 100_000
    assert n > sys.getrecursionlimit()
    x = leaf([1.0, -2.0])
    y = x
    for _ in range(n):
        y = y * 1.0001
    y.sum().backward(retain_graph=True)
    np.testing.assert_allclose(x.grad.numpy(), [1.0001**n] * 2, rtol=1e-9)
    del y  # tearing down a retained graph this deep must not recurse either


def test_chain_of_additions():
    x = leaf([1.0])
    y = x
    for _ in range(5000):
        y = y + 1.0
    y.backward()
    assert y.item() == 5001.0
    assert x.grad.item() == 1.0
