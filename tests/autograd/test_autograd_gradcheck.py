"""The checker checked: gradcheck passes correct gradients and fails wrong ones with a table,
and refuses inputs it cannot check."""

import numpy as np
import pytest

import ember


class WrongSquare(ember.Function):
    """Forward x**2 with a deliberately wrong backward (3x instead of 2x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3 * x * g


class NanGradient(ember.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 1.0

    @staticmethod
    def backward(ctx, g):
        return g * np.nan


class ForgetsSecondInput(ember.Function):
    """a * b whose backward claims b has no gradient."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g * b, None


def leaf(values, dtype=np.float64):
    return ember.tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def test_gradcheck_passes_correct_gradients():
    x = leaf(np.random.default_rng(0).standard_normal((3, 4)))
    assert ember.gradcheck(lambda t: (t * t).sum(axis=1), [x]) is True


def test_gradcheck_fails_a_wrong_backward_with_a_table():
    with pytest.raises(ember.GradcheckError) as info:
        ember.gradcheck(WrongSquare.apply, [leaf([0.5, -1.0, 2.0])])
    message = str(info.value)
    assert "gradcheck failed" in message
    assert "max abs err" in message and "analytic" in message and "numeric" in message
    assert "(3,)" in message  # the row for input 0 names its shape


def test_gradcheck_error_is_an_assertion_error():
    assert issubclass(ember.GradcheckError, AssertionError)


def test_gradcheck_fails_nan_gradients():
    with pytest.raises(ember.GradcheckError):
        ember.gradcheck(NanGradient.apply, [leaf([1.0, 2.0])])


def test_gradcheck_fails_a_missing_gradient():
    with pytest.raises(ember.GradcheckError) as info:
        ember.gradcheck(ForgetsSecondInput.apply, [leaf([1.0, 2.0]), leaf([3.0, 4.0])])
    rows = [line.split() for line in str(info.value).splitlines()[2:]]
    bad_by_input = {int(r[0]): int(r[-4]) for r in rows}
    assert bad_by_input == {0: 0, 1: 2}


def test_gradcheck_catches_an_error_smaller_than_the_tolerance_scale():
    class SlightlyOff(ember.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2.0

        @staticmethod
        def backward(ctx, g):
            return g * 2.01

    with pytest.raises(ember.GradcheckError):
        ember.gradcheck(SlightlyOff.apply, [leaf([1.0, 2.0])])


def test_gradcheck_raises_on_float32_inputs():
    with pytest.raises(ValueError, match="float64"):
        ember.gradcheck(lambda t: t * 2.0, [leaf([1.0], dtype=np.float32)])


def test_gradcheck_needs_an_input_requiring_grad():
    with pytest.raises(ValueError, match="requires_grad"):
        ember.gradcheck(lambda t: t * 2.0, [ember.tensor(np.array([1.0]))])


def test_gradcheck_ignores_constant_inputs_and_checks_the_rest():
    c = ember.tensor(np.array([2.0, 3.0]))
    assert ember.gradcheck(lambda a, b: a * b, [leaf([1.0, -1.0]), c])


def test_gradcheck_of_several_outputs():
    assert ember.gradcheck(lambda t: (t.exp(), t * 3.0), [leaf([0.1, 0.2])])


def test_gradcheck_perturbs_non_contiguous_inputs():
    data = np.arange(1.0, 7.0).reshape(3, 2).T  # a transposed view: not C-contiguous
    x = ember.tensor(data, requires_grad=True)
    assert not x.data.flags.c_contiguous
    assert ember.gradcheck(lambda t: t * t, [x])
    with pytest.raises(ember.GradcheckError):
        ember.gradcheck(WrongSquare.apply, [x])


def test_gradcheck_restores_inputs():
    x = leaf([0.5, 1.5])
    ember.gradcheck(lambda t: t * t, [x])
    np.testing.assert_array_equal(x.numpy(), [0.5, 1.5])
