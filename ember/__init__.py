"""ember: a deep-learning framework for learning, building and training neural networks.

Two levels of API over one engine:

- tensors with reverse-mode automatic differentiation, with NumPy and PyTorch habits
  (``ember.tensor``, ``loss.backward()``, ``ember.no_grad()``, ``ember.Function``,
  ``ember.gradcheck``);
- models with Keras 3 habits (``ember.layers``, ``ember.Sequential``, ``ember.Model``,
  ``compile``/``fit``/``evaluate``/``predict``), so ``import ember as keras`` runs a Keras
  program that stays within ember's scope.
"""

from ember import _allocator

_allocator.tune()

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
from ember.variables import Variable
from ember import (  # noqa: E402 - the model level builds on the names above
    activations,
    callbacks,
    config,
    constraints,
    datasets,
    initializers,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    random,
    regularizers,
    saving,
    utils,
    visualize,
)
from ember import applications, blocks  # noqa: E402 - built from layers and models
from ember.layers import Input, InputSpec, Layer
from ember.layers.symbolic import KerasTensor
from ember.models import Model, Sequential

__version__ = "0.1.0"
