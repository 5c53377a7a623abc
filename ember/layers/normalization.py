"""Normalization layers: ``BatchNormalization`` (with batch renormalization),
``LayerNormalization``, ``GroupNormalization``, ``InstanceNormalization`` (ember's),
``RMSNormalization`` and ``UnitNormalization``, with Keras 3's arguments and defaults.

The arithmetic lives in ``ember.ops.normalization``: one fused op per normalization.
"""

from __future__ import annotations

import math
import numbers

from ember import constraints, initializers, regularizers
from ember.autograd.tensor import Tensor
from ember.backend import array_module
from ember.layers.input_spec import InputSpec
from ember.layers.layer import Layer
from ember.ops import math as _math
from ember.ops import reduce as _reduce
from ember.ops.normalization import (
    batch_normalization,
    fused_batch_normalization,
    group_normalization,
    layer_normalization,
    rms_normalization,
)
from ember.ops.shape import reshape

_RENORM_KEYS = ("rmax", "rmin", "dmax")


class BatchNormalization(Layer):
    """Batch normalization (Ioffe & Szegedy 2015), optionally batch renormalization
    (Ioffe 2017).

    In training (``training=True`` on a trainable layer) each channel of ``axis`` is
    normalized with the statistics of the current batch,
    ``gamma * (x - mean(x)) / sqrt(var(x) + epsilon) + beta`` (biased variance), the gradient
    flowing through those statistics, and the non-trainable moving statistics are updated in
    place: ``moving = moving * momentum + batch * (1 - momentum)``. In inference (and always
    when ``trainable=False``, as in Keras 3) the moving statistics are used instead. A mask
    (one axis fewer than the input, the channel axis left out) limits the batch statistics
    to the unmasked positions.

    **Batch renormalization** (``renorm=True``; Ioffe 2017, "Batch Renormalization: Towards
    Reducing Minibatch Dependence in Batch-Normalized Models") keeps moving averages
    ``renorm_mean`` and ``renorm_stddev`` (updated with ``renorm_momentum``) and, in
    training, outputs ``gamma * (x_hat * r + d) + beta`` with ``x_hat`` the batch-normalized
    input and the corrections

        r = clip(sigma_B / sigma, rmin, rmax),  d = clip((mu_B - mu) / sigma, -dmax, dmax)

    where ``sigma_B = sqrt(var_B + epsilon)``, ``mu = renorm_mean`` and
    ``sigma = max(renorm_stddev, sqrt(epsilon))``, taken before this batch's update. ``r``
    and ``d`` are constants for the gradient (stop-gradient). ``renorm_clipping`` maps any of
    ``"rmax"``, ``"rmin"``, ``"dmax"`` to a number; a missing key does not clip (``rmax`` =
    inf, ``rmin`` = 0, ``dmax`` = inf), as in Keras 2 / TensorFlow. The paper's schedule
    uses ``rmin = 1 / rmax`` and relaxes ``rmax`` from 1 to 3 and ``dmax`` from 0 to 5. The
    moving mean and variance used in inference are updated as without renorm, and in
    inference ``r = 1``, ``d = 0``.

    Example:
        >>> import ember
        >>> layer = ember.layers.BatchNormalization(momentum=0.5)
        >>> x = ember.tensor([[1.0, 10.0], [3.0, 30.0]])
        >>> [round(v, 4) for v in layer(x, training=True).numpy()[:, 0].tolist()]
        [-0.9995, 0.9995]
        >>> layer.moving_mean.numpy().tolist()
        [1.0, 10.0]
    """

    def __init__(self, axis: int = -1, momentum: float = 0.99, epsilon: float = 1e-3,
                 center: bool = True, scale: bool = True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros",
                 moving_variance_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 synchronized: bool = False, renorm: bool = False, renorm_clipping=None,
                 renorm_momentum: float = 0.99, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axis, numbers.Integral):
            raise TypeError(f"BatchNormalization: expected an int `axis`, received {axis!r}")
        if synchronized:
            raise ValueError("BatchNormalization: synchronized=True needs a distributed "
                             "strategy; received synchronized=True on a single process")
        self.axis = int(axis)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = center
        self.scale = scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.synchronized = synchronized
        self.renorm = renorm
        self.renorm_clipping = _renorm_clipping(renorm_clipping) if renorm else None
        self.renorm_momentum = float(renorm_momentum)
        self.supports_masking = True

    def build(self, input_shape) -> None:
        dim = _channels(self, input_shape, self.axis)
        shape = (dim,)
        self.gamma = self.beta = None
        if self.scale:
            self.gamma = self.add_weight(shape=shape, name="gamma",
                                         initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight(shape=shape, name="beta",
                                        initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint)
        self.moving_mean = self.add_weight(shape=shape, name="moving_mean",
                                           initializer=self.moving_mean_initializer,
                                           trainable=False)
        self.moving_variance = self.add_weight(shape=shape, name="moving_variance",
                                               initializer=self.moving_variance_initializer,
                                               trainable=False)
        if self.renorm:
            self.renorm_mean = self.add_weight(shape=shape, name="renorm_mean",
                                               initializer="zeros", trainable=False)
            self.renorm_stddev = self.add_weight(shape=shape, name="renorm_stddev",
                                                 initializer="ones", trainable=False)
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: dim})
        self.built = True

    def call(self, inputs, training=None, mask=None):
        if not (training and self.trainable):
            return batch_normalization(inputs, self.moving_mean, self.moving_variance,
                                       self.axis, offset=self.beta, scale=self.gamma,
                                       epsilon=self.epsilon)
        weights = None if mask is None else self._mask_weights(inputs, mask)
        if not self.renorm:
            outputs, mean, variance = fused_batch_normalization(
                inputs, self.axis, offset=self.beta, scale=self.gamma, epsilon=self.epsilon,
                mask=weights)
        else:
            x_hat, mean, variance = fused_batch_normalization(
                inputs, self.axis, epsilon=self.epsilon, mask=weights)
            outputs = self._renormalize(x_hat, mean.data, variance.data)
        _update_average(self.moving_mean, mean.data, self.momentum)
        _update_average(self.moving_variance, variance.data, self.momentum)
        return outputs

    def _renormalize(self, x_hat, mean, variance):
        """``x_hat * (gamma r) + (gamma d + beta)``, with ``r`` and ``d`` from the renorm
        statistics before this batch's update; then that update."""
        xp = array_module(mean)
        stddev = xp.sqrt(variance + self.epsilon)
        sigma = xp.maximum(self.renorm_stddev.data, math.sqrt(self.epsilon))
        r = stddev / sigma
        d = (mean - self.renorm_mean.data) / sigma
        clip = self.renorm_clipping
        if "rmin" in clip:
            r = xp.maximum(r, clip["rmin"])
        if "rmax" in clip:
            r = xp.minimum(r, clip["rmax"])
        if "dmax" in clip:
            d = xp.clip(d, -clip["dmax"], clip["dmax"])
        _update_average(self.renorm_mean, mean, self.renorm_momentum)
        _update_average(self.renorm_stddev, stddev, self.renorm_momentum)
        r, d = Tensor(r), Tensor(d)
        scale = r if self.gamma is None else self.gamma * r
        offset = d if self.gamma is None else self.gamma * d
        if self.beta is not None:
            offset = offset + self.beta
        shape = tuple(n if i == self.axis % x_hat.ndim else 1 for i, n in enumerate(x_hat.shape))
        return x_hat * reshape(scale, shape) + reshape(offset, shape)

    def _mask_weights(self, inputs, mask):
        xp = array_module(inputs.data)
        mask = xp.asarray(mask.data if isinstance(mask, Tensor) else mask)
        expected = tuple(n for i, n in enumerate(inputs.shape) if i != self.axis % inputs.ndim)
        if mask.shape != expected:
            raise ValueError(
                f"BatchNormalization '{self.name}': expected a mask of shape {expected} (the "
                f"input's without the channel axis), received mask shape {mask.shape} for "
                f"inputs of shape {inputs.shape}")
        return xp.expand_dims(mask, self.axis % inputs.ndim)

    def compute_output_shape(self, input_shape):
        _check_axes(self, input_shape, [self.axis])
        return input_shape

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer":
                initializers.serialize(self.moving_variance_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
            "synchronized": self.synchronized,
        })
        if self.renorm:  # only when set, so a plain config matches Keras 3's
            config.update({"renorm": True, "renorm_clipping": dict(self.renorm_clipping),
                           "renorm_momentum": self.renorm_momentum})
        return config


class LayerNormalization(Layer):
    """Layer normalization (Ba et al. 2016): normalize each example over ``axis`` (an int
    or a list of ints), ``(x - mean) / sqrt(var + epsilon) * gamma + beta``, with ``gamma``
    and ``beta`` spanning the normalized axes.

    ``rms_scaling=True`` ignores ``center`` and ``scale`` and computes
    ``x * rsqrt(var(x) + epsilon) * gamma`` exactly as Keras 3 does (the variance about the
    mean, without centring); for RMS normalization proper use ``RMSNormalization``.

    Example:
        >>> import ember
        >>> layer = ember.layers.LayerNormalization(epsilon=0.0)
        >>> layer(ember.tensor([[1.0, 3.0], [2.0, 6.0]])).tolist()
        [[-1.0, 1.0], [-1.0, 1.0]]
    """

    def __init__(self, axis=-1, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, rms_scaling: bool = False, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 beta_constraint=None, gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.axis = _axis_argument("LayerNormalization", axis)
        self.epsilon = float(epsilon)
        self.center = center
        self.scale = scale
        self.rms_scaling = rms_scaling
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True

    def build(self, input_shape) -> None:
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        shape = tuple(_channels(self, input_shape, a) for a in sorted(
            a % len(input_shape) for a in axes))
        self.gamma = self.beta = None
        if self.scale or self.rms_scaling:
            self.gamma = self.add_weight(shape=shape, name="gamma",
                                         initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint)
        if self.center and not self.rms_scaling:
            self.beta = self.add_weight(shape=shape, name="beta",
                                        initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint)
        self.built = True

    def call(self, inputs):
        return layer_normalization(inputs, self.gamma, self.beta, axis=self.axis,
                                   epsilon=self.epsilon, rms_scaling=self.rms_scaling)

    def compute_output_shape(self, input_shape):
        _check_axes(self, input_shape, self.axis if isinstance(self.axis, list) else [self.axis])
        return input_shape

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "rms_scaling": self.rms_scaling,
            **_affine_config(self),
        })
        return config


class GroupNormalization(Layer):
    """Group normalization (Wu & He 2018): the ``axis`` channels are split into ``groups``
    and each example's group is normalized over its channels and all other non-batch axes,
    then scaled by ``gamma`` and shifted by ``beta`` per channel. ``groups=-1`` puts each
    channel in its own group (instance normalization); ``groups=1`` normalizes whole
    examples.

    Example:
        >>> import ember
        >>> layer = ember.layers.GroupNormalization(groups=2, epsilon=0.0)
        >>> layer(ember.tensor([[[1.0, 3.0, 10.0, 30.0]]])).tolist()
        [[[-1.0, 1.0, -1.0, 1.0]]]
    """

    def __init__(self, groups: int = 32, axis: int = -1, epsilon: float = 1e-3,
                 center: bool = True, scale: bool = True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 beta_constraint=None, gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        name = type(self).__name__
        if not isinstance(groups, numbers.Integral) or not (groups >= 1 or groups == -1):
            raise ValueError(f"{name}: expected a positive int `groups` or -1, "
                             f"received {groups!r}")
        if not isinstance(axis, numbers.Integral):
            raise TypeError(f"{name}: expected an int `axis`, received {axis!r}")
        self.groups = int(groups)
        self.axis = int(axis)
        self.epsilon = float(epsilon)
        self.center = center
        self.scale = scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True

    def build(self, input_shape) -> None:
        dim = _channels(self, input_shape, self.axis)
        if self.axis % len(input_shape) == 0:
            raise ValueError(f"{type(self).__name__} '{self.name}': expected a channel axis "
                             f"other than the batch axis, received axis={self.axis}")
        groups = dim if self.groups == -1 else self.groups
        if groups > dim or dim % groups:
            raise ValueError(f"{type(self).__name__} '{self.name}': expected groups dividing "
                             f"the {dim} channels, received groups={self.groups}")
        self._groups = groups
        shape = (dim,)
        self.gamma = self.beta = None
        if self.scale:
            self.gamma = self.add_weight(shape=shape, name="gamma",
                                         initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight(shape=shape, name="beta",
                                        initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint)
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: dim})
        self.built = True

    def call(self, inputs):
        return group_normalization(inputs, self._groups, self.gamma, self.beta,
                                   axis=self.axis, epsilon=self.epsilon)

    def compute_output_shape(self, input_shape):
        _check_axes(self, input_shape, [self.axis])
        return input_shape

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"groups": self.groups, "axis": self.axis, "epsilon": self.epsilon,
                       "center": self.center, "scale": self.scale, **_affine_config(self)})
        return config


class InstanceNormalization(GroupNormalization):
    """Instance normalization (Ulyanov et al. 2016), an ember extra: each channel of each
    example normalized over its spatial axes, i.e. group normalization with one channel per
    group, then ``* gamma + beta`` per channel.

    Example:
        >>> import ember
        >>> layer = ember.layers.InstanceNormalization(epsilon=0.0)
        >>> layer(ember.tensor([[[1.0, 10.0], [3.0, 30.0]]])).tolist()
        [[[-1.0, -1.0], [1.0, 1.0]]]
    """

    def __init__(self, axis: int = -1, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer="zeros", gamma_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        super().__init__(groups=-1, axis=axis, epsilon=epsilon, center=center, scale=scale,
                         beta_initializer=beta_initializer, gamma_initializer=gamma_initializer,
                         beta_regularizer=beta_regularizer, gamma_regularizer=gamma_regularizer,
                         beta_constraint=beta_constraint, gamma_constraint=gamma_constraint,
                         **kwargs)

    def get_config(self) -> dict:
        config = super().get_config()
        del config["groups"]
        return config


class RMSNormalization(Layer):
    """Root-mean-square normalization (Zhang & Sennrich 2019):
    ``x * rsqrt(mean(x ** 2) + epsilon) * scale`` over ``axis``, with a learned ``scale``.

    Example:
        >>> import ember
        >>> layer = ember.layers.RMSNormalization(epsilon=0.0)
        >>> layer(ember.tensor([[1.0, -1.0]])).tolist()
        [[1.0, -1.0]]
    """

    def __init__(self, axis=-1, epsilon: float = 1e-6, **kwargs):
        super().__init__(**kwargs)
        self.axis = _axis_argument("RMSNormalization", axis)
        self.epsilon = float(epsilon)

    def build(self, input_shape) -> None:
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        shape = tuple(_channels(self, input_shape, a) for a in sorted(
            a % len(input_shape) for a in axes))
        self.scale = self.add_weight(shape=shape, name="scale", initializer="ones")
        self.built = True

    def call(self, inputs):
        return rms_normalization(inputs, self.scale, axis=self.axis, epsilon=self.epsilon)

    def compute_output_shape(self, input_shape):
        _check_axes(self, input_shape, self.axis if isinstance(self.axis, list) else [self.axis])
        return input_shape

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"axis": self.axis, "epsilon": self.epsilon})
        return config


class UnitNormalization(Layer):
    """Scale each example to unit L2 norm over ``axis`` (an int or a list):
    ``x * rsqrt(max(sum(x ** 2), 1e-12))``, as Keras 3.

    Example:
        >>> import ember
        >>> ember.layers.UnitNormalization()(ember.tensor([[3.0, 4.0]])).tolist()
        [[0.6000000238418579, 0.800000011920929]]
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = _axis_argument("UnitNormalization", axis)
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        axis = tuple(self.axis) if isinstance(self.axis, list) else self.axis
        square_sum = _reduce.sum(_math.square(inputs), axis=axis, keepdims=True)
        return inputs * _math.rsqrt(_math.maximum(square_sum, 1e-12))

    def compute_output_shape(self, input_shape):
        _check_axes(self, input_shape, self.axis if isinstance(self.axis, list) else [self.axis])
        return input_shape

    def get_config(self) -> dict:
        config = super().get_config()
        config["axis"] = self.axis
        return config


# ---- helpers -----------------------------------------------------------------------------


def _update_average(variable, value, momentum: float) -> None:
    """``variable = variable * momentum + value * (1 - momentum)``, in place."""
    variable.assign(variable.data * momentum + value * (1.0 - momentum))


def _renorm_clipping(clipping) -> dict:
    clipping = dict(clipping or {})
    unknown = sorted(set(clipping) - set(_RENORM_KEYS))
    if unknown:
        raise ValueError(f"BatchNormalization: renorm_clipping accepts the keys "
                         f"{list(_RENORM_KEYS)}, received unknown keys {unknown}")
    clipping = {k: float(v) for k, v in clipping.items() if v is not None}
    if clipping.get("rmin", 0.0) > clipping.get("rmax", math.inf):
        raise ValueError(f"BatchNormalization: expected renorm_clipping rmin <= rmax, "
                         f"received {clipping}")
    if clipping.get("dmax", 0.0) < 0:
        raise ValueError(f"BatchNormalization: expected renorm_clipping dmax >= 0, "
                         f"received {clipping}")
    return clipping


def _axis_argument(name: str, axis):
    """An int axis stays an int; a list or tuple of ints becomes a list."""
    if isinstance(axis, numbers.Integral):
        return int(axis)
    if isinstance(axis, (list, tuple)) and all(isinstance(a, numbers.Integral) for a in axis):
        return [int(a) for a in axis]
    raise TypeError(f"{name}: expected an int or a list/tuple of ints for `axis`, "
                    f"received axis={axis!r}")


def _check_axes(layer, input_shape, axes) -> None:
    ndim = len(input_shape)
    for axis in axes:
        if not -ndim <= axis < ndim:
            raise ValueError(f"{type(layer).__name__} '{layer.name}': axis {axis} is out of "
                             f"bounds for input shape {tuple(input_shape)}")


def _channels(layer, input_shape, axis) -> int:
    """The size of ``axis`` in ``input_shape``, which must exist and be known."""
    _check_axes(layer, input_shape, [axis])
    dim = input_shape[axis]
    if dim is None:
        raise ValueError(f"{type(layer).__name__} '{layer.name}': axis {axis} of the input "
                         f"must have a known size, received input shape {tuple(input_shape)}")
    return int(dim)


def _affine_config(layer) -> dict:
    return {
        "beta_initializer": initializers.serialize(layer.beta_initializer),
        "gamma_initializer": initializers.serialize(layer.gamma_initializer),
        "beta_regularizer": regularizers.serialize(layer.beta_regularizer),
        "gamma_regularizer": regularizers.serialize(layer.gamma_regularizer),
        "beta_constraint": constraints.serialize(layer.beta_constraint),
        "gamma_constraint": constraints.serialize(layer.gamma_constraint),
    }
