"""Weight initializers as ``keras.initializers``.

An initializer is called with a shape (and optionally a dtype, floatx by default) and returns
a new ember Tensor that does not require grad. Random initializers take ``seed``: ``None``
draws from ember's global generator (so ``ember.utils.set_random_seed`` makes weights
reproducible); an int gives the instance its own ``numpy.random.default_rng(seed)``, whose
stream advances with every call.

Fans follow Keras: for a kernel of shape ``(..., in, out)`` the receptive field is the
product of all but the last two dims, ``fan_in = in * receptive`` and
``fan_out = out * receptive``; a 1-D shape has ``fan_in = fan_out = shape[0]``.

Example:
    >>> import ember
    >>> w = ember.initializers.GlorotUniform(seed=0)((784, 128))
    >>> w.shape, w.dtype
    ((784, 128), dtype('float32'))
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ember import backend
from ember.autograd.tensor import Tensor
from ember.saving.object_registration import Registry

_REGISTRY = Registry("initializer")

# Standard deviation of a unit normal truncated to [-2, 2]: dividing by it gives the
# truncated distribution the variance asked for.
_TRUNCATED_STDDEV = 0.87962566103423978


def _register(*names):
    def decorator(cls):
        for name in (cls.__name__, *names):
            _REGISTRY.add(name, cls)
        return cls

    return decorator


class Initializer:
    """Base class: ``__call__(shape, dtype=None)`` returns a Tensor of that shape.

    Subclasses implement ``__call__`` and, when they take arguments, ``get_config``.

    Example:
        >>> import ember
        >>> class Fives(ember.initializers.Initializer):
        ...     def __call__(self, shape, dtype=None):
        ...         return ember.full(shape, 5.0, dtype=dtype)
        >>> Fives()((2,)).tolist()
        [5.0, 5.0]
    """

    def __call__(self, shape, dtype=None) -> Tensor:
        raise TypeError(f"{type(self).__name__}.__call__ must be overridden by a subclass")

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def clone(self):
        """A fresh initializer with the same config (a seeded one restarts its stream)."""
        return type(self).from_config(self.get_config())

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


@_register("zeros", "zero")
class Zeros(Initializer):
    """All zeros."""

    def __call__(self, shape, dtype=None) -> Tensor:
        return _wrap(np.zeros(_shape(shape, self), dtype=_dtype(dtype, self)))


@_register("ones", "one")
class Ones(Initializer):
    """All ones."""

    def __call__(self, shape, dtype=None) -> Tensor:
        return _wrap(np.ones(_shape(shape, self), dtype=_dtype(dtype, self)))


@_register("constant")
class Constant(Initializer):
    """``value`` (a scalar, or an array that broadcasts to the shape) everywhere.

    Example:
        >>> Constant(0.1)((2,)).tolist()
        [0.10000000149011612, 0.10000000149011612]
    """

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None) -> Tensor:
        shape, dtype = _shape(shape, self), _dtype(dtype, self)
        value = backend.to_numpy(self.value.data if isinstance(self.value, Tensor) else self.value)
        try:
            out = np.broadcast_to(np.asarray(value, dtype=dtype), shape)
        except ValueError:
            raise ValueError(
                f"Constant: expected a value that broadcasts to shape {shape}, received a "
                f"value of shape {np.shape(value)}"
            ) from None
        return _wrap(out.copy())

    def get_config(self) -> dict:
        value = self.value.numpy() if isinstance(self.value, Tensor) else self.value
        if isinstance(value, (np.ndarray, np.generic)):
            value = value.tolist()  # JSON-friendly
        return {"value": value}


class RandomInitializer(Initializer):
    """Base of the random initializers: holds ``seed`` and the generator it selects."""

    def __init__(self, seed: int | None = None):
        if seed is not None and (
            isinstance(seed, bool) or not isinstance(seed, numbers.Integral)
        ):
            raise ValueError(
                f"{type(self).__name__}: expected seed to be an int or None, "
                f"received: seed={seed!r}"
            )
        self.seed = None if seed is None else int(seed)
        self._rng = None if seed is None else np.random.default_rng(self.seed)

    @property
    def rng(self) -> np.random.Generator:
        """The generator this initializer draws from."""
        return backend.rng() if self._rng is None else self._rng

    def get_config(self) -> dict:
        return {"seed": self.seed}


@_register("random_normal", "normal")
class RandomNormal(RandomInitializer):
    """Samples from ``N(mean, stddev^2)``.

    Example:
        >>> RandomNormal(stddev=1.0, seed=0)((3, 2)).shape
        (3, 2)
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None) -> Tensor:
        shape, dtype = _shape(shape, self), _float_dtype(dtype, self)
        return _wrap(self.rng.normal(self.mean, self.stddev, size=shape).astype(dtype))

    def get_config(self) -> dict:
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


@_register("random_uniform", "uniform")
class RandomUniform(RandomInitializer):
    """Samples from ``U[minval, maxval)``.

    Example:
        >>> w = RandomUniform(-1.0, 1.0, seed=0)((100,))
        >>> bool((w.numpy() >= -1).all() and (w.numpy() < 1).all())
        True
    """

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, dtype=None) -> Tensor:
        shape, dtype = _shape(shape, self), _float_dtype(dtype, self)
        return _wrap(self.rng.uniform(self.minval, self.maxval, size=shape).astype(dtype))

    def get_config(self) -> dict:
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


@_register("truncated_normal")
class TruncatedNormal(RandomInitializer):
    """Samples from ``N(mean, stddev^2)``; values more than two standard deviations from the
    mean are drawn again (so the result's standard deviation is ``0.88 * stddev``).

    Example:
        >>> w = TruncatedNormal(stddev=1.0, seed=0)((1000,)).numpy()
        >>> bool((abs(w) <= 2).all())
        True
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None) -> Tensor:
        shape, dtype = _shape(shape, self), _float_dtype(dtype, self)
        return _wrap(_truncated_normal(self.rng, shape, self.mean, self.stddev).astype(dtype))

    def get_config(self) -> dict:
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


@_register("variance_scaling")
class VarianceScaling(RandomInitializer):
    """Samples whose variance is ``scale / n``, ``n`` being ``fan_in``, ``fan_out`` or their
    mean (``mode="fan_avg"``), each at least 1.

    - ``"truncated_normal"``: truncated at 2 sigma, ``stddev = sqrt(scale / n) / 0.8796``
    - ``"untruncated_normal"``: ``stddev = sqrt(scale / n)``
    - ``"uniform"``: ``U[-limit, limit]`` with ``limit = sqrt(3 scale / n)``

    ``distribution="normal"`` means ``"truncated_normal"``, as in Keras.

    Example:
        >>> init = VarianceScaling(scale=2.0, mode="fan_in", distribution="uniform", seed=0)
        >>> init((3, 3, 16, 32)).shape
        (3, 3, 16, 32)
    """

    _MODES = ("fan_in", "fan_out", "fan_avg")
    _DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")

    def __init__(self, scale: float = 1.0, mode: str = "fan_in",
                 distribution: str = "truncated_normal", seed: int | None = None):
        super().__init__(seed)
        if not isinstance(scale, numbers.Real) or scale <= 0.0:
            raise ValueError(
                f"VarianceScaling: expected a positive float scale, received: scale={scale!r}"
            )
        if mode not in self._MODES:
            raise ValueError(
                f"VarianceScaling: expected mode in {self._MODES}, received: mode={mode!r}"
            )
        distribution = str(distribution).lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in self._DISTRIBUTIONS:
            raise ValueError(
                f"VarianceScaling: expected distribution in {self._DISTRIBUTIONS}, "
                f"received: distribution={distribution!r}"
            )
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def __call__(self, shape, dtype=None) -> Tensor:
        shape, dtype = _shape(shape, self), _float_dtype(dtype, self)
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}
        scale = self.scale / max(1.0, n[self.mode])
        if self.distribution == "truncated_normal":
            sample = _truncated_normal(self.rng, shape, 0.0, math.sqrt(scale) / _TRUNCATED_STDDEV)
        elif self.distribution == "untruncated_normal":
            sample = self.rng.normal(0.0, math.sqrt(scale), size=shape)
        else:
            limit = math.sqrt(3.0 * scale)
            sample = self.rng.uniform(-limit, limit, size=shape)
        return _wrap(sample.astype(dtype))

    def get_config(self) -> dict:
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                **super().get_config()}


class _FixedVarianceScaling(VarianceScaling):
    """A named VarianceScaling setting whose only argument is ``seed``."""

    _SETTING: tuple = ()

    def __init__(self, seed: int | None = None):
        scale, mode, distribution = self._SETTING
        super().__init__(scale=scale, mode=mode, distribution=distribution, seed=seed)

    def get_config(self) -> dict:
        return {"seed": self.seed}


@_register("glorot_uniform")
class GlorotUniform(_FixedVarianceScaling):
    """Glorot & Bengio (2010): ``U[-limit, limit]``, ``limit = sqrt(6 / (fan_in + fan_out))``.

    Example:
        >>> GlorotUniform(seed=0)((4, 4)).shape
        (4, 4)
    """

    _SETTING = (1.0, "fan_avg", "uniform")


@_register("glorot_normal")
class GlorotNormal(_FixedVarianceScaling):
    """Glorot & Bengio (2010): truncated normal, ``stddev = sqrt(2 / (fan_in + fan_out))``."""

    _SETTING = (1.0, "fan_avg", "truncated_normal")


@_register("he_uniform")
class HeUniform(_FixedVarianceScaling):
    """He et al. (2015): ``U[-limit, limit]``, ``limit = sqrt(6 / fan_in)``."""

    _SETTING = (2.0, "fan_in", "uniform")


@_register("he_normal")
class HeNormal(_FixedVarianceScaling):
    """He et al. (2015): truncated normal, ``stddev = sqrt(2 / fan_in)``."""

    _SETTING = (2.0, "fan_in", "truncated_normal")


@_register("lecun_uniform")
class LecunUniform(_FixedVarianceScaling):
    """LeCun et al. (1998): ``U[-limit, limit]``, ``limit = sqrt(3 / fan_in)``."""

    _SETTING = (1.0, "fan_in", "uniform")


@_register("lecun_normal")
class LecunNormal(_FixedVarianceScaling):
    """LeCun et al. (1998): truncated normal, ``stddev = sqrt(1 / fan_in)``."""

    _SETTING = (1.0, "fan_in", "truncated_normal")


@_register("orthogonal", "orthogonal_initializer", "OrthogonalInitializer")
class Orthogonal(RandomInitializer):
    """A (semi-)orthogonal matrix times ``gain`` (Saxe et al. 2014).

    The shape is flattened to ``(prod(shape[:-1]), shape[-1])``; ``Q`` of the QR
    decomposition of a Gaussian matrix, with columns multiplied by ``sign(diag(R))`` so the
    result is uniform over orthogonal matrices, fills it (transposed when there are fewer
    rows than columns). The rows or the columns, whichever are fewer, are orthonormal.

    Example:
        >>> import numpy as np
        >>> w = Orthogonal(seed=0)((5, 3), dtype="float64").numpy()
        >>> bool(np.allclose(w.T @ w, np.eye(3)))
        True
    """

    def __init__(self, gain: float = 1.0, seed: int | None = None):
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape, dtype=None) -> Tensor:
        shape, dtype = _shape(shape, self), _float_dtype(dtype, self)
        if len(shape) < 2:
            raise ValueError(
                f"Orthogonal: expected a shape of rank >= 2, received: shape={shape}"
            )
        rows, cols = math.prod(shape[:-1]), shape[-1]
        q = _orthogonal(self.rng, max(rows, cols), min(rows, cols))
        if rows < cols:
            q = q.T
        return _wrap((self.gain * q).reshape(shape).astype(dtype))

    def get_config(self) -> dict:
        return {"gain": self.gain, **super().get_config()}


OrthogonalInitializer = Orthogonal


@_register("identity", "identity_initializer", "IdentityInitializer")
class Identity(Initializer):
    """``gain`` times the identity matrix (2-D shapes only; rectangular allowed).

    Example:
        >>> Identity(gain=2.0)((2, 2)).tolist()
        [[2.0, 0.0], [0.0, 2.0]]
    """

    def __init__(self, gain: float = 1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None) -> Tensor:
        shape, dtype = _shape(shape, self), _dtype(dtype, self)
        if len(shape) != 2:
            raise ValueError(
                f"Identity: expected a 2-D shape, received: shape={shape} of rank {len(shape)}"
            )
        return _wrap((self.gain * np.eye(*shape)).astype(dtype))

    def get_config(self) -> dict:
        return {"gain": self.gain}


IdentityInitializer = Identity


@_register("delta_orthogonal")
class DeltaOrthogonal(RandomInitializer):
    """Delta-orthogonal convolution kernels (Xiao et al. 2018, "Dynamical isometry and a mean
    field theory of CNNs"): zero everywhere except at the spatial centre, where an
    ``in x out`` matrix with orthonormal rows (times ``gain``) sits. Such a kernel preserves
    the norm of every input signal, which lets very deep plain CNNs train.

    The kernel has shape ``(*spatial, in, out)`` with ``in <= out``; the centre of a spatial
    axis of size ``k`` is index ``(k - 1) // 2``.

    Example:
        >>> import numpy as np
        >>> w = DeltaOrthogonal(seed=0)((3, 3, 4, 8), dtype="float64").numpy()
        >>> centre = w[1, 1]
        >>> bool(np.allclose(centre @ centre.T, np.eye(4))), float(np.abs(w[0]).sum())
        (True, 0.0)
    """

    def __init__(self, gain: float = 1.0, seed: int | None = None):
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape, dtype=None) -> Tensor:
        shape, dtype = _shape(shape, self), _float_dtype(dtype, self)
        if len(shape) < 3:
            raise ValueError(
                "DeltaOrthogonal: expected a convolution kernel shape (*spatial, in, out) of "
                f"rank >= 3, received: shape={shape}"
            )
        n_in, n_out = shape[-2], shape[-1]
        if n_in > n_out:
            raise ValueError(
                "DeltaOrthogonal: expected in_channels <= out_channels (shape[-2] <= "
                f"shape[-1]), received: shape={shape} with {n_in} > {n_out}"
            )
        q = _orthogonal(self.rng, n_out, n_out)[:n_in]
        kernel = np.zeros(shape, dtype=np.float64)
        kernel[tuple((k - 1) // 2 for k in shape[:-2])] = self.gain * q
        return _wrap(kernel.astype(dtype))

    def get_config(self) -> dict:
        return {"gain": self.gain, **super().get_config()}


def compute_fans(shape) -> tuple:
    """``(fan_in, fan_out)`` of a weight shape, as Keras computes them.

    Example:
        >>> compute_fans((3, 3, 16, 32))
        (144, 288)
    """
    shape = tuple(shape)
    if len(shape) < 1:
        fan_in = fan_out = 1
    elif len(shape) == 1:
        fan_in = fan_out = shape[0]
    elif len(shape) == 2:
        fan_in, fan_out = shape
    else:
        receptive_field = math.prod(shape[:-2])
        fan_in, fan_out = shape[-2] * receptive_field, shape[-1] * receptive_field
    return int(fan_in), int(fan_out)


def get(identifier):
    """An initializer from a name (``"he_normal"``), a config dict, a class or an instance."""
    return _REGISTRY.get(identifier)


def serialize(initializer):
    return _REGISTRY.serialize(initializer)


def deserialize(config, custom_objects=None):
    return _REGISTRY.deserialize(config, custom_objects)


# ---- helpers ---------------------------------------------------------------------------


def _shape(shape, initializer) -> tuple:
    if isinstance(shape, numbers.Integral):
        shape = (shape,)
    try:
        shape = tuple(int(n) for n in shape)
    except (TypeError, ValueError):
        shape = None
    if shape is None or any(n < 0 for n in shape):
        raise ValueError(
            f"{type(initializer).__name__}: expected a shape of non-negative ints, "
            f"received: shape={shape!r}"
        )
    return shape


def _dtype(dtype, initializer) -> np.dtype:
    try:
        return np.dtype(getattr(dtype, "name", dtype) or backend.floatx())
    except TypeError:
        raise ValueError(
            f"{type(initializer).__name__}: expected a dtype, received: dtype={dtype!r}"
        ) from None


def _float_dtype(dtype, initializer) -> np.dtype:
    dtype = _dtype(dtype, initializer)
    if dtype.kind != "f":
        raise ValueError(
            f"{type(initializer).__name__}: expected a float dtype, received: dtype={dtype}"
        )
    return dtype


def _wrap(array: np.ndarray) -> Tensor:
    """A Tensor (no grad) on the active array module."""
    return Tensor._make(backend.xp().asarray(array))


def _truncated_normal(rng, shape, mean, stddev) -> np.ndarray:
    """Normal samples with those beyond two standard deviations drawn again."""
    n = math.prod(shape)
    out = rng.normal(mean, stddev, size=n)
    bad = np.abs(out - mean) > 2.0 * stddev
    while bad.any():
        out[bad] = rng.normal(mean, stddev, size=int(bad.sum()))
        bad = np.abs(out - mean) > 2.0 * stddev
    return out.reshape(shape)


def _orthogonal(rng, rows: int, cols: int) -> np.ndarray:
    """A ``rows x cols`` (rows >= cols) matrix with orthonormal columns, Haar distributed."""
    q, r = np.linalg.qr(rng.normal(size=(rows, cols)))
    return q * np.sign(np.diag(r))
