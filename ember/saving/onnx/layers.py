"""ONNX converters for ember's core, activation, reshaping, merge and regularization layers.

Each converter receives the builder, the layer, its input value names and the output names
it must produce.
"""

from __future__ import annotations

import math

import numpy as np

from ember.saving.onnx.exporter import converter


def activation(b, fn, x: str, out: str) -> None:
    """Emit ``out = fn(x)`` for an ``ember.activations`` function."""
    name = getattr(fn, "__name__", "")
    simple = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "softplus": "Softplus",
              "softsign": "Softsign", "selu": "Selu", "exponential": "Exp", "elu": "Elu"}
    if name == "linear":
        b.node("Identity", [x], [out])
    elif name in simple:
        b.node(simple[name], [x], [out])
    elif name == "softmax":
        b.node("Softmax", [x], [out], axis=-1)
    elif name == "log_softmax":
        b.node("LogSoftmax", [x], [out], axis=-1)
    elif name == "leaky_relu":
        b.node("LeakyRelu", [x], [out], alpha=0.2)
    elif name == "relu6":
        b.node("Clip", [x, b.constant("zero", 0.0, np.float32),
                        b.constant("six", 6.0, np.float32)], [out])
    elif name == "hard_sigmoid":
        b.node("HardSigmoid", [x], [out], alpha=1.0 / 6.0, beta=0.5)
    elif name == "hard_silu":
        b.node("HardSwish", [x], [out])
    elif name in ("silu", "swish"):
        (s,) = b.node("Sigmoid", [x])
        b.node("Mul", [x, s], [out])
    elif name == "mish":
        (sp,) = b.node("Softplus", [x])
        (t,) = b.node("Tanh", [sp])
        b.node("Mul", [x, t], [out])
    elif name == "gelu":
        gelu_exact(b, x, out)
    else:
        raise ValueError(f"export_onnx: no ONNX mapping for activation '{name}'")


def gelu_exact(b, x: str, out: str) -> None:
    """``0.5 x (1 + erf(x / sqrt 2))`` with ONNX's Erf."""
    (scaled,) = b.node("Mul", [x, b.constant("inv_sqrt2", 1 / math.sqrt(2), np.float32)])
    (e,) = b.node("Erf", [scaled])
    (one_plus,) = b.node("Add", [e, b.constant("one", 1.0, np.float32)])
    (half_x,) = b.node("Mul", [x, b.constant("half", 0.5, np.float32)])
    b.node("Mul", [half_x, one_plus], [out])


def _weight(b, layer, variable) -> str:
    return b.constant(variable.path, variable.numpy())


@converter("Dense")
def dense(b, layer, inputs, outputs):
    (y,) = b.node("MatMul", [inputs[0], _weight(b, layer, layer.kernel)], base=layer.name)
    if layer.bias is not None:
        (y,) = b.node("Add", [y, _weight(b, layer, layer.bias)], base=layer.name)
    activation(b, layer.activation, y, outputs[0])


@converter("Activation")
def activation_layer(b, layer, inputs, outputs):
    activation(b, layer.activation, inputs[0], outputs[0])


@converter("Dropout", "GaussianNoise", "GaussianDropout", "AlphaDropout", "Identity",
           "ActivityRegularization", "SpatialDropout1D", "SpatialDropout2D",
           "SpatialDropout3D", "Masking")
def identity(b, layer, inputs, outputs):
    b.node("Identity", [inputs[0]], [outputs[0]])


@converter("ReLU")
def relu_layer(b, layer, inputs, outputs):
    if layer.threshold != 0.0:
        raise ValueError(f"export_onnx: ReLU '{layer.name}' with a threshold has no mapping")
    x = inputs[0]
    if layer.negative_slope:
        (x,) = b.node("LeakyRelu", [x], alpha=float(layer.negative_slope))
    else:
        (x,) = b.node("Relu", [x])
    if layer.max_value is not None:
        b.node("Min", [x, b.constant("max_value", layer.max_value, np.float32)], [outputs[0]])
    else:
        b.node("Identity", [x], [outputs[0]])


@converter("LeakyReLU")
def leaky_relu_layer(b, layer, inputs, outputs):
    b.node("LeakyRelu", inputs, outputs, alpha=float(layer.negative_slope))


@converter("ELU")
def elu_layer(b, layer, inputs, outputs):
    b.node("Elu", inputs, outputs, alpha=float(layer.alpha))


@converter("PReLU")
def prelu_layer(b, layer, inputs, outputs):
    b.node("PRelu", [inputs[0], _weight(b, layer, layer.alpha)], outputs)


@converter("Softmax")
def softmax_layer(b, layer, inputs, outputs):
    if isinstance(layer.axis, list):
        raise ValueError(f"export_onnx: Softmax '{layer.name}' over several axes has no mapping")
    b.node("Softmax", inputs, outputs, axis=int(layer.axis))


@converter("Swish")
def swish_layer(b, layer, inputs, outputs):
    (bx,) = b.node("Mul", [inputs[0], _weight(b, layer, layer.beta)])
    (s,) = b.node("Sigmoid", [bx])
    b.node("Mul", [inputs[0], s], outputs)


@converter("Flatten")
def flatten_layer(b, layer, inputs, outputs):
    b.node("Flatten", inputs, outputs, axis=1)


@converter("Reshape")
def reshape_layer(b, layer, inputs, outputs):
    shape = b.constant(f"{layer.name}_shape", [0, *layer.target_shape], np.int64)
    b.node("Reshape", [inputs[0], shape], outputs)


@converter("Permute")
def permute_layer(b, layer, inputs, outputs):
    b.node("Transpose", inputs, outputs, perm=[0, *layer.dims])


@converter("RepeatVector")
def repeat_vector_layer(b, layer, inputs, outputs):
    (x,) = b.node("Unsqueeze", [inputs[0], b.constant("axis1", [1], np.int64)])
    reps = b.constant(f"{layer.name}_reps", [1, layer.n, 1], np.int64)
    b.node("Tile", [x, reps], outputs)


def _merge(op):
    def convert(b, layer, inputs, outputs):
        b.node(op, inputs, outputs)

    return convert


converter("Add")(_merge("Sum"))
converter("Maximum")(_merge("Max"))
converter("Minimum")(_merge("Min"))
converter("Average")(_merge("Mean"))


@converter("Subtract")
def subtract_layer(b, layer, inputs, outputs):
    b.node("Sub", inputs, outputs)


@converter("Multiply")
def multiply_layer(b, layer, inputs, outputs):
    x = inputs[0]
    for other in inputs[1:-1]:
        (x,) = b.node("Mul", [x, other])
    b.node("Mul", [x, inputs[-1]], outputs)


@converter("Concatenate")
def concatenate_layer(b, layer, inputs, outputs):
    b.node("Concat", inputs, outputs, axis=int(layer.axis))
