"""Learning-rate schedules: the learning rate as a function of the optimizer step.

A schedule is passed as an optimizer's ``learning_rate``; the optimizer evaluates it at its
``iterations`` before every update. The Keras 3 schedules keep Keras's names, arguments and
formulas; ``OneCycle``, ``CyclicalLR`` and ``LinearWarmup`` are ember extras (Smith's
policies as PyTorch defines them, and a warm-up wrapper). Every schedule returns a Python
float and round-trips through ``serialize``/``deserialize``.
"""

from __future__ import annotations

import abc
import math

from ember.saving.object_registration import Registry, custom_object_scope


class LearningRateSchedule(abc.ABC):
    """Base class of learning-rate schedules: ``schedule(step)`` gives the learning rate.

    Subclasses implement ``__call__(step)`` and, to be serializable, ``get_config()``.

    Example:
        >>> from ember.optimizers import schedules
        >>> class InverseStep(schedules.LearningRateSchedule):
        ...     def __init__(self, initial_learning_rate):
        ...         self.initial_learning_rate = initial_learning_rate
        ...     def __call__(self, step):
        ...         return self.initial_learning_rate / (float(step) + 1)
        ...     def get_config(self):
        ...         return {"initial_learning_rate": self.initial_learning_rate}
        >>> InverseStep(0.1)(4)
        0.02
    """

    @abc.abstractmethod
    def __call__(self, step) -> float:
        """The learning rate at optimizer step ``step`` (an int or a 0-d tensor)."""

    def get_config(self) -> dict:
        raise TypeError(
            f"Learning rate schedule '{type(self).__name__}' must override get_config() "
            "in order to be serializable."
        )

    @classmethod
    def from_config(cls, config: dict) -> LearningRateSchedule:
        return cls(**config)


def _positive(cls_name: str, arg: str, value) -> None:
    if value <= 0:
        raise ValueError(f"{cls_name}: expected {arg} > 0. Received: {arg}={value}")


class ExponentialDecay(LearningRateSchedule):
    """Exponential decay: ``lr(step) = initial_learning_rate * decay_rate ** (step / decay_steps)``.

    With ``staircase=True`` the exponent is ``floor(step / decay_steps)``.

    Example:
        >>> from ember.optimizers import schedules
        >>> schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)(20)
        0.025
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float,
                 staircase: bool = False, name: str = "ExponentialDecay"):
        _positive("ExponentialDecay", "decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step) -> float:
        p = float(step) / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return self.initial_learning_rate * self.decay_rate**p

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class PiecewiseConstantDecay(LearningRateSchedule):
    """Step decay: ``values[0]`` while ``step <= boundaries[0]``, ``values[i]`` while
    ``boundaries[i-1] < step <= boundaries[i]``, and ``values[-1]`` after the last boundary.

    Example:
        >>> from ember.optimizers import schedules
        >>> s = schedules.PiecewiseConstantDecay([100, 200], [1.0, 0.5, 0.1])
        >>> s(100), s(101), s(500)
        (1.0, 0.5, 0.1)
    """

    def __init__(self, boundaries, values, name: str = "PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "PiecewiseConstantDecay: expected len(boundaries) == len(values) - 1. "
                f"Received: boundaries={boundaries} of length {len(boundaries)}, and "
                f"values={values} of length {len(values)}"
            )
        self.boundaries = list(boundaries)
        self.values = list(values)
        self.name = name

    def __call__(self, step) -> float:
        step = float(step)
        for boundary, value in zip(self.boundaries, self.values, strict=False):
            if step <= boundary:
                return float(value)
        return float(self.values[-1])

    def get_config(self) -> dict:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """Polynomial decay from ``initial_learning_rate`` to ``end_learning_rate``::

        step = min(step, decay_steps)
        lr = (initial - end) * (1 - step / decay_steps) ** power + end

    With ``cycle=True`` the decay restarts: ``decay_steps`` is multiplied by
    ``ceil(step / decay_steps)`` (by 1 at step 0) instead of clamping the step.

    Example:
        >>> from ember.optimizers import schedules
        >>> schedules.PolynomialDecay(1.0, 10, end_learning_rate=0.0)(5)
        0.5
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int,
                 end_learning_rate: float = 0.0001, power: float = 1.0, cycle: bool = False,
                 name: str = "PolynomialDecay"):
        _positive("PolynomialDecay", "decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step) -> float:
        step = float(step)
        decay_steps = float(self.decay_steps)
        if self.cycle:
            decay_steps *= 1.0 if step == 0 else math.ceil(step / decay_steps)
        else:
            step = min(step, decay_steps)
        p = step / decay_steps
        return ((self.initial_learning_rate - self.end_learning_rate) * (1 - p) ** self.power
                + self.end_learning_rate)

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


class InverseTimeDecay(LearningRateSchedule):
    """Inverse time decay: ``lr = initial_learning_rate / (1 + decay_rate * step / decay_steps)``.

    With ``staircase=True``, ``step / decay_steps`` is floored.

    Example:
        >>> from ember.optimizers import schedules
        >>> schedules.InverseTimeDecay(0.1, decay_steps=1, decay_rate=0.5)(2)
        0.05
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float,
                 staircase: bool = False, name: str = "InverseTimeDecay"):
        _positive("InverseTimeDecay", "decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step) -> float:
        p = float(step) / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return self.initial_learning_rate / (1 + self.decay_rate * p)

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class CosineDecay(LearningRateSchedule):
    """Cosine decay (Loshchilov & Hutter, SGDR) with an optional linear warm-up.

    Without ``warmup_target``::

        step = min(step, decay_steps)
        lr = initial * ((1 - alpha) * 0.5 * (1 + cos(pi * step / decay_steps)) + alpha)

    With ``warmup_target``, the rate first rises linearly from ``initial_learning_rate`` to
    ``warmup_target`` over ``warmup_steps``, then decays from ``warmup_target`` as above
    over ``decay_steps`` (the step counted from the end of the warm-up).

    Example:
        >>> from ember.optimizers import schedules
        >>> round(schedules.CosineDecay(1.0, decay_steps=100)(50), 6)
        0.5
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, alpha: float = 0.0,
                 name: str = "CosineDecay", warmup_target: float | None = None,
                 warmup_steps: int = 0):
        _positive("CosineDecay", "decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def __call__(self, step) -> float:
        step = float(step)
        if self.warmup_target is None:
            return self._decay(min(step, self.decay_steps), self.initial_learning_rate)
        step = min(step, self.decay_steps + self.warmup_steps)
        if step < self.warmup_steps:
            delta = self.warmup_target - self.initial_learning_rate
            return delta * (step / self.warmup_steps) + self.initial_learning_rate
        return self._decay(step - self.warmup_steps, self.warmup_target)

    def _decay(self, step: float, decay_from: float) -> float:
        cosine = 0.5 * (1.0 + math.cos(math.pi * (step / self.decay_steps)))
        return decay_from * ((1 - self.alpha) * cosine + self.alpha)

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR, Loshchilov & Hutter 2016).

    The first period lasts ``first_decay_steps``; each next one ``t_mul`` times longer and
    starting from ``m_mul`` times the previous peak. With ``f = step / first_decay_steps``,
    the period index is ``i = floor(f)`` when ``t_mul == 1``, else
    ``i = floor(log(1 - f (1 - t_mul)) / log(t_mul))`` and the fraction done of that period is
    ``c = (f - (1 - t_mul**i) / (1 - t_mul)) / t_mul**i``; then::

        lr = initial * ((1 - alpha) * 0.5 * m_mul**i * (1 + cos(pi * c)) + alpha)

    Example:
        >>> from ember.optimizers import schedules
        >>> s = schedules.CosineDecayRestarts(1.0, first_decay_steps=10)
        >>> s(0), s(10)  # a restart at step 10
        (1.0, 1.0)
    """

    def __init__(self, initial_learning_rate: float, first_decay_steps: int, t_mul: float = 2.0,
                 m_mul: float = 1.0, alpha: float = 0.0, name: str = "SGDRDecay"):
        _positive("CosineDecayRestarts", "first_decay_steps", first_decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self.t_mul = t_mul
        self.m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def __call__(self, step) -> float:
        fraction = float(step) / self.first_decay_steps
        t_mul = self.t_mul
        if t_mul == 1.0:
            i_restart = math.floor(fraction)
            fraction -= i_restart
        else:
            i_restart = math.floor(math.log(1.0 - fraction * (1.0 - t_mul)) / math.log(t_mul))
            sum_r = (1.0 - t_mul**i_restart) / (1.0 - t_mul)
            fraction = (fraction - sum_r) / t_mul**i_restart
        cosine = 0.5 * self.m_mul**i_restart * (1.0 + math.cos(math.pi * fraction))
        return self.initial_learning_rate * ((1 - self.alpha) * cosine + self.alpha)

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self.t_mul,
            "m_mul": self.m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }


class OneCycle(LearningRateSchedule):
    """Smith's 1cycle policy, learning-rate part, as PyTorch's ``OneCycleLR`` defines it.

    The rate starts at ``max_learning_rate / div_factor``, rises to ``max_learning_rate`` by
    step ``pct_start * total_steps - 1``, then anneals down to
    ``initial / final_div_factor`` at step ``total_steps - 1``. With ``three_phase=True`` it
    first comes back down to the initial rate (symmetrically) and only then anneals to the
    minimum. Within a phase from ``a`` to ``b`` at fraction ``p`` of it, the rate is
    ``b + (a - b) / 2 * (1 + cos(pi p))`` (``anneal_strategy="cos"``) or
    ``a + (b - a) p`` (``"linear"``). Steps beyond ``total_steps`` are an error, as in PyTorch.

    Reference: Smith & Topin, "Super-Convergence", 2017 (arXiv:1708.07120).

    Example:
        >>> from ember.optimizers import schedules
        >>> s = schedules.OneCycle(max_learning_rate=1.0, total_steps=100)
        >>> round(s(0), 6), s(29)
        (0.04, 1.0)
    """

    def __init__(self, max_learning_rate: float, total_steps: int, pct_start: float = 0.3,
                 div_factor: float = 25.0, final_div_factor: float = 1e4,
                 anneal_strategy: str = "cos", three_phase: bool = False):
        _positive("OneCycle", "total_steps", total_steps)
        if not 0 <= pct_start <= 1:
            raise ValueError(
                f"OneCycle: expected pct_start in [0, 1]. Received: pct_start={pct_start}"
            )
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                "OneCycle: expected anneal_strategy 'cos' or 'linear'. "
                f"Received: anneal_strategy={anneal_strategy!r}"
            )
        self.max_learning_rate = max_learning_rate
        self.total_steps = total_steps
        self.pct_start = pct_start
        self.div_factor = div_factor
        self.final_div_factor = final_div_factor
        self.anneal_strategy = anneal_strategy
        self.three_phase = three_phase
        initial = max_learning_rate / div_factor
        minimum = initial / final_div_factor
        warm_end = float(pct_start * total_steps) - 1
        if three_phase:
            self._phases = [(warm_end, initial, max_learning_rate),
                            (float(2 * pct_start * total_steps) - 2, max_learning_rate, initial),
                            (total_steps - 1, initial, minimum)]
        else:
            self._phases = [(warm_end, initial, max_learning_rate),
                            (total_steps - 1, max_learning_rate, minimum)]

    def __call__(self, step) -> float:
        step = float(step)
        if step > self.total_steps:
            raise ValueError(
                f"OneCycle: expected step <= total_steps={self.total_steps}. "
                f"Received: step={step:g}"
            )
        start_step = 0.0
        for end_step, start, end in self._phases[:-1]:
            if step <= end_step:
                return self._anneal(start, end, step - start_step, end_step - start_step)
            start_step = end_step
        end_step, start, end = self._phases[-1]
        return self._anneal(start, end, step - start_step, end_step - start_step)

    def _anneal(self, start: float, end: float, done: float, length: float) -> float:
        pct = done / length if length else 1.0
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_config(self) -> dict:
        return {
            "max_learning_rate": self.max_learning_rate,
            "total_steps": self.total_steps,
            "pct_start": self.pct_start,
            "div_factor": self.div_factor,
            "final_div_factor": self.final_div_factor,
            "anneal_strategy": self.anneal_strategy,
            "three_phase": self.three_phase,
        }


class CyclicalLR(LearningRateSchedule):
    """Cyclical learning rates (Smith 2017): a triangular wave between two bounds.

    ::

        cycle = floor(1 + step / (2 * step_size))
        x = |step / step_size - 2 * cycle + 1|
        lr = base + (max - base) * max(0, 1 - x) * scale

    where ``scale`` is 1 (``"triangular"``), ``1 / 2**(cycle - 1)`` (``"triangular2"``) or
    ``gamma**step`` (``"exp_range"``). This is PyTorch's ``CyclicLR`` with equal up and down
    half-cycles.

    Reference: Smith, "Cyclical Learning Rates for Training Neural Networks", 2017.

    Example:
        >>> from ember.optimizers import schedules
        >>> s = schedules.CyclicalLR(0.1, 1.0, step_size=10)
        >>> s(0), s(5), s(10), s(20)
        (0.1, 0.55, 1.0, 0.1)
    """

    _MODES = ("triangular", "triangular2", "exp_range")

    def __init__(self, base_learning_rate: float, max_learning_rate: float, step_size: int,
                 mode: str = "triangular", gamma: float = 1.0):
        _positive("CyclicalLR", "step_size", step_size)
        if mode not in self._MODES:
            raise ValueError(
                f"CyclicalLR: expected mode in {self._MODES}. Received: mode={mode!r}"
            )
        self.base_learning_rate = base_learning_rate
        self.max_learning_rate = max_learning_rate
        self.step_size = step_size
        self.mode = mode
        self.gamma = gamma

    def __call__(self, step) -> float:
        step = float(step)
        cycle = math.floor(1 + step / (2 * self.step_size))
        x = abs(step / self.step_size - 2 * cycle + 1)
        if self.mode == "triangular":
            scale = 1.0
        elif self.mode == "triangular2":
            scale = 1.0 / 2.0 ** (cycle - 1)
        else:
            scale = self.gamma**step
        height = (self.max_learning_rate - self.base_learning_rate) * max(0.0, 1 - x)
        return self.base_learning_rate + height * scale

    def get_config(self) -> dict:
        return {
            "base_learning_rate": self.base_learning_rate,
            "max_learning_rate": self.max_learning_rate,
            "step_size": self.step_size,
            "mode": self.mode,
            "gamma": self.gamma,
        }


class LinearWarmup(LearningRateSchedule):
    """A linear warm-up in front of another schedule (or a constant rate).

    For ``step < warmup_steps`` the rate rises linearly from ``initial_learning_rate`` to
    ``after(0)``: ``initial + (after(0) - initial) * step / warmup_steps``; from then on it is
    ``after(step - warmup_steps)``. ``after`` is a schedule or a float.

    Example:
        >>> from ember.optimizers import schedules
        >>> s = schedules.LinearWarmup(10, schedules.ExponentialDecay(1.0, 10, 0.5))
        >>> s(5), s(10), s(20)
        (0.5, 1.0, 0.5)
    """

    def __init__(self, warmup_steps: int, after, initial_learning_rate: float = 0.0):
        if warmup_steps < 0:
            raise ValueError(
                f"LinearWarmup: expected warmup_steps >= 0. Received: warmup_steps={warmup_steps}"
            )
        if not (isinstance(after, (int, float)) or callable(after)):
            raise ValueError(
                "LinearWarmup: expected `after` to be a float or a schedule. "
                f"Received: after={after!r}"
            )
        self.warmup_steps = warmup_steps
        self.after = after
        self.initial_learning_rate = initial_learning_rate

    def _after(self, step: float) -> float:
        return float(self.after(step)) if callable(self.after) else float(self.after)

    def __call__(self, step) -> float:
        step = float(step)
        if step < self.warmup_steps:
            target = self._after(0)
            delta = target - self.initial_learning_rate
            return self.initial_learning_rate + delta * (step / self.warmup_steps)
        return self._after(step - self.warmup_steps)

    def get_config(self) -> dict:
        after = serialize(self.after) if callable(self.after) else self.after
        return {
            "warmup_steps": self.warmup_steps,
            "after": after,
            "initial_learning_rate": self.initial_learning_rate,
        }

    @classmethod
    def from_config(cls, config: dict) -> LinearWarmup:
        config = dict(config)
        if isinstance(config["after"], dict):
            config["after"] = deserialize(config["after"])
        return cls(**config)


_REGISTRY = Registry("learning rate schedule")
for _cls in (ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay, InverseTimeDecay,
             CosineDecay, CosineDecayRestarts, OneCycle, CyclicalLR, LinearWarmup):
    _REGISTRY.add(_cls.__name__, _cls)


def serialize(learning_rate_schedule: LearningRateSchedule) -> dict:
    """The ``{"module", "class_name", "config"}`` dict of a schedule (JSON-compatible).

    Example:
        >>> from ember.optimizers import schedules
        >>> schedules.serialize(schedules.ExponentialDecay(0.1, 10, 0.9))["class_name"]
        'ExponentialDecay'
    """
    return _REGISTRY.serialize(learning_rate_schedule)


def deserialize(config, custom_objects=None) -> LearningRateSchedule:
    """A schedule from its ``serialize`` dict; ``custom_objects`` resolves user classes."""
    with custom_object_scope(custom_objects or {}):
        return _REGISTRY.deserialize(config, custom_objects)


def get(identifier, custom_objects=None):
    """Resolve a schedule from a schedule (returned as is), a config dict or a class name."""
    if identifier is None or isinstance(identifier, LearningRateSchedule):
        return identifier
    if isinstance(identifier, (dict, str)):
        if isinstance(identifier, str):
            identifier = {"class_name": identifier, "config": {}}
        return deserialize(identifier, custom_objects)
    raise ValueError(
        "schedules.get: expected a LearningRateSchedule, a config dict or a class name. "
        f"Received: identifier={identifier!r}"
    )
