"""Differentiable operations on ember tensors, named as in ``keras.ops`` (itself NumPy)."""

from ember.ops.activation import (
    elu,
    gelu,
    hard_sigmoid,
    hard_silu,
    hard_swish,
    leaky_relu,
    log_softmax,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    softmax,
    softplus,
    softsign,
    swish,
)
from ember.ops.conv import conv, conv_transpose, depthwise_conv, separable_conv
from ember.ops.pool import average_pool, max_pool
from ember.ops.creation import (
    arange,
    empty,
    eye,
    full,
    full_like,
    ones,
    ones_like,
    tensor,
    zeros,
    zeros_like,
)
from ember.ops.linalg import dot, einsum, inner, matmul, outer, tensordot
from ember.ops.loss import (
    binary_crossentropy,
    categorical_crossentropy,
    huber,
    kl_divergence,
    mean_absolute_error,
    mean_squared_error,
    smooth_l1,
    sparse_categorical_crossentropy,
)
from ember.ops.math import (
    abs,
    absolute,
    add,
    cast,
    ceil,
    clip,
    cos,
    divide,
    equal,
    erf,
    exp,
    expm1,
    floor,
    floor_divide,
    greater,
    greater_equal,
    isfinite,
    isinf,
    isnan,
    less,
    less_equal,
    log,
    log1p,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    maximum,
    minimum,
    mod,
    multiply,
    negative,
    not_equal,
    power,
    reciprocal,
    round,
    rsqrt,
    sign,
    sin,
    sqrt,
    square,
    subtract,
    tan,
    tanh,
    true_divide,
    where,
)
from ember.ops.normalization import (
    batch_normalization,
    group_normalization,
    layer_normalization,
    moments,
    normalize,
    rms_normalization,
)
from ember.ops.random import dropout, normal, rand, randn, uniform
from ember.ops.reduce import (
    all,
    amax,
    amin,
    any,
    argmax,
    argmin,
    logsumexp,
    max,
    mean,
    min,
    norm,
    prod,
    std,
    sum,
    var,
)
from ember.ops.rnn import gru, lstm, simple_rnn
from ember.ops.shape import (
    broadcast_to,
    concatenate,
    expand_dims,
    flatten,
    flip,
    getitem,
    moveaxis,
    pad,
    ravel,
    repeat,
    reshape,
    split,
    squeeze,
    stack,
    swapaxes,
    take,
    take_along_axis,
    tile,
    transpose,
    unstack,
)


def convert_to_tensor(x, dtype=None):
    """``x`` as an ember tensor (``keras.ops.convert_to_tensor``)."""
    from ember.ops._util import as_tensor

    return as_tensor(x, dtype)


def convert_to_numpy(x):
    """``x`` as a NumPy array (``keras.ops.convert_to_numpy``)."""
    import numpy as np

    from ember.autograd.tensor import Tensor

    return x.numpy() if isinstance(x, Tensor) else np.asarray(x)


def shape(x) -> tuple:
    return tuple(getattr(x, "shape", ()))


def stop_gradient(x):
    """``x`` cut from the graph."""
    return convert_to_tensor(x).detach()
