"""Normalization ops: ``moments``, ``batch_normalization``, ``layer_normalization``,
``rms_normalization`` and ``normalize`` as in ``keras.ops``, plus ember's
``group_normalization`` and ``fused_batch_normalization`` (training-mode batch norm).

Each normalization is one fused Function: forward computes the statistics, the normalized
values and the affine transform together; backward is the closed-form gradient, the path
through the statistics included. With ``x_hat = (x - mean) * rstd``,
``rstd = 1 / sqrt(var + epsilon)``, statistics over ``N`` positions and ``gh = dL/dx_hat``
(Ioffe & Szegedy 2015, "Batch Normalization", section 3):

    dL/dx = rstd * (gh - mean(gh) - x_hat * mean(gh * x_hat))

which is a few passes over ``x``, where the same formula written with primitive ops records
a dozen graph nodes, each with its own full-size temporaries.

Example:
    >>> import ember
    >>> from ember import ops
    >>> x = ember.tensor([[1.0, 2.0], [3.0, 6.0]])
    >>> mean, variance = ops.moments(x, axes=[0])
    >>> mean.tolist(), variance.tolist()
    ([2.0, 4.0], [1.0, 4.0])
"""

from __future__ import annotations

import math
import numbers

from ember import backend
from ember.autograd.function import Function
from ember.autograd.tensor import Tensor
from ember.ops import math as _math
from ember.ops import reduce as _reduce
from ember.ops._util import normalize_axis, operand, unbroadcast, xp_of
from ember.ops.shape import reshape


def moments(x, axes, keepdims: bool = False, synchronized: bool = False):
    """Mean and (biased) variance of ``x`` over ``axes``: ``(mean, variance)``.

    ``variance = mean((x - mean) ** 2)``, computed from the centred values (two passes, no
    cancellation). ``synchronized=True`` (statistics across devices) needs a distributed
    setup and is refused here, as Keras refuses it off TensorFlow.

    Example:
        >>> import ember
        >>> mean, variance = ember.ops.moments(ember.tensor([1.0, 2.0, 3.0, 6.0]), axes=0)
        >>> mean.item(), variance.item()
        (3.0, 3.5)
    """
    if synchronized:
        raise ValueError("moments: synchronized=True needs a distributed strategy; "
                         "received synchronized=True on a single process")
    x = operand(x)
    return Moments.apply(x, normalize_axis(axes, x.ndim), keepdims)


def batch_normalization(x, mean, variance, axis: int, offset=None, scale=None,
                        epsilon: float = 1e-3) -> Tensor:
    """Normalize ``x`` with the given statistics along feature ``axis``:
    ``(x - mean) / sqrt(variance + epsilon) * scale + offset``.

    ``mean``, ``variance``, ``offset`` and ``scale`` hold one value per entry of
    ``x.shape[axis]``. Differentiable in all five inputs.

    Example:
        >>> import ember
        >>> x = ember.tensor([[1.0, 10.0], [3.0, 30.0]])
        >>> y = ember.ops.batch_normalization(x, ember.tensor([2.0, 20.0]),
        ...                                   ember.tensor([1.0, 100.0]), axis=-1, epsilon=0.0)
        >>> y.tolist()
        [[-1.0, -1.0], [1.0, 1.0]]
    """
    x = operand(x)
    axis = _feature_axis("batch_normalization", axis, x.ndim)
    size = x.shape[axis]
    params = [_param("batch_normalization", name, p, size, x) for name, p in
              (("mean", mean), ("variance", variance), ("offset", offset), ("scale", scale))]
    bshape = tuple(size if i == axis else 1 for i in range(x.ndim))
    return NormalizeWithStatistics.apply(x, *params, bshape, float(epsilon))


def fused_batch_normalization(x, axis: int = -1, offset=None, scale=None,
                              epsilon: float = 1e-3, mask=None):
    """Training-mode batch normalization: normalize ``x`` with its own statistics over every
    axis but ``axis`` and return ``(y, batch_mean, batch_variance)``.

    ``y = (x - batch_mean) / sqrt(batch_variance + epsilon) * scale + offset``; the
    variance is biased (divided by ``N``), as Keras uses it. The gradient flows through the
    batch statistics. ``mask`` (broadcastable to ``x``, 1 where a position counts) restricts
    the statistics to the unmasked positions; every position is normalized.

    Example:
        >>> import ember
        >>> from ember.ops.normalization import fused_batch_normalization
        >>> y, mean, variance = fused_batch_normalization(
        ...     ember.tensor([[1.0], [3.0]]), epsilon=0.0)
        >>> y.tolist(), mean.tolist(), variance.tolist()
        ([[-1.0], [1.0]], [2.0], [1.0])
    """
    x = operand(x)
    axis = _feature_axis("fused_batch_normalization", axis, x.ndim)
    size = x.shape[axis]
    offset = _param("fused_batch_normalization", "offset", offset, size, x)
    scale = _param("fused_batch_normalization", "scale", scale, size, x)
    weights = None
    if mask is not None:
        raw = mask.data if isinstance(mask, Tensor) else xp_of(x.data).asarray(mask)
        weights = raw.astype(x.dtype)
        if not _broadcasts_to(weights.shape, x.shape):
            raise ValueError(f"fused_batch_normalization: expected a mask broadcastable to "
                             f"{x.shape}, received shape {weights.shape}")
    axes = tuple(i for i in range(x.ndim) if i != axis)
    bshape = tuple(size if i == axis else 1 for i in range(x.ndim))
    y, mean, variance = Normalize.apply(x, scale, offset, weights, axes, bshape,
                                        float(epsilon))
    return y, reshape(mean, (size,)), reshape(variance, (size,))


def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon: float | None = None,
                        rms_scaling: bool = False) -> Tensor:
    """Layer normalization (Ba et al. 2016): normalize each example over ``axis`` (an int or
    a list), then ``* gamma + beta``; ``gamma`` and ``beta`` span the normalized axes.

    ``rms_scaling=True`` computes ``x * rsqrt(var(x) + epsilon) * gamma`` as Keras 3 does:
    the variance about the mean, no centring and no ``beta``. (Keras documents that this is
    not RMS normalization; that is ``rms_normalization``.) ``epsilon`` defaults to
    ``ember.backend.epsilon()``.

    Example:
        >>> import ember
        >>> y = ember.ops.layer_normalization(ember.tensor([[1.0, 3.0]]), epsilon=0.0)
        >>> y.tolist()
        [[-1.0, 1.0]]
    """
    x = operand(x)
    axes, bshape = _axes_and_shape("layer_normalization", axis, x)
    size = math.prod(x.shape[a] for a in axes)
    gamma = _param("layer_normalization", "gamma", gamma, size, x)
    epsilon = backend.epsilon() if epsilon is None else float(epsilon)
    if rms_scaling:
        return ScaleByRMS.apply(x, gamma, axes, bshape, epsilon, True)
    beta = _param("layer_normalization", "beta", beta, size, x)
    return Normalize.apply(x, gamma, beta, None, axes, bshape, epsilon)[0]


def rms_normalization(x, scale=1, axis=-1, epsilon: float | None = None) -> Tensor:
    """Root-mean-square normalization (Zhang & Sennrich 2019):
    ``x * rsqrt(mean(x ** 2) + epsilon) * scale`` over ``axis``. ``scale`` is a number or
    one value per normalized position; ``epsilon`` defaults to ``ember.backend.epsilon()``.

    Example:
        >>> import ember
        >>> y = ember.ops.rms_normalization(ember.tensor([[3.0, 4.0]]), epsilon=0.0)
        >>> [round(v, 4) for v in y.numpy().ravel().tolist()]
        [0.8485, 1.1314]
    """
    x = operand(x)
    axes, bshape = _axes_and_shape("rms_normalization", axis, x)
    epsilon = backend.epsilon() if epsilon is None else float(epsilon)
    factor = 1.0
    if isinstance(scale, numbers.Number):
        factor, scale = float(scale), None
    size = math.prod(x.shape[a] for a in axes)
    scale = _param("rms_normalization", "scale", scale, size, x)
    y = ScaleByRMS.apply(x, scale, axes, bshape, epsilon, False)
    return y if factor == 1.0 else y * factor


def group_normalization(x, groups: int, gamma=None, beta=None, axis: int = -1,
                        epsilon: float = 1e-3) -> Tensor:
    """Group normalization (Wu & He 2018): split the ``axis`` channels into ``groups`` and
    normalize each example's group over its channels and all other non-batch axes, then
    ``* gamma + beta`` per channel. ``groups=1`` normalizes whole examples; ``groups`` equal
    to the channel count is instance normalization (Ulyanov et al. 2016).

    Example:
        >>> import ember
        >>> x = ember.tensor([[[1.0, 3.0, 10.0, 30.0]]])
        >>> ember.ops.group_normalization(x, groups=2, epsilon=0.0).tolist()
        [[[-1.0, 1.0, -1.0, 1.0]]]
    """
    x = operand(x)
    axis = _feature_axis("group_normalization", axis, x.ndim)
    if axis == 0:
        raise ValueError("group_normalization: expected a channel axis other than the batch "
                         "axis 0, received axis=0")
    channels = x.shape[axis]
    if not isinstance(groups, numbers.Integral) or groups < 1 or channels % groups:
        raise ValueError(f"group_normalization: expected groups dividing the {channels} "
                         f"channels of axis {axis}, received groups={groups!r}")
    gamma = _param("group_normalization", "gamma", gamma, channels, x)
    beta = _param("group_normalization", "beta", beta, channels, x)
    grouped = x.shape[:axis] + (groups, channels // groups) + x.shape[axis + 1:]
    axes = tuple(i for i in range(1, x.ndim + 1) if i != axis)
    bshape = tuple(grouped[i] if i in (axis, axis + 1) else 1 for i in range(x.ndim + 1))
    y = Normalize.apply(reshape(x, grouped), gamma, beta, None, axes, bshape,
                        float(epsilon))[0]
    return reshape(y, x.shape)


def normalize(x, axis: int = -1, order: int = 2, epsilon: float | None = None) -> Tensor:
    """``x / max(norm(x, order), epsilon)`` along ``axis`` (``keras.ops.normalize``);
    ``epsilon`` defaults to ``ember.backend.epsilon()``.

    Example:
        >>> import ember
        >>> ember.ops.normalize(ember.tensor([[3.0, 4.0]])).tolist()
        [[0.6000000238418579, 0.800000011920929]]
    """
    if not isinstance(order, numbers.Integral) or order < 1:
        raise ValueError(f"normalize: expected an int order >= 1, received order={order!r}")
    x = operand(x)
    epsilon = backend.epsilon() if epsilon is None else float(epsilon)
    if order == 2:
        square_sum = _reduce.sum(_math.square(x), axis=axis, keepdims=True)
        return x * _math.rsqrt(_math.maximum(square_sum, epsilon * epsilon))
    norm = _reduce.norm(x, ord=int(order), axis=axis, keepdims=True)
    return x / _math.maximum(norm, epsilon)


# ---- fused Functions ---------------------------------------------------------------------


class Moments(Function):
    """``(mean, variance)`` over ``axes``; ``d/dx = (g_mean + 2 g_var (x - mean)) / N``."""

    @staticmethod
    def forward(ctx, x, axes, keepdims):
        mean = x.mean(axis=axes, keepdims=True)
        centered = x - mean
        variance = xp_of(x).square(centered).mean(axis=axes, keepdims=True)
        ctx.save_for_backward(centered)
        ctx.kept_shape = mean.shape
        if not keepdims:
            shape = _reduced_shape(x.shape, axes)
            mean, variance = mean.reshape(shape), variance.reshape(shape)
        return mean, variance

    @staticmethod
    def backward(ctx, g_mean, g_var):
        (centered,) = ctx.saved_tensors
        share = 1.0 / (centered.size // max(math.prod(ctx.kept_shape), 1))
        g_mean = g_mean.reshape(ctx.kept_shape)
        g_var = g_var.reshape(ctx.kept_shape)
        return (g_mean + (2.0 * g_var) * centered) * share, None, None


class Normalize(Function):
    """``y = x_hat * scale + offset`` with ``x_hat = (x - mean) * rstd`` and the statistics
    of ``x`` over ``axes`` (weighted by ``weights`` when given); outputs ``(y, mean, var)``
    with the reduced axes kept. ``scale`` and ``offset`` are reshaped to ``param_shape``.

    With weights ``w`` and ``N = sum(w)`` the statistics are ``mean = sum(w x) / N`` and
    ``var = sum(w (x - mean)^2) / N``, and every position's gradient through them carries the
    factor ``w / N`` in place of ``1 / N``.
    """

    @staticmethod
    def forward(ctx, x, scale, offset, weights, axes, param_shape, epsilon):
        xp = xp_of(x)
        # Fresh full-size arrays cost page faults as much as arithmetic: ``buffer`` holds the
        # squares for the variance, then the output.
        if weights is None:
            share = 1.0 / (x.size // math.prod(_kept_shape(x.shape, axes)))
            mean = _sum(x, axes) * share
            centered = x - mean
            buffer = xp.square(centered)
            variance = _sum(buffer, axes) * share
        else:
            count = xp.maximum(_sum(xp.broadcast_to(weights, x.shape), axes), 1)
            mean = _sum(weights * x, axes) / count
            centered = x - mean
            buffer = xp.square(centered)
            buffer *= weights
            variance = _sum(buffer, axes) / count
            share = weights / count
        rstd = 1.0 / xp.sqrt(variance + epsilon)
        x_hat = centered
        x_hat *= rstd
        scale_b = None if scale is None else scale.reshape(param_shape)
        y = x_hat
        if scale_b is not None or offset is not None:
            y = buffer
            xp.multiply(x_hat, 1 if scale_b is None else scale_b, out=y)
            if offset is not None:
                y += offset.reshape(param_shape)
        ctx.save_for_backward(x_hat, rstd, scale_b, share)
        ctx.axes, ctx.param_shape = axes, param_shape
        return y, mean, variance

    @staticmethod
    def backward(ctx, g, g_mean, g_var):
        x_hat, rstd, scale_b, share = ctx.saved_tensors
        axes, param_shape = ctx.axes, ctx.param_shape
        needs = ctx.needs_input_grad
        gx = g_scale = g_offset = None
        # A scale constant over the statistics' axes (batch norm) factors out of dL/dx; when
        # the parameters also have the statistics' shape, the sums over g and g * x_hat that
        # dL/dx needs are the gradients of offset and scale.
        factored = scale_b is None or all(scale_b.shape[a] == 1 for a in axes)
        shared_sums = factored and param_shape == rstd.shape
        if needs[0]:
            xp = xp_of(g)
            h = g if factored else g * scale_b
            prod = h * x_hat
            sum_h, sum_hx = _sum(h, axes), _sum(prod, axes)
            if needs[1]:
                g_scale = sum_hx if shared_sums else unbroadcast(
                    prod if factored else g * x_hat, param_shape)
            if needs[2]:
                g_offset = sum_h if shared_sums else unbroadcast(g, param_shape)
            # dL/dx = rstd * (h - share * (sum_h + x_hat * sum_hx)), h = g * scale (or g, the
            # scale applied last when it factors out), computed in prod's buffer.
            gx = xp.multiply(x_hat, sum_hx, out=prod)
            gx += sum_h
            gx *= share
            xp.subtract(h, gx, out=gx)
            gx *= rstd if scale_b is None or not factored else rstd * scale_b
            if g_mean.any() or g_var.any():
                # The statistics are outputs too: d mean/dx = w/N, d var/dx = 2 w (x - mean)/N.
                gx += share * (g_mean + (2.0 * g_var / rstd) * x_hat)
        else:
            if needs[1]:
                g_scale = unbroadcast(g * x_hat, param_shape)
            if needs[2]:
                g_offset = unbroadcast(g, param_shape)
        if g_scale is not None:
            g_scale = g_scale.reshape(ctx.parents[1].shape)
        if g_offset is not None:
            g_offset = g_offset.reshape(ctx.parents[2].shape)
        return gx, g_scale, g_offset, None, None, None, None


class ScaleByRMS(Function):
    """``y = x * rstd * scale`` with ``rstd = 1 / sqrt(mean(dev^2) + epsilon)`` over
    ``axes``, where ``dev = x - mean(x)`` (``centered``) or ``x``. As ``mean(dev) = 0`` when
    centred, both give ``d mean(dev^2)/dx = 2 dev / N``, so
    ``dL/dx = rstd * gh - rstd^3 * dev * sum(gh * x) / N`` with ``gh = g * scale``."""

    @staticmethod
    def forward(ctx, x, scale, axes, param_shape, epsilon, centered):
        xp = xp_of(x)
        dev = x - x.mean(axis=axes, keepdims=True) if centered else x
        rstd = 1.0 / xp.sqrt(xp.square(dev).mean(axis=axes, keepdims=True) + epsilon)
        scale_b = None if scale is None else scale.reshape(param_shape)
        y = x * rstd
        if scale_b is not None:
            y *= scale_b
        ctx.save_for_backward(x, dev, rstd, scale_b)
        ctx.axes, ctx.param_shape = axes, param_shape
        return y

    @staticmethod
    def backward(ctx, g):
        x, dev, rstd, scale_b = ctx.saved_tensors
        gx = g_scale = None
        if ctx.needs_input_grad[1]:
            g_scale = unbroadcast(g * x * rstd, ctx.param_shape).reshape(ctx.parents[1].shape)
        if ctx.needs_input_grad[0]:
            gh = g if scale_b is None else g * scale_b
            sum_ghx = (gh * x).sum(axis=ctx.axes, keepdims=True)
            share = 1.0 / (x.size // rstd.size)
            gx = gh * rstd - dev * (rstd ** 3 * sum_ghx * share)
        return gx, g_scale, None, None, None, None


class NormalizeWithStatistics(Function):
    """``y = (x - mean) * rstd * scale + offset`` with given ``mean`` and ``variance``,
    ``rstd = 1 / sqrt(variance + epsilon)``; every input reshaped to ``param_shape``."""

    @staticmethod
    def forward(ctx, x, mean, variance, offset, scale, param_shape, epsilon):
        xp = xp_of(x)
        mean_b = mean.reshape(param_shape)
        rstd = 1.0 / xp.sqrt(variance.reshape(param_shape) + epsilon)
        inv = rstd if scale is None else rstd * scale.reshape(param_shape)
        shift = -mean_b * inv
        if offset is not None:
            shift = shift + offset.reshape(param_shape)
        y = x * inv
        y += shift
        ctx.save_for_backward(x, mean_b, rstd, inv)
        ctx.param_shape = param_shape
        return y

    @staticmethod
    def backward(ctx, g):
        x, mean_b, rstd, inv = ctx.saved_tensors
        needs = ctx.needs_input_grad
        shape = ctx.param_shape
        parents = ctx.parents
        grads = [None] * 5
        if needs[0]:
            grads[0] = g * inv
        if needs[1] or needs[3]:
            sum_g = unbroadcast(g, shape)
            if needs[1]:
                grads[1] = (-sum_g * inv).reshape(parents[1].shape)
            if needs[3]:
                grads[3] = sum_g.reshape(parents[3].shape)
        if needs[2] or needs[4]:
            sum_gc = unbroadcast(g * (x - mean_b), shape)
            if needs[2]:
                grads[2] = (-0.5 * sum_gc * inv * rstd * rstd).reshape(parents[2].shape)
            if needs[4]:
                grads[4] = (sum_gc * rstd).reshape(parents[4].shape)
        return (*grads, None, None)


# ---- helpers -----------------------------------------------------------------------------


def _feature_axis(op: str, axis, ndim: int) -> int:
    if not isinstance(axis, numbers.Integral) or not -ndim <= axis < ndim:
        raise ValueError(f"{op}: expected an int axis in [{-ndim}, {ndim}) for an input of "
                         f"rank {ndim}, received axis={axis!r}")
    return int(axis) % ndim


def _axes_and_shape(op: str, axis, x: Tensor):
    """The sorted normalized axes and the shape parameters over them broadcast to."""
    axes = axis if isinstance(axis, (list, tuple)) else [axis]
    axes = tuple(sorted({_feature_axis(op, a, x.ndim) for a in axes}))
    return axes, tuple(n if i in axes else 1 for i, n in enumerate(x.shape))


def _param(op: str, name: str, value, size: int, like: Tensor):
    """``value`` as a Tensor of ``size`` elements (None stays None); values that are not
    tensors take the dtype of ``like``, so a float32 input stays float32."""
    if value is None:
        return None
    if not isinstance(value, Tensor):
        value = Tensor(xp_of(like.data).asarray(value, dtype=like.dtype))
    if value.size != size:
        raise ValueError(f"{op}: expected `{name}` with {size} values (one per normalized "
                         f"position), received shape {value.shape}")
    return value


def _sum(a, axes: tuple):
    """``a.sum(axis=axes, keepdims=True)``. Over the leading axes (batch norm, channels last)
    it is a vector-matrix product, which BLAS does several times faster than NumPy's
    reduction across rows."""
    lead = len(axes)
    if axes == tuple(range(lead)) and lead < a.ndim and a.flags.c_contiguous:
        rows = a.reshape(-1, math.prod(a.shape[lead:]))
        total = xp_of(a).ones(rows.shape[0], dtype=a.dtype) @ rows
        return total.reshape(_kept_shape(a.shape, axes))
    return a.sum(axis=axes, keepdims=True)


def _kept_shape(shape: tuple, axes: tuple) -> tuple:
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _broadcasts_to(shape: tuple, target: tuple) -> bool:
    if len(shape) > len(target):
        return False
    return all(n in (1, t) for n, t in zip(shape[::-1], target[::-1]))


def _reduced_shape(shape: tuple, axes) -> tuple:
    if axes is None:
        return ()
    return tuple(n for i, n in enumerate(shape) if i not in axes)
