"""Adam and its relatives: Adam (with AMSGrad), AdamW, Nadam, Adamax."""

from __future__ import annotations

import numpy as np

from ember import backend
from ember.optimizers.base import Optimizer, check_range


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2014), in Keras 3's form with the bias correction folded into lr.

    With first and second moments ``m``, ``v`` (zeros at the start) at update ``t`` (1-based)::

        m <- m + (1 - beta_1) * (g - m)
        v <- v + (1 - beta_2) * (g^2 - v)
        v_hat <- max(v_hat, v);  v = v_hat               (amsgrad, Reddi et al. 2018)
        alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)
        w <- w - alpha * m / (sqrt(v) + epsilon)

    Args:
        learning_rate: float, schedule or callable. Defaults to ``0.001``.
        beta_1: decay rate of the first moment.
        beta_2: decay rate of the second moment.
        epsilon: the "epsilon hat" of the paper (added after the square root).
        amsgrad: use the running maximum of ``v`` (AMSGrad).
        **kwargs: the common optimizer arguments, see ``Optimizer``.

    Example:
        >>> import numpy as np
        >>> from ember import optimizers
        >>> from ember.variables import Variable
        >>> w = Variable(np.array([1.0]), name="w")
        >>> opt = optimizers.Adam(learning_rate=0.1)
        >>> opt.apply([np.full(1, 5.0, dtype="float32")], [w])
        >>> w.numpy().round(4)  # the first Adam step is about lr * sign(g)
        array([0.9], dtype=float32)
    """

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, amsgrad: bool = False, name: str = "adam", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        _check_betas(type(self).__name__, beta_1, beta_2, epsilon)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.amsgrad = amsgrad

    def build(self, var_list) -> None:
        if self.built:
            return
        super().build(var_list)
        self._momentums = self.add_optimizer_variables(var_list, "momentum")
        self._velocities = self.add_optimizer_variables(var_list, "velocity")
        if self.amsgrad:
            self._velocity_hats = self.add_optimizer_variables(var_list, "velocity_hat")

    def update_step(self, gradient, variable, learning_rate: float) -> None:
        w = variable.data
        xp = backend.array_module(w)
        scalar = w.dtype.type
        t = scalar(self._local_step)
        alpha = (scalar(learning_rate) * np.sqrt(1 - scalar(self.beta_2) ** t)
                 / (1 - scalar(self.beta_1) ** t))
        m = self._slot(self._momentums, variable)
        v = self._slot(self._velocities, variable)
        tmp = gradient - m
        tmp *= 1 - self.beta_1
        m += tmp
        xp.square(gradient, out=tmp)
        tmp -= v
        tmp *= 1 - self.beta_2
        v += tmp
        if self.amsgrad:
            v_hat = self._slot(self._velocity_hats, variable)
            xp.maximum(v_hat, v, out=v_hat)
            v = v_hat
        xp.sqrt(v, out=tmp)
        tmp += self.epsilon
        step = m * alpha
        step /= tmp
        w -= step

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                       "amsgrad": self.amsgrad})
        return config


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    Before each Adam update (see ``Adam``): ``w <- w - w * weight_decay * lr``, skipping the
    variables passed to ``exclude_from_weight_decay``.

    Args:
        learning_rate: float, schedule or callable. Defaults to ``0.001``.
        weight_decay: the decay factor (required). Defaults to ``0.004``.
        beta_1, beta_2, epsilon, amsgrad: as in ``Adam``.
        **kwargs: the common optimizer arguments, see ``Optimizer``.

    Example:
        >>> import numpy as np
        >>> from ember import optimizers
        >>> from ember.variables import Variable
        >>> w = Variable(np.array([1.0]), name="w")
        >>> opt = optimizers.AdamW(learning_rate=0.1, weight_decay=0.5)
        >>> opt.apply([np.ones(1, dtype="float32")], [w])
        >>> w.numpy().round(4)  # 1 - 1 * 0.5 * 0.1 - 0.1
        array([0.85], dtype=float32)
    """

    def __init__(self, learning_rate=0.001, weight_decay: float = 0.004, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-7, amsgrad: bool = False,
                 name: str = "adamw", **kwargs):
        if weight_decay is None:
            raise ValueError("AdamW: expected `weight_decay` to be a float. "
                             "Received: weight_decay=None")
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2,
                         epsilon=epsilon, amsgrad=amsgrad, name=name, weight_decay=weight_decay,
                         **kwargs)


class Nadam(Optimizer):
    """Nadam (Dozat, 2015): Adam with Nesterov momentum and a momentum schedule, as in Keras 3.

    With ``mu_t = beta_1 * (1 - 0.5 * 0.96^t)`` and ``P_t = mu_1 * ... * mu_t`` (a state
    variable, so that ``P`` survives a restore) at update ``t``::

        m <- m + (1 - beta_1) * (g - m)
        v <- v + (1 - beta_2) * (g^2 - v)
        m_hat = mu_{t+1} * m / (1 - P_t * mu_{t+1}) + (1 - mu_t) * g / (1 - P_t)
        v_hat = v / (1 - beta_2^t)
        w <- w - lr * m_hat / (sqrt(v_hat) + epsilon)

    Args:
        learning_rate: float, schedule or callable. Defaults to ``0.001``.
        beta_1, beta_2, epsilon: as in ``Adam``.
        **kwargs: the common optimizer arguments, see ``Optimizer``.

    Example:
        >>> import numpy as np
        >>> from ember import optimizers
        >>> from ember.variables import Variable
        >>> w = Variable(np.array([1.0, -1.0]), name="w")
        >>> opt = optimizers.Nadam(learning_rate=0.1)
        >>> opt.apply([np.array([1.0, -1.0], dtype="float32")], [w])
        >>> bool(w.numpy()[0] < 1.0 and w.numpy()[1] > -1.0)
        True
    """

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, name: str = "nadam", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        _check_betas("Nadam", beta_1, beta_2, epsilon)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def build(self, var_list) -> None:
        if self.built:
            return
        var_list = list(var_list)
        dtype = var_list[0].dtype if var_list else backend.floatx()
        super().build(var_list)
        self._momentums = self.add_optimizer_variables(var_list, "momentum")
        self._velocities = self.add_optimizer_variables(var_list, "velocity")
        self._u_product = self.add_variable((), initializer="ones", dtype=dtype,
                                            name="u_product")

    def _update_step_all(self, grads, variables, learning_rate: float) -> None:
        u_product = self._u_product.data
        scalar = u_product.dtype.type
        u_product *= self.beta_1
        u_product *= 1.0 - 0.5 * scalar(0.96) ** scalar(self._local_step)
        self._u_product_value = float(u_product)
        super()._update_step_all(grads, variables, learning_rate)

    def update_step(self, gradient, variable, learning_rate: float) -> None:
        w = variable.data
        xp = backend.array_module(w)
        scalar = w.dtype.type
        beta_1, beta_2, decay = scalar(self.beta_1), scalar(self.beta_2), scalar(0.96)
        t = scalar(self._local_step)
        u_t = beta_1 * (1.0 - 0.5 * decay**t)
        u_t_1 = beta_1 * (1.0 - 0.5 * decay ** (t + 1))
        u_product_t = scalar(self._u_product_value)
        u_product_t_1 = u_product_t * u_t_1
        m = self._slot(self._momentums, variable)
        v = self._slot(self._velocities, variable)
        tmp = gradient - m
        tmp *= 1 - beta_1
        m += tmp
        xp.square(gradient, out=tmp)
        tmp -= v
        tmp *= 1 - beta_2
        v += tmp
        m_hat = m * u_t_1
        m_hat /= 1 - u_product_t_1
        xp.multiply(gradient, 1 - u_t, out=tmp)
        tmp /= 1 - u_product_t
        m_hat += tmp
        xp.divide(v, 1 - beta_2**t, out=tmp)
        xp.sqrt(tmp, out=tmp)
        tmp += self.epsilon
        m_hat *= scalar(learning_rate)
        m_hat /= tmp
        w -= m_hat

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config


class Adamax(Optimizer):
    """Adamax (Kingma & Ba, 2014, section 7.1): Adam with the infinity norm.

    With first moment ``m`` and weighted infinity norm ``u`` (zeros) at update ``t``::

        m <- m + (1 - beta_1) * (g - m)
        u <- max(beta_2 * u, |g|)
        w <- w - lr * m / ((1 - beta_1^t) * (u + epsilon))

    Args:
        learning_rate: float, schedule or callable. Defaults to ``0.001``.
        beta_1: decay rate of the first moment.
        beta_2: decay rate of the infinity norm.
        epsilon: small constant for numerical stability.
        **kwargs: the common optimizer arguments, see ``Optimizer``.

    Example:
        >>> import numpy as np
        >>> from ember import optimizers
        >>> from ember.variables import Variable
        >>> w = Variable(np.array([1.0]), name="w")
        >>> opt = optimizers.Adamax(learning_rate=0.1, epsilon=0.0)
        >>> opt.apply([np.full(1, 3.0, dtype="float32")], [w])
        >>> w.numpy().round(4)  # 1 - 0.1 * (0.1 * 3) / (0.1 * 3)
        array([0.9], dtype=float32)
    """

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, name: str = "adamax", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        _check_betas("Adamax", beta_1, beta_2, epsilon)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def build(self, var_list) -> None:
        if self.built:
            return
        super().build(var_list)
        self._m, self._u = self.add_optimizer_variables(var_list, ["momentum", "norm"])

    def update_step(self, gradient, variable, learning_rate: float) -> None:
        w = variable.data
        xp = backend.array_module(w)
        scalar = w.dtype.type
        beta_1_power = scalar(self.beta_1) ** scalar(self._local_step)
        m = self._slot(self._m, variable)
        u = self._slot(self._u, variable)
        tmp = gradient - m
        tmp *= 1 - self.beta_1
        m += tmp
        u *= self.beta_2
        xp.abs(gradient, out=tmp)
        xp.maximum(u, tmp, out=u)
        xp.add(u, self.epsilon, out=tmp)
        tmp *= 1 - beta_1_power
        step = m * scalar(learning_rate)
        step /= tmp
        w -= step

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config


def _check_betas(owner: str, beta_1, beta_2, epsilon) -> None:
    check_range(owner, "beta_1", beta_1, 0.0, 1.0)
    check_range(owner, "beta_2", beta_2, 0.0, 1.0)
    check_range(owner, "epsilon", epsilon, 0.0)
