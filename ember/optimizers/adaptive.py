"""Per-coordinate adaptive learning rates: Adagrad, RMSprop, Adadelta."""

from __future__ import annotations

from ember import backend
from ember.optimizers.base import Optimizer, check_range


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011): each coordinate's step shrinks with its gradient history.

    With accumulator ``a`` (``initial_accumulator_value`` at the start)::

        a <- a + g^2
        w <- w - lr * g / sqrt(a + epsilon)

    Args:
        learning_rate: float, schedule or callable. Defaults to ``0.001``.
        initial_accumulator_value: starting value of the accumulators (>= 0).
        epsilon: small constant for numerical stability.
        **kwargs: the common optimizer arguments, see ``Optimizer``.

    Example:
        >>> import numpy as np
        >>> from ember import optimizers
        >>> from ember.variables import Variable
        >>> w = Variable(np.array([1.0]), name="w")
        >>> opt = optimizers.Adagrad(learning_rate=0.1, initial_accumulator_value=0.0,
        ...                          epsilon=0.0)
        >>> opt.apply([np.full(1, 2.0, dtype="float32")], [w])
        >>> w.numpy()  # 1 - 0.1 * 2 / sqrt(4)
        array([0.9], dtype=float32)
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value: float = 0.1,
                 epsilon: float = 1e-7, name: str | None = None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        check_range("Adagrad", "initial_accumulator_value", initial_accumulator_value, 0.0)
        check_range("Adagrad", "epsilon", epsilon, 0.0)
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def build(self, var_list) -> None:
        if self.built:
            return
        super().build(var_list)
        value = self.initial_accumulator_value

        def constant(shape, dtype):
            return backend.xp().full(shape, value, dtype=dtype)

        self._accumulators = self.add_optimizer_variables(var_list, "accumulator",
                                                          initializer=constant)

    def update_step(self, gradient, variable, learning_rate: float) -> None:
        w = variable.data
        xp = backend.array_module(w)
        accumulator = self._slot(self._accumulators, variable)
        tmp = xp.square(gradient)
        accumulator += tmp
        xp.add(accumulator, self.epsilon, out=tmp)
        xp.sqrt(tmp, out=tmp)
        step = gradient * w.dtype.type(learning_rate)
        step /= tmp
        w -= step

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"initial_accumulator_value": self.initial_accumulator_value,
                       "epsilon": self.epsilon})
        return config


class RMSprop(Optimizer):
    """RMSprop (Hinton, 2012), as Keras 3 defines it (plain momentum, optional centering).

    With mean square ``v``, mean gradient ``a`` (``centered`` only) and momentum buffer ``m``,
    all zeros at the start::

        v <- rho * v + (1 - rho) * g^2
        a <- rho * a + (1 - rho) * g                     (centered)
        d = v - a^2 + epsilon  if centered  else  v + epsilon
        u = lr * g / sqrt(d)
        m <- momentum * m + u;  w <- w - m               (momentum > 0)
        w <- w - u                                       (momentum == 0)

    Args:
        learning_rate: float, schedule or callable. Defaults to ``0.001``.
        rho: discounting factor of the history.
        momentum: momentum factor; ``0`` disables the momentum buffer.
        epsilon: small constant for numerical stability.
        centered: normalize by the estimated variance instead of the second moment.
        **kwargs: the common optimizer arguments, see ``Optimizer``.

    Example:
        >>> import numpy as np
        >>> from ember import optimizers
        >>> from ember.variables import Variable
        >>> w = Variable(np.array([10.0]), name="w")
        >>> opt = optimizers.RMSprop(learning_rate=0.1)
        >>> opt.apply([w.numpy()], [w])  # the gradient of w^2 / 2
        >>> w.numpy()  # 10 - 0.1 * 10 / sqrt(0.1 * 100)
        array([9.683772], dtype=float32)
    """

    def __init__(self, learning_rate=0.001, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-7, centered: bool = False, name: str = "rmsprop",
                 **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        check_range("RMSprop", "rho", rho, 0.0, 1.0)
        check_range("RMSprop", "momentum", momentum, 0.0)
        check_range("RMSprop", "epsilon", epsilon, 0.0)
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered

    def build(self, var_list) -> None:
        if self.built:
            return
        super().build(var_list)
        self._velocities = self.add_optimizer_variables(var_list, "velocity")
        self._momentums = []
        if self.momentum > 0:
            self._momentums = self.add_optimizer_variables(var_list, "momentum")
        self._average_gradients = []
        if self.centered:
            self._average_gradients = self.add_optimizer_variables(var_list,
                                                                   "average_gradient")

    def update_step(self, gradient, variable, learning_rate: float) -> None:
        w = variable.data
        xp = backend.array_module(w)
        rho = self.rho
        velocity = self._slot(self._velocities, variable)
        velocity *= rho
        tmp = xp.square(gradient)
        tmp *= 1 - rho
        velocity += tmp
        if self.centered:
            average = self._slot(self._average_gradients, variable)
            average *= rho
            xp.multiply(gradient, 1 - rho, out=tmp)
            average += tmp
            xp.square(average, out=tmp)
            xp.subtract(velocity, tmp, out=tmp)
            tmp += self.epsilon
        else:
            xp.add(velocity, self.epsilon, out=tmp)
        xp.sqrt(tmp, out=tmp)
        increment = gradient * w.dtype.type(learning_rate)
        increment /= tmp
        if self.momentum > 0:
            momentum = self._slot(self._momentums, variable)
            momentum *= self.momentum
            momentum += increment
            w -= momentum
        else:
            w -= increment

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                       "centered": self.centered})
        return config


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012), with a learning rate as in Keras 3 (``1.0`` is the paper's).

    With accumulated squared gradients ``s`` and squared updates ``x`` (zeros at start)::

        s <- rho * s + (1 - rho) * g^2
        d = -sqrt(x + epsilon) * g / sqrt(s + epsilon)
        x <- rho * x + (1 - rho) * d^2
        w <- w + lr * d

    Args:
        learning_rate: float, schedule or callable. Defaults to ``0.001``.
        rho: the decay rate.
        epsilon: small constant for numerical stability.
        **kwargs: the common optimizer arguments, see ``Optimizer``.

    Example:
        >>> import numpy as np
        >>> from ember import optimizers
        >>> from ember.variables import Variable
        >>> w = Variable(np.array([1.0]), name="w")
        >>> opt = optimizers.Adadelta(learning_rate=1.0, rho=0.0, epsilon=1e-2)
        >>> opt.apply([np.ones(1, dtype="float32")], [w])
        >>> w.numpy().round(4)  # 1 - sqrt(0.01) / sqrt(1.01)
        array([0.9005], dtype=float32)
    """

    def __init__(self, learning_rate=0.001, rho: float = 0.95, epsilon: float = 1e-7,
                 name: str = "adadelta", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        check_range("Adadelta", "rho", rho, 0.0, 1.0)
        check_range("Adadelta", "epsilon", epsilon, 0.0)
        self.rho = rho
        self.epsilon = epsilon

    def build(self, var_list) -> None:
        if self.built:
            return
        super().build(var_list)
        self._accumulated_grads = self.add_optimizer_variables(var_list, "accumulated_grad")
        self._accumulated_delta_vars = self.add_optimizer_variables(var_list,
                                                                    "accumulated_delta_var")

    def update_step(self, gradient, variable, learning_rate: float) -> None:
        w = variable.data
        xp = backend.array_module(w)
        rho = self.rho
        grads_sq = self._slot(self._accumulated_grads, variable)
        deltas_sq = self._slot(self._accumulated_delta_vars, variable)
        grads_sq *= rho
        tmp = xp.square(gradient)
        tmp *= 1 - rho
        grads_sq += tmp
        delta = deltas_sq + self.epsilon
        xp.sqrt(delta, out=delta)
        delta *= gradient
        xp.add(grads_sq, self.epsilon, out=tmp)
        xp.sqrt(tmp, out=tmp)
        delta /= tmp
        xp.negative(delta, out=delta)
        deltas_sq *= rho
        xp.square(delta, out=tmp)
        tmp *= 1 - rho
        deltas_sq += tmp
        delta *= w.dtype.type(learning_rate)
        w += delta

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"rho": self.rho, "epsilon": self.epsilon})
        return config
