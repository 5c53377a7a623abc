"""Stochastic gradient descent, with optional (Nesterov) momentum."""

from __future__ import annotations

from ember.optimizers.base import Optimizer, check_range


class SGD(Optimizer):
    """Gradient descent (with momentum), as Keras 3 defines it.

    For learning rate ``lr``, gradient ``g`` and velocity ``m`` (zeros at the start)::

        momentum == 0:  w <- w - lr * g
        otherwise:      m <- momentum * m - lr * g
                        w <- w + m                          (nesterov=False)
                        w <- w + momentum * m - lr * g      (nesterov=True)

    Args:
        learning_rate: float, schedule or callable. Defaults to ``0.01``.
        momentum: float in [0, 1]. ``0`` is vanilla gradient descent.
        nesterov: whether to apply Nesterov momentum.
        **kwargs: the common optimizer arguments (``weight_decay``, ``clipnorm``,
            ``clipvalue``, ``global_clipnorm``, ``use_ema``, ``ema_momentum``,
            ``ema_overwrite_frequency``, ``loss_scale_factor``,
            ``gradient_accumulation_steps``), see ``Optimizer``.

    Example:
        >>> import numpy as np
        >>> from ember import optimizers
        >>> from ember.variables import Variable
        >>> w = Variable(np.array([1.0]), name="w")
        >>> opt = optimizers.SGD(learning_rate=0.1, momentum=0.5)
        >>> for _ in range(2):
        ...     opt.apply([np.ones(1, dtype="float32")], [w])
        >>> w.numpy()  # 1 - 0.1 - (0.05 + 0.1)
        array([0.75], dtype=float32)
    """

    def __init__(self, learning_rate=0.01, momentum: float = 0.0, nesterov: bool = False,
                 name: str = "SGD", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        check_range("SGD", "momentum", momentum, 0.0, 1.0)
        self.momentum = momentum
        self.nesterov = nesterov

    def build(self, var_list) -> None:
        if self.built:
            return
        super().build(var_list)
        self.momentums = []
        if self.momentum != 0:
            self.momentums = self.add_optimizer_variables(var_list, "momentum")

    def update_step(self, gradient, variable, learning_rate: float) -> None:
        w = variable.data
        scalar = w.dtype.type
        step = gradient * scalar(learning_rate)
        if self.momentum == 0:
            w -= step
            return
        m = self._slot(self.momentums, variable)
        momentum = scalar(self.momentum)
        m *= momentum
        m -= step
        if self.nesterov:
            look_ahead = m * momentum
            look_ahead -= step
            w += look_ahead
        else:
            w += m

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return config
