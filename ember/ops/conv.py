"""Convolutions as in ``keras.ops``: ``conv`` (1-D, 2-D, 3-D, grouped), ``depthwise_conv``,
``separable_conv`` and ``conv_transpose``; channels-last.

A convolution (cross-correlation, as in every framework) of ``x`` ``(batch, *spatial, C)``
with a kernel ``w`` ``(*k, C // groups, O)`` is

    y[b, *o, c_out] = sum_{j, c} x_pad[b, *(o * strides + j * dilation), g * C_g + c]
                                 * w[*j, c, c_out],       g = c_out // (O // groups).

It runs as im2col and one matrix product: the windows of the padded input, a strided view,
are copied once into a column matrix ``(groups, batch * out, k * C_g)`` and multiplied by
the kernel reshaped to ``(groups, k * C_g, O_g)`` (a batched product over the groups). The
kernel gradient is one product with the saved columns; the input gradient multiplies the
output gradient by the kernel and scatters the columns back with ``col2im`` (one strided
add per kernel position). A transposed convolution is that input gradient used as a
forward pass, so it shares the code.
"""

from __future__ import annotations

import math

from ember.autograd.function import Function
from ember.autograd.tensor import Tensor
from ember.ops._util import as_tensor, xp_of
from ember.ops.im2col import (
    check_data_format,
    col2im,
    effective_kernel,
    im2col,
    interior,
    normalize_tuple,
    output_spatial,
    pad_spatial,
    resolve_padding,
)
from ember.ops.shape import reshape


def conv(inputs, kernel, strides=1, padding="valid", data_format=None,
         dilation_rate=1, *, bias=None, activation=None) -> Tensor:
    """N-D convolution (``keras.ops.conv``): ``inputs`` ``(batch, *spatial, C)``, ``kernel``
    ``(*kernel_size, C // groups, filters)``; ``groups = C // kernel.shape[-2]``.

    ``padding`` is ``"valid"``, ``"same"`` (TensorFlow's, extra padding at the end) or explicit
    pads: one int, one int per spatial axis, or one ``(low, high)`` pair per spatial axis.

    ember extras, fused into the same op (no intermediate arrays, as ``Conv2D`` layers use
    them): ``bias`` ``(filters,)`` added to the output and ``activation="relu"`` applied to
    it, in place.

    Example:
        >>> import ember
        >>> from ember import ops
        >>> x = ember.ones(2, 28, 28, 1)
        >>> ops.conv(x, ember.ones(3, 3, 1, 8), padding="same").shape
        (2, 28, 28, 8)
        >>> ops.conv(x, ember.ones(5, 3, 1, 4), strides=2).shape
        (2, 12, 13, 4)
    """
    x, w = as_tensor(inputs), as_tensor(kernel)
    check_data_format("conv", data_format)
    rank = w.ndim - 2
    if rank < 1 or x.ndim != rank + 2:
        raise ValueError(
            f"conv: expected inputs with {max(rank, 1) + 2} dimensions (batch, *spatial, "
            f"channels) for a kernel of shape {w.shape} (*kernel_size, in_channels, filters), "
            f"received inputs of shape {x.shape}"
        )
    channels, c_g = x.shape[-1], w.shape[-2]
    if c_g < 1 or channels % c_g:
        raise ValueError(
            f"conv: expected the input channels ({channels}) to be a multiple of the kernel's "
            f"input channels (kernel.shape[-2] = {c_g}), received inputs of shape {x.shape} "
            f"and a kernel of shape {w.shape}"
        )
    groups = channels // c_g
    if w.shape[-1] % groups:
        raise ValueError(
            f"conv: expected the filters (kernel.shape[-1] = {w.shape[-1]}) to be a multiple "
            f"of groups = {groups} (input channels {channels} / kernel input channels {c_g})"
        )
    strides = normalize_tuple(strides, rank, "strides", "conv")
    dilation = normalize_tuple(dilation_rate, rank, "dilation_rate", "conv")
    k_eff = effective_kernel(w.shape[:rank], dilation)
    pads = resolve_padding(padding, x.shape[1:-1], k_eff, strides, "conv")
    output_spatial(x.shape[1:-1], k_eff, strides, pads, "conv", x.shape)
    if activation not in (None, "linear", "relu"):
        raise ValueError(
            f"conv: expected activation None, 'linear' or 'relu' (fused), received "
            f"{activation!r}"
        )
    if bias is not None:
        bias = as_tensor(bias, x.dtype)
        if bias.shape != (w.shape[-1],):
            raise ValueError(
                f"conv: expected a bias of shape {(w.shape[-1],)}, received {bias.shape}"
            )
    return Conv.apply(x, w, bias, strides, pads, dilation, groups, activation == "relu")


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1) -> Tensor:
    """Depthwise convolution (``keras.ops.depthwise_conv``): each input channel ``c`` is
    convolved with its own ``depth_multiplier`` filters ``kernel[..., c, :]``; the kernel is
    ``(*kernel_size, C, depth_multiplier)`` and output channel ``c * depth_multiplier + m``.
    It is ``conv`` with ``groups = C``.

    Example:
        >>> import ember
        >>> from ember import ops
        >>> ops.depthwise_conv(ember.ones(2, 8, 8, 3), ember.ones(3, 3, 3, 2)).shape
        (2, 6, 6, 6)
    """
    x, w = as_tensor(inputs), as_tensor(kernel)
    if w.ndim < 3 or x.ndim != w.ndim or x.shape[-1] != w.shape[-2]:
        raise ValueError(
            f"depthwise_conv: expected inputs (batch, *spatial, C) and a kernel "
            f"(*kernel_size, C, depth_multiplier) of the same rank and C, received inputs of "
            f"shape {x.shape} and a kernel of shape {w.shape}"
        )
    grouped = reshape(w, w.shape[:-2] + (1, w.shape[-2] * w.shape[-1]))
    return conv(x, grouped, strides, padding, data_format, dilation_rate)


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                   data_format=None, dilation_rate=1) -> Tensor:
    """Depthwise convolution followed by a pointwise (1 x 1) convolution
    (``keras.ops.separable_conv``, Chollet 2017): ``pointwise_kernel`` is
    ``(1, ..., 1, C * depth_multiplier, filters)``.

    Example:
        >>> import ember
        >>> from ember import ops
        >>> x = ember.ones(2, 8, 8, 3)
        >>> ops.separable_conv(x, ember.ones(3, 3, 3, 2), ember.ones(1, 1, 6, 4)).shape
        (2, 6, 6, 4)
    """
    y = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv(y, pointwise_kernel, 1, "valid", data_format)


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None,
                   data_format=None, dilation_rate=1) -> Tensor:
    """Transposed convolution (``keras.ops.conv_transpose``): the gradient of ``conv`` with
    respect to its input, used as a forward pass (an upsampling convolution).

    ``kernel`` is ``(*kernel_size, filters, C)`` (Keras's layout: output channels before
    input channels). Along an axis of size ``n``, with ``k_eff = dilation * (k - 1) + 1``, the
    output size is Keras's:

    - ``"valid"``: ``(n - 1) * s + k_eff + output_padding``, ``output_padding`` defaulting to
      ``max(k_eff, s) - k_eff``;
    - ``"same"``: ``n * s``, or ``(n - 1) * s + k_eff - 2 * (k_eff // 2) + output_padding``
      when ``output_padding`` is given;
    - explicit pads ``(lo, hi)`` (PyTorch's ``padding``): ``(n - 1) * s + k_eff - lo - hi +
      output_padding``.

    Example:
        >>> import ember
        >>> from ember import ops
        >>> x = ember.ones(2, 7, 7, 4)
        >>> ops.conv_transpose(x, ember.ones(3, 3, 8, 4), strides=2, padding="same").shape
        (2, 14, 14, 8)
    """
    x, w = as_tensor(inputs), as_tensor(kernel)
    check_data_format("conv_transpose", data_format)
    rank = w.ndim - 2
    if rank < 1 or x.ndim != rank + 2 or x.shape[-1] != w.shape[-1]:
        raise ValueError(
            f"conv_transpose: expected inputs (batch, *spatial, C) with {max(rank, 1) + 2} "
            f"dimensions and C = kernel.shape[-1] for a kernel of shape {w.shape} "
            f"(*kernel_size, filters, C), received inputs of shape {x.shape}"
        )
    strides = normalize_tuple(strides, rank, "strides", "conv_transpose")
    dilation = normalize_tuple(dilation_rate, rank, "dilation_rate", "conv_transpose")
    extra = None if output_padding is None else normalize_tuple(
        output_padding, rank, "output_padding", "conv_transpose", minimum=0)
    k_eff = effective_kernel(w.shape[:rank], dilation)
    spatial = x.shape[1:-1]
    sizes = transpose_output_spatial(spatial, k_eff, strides, padding, extra, "conv_transpose")
    if isinstance(padding, str):
        pads = tuple((max((n - 1) * s + k - size, 0) // 2 if padding.lower() == "same" else 0, 0)
                     for n, k, s, size in zip(spatial, k_eff, strides, sizes))
    else:
        pads = resolve_padding(padding, spatial, k_eff, strides, "conv_transpose")
    if any(size < 1 for size in sizes):
        raise ValueError(
            f"conv_transpose: padding={padding!r} leaves an empty output {sizes} for inputs of "
            f"shape {x.shape} and a kernel of shape {w.shape}"
        )
    return ConvTranspose.apply(x, w, strides, pads, dilation, sizes)


def transpose_output_spatial(spatial, kernel_eff, strides, padding, output_padding,
                             op: str) -> tuple:
    """Output sizes of a transposed convolution (see ``conv_transpose``); ``None`` stays."""
    rank = len(spatial)
    extra = output_padding or (None,) * rank
    if isinstance(padding, str):
        mode = padding.lower()
        if mode not in ("valid", "same"):
            raise ValueError(
                f"{op}: expected padding 'valid', 'same' or explicit pads, received "
                f"padding={padding!r}"
            )
        sizes = []
        for n, k, s, e in zip(spatial, kernel_eff, strides, extra):
            if n is None:
                sizes.append(None)
            elif mode == "valid":
                sizes.append((n - 1) * s + k + (max(k, s) - k if e is None else e))
            else:
                sizes.append(n * s if e is None else (n - 1) * s + k - 2 * (k // 2) + e)
        return tuple(sizes)
    pads = resolve_padding(padding, spatial, kernel_eff, strides, op)
    return tuple(None if n is None else (n - 1) * s + k - lo - hi + (e or 0)
                 for n, k, s, (lo, hi), e in zip(spatial, kernel_eff, strides, pads, extra))


class Conv(Function):
    """N-D grouped convolution, then optionally a bias and a ReLU in place:
    ``forward(ctx, x, kernel, bias, strides, pads, dilation, groups, relu)``."""

    @staticmethod
    def forward(ctx, x, kernel, bias, strides, pads, dilation, groups, relu):
        xp = xp_of(x)
        rank = len(strides)
        kernel_shape = kernel.shape[:rank]
        padded = pad_spatial(xp, x, pads)
        out_shape = tuple((n - k) // s + 1 for n, k, s in zip(
            padded.shape[1:rank + 1], effective_kernel(kernel_shape, dilation), strides))
        cols = grouped_columns(xp, padded, kernel_shape, out_shape, strides, dilation, groups)
        y = cols @ grouped_kernel(kernel, groups)  # (groups, batch * out, O_g)
        # The columns serve the kernel gradient, the kernel the input gradient.
        ctx.save_for_backward(cols if ctx.needs_input_grad[1] else None,
                              kernel if ctx.needs_input_grad[0] else None)
        ctx.geometry = (x.shape, padded.shape, kernel.shape, out_shape, strides, pads,
                        dilation, groups)
        if groups == 1:
            y = y.reshape(x.shape[:1] + out_shape + y.shape[-1:])
        else:
            y = y.transpose(1, 0, 2).reshape(x.shape[:1] + out_shape + (-1,))
        if bias is not None:
            y += bias
        ctx.relu_output = None
        if relu:
            xp_of(y).maximum(y, 0, out=y)
            ctx.relu_output = y
        return y

    @staticmethod
    def backward(ctx, g):
        cols, kernel = ctx.saved_tensors
        x_shape, padded_shape, kernel_shape, out_shape, strides, pads, dilation, groups = (
            ctx.geometry)
        rank = len(strides)
        if ctx.relu_output is not None:
            g = g * (ctx.relu_output > 0)
        gb = None
        if ctx.needs_input_grad[2]:  # a matrix-vector product sums rows 4x faster than sum
            rows = g.reshape(-1, g.shape[-1])
            gb = xp_of(g).ones(rows.shape[0], dtype=g.dtype) @ rows
        gy = g.reshape(-1, groups, kernel_shape[-1] // groups).transpose(1, 0, 2)
        gx = gw = None
        if ctx.needs_input_grad[1]:
            gw = (cols.transpose(0, 2, 1) @ gy).transpose(1, 0, 2).reshape(kernel_shape)
        if ctx.needs_input_grad[0]:
            xp = xp_of(g)
            kernel_size = math.prod(kernel_shape[:rank])
            c_g, o_g = kernel_shape[-2], kernel_shape[-1] // groups
            w = kernel.reshape(kernel_size, c_g, groups, o_g).transpose(0, 2, 3, 1)
            dcols = gy[None] @ w  # (k, groups, batch * out, C_g): kernel-major columns
            dcols = dcols.transpose(0, 2, 1, 3).reshape(
                (kernel_size, x_shape[0]) + out_shape + (groups, c_g))
            gx = col2im(xp, dcols, kernel_shape[:rank], padded_shape[1:rank + 1], strides,
                        dilation)
            gx = gx.reshape(padded_shape)[interior(pads, x_shape[1:rank + 1])]
        return gx, gw, gb, None, None, None, None, None


class ConvTranspose(Function):
    """Transposed convolution: ``forward(ctx, x, kernel, strides, pads, dilation, sizes)``,
    the input gradient of the convolution (``pads``, ``strides``, ``dilation``) that maps an
    input of spatial ``sizes`` to one shaped like ``x``."""

    @staticmethod
    def forward(ctx, x, kernel, strides, pads, dilation, sizes):
        xp = xp_of(x)
        rank = len(strides)
        spatial = x.shape[1:rank + 1]
        k_eff = effective_kernel(kernel.shape[:rank], dilation)
        # Room for every position the windows reach and for the whole cropped output.
        padded = tuple(max(lo + size, (n - 1) * s + k) for n, k, s, (lo, _), size
                       in zip(spatial, k_eff, strides, pads, sizes))
        kernel_size = math.prod(kernel.shape[:rank])
        w = kernel.reshape(kernel_size, kernel.shape[-2], kernel.shape[-1]).transpose(0, 2, 1)
        dcols = x.reshape(-1, x.shape[-1]) @ w  # (k, batch * n, O): kernel-major columns
        dcols = dcols.reshape((kernel_size,) + x.shape[:-1] + kernel.shape[-2:-1])
        y = col2im(xp, dcols, kernel.shape[:rank], padded, strides, dilation)
        crop = tuple((lo, p - lo - size) for (lo, _), p, size in zip(pads, padded, sizes))
        ctx.save_for_backward(x, kernel)
        ctx.geometry = (crop, strides, dilation)
        return y[interior(crop, sizes)]

    @staticmethod
    def backward(ctx, g):
        x, kernel = ctx.saved_tensors
        crop, strides, dilation = ctx.geometry
        xp = xp_of(g)
        rank = len(strides)
        padded = pad_spatial(xp, g, crop)
        cols = grouped_columns(xp, padded, kernel.shape[:rank], x.shape[1:rank + 1], strides,
                               dilation, 1)[0]  # (batch * n, k * O)
        gx = gw = None
        if ctx.needs_input_grad[0]:
            gx = (cols @ kernel.reshape(-1, kernel.shape[-1])).reshape(x.shape)
        if ctx.needs_input_grad[1]:
            gw = (cols.T @ x.reshape(-1, x.shape[-1])).reshape(kernel.shape)
        return gx, gw, None, None, None, None


def grouped_columns(xp, padded, kernel_shape, out_shape, strides, dilation, groups):
    """The column matrix ``(groups, batch * out, k * C_g)``: the one copy of the windows."""
    c_g = padded.shape[-1] // groups
    split = padded.reshape(padded.shape[:-1] + (groups, c_g))
    windows = im2col(xp, split, kernel_shape, out_shape, strides, dilation)
    windows = xp.moveaxis(windows, -2, 0)  # (groups, batch, *out, *k, C_g), a view
    rows = padded.shape[0] * math.prod(out_shape)
    return xp.ascontiguousarray(windows).reshape(groups, rows, -1)


def grouped_kernel(kernel, groups: int):
    """The kernel ``(*k, C_g, O)`` as ``(groups, k * C_g, O_g)`` (a view)."""
    rows = math.prod(kernel.shape[:-1])
    return kernel.reshape(rows, groups, kernel.shape[-1] // groups).transpose(1, 0, 2)
