"""Custom differentiable ops through ``ember.Function``: saved values, needs_input_grad,
keyword and non-tensor arguments, multiple outputs, and the checks on what backward returns."""

import numpy as np
import pytest

import ember


class Cube(ember.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 3 * x**2 * grad


class ScaledProduct(ember.Function):
    """``scale * a * b``; records which input gradients backward was asked for."""

    calls: list = []

    @staticmethod
    def forward(ctx, a, b, scale=1.0):
        ctx.save_for_backward(a, b)
        ctx.scale = scale
        return scale * a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        ScaledProduct.calls.append(ctx.needs_input_grad)
        ga = grad * b * ctx.scale if ctx.needs_input_grad[0] else None
        gb = grad * a * ctx.scale if ctx.needs_input_grad[1] else None
        return ga, gb


class SplitHalves(ember.Function):
    """Two outputs: the first and second half of a vector, the second doubled."""

    @staticmethod
    def forward(ctx, x):
        ctx.n = x.shape[0] // 2
        return x[: ctx.n].copy(), 2 * x[ctx.n :]

    @staticmethod
    def backward(ctx, g_first, g_second):
        return np.concatenate([g_first, 2 * g_second])


class ArgmaxAndMax(ember.Function):
    """An integer output beside a float one: only the float one is differentiable."""

    @staticmethod
    def forward(ctx, x):
        i = x.argmax()
        ctx.shape, ctx.i = x.shape, i
        return np.asarray(i), x[i].copy()

    @staticmethod
    def backward(ctx, g_index, g_value):
        grad = np.zeros(ctx.shape)
        grad[ctx.i] = g_value
        return grad


def leaf(values):
    return ember.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def test_custom_function_with_saved_tensors():
    x = leaf([2.0, -1.0])
    y = Cube.apply(x)
    assert y.requires_grad and repr(y.grad_fn) == "<CubeBackward>"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [12.0, 3.0])
    assert ember.gradcheck(Cube.apply, [leaf([0.3, -1.2, 2.0])])


def test_needs_input_grad_and_none_for_inputs_without_grad():
    ScaledProduct.calls.clear()
    a, b = leaf([1.0, 2.0]), ember.tensor(np.array([3.0, 4.0]))
    ScaledProduct.apply(a, b, scale=0.5).sum().backward()
    assert ScaledProduct.calls == [(True, False)]
    np.testing.assert_array_equal(a.grad.numpy(), [1.5, 2.0])
    assert b.grad is None


def test_non_tensor_positional_argument_gets_no_grad():
    ScaledProduct.calls.clear()
    a = leaf([1.0, 2.0])
    ScaledProduct.apply(a, 3.0).sum().backward()
    assert ScaledProduct.calls == [(True, False)]
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 3.0])


def test_function_records_nothing_without_grad():
    x = ember.tensor(np.array([1.0]))
    assert not Cube.apply(x).requires_grad
    with ember.no_grad():
        assert not Cube.apply(leaf([1.0])).requires_grad


def test_gradcheck_of_function_with_two_inputs():
    assert ember.gradcheck(lambda a, b: ScaledProduct.apply(a, b, scale=1.5),
                           [leaf([0.5, 1.0]), leaf([-2.0, 0.25])])


def test_multi_output_function_using_both_outputs():
    x = leaf([1.0, 2.0, 3.0, 4.0])
    first, second = SplitHalves.apply(x)
    np.testing.assert_array_equal(second.numpy(), [6.0, 8.0])
    (first.sum() + (second * second).sum()).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0, 2 * 2 * 6.0, 2 * 2 * 8.0])


@pytest.mark.parametrize("which", [0, 1])
def test_multi_output_function_using_only_one_output(which):
    x = leaf([1.0, 2.0, 3.0, 4.0])
    outs = SplitHalves.apply(x)
    outs[which].sum().backward()
    expected = [1.0, 1.0, 0.0, 0.0] if which == 0 else [0.0, 0.0, 2.0, 2.0]
    np.testing.assert_array_equal(x.grad.numpy(), expected)


class SplitHalvesUnmaterialized(ember.Function):
    """SplitHalves with ``set_materialize_grads(False)``: records what backward received and
    whether it could reuse its saved arrays."""

    seen = []

    @staticmethod
    def forward(ctx, x):
        ctx.set_materialize_grads(False)
        ctx.n = x.shape[0] // 2
        return x[: ctx.n].copy(), 2 * x[ctx.n :]

    @staticmethod
    def backward(ctx, g_first, g_second):
        SplitHalvesUnmaterialized.seen.append((g_first is None, g_second is None,
                                               ctx.saved_reusable))
        zeros = np.zeros(ctx.n)
        return np.concatenate([zeros if g_first is None else g_first,
                               zeros if g_second is None else 2 * g_second])


@pytest.mark.parametrize("which", [0, 1])
def test_unmaterialized_gradients_arrive_as_none(which):
    SplitHalvesUnmaterialized.seen.clear()
    x = leaf([1.0, 2.0, 3.0, 4.0])
    outs = SplitHalvesUnmaterialized.apply(x)
    outs[which].sum().backward(retain_graph=True)
    outs[which].sum().backward()
    expected = [1.0, 1.0, 0.0, 0.0] if which == 0 else [0.0, 0.0, 2.0, 2.0]
    np.testing.assert_array_equal(x.grad.numpy(), 2 * np.array(expected))
    missing = (which == 1, which == 0)
    # Saved arrays may be overwritten only by the backward after which the graph is freed.
    assert SplitHalvesUnmaterialized.seen == [(*missing, False), (*missing, True)]


def test_multi_output_gradcheck():
    assert ember.gradcheck(SplitHalves.apply, [leaf([0.1, 0.2, 0.3, 0.4])])


def test_integer_output_is_not_differentiable():
    x = leaf([1.0, 5.0, 2.0])
    index, value = ArgmaxAndMax.apply(x)
    assert index.dtype.kind == "i" and not index.requires_grad
    assert value.requires_grad
    (value * 2.0).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 2.0, 0.0])


def test_backward_returning_wrong_number_of_gradients_raises():
    class Bad(ember.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, g):
            return (g,)

    with pytest.raises(RuntimeError, match="expected 2 gradients"):
        Bad.apply(leaf([1.0]), leaf([2.0])).sum().backward()


def test_backward_returning_wrong_shape_raises():
    class Bad(ember.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g[:1]

    with pytest.raises(RuntimeError, match=r"Bad.backward: gradient of shape \(1,\)"):
        Bad.apply(leaf([1.0, 2.0])).sum().backward()


def test_base_function_must_be_overridden():
    with pytest.raises(TypeError, match="overridden"):
        ember.Function.apply(leaf([1.0]))
