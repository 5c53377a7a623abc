"""ONNX converters for convolution, pooling and normalization layers.

ember is channels-last and ONNX's Conv/Pool operators are channels-first, so each
convolution or pooling is wrapped in a pair of Transposes; Keras's "same" padding (the extra
pad at the end) is ONNX's ``SAME_UPPER``.
"""

from __future__ import annotations

import numpy as np

from ember.saving.onnx.exporter import converter
from ember.saving.onnx.layers import activation


def _to_channels_first(b, x: str, n: int) -> str:
    (y,) = b.node("Transpose", [x], perm=[0, n + 1, *range(1, n + 1)])
    return y


def _to_channels_last(b, x: str, n: int, out: str | None = None) -> str:
    (y,) = b.node("Transpose", [x], [out] if out else None, perm=[0, *range(2, n + 2), 1])
    return y


def _padding(layer, n: int) -> dict:
    if layer.padding == "same":
        return {"auto_pad": "SAME_UPPER"}
    if layer.padding == "causal":
        left = (layer.kernel_size[0] - 1) * layer.dilation_rate[0]
        return {"pads": [left, 0]}
    return {"pads": [0] * (2 * n)}


def _conv(b, layer, x: str, kernel: np.ndarray, group: int, name: str) -> str:
    """Channels-last ``x`` convolved with a Keras kernel ``(*spatial, in/group, out)``."""
    n = kernel.ndim - 2
    w = np.transpose(kernel, (n + 1, n, *range(n)))  # -> (out, in/group, *spatial)
    (y,) = b.node("Conv", [x, b.constant(f"{name}_W", np.ascontiguousarray(w))],
                  base=name, kernel_shape=list(kernel.shape[:n]), strides=list(layer.strides),
                  dilations=list(layer.dilation_rate), group=group, **_padding(layer, n))
    return y


def _finish(b, layer, y: str, n: int, outputs: list) -> None:
    y = _to_channels_last(b, y, n)
    if getattr(layer, "bias", None) is not None:
        (y,) = b.node("Add", [y, b.constant(layer.bias.path, layer.bias.numpy())])
    activation(b, layer.activation, y, outputs[0])


@converter("Conv1D", "Conv2D", "Conv3D")
def conv_layer(b, layer, inputs, outputs):
    kernel = layer.kernel.numpy()
    n = kernel.ndim - 2
    x = _to_channels_first(b, inputs[0], n)
    y = _conv(b, layer, x, kernel, layer.groups, layer.name)
    _finish(b, layer, y, n, outputs)


@converter("DepthwiseConv1D", "DepthwiseConv2D")
def depthwise_layer(b, layer, inputs, outputs):
    kernel = layer.kernel.numpy()  # (*spatial, in, multiplier)
    n = kernel.ndim - 2
    channels, mult = kernel.shape[-2], kernel.shape[-1]
    grouped = kernel.reshape(*kernel.shape[:n], 1, channels * mult)
    x = _to_channels_first(b, inputs[0], n)
    y = _conv(b, layer, x, grouped, channels, layer.name)
    _finish(b, layer, y, n, outputs)


@converter("SeparableConv1D", "SeparableConv2D")
def separable_layer(b, layer, inputs, outputs):
    depthwise = layer.depthwise_kernel.numpy()
    n = depthwise.ndim - 2
    channels, mult = depthwise.shape[-2], depthwise.shape[-1]
    x = _to_channels_first(b, inputs[0], n)
    y = _conv(b, layer, x, depthwise.reshape(*depthwise.shape[:n], 1, channels * mult),
              channels, layer.name + "_depthwise")
    pointwise = layer.pointwise_kernel.numpy()
    w = np.transpose(pointwise, (n + 1, n, *range(n)))
    (y,) = b.node("Conv", [y, b.constant(f"{layer.name}_pointwise_W", np.ascontiguousarray(w))],
                  kernel_shape=[1] * n)
    _finish(b, layer, y, n, outputs)


def _pool(op):
    def convert(b, layer, inputs, outputs):
        n = len(layer.pool_size)
        x = _to_channels_first(b, inputs[0], n)
        attrs = {"kernel_shape": list(layer.pool_size), "strides": list(layer.strides)}
        attrs.update({"auto_pad": "SAME_UPPER"} if layer.padding == "same" else
                     {"pads": [0] * (2 * n)})
        if op == "AveragePool":
            attrs["count_include_pad"] = 0
        (y,) = b.node(op, [x], **attrs)
        _to_channels_last(b, y, n, outputs[0])

    return convert


for _n in (1, 2, 3):
    converter(f"MaxPooling{_n}D")(_pool("MaxPool"))
    converter(f"AveragePooling{_n}D")(_pool("AveragePool"))


def _global(op):
    def convert(b, layer, inputs, outputs):
        axes = list(range(1, layer.rank + 1))
        keepdims = int(bool(layer.keepdims))
        if b.opset >= 18:  # reduction axes became an input in opset 18
            b.node(op, [inputs[0], b.constant("axes", axes, np.int64)], outputs,
                   keepdims=keepdims)
        else:
            b.node(op, inputs, outputs, axes=axes, keepdims=keepdims)

    return convert


for _n in (1, 2, 3):
    converter(f"GlobalMaxPooling{_n}D")(_global("ReduceMax"))
    converter(f"GlobalAveragePooling{_n}D")(_global("ReduceMean"))


def _channel_shape(layer, ndim: int) -> list:
    axis = layer.axis % ndim
    return [1] * axis + [-1] + [1] * (ndim - axis - 1)


@converter("BatchNormalization")
def batch_norm_layer(b, layer, inputs, outputs):
    """Inference: ``x * scale + shift`` with the moving statistics folded in."""
    inv = 1.0 / np.sqrt(layer.moving_variance.numpy().astype(np.float64) + layer.epsilon)
    gamma = layer.gamma.numpy() if layer.gamma is not None else 1.0
    beta = layer.beta.numpy() if layer.beta is not None else 0.0
    scale = gamma * inv
    shift = beta - layer.moving_mean.numpy() * scale
    shape = _channel_shape(layer, len(layer._build_shapes))
    (y,) = b.node("Mul", [inputs[0], b.constant(f"{layer.name}_scale",
                                                scale.astype(np.float32).reshape(shape))])
    b.node("Add", [y, b.constant(f"{layer.name}_shift", shift.astype(np.float32).reshape(shape))],
           outputs)


@converter("LayerNormalization")
def layer_norm_layer(b, layer, inputs, outputs):
    axes = layer.axis if isinstance(layer.axis, list) else [layer.axis]
    if axes != [-1] or getattr(layer, "rms_scaling", False):
        raise ValueError(
            f"export_onnx: LayerNormalization '{layer.name}' maps to ONNX only for axis=-1"
        )
    dim = layer._build_shapes[-1]
    gamma = layer.gamma.numpy() if layer.gamma is not None else np.ones(dim, np.float32)
    beta = layer.beta.numpy() if layer.beta is not None else np.zeros(dim, np.float32)
    b.node("LayerNormalization", [inputs[0], b.constant(f"{layer.name}_gamma", gamma),
                                  b.constant(f"{layer.name}_beta", beta)], outputs,
           axis=-1, epsilon=float(layer.epsilon))


@converter("ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D")
def zero_padding_layer(b, layer, inputs, outputs):
    pads = [tuple(p) for p in layer.padding]
    begin = [0] + [p[0] for p in pads] + [0]
    end = [0] + [p[1] for p in pads] + [0]
    b.node("Pad", [inputs[0], b.constant(f"{layer.name}_pads", begin + end, np.int64)], outputs)


@converter("UpSampling1D", "UpSampling2D")
def upsampling_layer(b, layer, inputs, outputs):
    if getattr(layer, "interpolation", "nearest") != "nearest":
        raise ValueError(
            f"export_onnx: UpSampling2D '{layer.name}' maps to ONNX only with 'nearest'"
        )
    size = layer.size if isinstance(layer.size, (list, tuple)) else (layer.size,)
    scales = np.array([1.0, *size, 1.0], dtype=np.float32)
    b.node("Resize", [inputs[0], "", b.constant(f"{layer.name}_scales", scales)], outputs,
           mode="nearest", nearest_mode="floor", coordinate_transformation_mode="asymmetric")
