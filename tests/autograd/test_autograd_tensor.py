"""The Tensor API: array facts, conversion, repr, detach / requires_grad_ / retain_grad,
in-place operators and their guard, comparisons without a graph."""

import numpy as np
import pytest

import ember


def leaf(values, dtype=np.float64):
    return ember.tensor(np.asarray(values, dtype=dtype), requires_grad=True)


# ---- facts and conversion --------------------------------------------------------------


def test_array_facts():
    t = ember.tensor(np.zeros((2, 3, 4), dtype=np.float32))
    assert t.shape == (2, 3, 4)
    assert t.dtype == np.float32
    assert t.ndim == 3 and t.size == 24 and len(t) == 2
    assert t.T.shape == (4, 3, 2)
    assert t.device == "cpu"
    assert t.is_leaf and t.grad_fn is None and t.grad is None


def test_numpy_item_and_python_numbers():
    t = ember.tensor(np.array([[1.5, 2.0]]))
    a = t.numpy()
    assert isinstance(a, np.ndarray)
    np.testing.assert_array_equal(a, [[1.5, 2.0]])
    assert ember.tensor([[3.5]]).item() == 3.5
    assert isinstance(ember.tensor(2.0).item(), float)
    assert float(ember.tensor(2.5)) == 2.5 and int(ember.tensor(7)) == 7
    assert t.tolist() == [[1.5, 2.0]]
    np.testing.assert_array_equal(np.asarray(t), [[1.5, 2.0]])
    with pytest.raises(ValueError, match="one element"):
        t.item()


def test_numpy_of_a_tensor_in_the_graph_is_plain_data():
    x = leaf([1.0, 2.0])
    a = (x * 2.0).numpy()
    assert isinstance(a, np.ndarray)
    np.testing.assert_array_equal(a, [2.0, 4.0])


def test_len_of_0d_raises_and_iteration_yields_rows():
    with pytest.raises(TypeError, match="0-d"):
        len(ember.tensor(1.0))
    rows = list(ember.tensor(np.arange(6.0).reshape(3, 2)))
    assert len(rows) == 3 and all(r.shape == (2,) for r in rows)
    np.testing.assert_array_equal(rows[2].numpy(), [4.0, 5.0])


def test_bool_of_one_element_and_ambiguity():
    assert bool(ember.tensor([1.0]))
    with pytest.raises(ValueError, match="ambiguous"):
        bool(ember.tensor([1.0, 2.0]))


def test_repr_is_readable():
    assert repr(ember.tensor([1.0, 2.0, 3.0])) == "tensor([1., 2., 3.])"
    assert "dtype=float64" in repr(ember.tensor(np.array([1.0])))
    x = leaf([1.0])
    assert "requires_grad=True" in repr(x)
    y = x * 2.0
    assert "grad_fn=<MultiplyBackward>" in repr(y)
    assert "device" not in repr(y.sum())
    assert repr(ember.tensor(2.0)) == "tensor(2.)"


def test_astype_float_double():
    x = ember.tensor([1.0, 2.0])
    assert x.double().dtype == np.float64
    assert x.double().float().dtype == np.float32
    assert x.astype("int64").dtype == np.int64
    assert x.to("float64").dtype == np.float64


# ---- graph membership ------------------------------------------------------------------


def test_results_of_ops_on_leaves_requiring_grad_are_non_leaves():
    x = leaf([1.0])
    y = x * 2.0
    assert y.requires_grad and not y.is_leaf and y.grad_fn is not None
    z = ember.tensor([1.0]) * 2.0
    assert not z.requires_grad and z.is_leaf


def test_detach_shares_data_and_cuts_the_graph():
    x = leaf([1.0, 2.0])
    y = x * 2.0
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None
    assert np.shares_memory(d.data, y.data)
    (d * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])  # d is a constant


def test_requires_grad_():
    x = ember.tensor([1.0, 2.0])
    assert x.requires_grad_() is x and x.requires_grad
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])
    x.requires_grad_(False)
    assert not (x * x).requires_grad


def test_requires_grad_false_on_non_leaf_raises():
    y = leaf([1.0]) * 2.0
    with pytest.raises(RuntimeError, match="detach"):
        y.requires_grad_(False)


def test_requires_grad_on_integer_tensor_raises():
    with pytest.raises(RuntimeError, match="float"):
        ember.tensor([1, 2]).requires_grad_()


def test_retain_grad_on_a_non_leaf():
    x = leaf([1.0, 2.0])
    y = x * 3.0
    y.retain_grad()
    z = y * y
    z.sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), 2 * y.numpy())
    np.testing.assert_array_equal(x.grad.numpy(), 2 * y.numpy() * 3.0)
    w = x * 2.0
    assert w.grad is None  # only retained non-leaves keep .grad


def test_retain_grad_on_the_root():
    x = leaf([1.0])
    y = (x * 2.0).sum()
    y.retain_grad()
    y.backward()
    assert y.grad.item() == 1.0


# ---- in-place operators ----------------------------------------------------------------


@pytest.mark.parametrize(
    "op, expected",
    [
        (lambda t: t.__iadd__(2.0), [3.0, 4.0]),
        (lambda t: t.__isub__(1.0), [0.0, 1.0]),
        (lambda t: t.__imul__(ember.tensor([3.0, 0.5])), [3.0, 1.0]),
        (lambda t: t.__itruediv__(2.0), [0.5, 1.0]),
        (lambda t: t.zero_(), [0.0, 0.0]),
        (lambda t: t.fill_(7.0), [7.0, 7.0]),
        (lambda t: t.copy_(ember.tensor([5.0, 6.0])), [5.0, 6.0]),
    ],
    ids=["iadd", "isub", "imul", "itruediv", "zero_", "fill_", "copy_"],
)
def test_inplace_on_leaf_without_grad_and_under_no_grad(op, expected):
    t = ember.tensor([1.0, 2.0])
    data = t.data
    assert op(t) is t
    assert t.data is data  # really in place
    np.testing.assert_array_equal(t.numpy(), expected)

    w = ember.tensor([1.0, 2.0], requires_grad=True)
    with ember.no_grad():
        assert op(w) is w
    np.testing.assert_array_equal(w.numpy(), expected)
    assert w.requires_grad


def test_inplace_operators_keep_the_name():
    t = ember.tensor([1.0, 2.0])
    original = t
    t += 1.0
    t -= 0.5
    t *= 2.0
    t /= 3.0
    assert t is original
    np.testing.assert_allclose(t.numpy(), [1.0, 5.0 / 3.0])
    assert t.dtype == np.float32


@pytest.mark.parametrize(
    "op",
    [
        lambda t: t.__iadd__(1.0),
        lambda t: t.__isub__(1.0),
        lambda t: t.__imul__(2.0),
        lambda t: t.__itruediv__(2.0),
        lambda t: t.zero_(),
        lambda t: t.fill_(1.0),
    ],
    ids=["iadd", "isub", "imul", "itruediv", "zero_", "fill_"],
)
def test_inplace_on_leaf_requiring_grad_in_grad_mode_raises(op):
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place .* requires grad.*no_grad"):
        op(w)
    np.testing.assert_array_equal(w.numpy(), [1.0, 2.0])


def test_inplace_on_a_0d_result_of_a_reduction():
    total = ember.tensor([1.0, 2.0]).sum()
    total += 1.0
    assert total.item() == 4.0


# ---- comparisons and logic --------------------------------------------------------------


@pytest.mark.parametrize(
    "op, expected",
    [
        (lambda a, b: a == b, [False, True, False]),
        (lambda a, b: a != b, [True, False, True]),
        (lambda a, b: a < b, [True, False, False]),
        (lambda a, b: a <= b, [True, True, False]),
        (lambda a, b: a > b, [False, False, True]),
        (lambda a, b: a >= b, [False, True, True]),
        (lambda a, b: a > 1.5, [False, True, True]),
    ],
    ids=["eq", "ne", "lt", "le", "gt", "ge", "gt-scalar"],
)
def test_comparisons_return_bool_tensors_with_no_graph(op, expected):
    a = leaf([1.0, 2.0, 3.0])
    b = leaf([2.0, 2.0, 2.0])
    out = op(a, b)
    assert isinstance(out, ember.Tensor)
    assert out.dtype == np.bool_
    assert not out.requires_grad and out.grad_fn is None
    np.testing.assert_array_equal(out.numpy(), expected)


def test_logical_operators():
    a = ember.tensor([True, True, False])
    b = ember.tensor([True, False, False])
    np.testing.assert_array_equal((a & b).numpy(), [True, False, False])
    np.testing.assert_array_equal((a | b).numpy(), [True, True, False])
    np.testing.assert_array_equal((a ^ b).numpy(), [False, True, False])
    np.testing.assert_array_equal((~a).numpy(), [False, False, True])


def test_tensor_is_hashable_by_identity():
    a, b = ember.tensor([1.0]), ember.tensor([1.0])
    assert len({a, b}) == 2


def test_numpy_array_on_the_left_defers_to_tensor():
    x = leaf([1.0, 2.0])
    y = np.array([3.0, 4.0]) * x
    assert isinstance(y, ember.Tensor) and y.requires_grad
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])


def test_floordiv_and_mod_carry_no_graph():
    x = leaf([5.0, 7.0])
    np.testing.assert_array_equal((x // 2.0).numpy(), [2.0, 3.0])
    np.testing.assert_array_equal((x % 2.0).numpy(), [1.0, 1.0])
    assert not (x // 2.0).requires_grad
