"""Grad mode: no_grad / enable_grad / set_grad_enabled as context managers and decorators."""

import numpy as np
import pytest

import ember


def leaf():
    return ember.tensor(np.array([1.0, 2.0]), requires_grad=True)


def test_no_grad_context_records_nothing():
    x = leaf()
    with ember.no_grad():
        y = x * 2.0
        assert not ember.is_grad_enabled()
    assert ember.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    np.testing.assert_array_equal(y.numpy(), [2.0, 4.0])


def test_no_grad_decorator():
    @ember.no_grad()
    def step(t):
        return t * 3.0, ember.is_grad_enabled()

    y, enabled = step(leaf())
    assert not enabled and not y.requires_grad
    assert ember.is_grad_enabled()
    assert step.__name__ == "step"


def test_enable_grad_inside_no_grad():
    x = leaf()
    with ember.no_grad():
        with ember.enable_grad():
            y = x * x
        z = x * x
    assert y.requires_grad and not z.requires_grad
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


def test_enable_grad_decorator_inside_no_grad():
    @ember.enable_grad()
    def square(t):
        return t * t

    with ember.no_grad():
        y = square(leaf())
    assert y.requires_grad


@pytest.mark.parametrize("mode", [True, False])
def test_set_grad_enabled(mode):
    with ember.set_grad_enabled(mode):
        assert ember.is_grad_enabled() is mode
        y = leaf() * 2.0
    assert y.requires_grad is mode
    assert ember.is_grad_enabled()

    @ember.set_grad_enabled(mode)
    def f():
        return ember.is_grad_enabled()

    assert f() is mode


def test_grad_mode_is_restored_after_an_exception():
    with pytest.raises(ValueError):
        with ember.no_grad():
            raise ValueError("boom")
    assert ember.is_grad_enabled()


def test_nested_no_grad_restores_outer_state():
    with ember.no_grad():
        with ember.no_grad():
            pass
        assert not ember.is_grad_enabled()
    assert ember.is_grad_enabled()
