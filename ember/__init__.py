"""ember: a deep-learning framework for learning, building and training neural networks.

Tensors with reverse-mode automatic differentiation (NumPy habits) and, on top of them, a
Keras 3 style model API.
"""

from ember import backend, ops
from ember.autograd import (
    Function,
    GradcheckError,
    Tensor,
    enable_grad,
    gradcheck,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from ember.ops.creation import (
    arange,
    eye,
    full,
    full_like,
    ones,
    ones_like,
    tensor,
    zeros,
    zeros_like,
)
from ember.ops.random import normal, rand, randn, uniform

__version__ = "0.1.0"
