"""Regularization layers: ``Dropout``, ``SpatialDropout1D/2D/3D``, ``GaussianNoise``,
``GaussianDropout``, ``AlphaDropout`` (active only when called with ``training=True``) and
``ActivityRegularization``.

Random draws come from ember's global generator, reproducible after
``ember.utils.set_random_seed``; a layer given its own ``seed`` draws from a
``SeedGenerator`` of that seed instead (fresh noise on every call, the same sequence for
the same seed), as in Keras.
"""

from __future__ import annotations

import math
import numbers

from ember import ops, random, regularizers
from ember.layers.convolutional.arguments import standardize_data_format
from ember.layers.input_spec import InputSpec
from ember.layers.layer import Layer

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


class Dropout(Layer):
    """Inverted dropout (Srivastava et al. 2014): while training, zero each input with
    probability ``rate`` and scale the others by ``1 / (1 - rate)`` so the expected value is
    unchanged; the identity otherwise. ``noise_shape`` shares one mask along the axes where
    it is 1 (``(batch, 1, features)`` drops whole features for all time steps).

    Example:
        >>> import ember
        >>> layer = ember.layers.Dropout(0.5, seed=0)
        >>> y = layer(ember.ones(2, 4), training=True)
        >>> set(y.numpy().ravel().tolist()) <= {0.0, 2.0}
        True
        >>> float(layer(ember.ones(2, 4)).numpy().sum())
        8.0
    """

    def __init__(self, rate: float, noise_shape=None, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        _check_rate("Dropout", rate, allow_one=True)
        self.rate = rate
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self.seed_generator = None if seed is None else random.SeedGenerator(seed)
        self.supports_masking = True
        self.built = True

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        _check_noise_shape(self, inputs.shape)
        if self.rate == 1:
            return inputs * 0.0
        return random.dropout(inputs, self.rate, noise_shape=self.noise_shape,
                              seed=self.seed_generator)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed,
                       "noise_shape": _list_or_none(self.noise_shape)})
        return config


class GaussianNoise(Layer):
    """While training, add zero-centred Gaussian noise of standard deviation ``stddev``
    (the course's input noise, a form of data augmentation); the identity otherwise.

    Example:
        >>> import ember
        >>> layer = ember.layers.GaussianNoise(0.1, seed=0)
        >>> float(abs(layer(ember.zeros(100, 10), training=True).numpy().std() - 0.1)) < 0.01
        True
    """

    def __init__(self, stddev: float, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if stddev is None or stddev < 0:
            raise ValueError(f"GaussianNoise: expected stddev >= 0, received stddev={stddev}")
        self.stddev = stddev
        self.seed = seed
        self.seed_generator = None if seed is None else random.SeedGenerator(seed)
        self.supports_masking = True
        self.built = True

    def call(self, inputs, training=False):
        if not training or self.stddev == 0:
            return inputs
        noise = random.normal(inputs.shape, mean=0.0, stddev=self.stddev, dtype=inputs.dtype,
                              seed=self.seed_generator)
        return inputs + noise

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"stddev": self.stddev, "seed": self.seed})
        return config


class GaussianDropout(Layer):
    """While training, multiply the inputs by noise from ``N(1, rate / (1 - rate))`` (the
    variance of dropout's ``1 / (1 - rate)`` scaled Bernoulli mask, without zeros); the
    identity otherwise.

    Example:
        >>> import ember
        >>> layer = ember.layers.GaussianDropout(0.2, seed=0)
        >>> layer(ember.ones(3, 4), training=True).shape
        (3, 4)
    """

    def __init__(self, rate: float, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        _check_rate("GaussianDropout", rate, allow_one=False)
        self.rate = rate
        self.seed = seed
        self.seed_generator = None if seed is None else random.SeedGenerator(seed)
        self.supports_masking = True
        self.built = True

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        noise = random.normal(inputs.shape, mean=1.0, stddev=stddev, dtype=inputs.dtype,
                              seed=self.seed_generator)
        return inputs * noise

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed})
        return config


class AlphaDropout(Layer):
    """Dropout for self-normalizing networks (Klambauer et al. 2017): while training,
    dropped inputs are set to SELU's negative saturation ``-alpha * scale`` instead of 0,
    then ``a * x + b`` restores the mean and variance of the inputs, with
    ``a = ((1 - rate) * (1 + rate * alpha'^2)) ** -0.5`` and ``b = -a * alpha' * rate``.

    Example:
        >>> import ember
        >>> layer = ember.layers.AlphaDropout(0.1, seed=0)
        >>> layer(ember.ones(3, 4), training=True).shape
        (3, 4)
    """

    def __init__(self, rate: float, noise_shape=None, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        _check_rate("AlphaDropout", rate, allow_one=False)
        self.rate = rate
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self.seed_generator = None if seed is None else random.SeedGenerator(seed)
        self.supports_masking = True
        self.built = True

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        _check_noise_shape(self, inputs.shape)
        shape = inputs.shape if self.noise_shape is None else tuple(
            n if m is None else m for n, m in zip(inputs.shape, self.noise_shape, strict=True)
        )
        alpha_p = -_SELU_ALPHA * _SELU_SCALE
        draw = random.uniform(shape, dtype=inputs.dtype, seed=self.seed_generator)
        kept = ops.cast(ops.greater_equal(draw, self.rate), inputs.dtype)
        a = ((1.0 - self.rate) * (1.0 + self.rate * alpha_p**2)) ** -0.5
        b = -a * alpha_p * self.rate
        return a * (inputs * kept + alpha_p * (1.0 - kept)) + b

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed,
                       "noise_shape": _list_or_none(self.noise_shape)})
        return config


class ActivityRegularization(Layer):
    """Return the inputs unchanged and add ``l1 * sum(|x|) + l2 * sum(x^2)`` to the layer's
    losses, divided by the batch size as every activity regularizer is.

    Example:
        >>> import ember
        >>> layer = ember.layers.ActivityRegularization(l2=0.5)
        >>> _ = layer(ember.ones(1, 4))
        >>> float(layer.losses[0])
        2.0
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs):
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1 = l1
        self.l2 = l2
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("activity_regularizer", None)
        config.update({"l1": self.l1, "l2": self.l2})
        return config


def _check_rate(layer: str, rate, allow_one: bool) -> None:
    number = isinstance(rate, numbers.Real) and not isinstance(rate, bool)
    if not number or not (0.0 <= rate <= 1.0 if allow_one else 0.0 <= rate < 1.0):
        interval = "[0, 1]" if allow_one else "[0, 1)"
        raise ValueError(f"{layer}: expected rate in {interval}, received rate={rate!r}")


def _check_noise_shape(layer: Layer, shape: tuple) -> None:
    noise_shape = layer.noise_shape
    if noise_shape is None:
        return
    if len(noise_shape) != len(shape) or any(
        m is not None and m not in (1, n) for n, m in zip(shape, noise_shape, strict=True)
    ):
        raise ValueError(
            f"{type(layer).__name__} '{layer.name}': expected noise_shape {noise_shape} to "
            f"broadcast to the input (each entry 1, None or the input's size), got input of "
            f"shape {tuple(shape)}"
        )


def _list_or_none(shape):
    return None if shape is None else list(shape)


class BaseSpatialDropout(Dropout):
    """Dropout of whole channels (Tompson et al. 2015): while training, each (sample,
    channel) pair is zeroed at every spatial position with probability ``rate`` and the
    rest scaled by ``1 / (1 - rate)``; the identity otherwise. Neighbouring pixels of a
    feature map are strongly correlated, so element-wise dropout barely regularizes a
    convolution's output; dropping whole feature maps does. Subclasses set ``rank``.
    """

    rank = 2

    def __init__(self, rate: float, data_format=None, seed: int | None = None, **kwargs):
        _check_rate(type(self).__name__, rate, allow_one=True)
        super().__init__(rate, seed=seed, **kwargs)
        self.data_format = standardize_data_format(self, data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return inputs * 0.0
        noise_shape = (inputs.shape[0],) + (1,) * self.rank + (inputs.shape[-1],)
        return random.dropout(inputs, self.rate, noise_shape=noise_shape,
                              seed=self.seed_generator)

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("noise_shape")
        if self.rank > 1:
            config["data_format"] = self.data_format
        return config


class SpatialDropout1D(BaseSpatialDropout):
    """Drop whole channels of ``(batch, steps, channels)`` (see ``BaseSpatialDropout``).

    Example:
        >>> import ember
        >>> y = ember.layers.SpatialDropout1D(0.5, seed=0)(ember.ones(2, 5, 4), training=True)
        >>> bool((y.numpy() == y.numpy()[:, :1, :]).all())
        True
    """

    rank = 1

    def __init__(self, rate: float, seed: int | None = None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)


class SpatialDropout2D(BaseSpatialDropout):
    """Drop whole feature maps of ``(batch, height, width, channels)`` (see
    ``BaseSpatialDropout``).

    Example:
        >>> import ember
        >>> layer = ember.layers.SpatialDropout2D(0.5, seed=0)
        >>> y = layer(ember.ones(2, 3, 3, 4), training=True).numpy()
        >>> bool((y == y[:, :1, :1, :]).all())
        True
    """

    rank = 2


class SpatialDropout3D(BaseSpatialDropout):
    """Drop whole feature volumes of ``(batch, depth, height, width, channels)`` (see
    ``BaseSpatialDropout``).

    Example:
        >>> import ember
        >>> ember.layers.SpatialDropout3D(0.2)(ember.ones(1, 2, 2, 2, 3), training=True).shape
        (1, 2, 2, 2, 3)
    """

    rank = 3
