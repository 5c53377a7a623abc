"""Random sampling, as ``keras.random``: ``normal``, ``uniform``, ``truncated_normal``,
``categorical``, ``randint``, ``dropout``, ``shuffle``, ``gamma``, ``binomial``, ``beta``
and ``SeedGenerator``.

Every function takes a ``seed``:

- ``None`` draws from ember's global generator, reproducible after
  ``ember.utils.set_random_seed``;
- an int gives the same values on every call (Keras's stateless behaviour);
- a ``SeedGenerator`` gives fresh values on every call, the same sequence of them for the
  same starting seed.

Samples are drawn with NumPy and placed on the active array module; float samples have
the ``floatx`` dtype (float32) unless ``dtype`` says otherwise.
"""

from __future__ import annotations

import numbers

import numpy as np

from ember import backend
from ember import ops as _ops
from ember.autograd.tensor import Tensor
from ember.variables import Variable

__all__ = [
    "SeedGenerator",
    "beta",
    "binomial",
    "categorical",
    "dropout",
    "gamma",
    "normal",
    "randint",
    "shuffle",
    "truncated_normal",
    "uniform",
]


class SeedGenerator:
    """A stateful source of seeds: each draw made with it advances its state.

    The state is a non-trainable ``Variable`` of two uint32 values ``[seed, counter]``;
    ``next()`` returns it and increments the counter, so two generators made with the
    same seed produce the same sequence of samples.

    Args:
        seed: Starting seed (an int). ``None`` takes one from ember's global generator,
            reproducible after ``ember.utils.set_random_seed``.
        name: Name of the state variable's owner.

    Example:
        >>> from ember import random
        >>> gen = random.SeedGenerator(seed=42)
        >>> a = random.normal((2,), seed=gen)
        >>> b = random.normal((2,), seed=gen)
        >>> bool((a == b).all())
        False
        >>> gen2 = random.SeedGenerator(seed=42)
        >>> bool((random.normal((2,), seed=gen2) == a).all())
        True
    """

    def __init__(self, seed: int | None = None, name: str | None = None):
        if seed is None:
            seed = int(backend.rng().integers(1, 2**31))
        elif isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
            raise ValueError(
                f"SeedGenerator: expected seed to be an int or None, received seed={seed!r}"
            )
        self._initial_seed = int(seed)
        self.name = name or "seed_generator"
        start = np.array([self._initial_seed % 2**32, 0], dtype=np.uint32)
        self.state = Variable(start, dtype="uint32", trainable=False,
                              name=f"{self.name}_state")

    def next(self, ordered: bool = True) -> Tensor:
        """The current seed state (a copy, shape ``(2,)``); advances the state.

        With ``ordered=False`` the state moves by a scrambling step instead of a count,
        as in Keras, for callers that do not need draws in sequence."""
        seed_state = Tensor(self.state.data.copy())
        if ordered:
            self.state.assign_add(np.array([0, 1], dtype=np.uint32))
        else:
            scrambled = (self.state.numpy().astype(np.uint64) + 1) * 5387 % 933199
            self.state.assign(scrambled.astype(np.uint32))
        return seed_state

    def get_config(self) -> dict:
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config: dict) -> SeedGenerator:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<SeedGenerator seed={self._initial_seed} state={self.state.numpy().tolist()}>"


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None) -> Tensor:
    """Samples from the normal distribution ``N(mean, stddev^2)``.

    Example:
        >>> from ember import random
        >>> random.normal((2, 3), seed=0).shape
        (2, 3)
    """
    dtype = _float_dtype("normal", dtype)
    return _finish(_generator("normal", seed).normal(mean, stddev, size=_shape(shape)), dtype)


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None) -> Tensor:
    """Samples from the uniform distribution on ``[minval, maxval)``."""
    dtype = _float_dtype("uniform", dtype)
    sample = _generator("uniform", seed).uniform(minval, maxval, size=_shape(shape))
    return _finish(sample, dtype)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None) -> Tensor:
    """Samples from ``N(mean, stddev^2)`` with values more than two standard deviations
    from the mean drawn again (so all lie in ``[mean - 2 stddev, mean + 2 stddev]``)."""
    dtype = _float_dtype("truncated_normal", dtype)
    rng = _generator("truncated_normal", seed)
    z = rng.standard_normal(size=_shape(shape))
    outside = np.abs(z) > 2.0
    while outside.any():  # about 4.6% of draws land outside; a few rounds suffice
        z[outside] = rng.standard_normal(size=int(outside.sum()))
        outside = np.abs(z) > 2.0
    return _finish(mean + stddev * z, dtype)


def categorical(logits, num_samples: int, dtype="int32", seed=None) -> Tensor:
    """Draws class indices from the categorical distributions ``softmax(logits)``.

    Args:
        logits: 2-D ``(batch_size, num_classes)`` unnormalized log-probabilities.
        num_samples: Number of draws per row.

    Returns:
        An integer tensor of shape ``(batch_size, num_samples)``.

    Example:
        >>> from ember import random
        >>> random.categorical([[0.0, 0.0, -float("inf")]], 5, seed=0).shape
        (1, 5)
    """
    logits = backend.to_numpy(logits.data if isinstance(logits, Tensor) else logits)
    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim != 2:
        raise ValueError(
            "categorical: expected logits of shape (batch_size, num_classes), "
            f"received shape {logits.shape}"
        )
    rows, classes = logits.shape
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    cdf = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    u = _generator("categorical", seed).random(size=(rows, int(num_samples)))
    # Inverse CDF for all rows in one search: row r's CDF is shifted up by r.
    offsets = np.arange(rows)[:, None]
    flat = np.searchsorted((cdf + offsets).ravel(), (u + offsets).ravel(), side="right")
    index = np.clip(flat.reshape(rows, -1) - offsets * classes, 0, classes - 1)
    return _finish(index, np.dtype(dtype))


def randint(shape, minval, maxval, dtype="int32", seed=None) -> Tensor:
    """Integers drawn uniformly from ``[minval, maxval)``."""
    dtype = np.dtype(dtype)
    if dtype.kind not in "iu":
        raise ValueError(f"randint: expected an integer dtype, received dtype={dtype.name}")
    sample = _generator("randint", seed).integers(minval, maxval, size=_shape(shape))
    return _finish(sample, dtype)


def dropout(inputs, rate: float, noise_shape=None, seed=None) -> Tensor:
    """Zeros each element with probability ``rate`` and scales the others by
    ``1 / (1 - rate)`` (differentiable, through ``ember.ops.dropout``)."""
    return _ops.dropout(inputs, rate, noise_shape=noise_shape, seed=_generator("dropout", seed))


def shuffle(x, axis: int = 0, seed=None) -> Tensor:
    """``x`` with its entries along ``axis`` in a random order (differentiable)."""
    x = _ops.convert_to_tensor(x)
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(
            f"shuffle: expected axis in [{-x.ndim}, {x.ndim}), received axis={axis} "
            f"for shape {x.shape}"
        )
    order = _generator("shuffle", seed).permutation(x.shape[axis])
    return _ops.take(x, order, axis=axis)


def gamma(shape, alpha, dtype=None, seed=None) -> Tensor:
    """Samples from the gamma distribution with shape ``alpha`` and scale 1."""
    dtype = _float_dtype("gamma", dtype)
    return _finish(_generator("gamma", seed).gamma(alpha, 1.0, size=_shape(shape)), dtype)


def binomial(shape, counts, probabilities, dtype=None, seed=None) -> Tensor:
    """Number of successes in ``counts`` trials of probability ``probabilities``, as floats
    unless ``dtype`` says otherwise (as in Keras)."""
    dtype = np.dtype(dtype or backend.floatx())
    sample = _generator("binomial", seed).binomial(counts, probabilities, size=_shape(shape))
    return _finish(sample, dtype)


def beta(shape, alpha, beta, dtype=None, seed=None) -> Tensor:
    """Samples from the beta distribution with parameters ``alpha`` and ``beta``."""
    dtype = _float_dtype("beta", dtype)
    return _finish(_generator("beta", seed).beta(alpha, beta, size=_shape(shape)), dtype)


def _generator(fn: str, seed) -> np.random.Generator:
    """The NumPy generator a draw with ``seed`` uses (see the module docstring)."""
    if seed is None:
        return backend.rng()
    if isinstance(seed, SeedGenerator):
        return np.random.default_rng(seed.next().numpy().tolist())
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        return np.random.default_rng(int(seed) % 2**64)
    raise ValueError(
        f"{fn}: expected seed to be None, an int or a SeedGenerator, received seed={seed!r}"
    )


def _shape(shape) -> tuple:
    return (shape,) if isinstance(shape, numbers.Integral) else tuple(shape)


def _float_dtype(fn: str, dtype) -> np.dtype:
    dtype = np.dtype(dtype or backend.floatx())
    if dtype.kind != "f":
        raise ValueError(f"{fn}: expected a floating point dtype, received dtype={dtype.name}")
    return dtype


def _finish(sample: np.ndarray, dtype: np.dtype) -> Tensor:
    return Tensor(backend.xp().asarray(np.asarray(sample).astype(dtype, copy=False)))
