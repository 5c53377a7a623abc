"""Lion: sign-momentum optimization found by program search."""

from __future__ import annotations

from ember import backend
from ember.optimizers.base import Optimizer, check_range


class Lion(Optimizer):
    """Lion (Chen et al., 2023, "Symbolic Discovery of Optimization Algorithms").

    With momentum ``m`` (zeros at the start)::

        w <- w - lr * sign(beta_1 * m + (1 - beta_1) * g)
        m <- beta_2 * m + (1 - beta_2) * g

    Every coordinate moves by exactly ``lr``, so Lion's learning rate is typically 3-10x
    smaller than AdamW's (and its weight decay 3-10x larger).

    Args:
        learning_rate: float, schedule or callable. Defaults to ``0.001``.
        beta_1: interpolation between momentum and gradient for the update, in (0, 1].
        beta_2: decay rate of the momentum.
        **kwargs: the common optimizer arguments, see ``Optimizer``.

    Example:
        >>> import numpy as np
        >>> from ember import optimizers
        >>> from ember.variables import Variable
        >>> w = Variable(np.array([1.0, 1.0]), name="w")
        >>> opt = optimizers.Lion(learning_rate=0.1)
        >>> opt.apply([np.array([3.0, -0.5], dtype="float32")], [w])
        >>> w.numpy()
        array([0.9, 1.1], dtype=float32)
    """

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.99,
                 name: str = "lion", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        if isinstance(beta_1, bool) or not 0 < beta_1 <= 1:
            raise ValueError(
                "Lion: expected `beta_1` in (0, 1]; otherwise the optimizer degenerates to "
                f"SignSGD. Received: beta_1={beta_1}")
        check_range("Lion", "beta_2", beta_2, 0.0, 1.0)
        self.beta_1 = beta_1
        self.beta_2 = beta_2

    def build(self, var_list) -> None:
        if self.built:
            return
        super().build(var_list)
        self._momentums = self.add_optimizer_variables(var_list, "momentum")

    def update_step(self, gradient, variable, learning_rate: float) -> None:
        w = variable.data
        xp = backend.array_module(w)
        scalar = w.dtype.type
        beta_1, beta_2 = scalar(self.beta_1), scalar(self.beta_2)
        m = self._slot(self._momentums, variable)
        direction = m * beta_1
        tmp = gradient * (1 - beta_1)
        direction += tmp
        xp.sign(direction, out=tmp)  # not in place: NumPy's in-place sign is several times slower
        tmp *= scalar(learning_rate)
        w -= tmp
        m *= beta_2
        xp.multiply(gradient, 1 - beta_2, out=tmp)
        m += tmp

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2})
        return config
