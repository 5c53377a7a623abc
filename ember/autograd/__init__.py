"""Reverse-mode automatic differentiation: Tensor, Function, grad mode, gradcheck."""

from ember.autograd.tensor import Tensor
from ember.autograd.function import Context, Function
from ember.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from ember.autograd.gradcheck import GradcheckError, gradcheck

__all__ = [
    "Context",
    "Function",
    "GradcheckError",
    "Tensor",
    "enable_grad",
    "gradcheck",
    "is_grad_enabled",
    "no_grad",
    "set_grad_enabled",
]
