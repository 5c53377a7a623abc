"""``Optimizer``: the base of every optimizer (Keras 3's ``BaseOptimizer`` contract).

The base owns what all algorithms share: slot variables (``add_variable``,
``add_variable_from_reference``), the update loop of ``apply``, gradient clipping, decoupled
weight decay, loss scaling, gradient accumulation, the moving average of the weights (EMA),
the learning rate (a float kept in a variable, a schedule or a callable), the step counter
``iterations`` and the config. A subclass creates its slots in ``build`` and updates one
variable in place in ``update_step``.
"""

from __future__ import annotations

import abc
import numbers
import re
import warnings

import numpy as np

from ember import backend
from ember.autograd.grad_mode import no_grad
from ember.autograd.tensor import Tensor
from ember.optimizers import schedules
from ember.variables import Variable


class Optimizer(abc.ABC):
    """Base class of optimizers.

    Every optimizer takes these keyword arguments besides its own hyperparameters:

    - ``learning_rate``: a float, a ``schedules.LearningRateSchedule`` (evaluated at
      ``iterations`` before each update) or a callable without arguments.
    - ``weight_decay``: if set, each update first applies decoupled weight decay
      ``w <- w - w * weight_decay * lr`` (Loshchilov & Hutter), except on variables named in
      ``exclude_from_weight_decay``.
    - ``clipnorm`` / ``global_clipnorm`` / ``clipvalue`` (at most one): rescale each gradient
      to L2 norm ``<= clipnorm`` (``g * clipnorm / max(||g||, clipnorm)``), rescale all
      gradients together to global norm ``<= global_clipnorm``, or clip each element to
      ``[-clipvalue, clipvalue]``.
    - ``use_ema``, ``ema_momentum``, ``ema_overwrite_frequency``: keep an exponential moving
      average ``avg <- m * avg + (1 - m) * w`` of the trained variables (``m = 0`` at the first
      step), copied into them every ``ema_overwrite_frequency`` steps or by
      ``finalize_variable_values``.
    - ``loss_scale_factor``: gradients are divided by it (pair with ``scale_loss``).
    - ``gradient_accumulation_steps``: update only every N calls, with the mean gradient
      of those calls; ``iterations`` then counts updates.
    - ``name``: prefix of the optimizer's variable paths.

    A subclass creates its slots in ``build(var_list)`` (after ``super().build``) and
    implements ``update_step(gradient, variable, learning_rate)``: ``gradient`` is a raw
    array of the variable's dtype that must not be modified, ``learning_rate`` a Python
    float and ``self._local_step`` the 1-based index of the update being applied.

    Example:
        >>> import numpy as np
        >>> from ember import optimizers
        >>> from ember.variables import Variable
        >>> w = Variable(np.array([1.0, 2.0]), name="w")
        >>> opt = optimizers.SGD(learning_rate=0.5)
        >>> opt.apply([np.array([1.0, 1.0], dtype="float32")], [w])
        >>> w.numpy(), int(opt.iterations)
        (array([0.5, 1.5], dtype=float32), 1)
    """

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        cls_name = type(self).__name__
        if kwargs.pop("decay", None) is not None:
            warnings.warn(f"{cls_name}: argument `decay` is no longer supported and is ignored.",
                          stacklevel=2)
        if kwargs:
            raise ValueError(f"{cls_name}: argument(s) not recognized: {kwargs}")
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                f"{cls_name}: expected at most one of `clipnorm`, `clipvalue` and "
                f"`global_clipnorm`. Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
                f"global_clipnorm={global_clipnorm}"
            )
        if gradient_accumulation_steps and not (
            isinstance(gradient_accumulation_steps, numbers.Integral)
            and gradient_accumulation_steps >= 2
        ):
            raise ValueError(
                f"{cls_name}: expected `gradient_accumulation_steps` to be an integer >= 2. "
                f"Received: gradient_accumulation_steps={gradient_accumulation_steps}"
            )
        if use_ema:
            if not 0 <= ema_momentum <= 1:
                raise ValueError(f"{cls_name}: expected `ema_momentum` in [0, 1]. "
                                 f"Received: ema_momentum={ema_momentum}")
            if ema_overwrite_frequency and not (
                isinstance(ema_overwrite_frequency, numbers.Integral)
                and ema_overwrite_frequency >= 1
            ):
                raise ValueError(
                    f"{cls_name}: expected `ema_overwrite_frequency` to be an integer >= 1 "
                    f"or None. Received: ema_overwrite_frequency={ema_overwrite_frequency}"
                )
        self.name = name or re.sub(r"(?<!^)(?=[A-Z])", "_", cls_name).lower()
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.built = False
        self._variables: list = []
        self._trainable_variables: list = []
        self._trainable_variables_indices: dict = {}
        self._exclude_from_weight_decay: set = set()
        self._exclude_from_weight_decay_pattern = None
        self._exclude_from_weight_decay_cache: dict = {}
        self._local_step = 1
        self._iterations = self._track(Variable(0, dtype="int64", trainable=False,
                                                name="iteration"))
        self._learning_rate = self._make_learning_rate(learning_rate)

    # ---- learning rate and step counter ------------------------------------------------
    @property
    def iterations(self):
        """The number of updates applied so far: an int64 ``Variable`` (with gradient
        accumulation, a 0-d int64 tensor: calls // gradient_accumulation_steps)."""
        if self.gradient_accumulation_steps:
            return Tensor._make(self._iterations.data // self.gradient_accumulation_steps)
        return self._iterations

    @property
    def learning_rate(self) -> float:
        """The current learning rate; a schedule is evaluated at ``iterations``."""
        lr = self._learning_rate
        if isinstance(lr, Variable):
            return float(lr.data)
        if isinstance(lr, schedules.LearningRateSchedule):
            return float(lr(self._iterations))
        return float(lr())

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        if isinstance(value, schedules.LearningRateSchedule) or callable(value):
            if isinstance(self._learning_rate, Variable):
                self._variables.remove(self._learning_rate)
            self._learning_rate = value
        elif isinstance(self._learning_rate, Variable):
            self._learning_rate.assign(_learning_rate_value(type(self).__name__, value))
        else:
            raise TypeError(
                f"{type(self).__name__}: this optimizer was created with a schedule or a "
                "callable as `learning_rate`, so its learning rate is not settable to a "
                f"number. Received: learning_rate={value!r}"
            )

    def _make_learning_rate(self, learning_rate):
        if isinstance(learning_rate, schedules.LearningRateSchedule) or callable(learning_rate):
            return learning_rate
        value = _learning_rate_value(type(self).__name__, learning_rate)
        return self._track(Variable(value, dtype=backend.floatx(), trainable=False,
                                    name="learning_rate"))

    # ---- variables ---------------------------------------------------------------------
    @property
    def variables(self) -> list:
        """All state, in creation order: ``iteration``, ``learning_rate`` (when a float),
        then the slots. Restoring their values restores the optimizer exactly."""
        return self._variables[:]

    def _track(self, variable: Variable) -> Variable:
        variable.path = f"{self.name}/{variable.name}"
        self._variables.append(variable)
        return variable

    def build(self, var_list) -> None:
        """Create the shared slots for ``var_list`` (subclasses add theirs after this)."""
        var_list = list(var_list)
        if self.use_ema:
            self._model_variables_moving_average = []
        if self.gradient_accumulation_steps:
            self._accumulated_gradients = []
        for i, variable in enumerate(var_list):
            self._trainable_variables_indices[id(variable)] = i
            if self.use_ema:
                self._model_variables_moving_average.append(
                    self.add_variable_from_reference(variable, name="average"))
            if self.gradient_accumulation_steps:
                self._accumulated_gradients.append(
                    self.add_variable_from_reference(variable, name="gradient_accumulator"))
        self._trainable_variables = var_list
        self.built = True

    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="mean",
                     name=None) -> Variable:
        """A new non-trainable slot variable tracked in ``variables``."""
        dtype = np.dtype(dtype or backend.floatx())
        value = _initial_array(initializer, tuple(shape), dtype)
        return self._track(Variable(value, dtype=dtype, trainable=False, name=name or "variable",
                                    aggregation=aggregation))

    def add_variable_from_reference(self, reference_variable, name=None,
                                    initializer="zeros") -> Variable:
        """A slot with the shape and dtype of ``reference_variable``, named after its path."""
        ref = getattr(reference_variable, "path", None) or getattr(reference_variable, "name",
                                                                   None)
        prefix = str(ref).replace("/", "_").replace(":", "_") if ref else "variable"
        return self.add_variable(reference_variable.shape, initializer=initializer,
                                 dtype=reference_variable.dtype,
                                 name=f"{prefix}_{name or 'var'}")

    def add_optimizer_variables(self, trainable_variables, name, initializer="zeros"):
        """One slot per variable and per name (interleaved per variable, as in Keras).

        Returns a list for a single ``name``, a tuple of lists for a list of names.
        """
        names = [name] if isinstance(name, str) else list(name)
        slots = tuple([] for _ in names)
        for variable in trainable_variables:
            for i, slot_name in enumerate(names):
                slots[i].append(self.add_variable_from_reference(
                    variable, name=slot_name, initializer=initializer))
        return slots[0] if isinstance(name, str) else slots

    def _get_variable_index(self, variable) -> int:
        return self._trainable_variables_indices[id(variable)]

    def _slot(self, slots: list, variable):
        """The raw array of ``variable``'s slot in ``slots``."""
        return slots[self._trainable_variables_indices[id(variable)]].data

    def assign(self, variable, value) -> None:
        variable.assign(value)

    def assign_add(self, variable, value) -> None:
        variable.assign_add(value)

    def assign_sub(self, variable, value) -> None:
        variable.assign_sub(value)

    def set_weights(self, weights) -> None:
        """Assign ``weights`` (arrays, in ``variables`` order) to the optimizer's variables."""
        if not self.built:
            raise ValueError(f"{type(self).__name__}.set_weights: expected a built optimizer; "
                             "call optimizer.build(trainable_variables) first")
        if len(weights) != len(self._variables):
            raise ValueError(f"{type(self).__name__}.set_weights: expected "
                             f"{len(self._variables)} arrays. Received: {len(weights)}")
        for variable, weight in zip(self._variables, weights, strict=True):
            variable.assign(weight)

    def save_own_variables(self, store) -> None:
        for i, variable in enumerate(self._variables):
            store[str(i)] = variable.numpy()

    def load_own_variables(self, store) -> None:
        if len(store) != len(self._variables):
            warnings.warn(
                f"Skipping variable loading for optimizer '{self.name}', because it has "
                f"{len(self._variables)} variables whereas the saved optimizer has "
                f"{len(store)} variables.", stacklevel=2)
            return
        for i, variable in enumerate(self._variables):
            variable.assign(store[str(i)])

    # ---- the update loop ---------------------------------------------------------------
    def apply_gradients(self, grads_and_vars):
        """Apply ``(gradient, variable)`` pairs; returns ``iterations``."""
        grads, trainable_variables = zip(*list(grads_and_vars), strict=True)
        self.apply(grads, trainable_variables)
        return self._iterations

    def apply(self, grads, trainable_variables=None) -> None:
        """Update ``trainable_variables`` in place from ``grads`` (one per variable).

        Gradients may be ember tensors or raw arrays; ``None`` gradients are skipped. On the
        first call the optimizer is built on ``trainable_variables``; later calls may pass a
        subset of them, or ``None`` for all of them.
        """
        grads = list(grads)
        if not grads:
            return
        cls_name = type(self).__name__
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    f"{cls_name}.apply: expected `trainable_variables` on the first call (or "
                    "optimizer.build(trainable_variables) first). Received: "
                    "trainable_variables=None")
            variables = self._trainable_variables
        else:
            variables = list(trainable_variables)
            if not self.built:
                self.build(variables)
            for v in variables:
                if id(v) not in self._trainable_variables_indices:
                    raise ValueError(
                        f"{cls_name}.apply: unknown variable {getattr(v, 'path', '')!r}. The "
                        "optimizer can only update the variables it was built with; create a "
                        "new optimizer for a new set of variables.")
        if len(grads) != len(variables):
            raise ValueError(f"{cls_name}.apply: expected one gradient per variable "
                             f"({len(variables)}). Received: {len(grads)} gradients")
        with no_grad():
            pairs = [(g, v) for g, v in zip(grads, variables, strict=True) if g is not None]
            if not pairs:
                raise ValueError(f"{cls_name}.apply: no gradients provided for any variable.")
            if len(pairs) < len(variables):
                missing = [getattr(v, "path", "?")
                           for g, v in zip(grads, variables, strict=True) if g is None]
                warnings.warn(f"{cls_name}: gradients do not exist for variables {missing} "
                              "when minimizing the loss.", stacklevel=2)
            variables = [v for _, v in pairs]
            grads = [self._gradient_array(g, v) for g, v in pairs]
            if self.loss_scale_factor is not None:
                grads = [g / self.loss_scale_factor for g in grads]
            self._apply_gradients(grads, variables)
            for v in variables:
                constraint = getattr(v, "constraint", None)
                if constraint is not None:
                    v.assign(constraint(v))

    def _gradient_array(self, gradient, variable):
        w = variable.data
        g = gradient.data if isinstance(gradient, Tensor) else gradient
        g = backend.array_module(w).asarray(g)
        if g.shape != w.shape:
            raise ValueError(
                f"{type(self).__name__}: expected a gradient of shape {w.shape} for variable "
                f"{getattr(variable, 'path', '')!r}. Received: gradient of shape {g.shape}")
        return g if g.dtype == w.dtype else g.astype(w.dtype)

    def _apply_gradients(self, grads, variables) -> None:
        learning_rate = self.learning_rate
        iteration = int(self._iterations.data)
        steps = self.gradient_accumulation_steps
        updates = iteration // steps if steps else iteration
        self._local_step = updates + 1
        if steps:
            accumulators = [self._slot(self._accumulated_gradients, v) for v in variables]
            if (iteration + 1) % steps == 0:
                grads = [(g + a) / steps for g, a in zip(grads, accumulators, strict=True)]
                self._update(grads, variables, learning_rate)
                for a in accumulators:
                    a[...] = 0
            else:
                for g, a in zip(grads, accumulators, strict=True):
                    a += g
        else:
            self._update(grads, variables, learning_rate)
        if self.use_ema:
            self._update_moving_average(updates)
        self._iterations.data += 1

    def _update(self, grads, variables, learning_rate: float) -> None:
        grads = self._clip_gradients(grads)
        self._apply_weight_decay(variables, learning_rate)
        self._update_step_all(grads, variables, learning_rate)

    def _update_step_all(self, grads, variables, learning_rate: float) -> None:
        for g, v in zip(grads, variables, strict=True):
            if v.data.ndim:
                self.update_step(g, v, learning_rate)
            else:
                self._update_scalar_variable(g, v, learning_rate)

    def _update_scalar_variable(self, gradient, variable, learning_rate: float) -> None:
        """Update a 0-d variable (a learnable scalar such as Swish's beta) through 1-element
        views of it and of its slots: NumPy turns 0-d arithmetic into scalars, which the
        in-place ``out=`` updates cannot take."""
        swapped = [t for t in [variable, *self._variables]
                   if t.data.ndim == 0 and t is not self._iterations]
        originals = [t.data for t in swapped]
        for t in swapped:
            t.data = t.data.reshape(1)
        try:
            self.update_step(gradient.reshape(1), variable, learning_rate)
        finally:
            for t, data in zip(swapped, originals):
                t.data = data

    @abc.abstractmethod
    def update_step(self, gradient, variable, learning_rate: float) -> None:
        """Update ``variable.data`` (and its slots) in place from one gradient array."""

    # ---- clipping, weight decay, EMA ---------------------------------------------------
    def _clip_gradients(self, grads):
        if self.clipnorm and self.clipnorm > 0:
            return [_clip_by_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm and self.global_clipnorm > 0:
            return clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue and self.clipvalue > 0:
            v = self.clipvalue
            return [backend.array_module(g).clip(g, -v, v) for g in grads]
        return grads

    def exclude_from_weight_decay(self, var_list=None, var_names=None) -> None:
        """Exempt variables from weight decay: those in ``var_list``, and those whose name
        contains any of the strings (regular expressions) in ``var_names``."""
        self._exclude_from_weight_decay = {id(v) for v in var_list or ()}
        self._exclude_from_weight_decay_pattern = (
            re.compile("|".join(set(var_names))) if var_names else None)
        self._exclude_from_weight_decay_cache = {}

    def _use_weight_decay(self, variable) -> bool:
        key = id(variable)
        cached = self._exclude_from_weight_decay_cache.get(key)
        if cached is None:
            pattern = self._exclude_from_weight_decay_pattern
            cached = key not in self._exclude_from_weight_decay and not (
                pattern is not None and pattern.search(getattr(variable, "name", "")))
            self._exclude_from_weight_decay_cache[key] = cached
        return cached

    def _apply_weight_decay(self, variables, learning_rate: float) -> None:
        if self.weight_decay is None:
            return
        for variable in variables:
            if self._use_weight_decay(variable):
                w = variable.data
                scalar = w.dtype.type
                decay = w * scalar(self.weight_decay)
                decay *= scalar(learning_rate)
                w -= decay

    def _update_moving_average(self, updates: int) -> None:
        for variable, average in zip(self._trainable_variables,
                                     self._model_variables_moving_average, strict=True):
            avg = average.data
            momentum = avg.dtype.type(updates != 0) * self.ema_momentum
            avg *= momentum
            avg += (1 - momentum) * variable.data
        frequency = self.ema_overwrite_frequency
        if frequency and (updates + 1) % frequency == 0:
            self._overwrite_model_variables_with_average_value(self._trainable_variables)

    def _overwrite_model_variables_with_average_value(self, var_list) -> None:
        var_list = list(var_list)
        averages = self._model_variables_moving_average
        if len(var_list) != len(averages):
            raise ValueError(
                f"{type(self).__name__}: expected the {len(averages)} variables the optimizer "
                f"keeps moving averages of. Received: {len(var_list)} variables")
        for variable, average in zip(var_list, averages, strict=True):
            variable.data[...] = average.data

    def finalize_variable_values(self, var_list) -> None:
        """Copy the moving averages into the variables (when ``use_ema``); call after training."""
        if self.use_ema:
            self._overwrite_model_variables_with_average_value(var_list)

    def scale_loss(self, loss):
        """``loss * loss_scale_factor`` when a factor is set, else ``loss``."""
        return loss if self.loss_scale_factor is None else loss * self.loss_scale_factor

    # ---- config ------------------------------------------------------------------------
    def get_config(self) -> dict:
        lr = self._learning_rate
        if isinstance(lr, schedules.LearningRateSchedule):
            lr = schedules.serialize(lr)
        elif isinstance(lr, Variable):
            lr = float(lr.data)
        return {
            "name": self.name,
            "learning_rate": lr,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config: dict, custom_objects=None) -> Optimizer:
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"],
                                                            custom_objects)
        return cls(**config)


def global_norm(value_list):
    """``sqrt(sum_i ||v_i||^2)`` over the arrays of ``value_list`` (``None`` skipped)."""
    values = [v for v in value_list if v is not None]
    xp = backend.array_module(*values)
    return xp.sqrt(xp.sum(xp.stack([xp.sum(xp.square(v)) for v in values])))


def clip_by_global_norm(value_list, clip_norm: float):
    """Scale all arrays by ``clip_norm / max(global_norm, clip_norm)`` (new arrays).

    A non-finite global norm makes every result NaN, as in Keras.
    """
    norm = global_norm(value_list)
    with np.errstate(divide="ignore"):
        scale = clip_norm * backend.array_module(norm).minimum(1.0 / norm, 1.0 / clip_norm)
    scale = scale + (norm - norm)
    return [None if v is None else v * scale.astype(v.dtype) for v in value_list]


def _clip_by_norm(g, clipnorm: float):
    xp = backend.array_module(g)
    l2norm = xp.sqrt(xp.sum(xp.square(g)))
    return (g * clipnorm) / xp.maximum(l2norm, clipnorm)


def _learning_rate_value(cls_name: str, value) -> float:
    if isinstance(value, Tensor) and value.size == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0:
        raise ValueError(
            f"{cls_name}: expected `learning_rate` to be a float >= 0, a "
            f"LearningRateSchedule or a callable. Received: learning_rate={value!r}")
    return float(value)


def _initial_array(initializer, shape: tuple, dtype: np.dtype):
    xp = backend.xp()
    if isinstance(initializer, str) and initializer in ("zeros", "ones"):
        return xp.zeros(shape, dtype) if initializer == "zeros" else xp.ones(shape, dtype)
    if isinstance(initializer, str):
        from ember import initializers

        initializer = initializers.get(initializer)
    value = initializer(shape, dtype=dtype.name)
    return value.data if isinstance(value, Tensor) else value


def check_range(owner: str, arg: str, value, low: float, high: float = float("inf")) -> None:
    """Raise a Keras-style error unless ``low <= value <= high`` (a real number)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not low <= value <= high:
        raise ValueError(
            f"{owner}: expected `{arg}` to be a number in [{low}, {high}]. Received: "
            f"{arg}={value!r}")
