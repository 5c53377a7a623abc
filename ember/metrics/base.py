"""The ``Metric`` contract and the reducing metrics every other metric builds on.

A metric keeps its state in non-trainable ``ember.Variable``s made with ``add_variable``,
accumulates it in ``update_state`` (on raw arrays, never recording a graph) and reports it
in ``result``; ``reset_state`` zeroes it. Inputs may be NumPy arrays, lists or Tensors.
"""

from __future__ import annotations

import numpy as np

from ember import backend
from ember.autograd.grad_mode import no_grad
from ember.autograd.tensor import Tensor
from ember.losses import squeeze_or_expand_to_same_rank
from ember.saving.object_registration import Registry
from ember.utils.naming import snake_case, unique_name
from ember.variables import Variable

# Per-sample metric functions (``binary_accuracy``, ...) by name, so that a
# ``MeanMetricWrapper`` config that names its function reloads.
FUNCTIONS = Registry("metric function")


class Metric:
    """Base class of stateful metrics.

    Subclasses create their state in ``__init__`` with ``add_variable``, update it in
    ``update_state`` and compute the value in ``result``. ``metric(...)`` runs
    ``update_state(...)`` and returns ``result()``; ``float(metric.result())`` gives a number.

    Example:
        >>> import numpy as np
        >>> import ember
        >>> class CountPositives(ember.metrics.Metric):
        ...     def __init__(self, name="count_positives", **kwargs):
        ...         super().__init__(name=name, **kwargs)
        ...         self.count = self.add_variable(shape=(), initializer="zeros", name="count")
        ...     def update_state(self, values):
        ...         self.count.assign_add(float((np.asarray(values) > 0).sum()))
        ...     def result(self):
        ...         return self.count
        >>> m = CountPositives()
        >>> m.update_state([1.0, -2.0, 3.0])
        >>> float(m.result())
        2.0
    """

    def __init__(self, dtype=None, name: str | None = None):
        self._variables = []
        self._metrics = []
        self.name = name or unique_name(snake_case(type(self).__name__))
        self._dtype = np.dtype(getattr(dtype, "name", dtype) or backend.floatx()).name

    def __setattr__(self, name, value):
        if isinstance(value, Metric) and "_metrics" in self.__dict__:
            self._metrics.append(value)
        super().__setattr__(name, value)

    @property
    def dtype(self) -> str:
        return self._dtype

    @property
    def variables(self) -> list:
        """The state variables of this metric and of the metrics it holds."""
        out = list(self._variables)
        for metric in self._metrics:
            out.extend(metric.variables)
        return out

    def add_variable(self, shape, initializer, dtype=None, aggregation: str = "sum",
                     name: str | None = None) -> Variable:
        """A new non-trainable state variable (``initializer``: a name such as ``"zeros"``
        or an initializer object)."""
        if "_variables" not in self.__dict__:
            raise RuntimeError(
                f"{type(self).__name__}: expected super().__init__() to be called before "
                "add_variable()"
            )
        variable = Variable(initializer, shape=tuple(shape), dtype=dtype, trainable=False,
                            name=name, aggregation=aggregation)
        variable.path = f"{self.name}/{variable.name}"
        self._variables.append(variable)
        return variable

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None) -> Variable:
        """Alias of ``add_variable`` (Keras keeps it for backward compatibility)."""
        return self.add_variable(shape, initializer or "zeros", dtype=dtype, name=name)

    def update_state(self, *args, **kwargs) -> None:
        raise TypeError(f"{type(self).__name__}.update_state must be overridden by a subclass")

    def result(self):
        raise TypeError(f"{type(self).__name__}.result must be overridden by a subclass")

    def reset_state(self) -> None:
        """Zero every state variable."""
        for v in self.variables:
            v.assign(backend.array_module(v.data).zeros(v.shape, dtype=v.dtype))

    def __call__(self, *args, **kwargs):
        with no_grad():
            self.update_state(*args, **kwargs)
            return self.result()

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


class Sum(Metric):
    """The (weighted) sum of all values seen: ``sum(values * sample_weight)``.

    Example:
        >>> m = Sum()
        >>> m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
        >>> float(m.result())
        4.0
    """

    def __init__(self, name: str = "sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), "zeros", dtype=self.dtype, name="total")

    def update_state(self, values, sample_weight=None) -> None:
        values, _ = reduce_to_samplewise_values(values, sample_weight, "sum", self)
        self.total.assign_add(values.sum())

    def result(self) -> Tensor:
        return scalar_result(self.total.data, self.dtype)


class Mean(Metric):
    """The (weighted) mean of all values seen: ``sum(values * w) / sum(w)``. Values of rank
    > 1 are first averaged over all but the first axis (one value per sample).

    Example:
        >>> m = Mean()
        >>> m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
        >>> float(m.result())
        2.0
    """

    def __init__(self, name: str = "mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), "zeros", dtype=self.dtype, name="total")
        self.count = self.add_variable((), "zeros", dtype=self.dtype, name="count")

    def update_state(self, values, sample_weight=None) -> None:
        values, weight = reduce_to_samplewise_values(values, sample_weight, "mean", self)
        self.total.assign_add(values.sum())
        if weight is not None:
            self.count.assign_add(weight.sum())
        else:
            self.count.assign_add(values.shape[0] if values.ndim else 1)

    def result(self) -> Tensor:
        count = float(self.count.data)
        return scalar_result(self.total.data / count if count else 0.0 * self.total.data,
                             self.dtype)


class MeanMetricWrapper(Mean):
    """The running mean of a per-sample function ``fn(y_true, y_pred, **kwargs)``.

    Example:
        >>> import ember
        >>> m = MeanMetricWrapper(ember.losses.mean_absolute_error, name="mae")
        >>> m.update_state([[1.0], [2.0]], [[2.0], [2.0]])
        >>> float(m.result())
        0.5
    """

    def __init__(self, fn, name: str | None = None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        with no_grad():
            values = self._fn(y_true, y_pred, **self._fn_kwargs)
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self) -> dict:
        config = {**super().get_config(), **self._fn_kwargs}
        if type(self) is MeanMetricWrapper:  # the built-in subclasses fix fn themselves
            config["fn"] = FUNCTIONS.serialize(self._fn)
        return config

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        if "fn" in config:
            config["fn"] = _function(config["fn"])
        return cls(**config)


def reduce_to_samplewise_values(values, sample_weight, reduction: str, metric: Metric):
    """Keras's rule for turning ``values`` (and ``sample_weight``) into one weighted value
    per sample: the weight is squeezed/expanded to the rank of the values, values are
    reduced (``"mean"`` or ``"sum"``) over the axes the weight lacks, multiplied by the
    broadcast weight, then reduced over all but the first axis. Returns raw arrays."""
    values = to_array(values, metric.dtype)
    xp = backend.array_module(values)
    reduce = xp.mean if reduction == "mean" else xp.sum
    weight = None
    if sample_weight is not None:
        weight = to_array(sample_weight, metric.dtype)
        values, weight = squeeze_or_expand_to_same_rank(values, weight)
        if values.ndim > weight.ndim:
            values = reduce(values, axis=tuple(range(weight.ndim, values.ndim)))
        try:
            weight = xp.broadcast_to(weight, values.shape)
        except ValueError:
            raise ValueError(
                f"{type(metric).__name__} '{metric.name}': expected a sample_weight that "
                f"broadcasts to the values of shape {values.shape}, received: "
                f"sample_weight.shape={weight.shape}"
            ) from None
        values = values * weight
        if weight.ndim > 1:
            weight = reduce(weight, axis=tuple(range(1, weight.ndim)))
    if values.ndim > 1:
        values = reduce(values, axis=tuple(range(1, values.ndim)))
    return values, weight


def to_array(x, dtype=None):
    """The raw array behind ``x`` (a Tensor, an array or a list), cast to ``dtype``."""
    if isinstance(x, Tensor):
        x = x.data
    elif not hasattr(x, "dtype"):
        x = backend.xp().asarray(x)
    if dtype is not None and x.dtype != dtype:
        x = x.astype(dtype)
    return x


def scalar_result(value, dtype) -> Tensor:
    """A result as a 0-d (or n-d) Tensor of the metric's dtype."""
    return Tensor._make(backend.array_module(value).asarray(value, dtype=dtype))


def _function(identifier):
    """A per-sample function by name: a metric function, else a loss function."""
    if not isinstance(identifier, str):
        return identifier
    try:
        return FUNCTIONS.lookup(identifier)
    except ValueError:
        from ember import losses

        return losses.get(identifier)
