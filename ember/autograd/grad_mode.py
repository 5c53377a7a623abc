"""Grad mode: whether operations record the graph for backward.

``no_grad`` and ``enable_grad`` work as context managers and as decorators, like PyTorch's.
"""

from __future__ import annotations

import functools

# One flag for the process: a list so the hot path reads it without a function call.
GRAD_ENABLED = [True]


def is_grad_enabled() -> bool:
    """Whether new operations record the graph."""
    return GRAD_ENABLED[0]


class _GradMode:
    """Sets grad mode inside a ``with`` block or a decorated function, then restores it."""

    mode = True

    def __enter__(self):
        self._prev = GRAD_ENABLED[0]
        GRAD_ENABLED[0] = self.mode

    def __exit__(self, *exc):
        GRAD_ENABLED[0] = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):  # noqa: N801 - PyTorch's name
    """Turn graph recording off.

    Example:
        >>> import ember
        >>> w = ember.ones(3, requires_grad=True)
        >>> with ember.no_grad():
        ...     y = w * 2
        >>> y.requires_grad
        False
    """

    mode = False


class enable_grad(_GradMode):  # noqa: N801 - PyTorch's name
    """Turn graph recording back on (inside a ``no_grad`` block, for instance)."""

    mode = True


class set_grad_enabled(_GradMode):  # noqa: N801 - PyTorch's name
    """Set grad mode to ``mode``: ``with ember.set_grad_enabled(training): ...``."""

    def __init__(self, mode: bool = True):
        self.mode = bool(mode)

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper
