"""ONNX converters for SimpleRNN, LSTM and GRU (ONNX's time-major layout, opset >= 14).

Keras orders LSTM gates i, f, c, o and ONNX i, o, f, c; GRU gates are z, r, h in both, and
Keras's ``reset_after=True`` is ONNX's ``linear_before_reset=1``. Masks and returned states
have no mapping.
"""

from __future__ import annotations

import numpy as np

from ember.saving.onnx.exporter import converter

_SUPPORTED = {"tanh": "Tanh", "sigmoid": "Sigmoid", "relu": "Relu"}


def _gates(matrix: np.ndarray, order: list, n: int) -> np.ndarray:
    """Reorder the gate blocks of the last axis of ``matrix`` (each ``n`` wide)."""
    blocks = [matrix[..., i * n:(i + 1) * n] for i in range(len(order))]
    return np.concatenate([blocks[i] for i in order], axis=-1)


def _check(b, layer) -> None:
    if b.opset < 14:
        raise ValueError(f"export_onnx: {type(layer).__name__} '{layer.name}' needs opset >= 14")
    if layer.return_state:
        raise ValueError(
            f"export_onnx: {type(layer).__name__} '{layer.name}' with return_state has no mapping"
        )
    for attr in ("activation", "recurrent_activation"):
        fn = getattr(layer.cell, attr, None)
        if fn is not None and getattr(fn, "__name__", "") not in _SUPPORTED:
            raise ValueError(
                f"export_onnx: {type(layer).__name__} '{layer.name}' {attr} "
                f"'{getattr(fn, '__name__', fn)}' has no ONNX mapping"
            )


def _emit(b, layer, op: str, inputs, outputs, w, r, bias, **attrs) -> None:
    """The recurrent node in ONNX's time-major layout, between transposes."""
    units = layer.cell.units
    (x,) = b.node("Transpose", [inputs[0]], perm=[1, 0, 2])  # (steps, batch, features)
    names = [x, b.constant(f"{layer.name}_W", w[None].astype(np.float32)),
             b.constant(f"{layer.name}_R", r[None].astype(np.float32)),
             b.constant(f"{layer.name}_B", bias[None].astype(np.float32))]
    parts = ("Y", "Y_h", "Y_c") if op == "LSTM" else ("Y", "Y_h")
    outs = [b.fresh(f"{layer.name}_{p}") for p in parts]
    b.node(op, names, outs, hidden_size=units,
           direction="reverse" if layer.go_backwards else "forward", **attrs)
    if layer.return_sequences:
        # Y: (steps, directions=1, batch, units) -> (batch, steps, units)
        (y,) = b.node("Squeeze", [outs[0], b.constant("axis1", [1], np.int64)])
        if layer.go_backwards:
            # Keras returns the outputs in processing order, ONNX in input time order.
            (y,) = b.node("Slice", [y, b.constant("minus1", [-1], np.int64),
                                    b.constant("int64_min", [np.iinfo(np.int64).min], np.int64),
                                    b.constant("axis0", [0], np.int64),
                                    b.constant("minus1", [-1], np.int64)])
        b.node("Transpose", [y], outputs, perm=[1, 0, 2])
    else:
        # Y_h: (directions=1, batch, units) -> (batch, units)
        b.node("Squeeze", [outs[1], b.constant("axis0", [0], np.int64)], outputs)


def _activations(layer, names: tuple) -> list:
    return [_SUPPORTED[getattr(layer.cell, a).__name__] for a in names]


@converter("LSTM")
def lstm_layer(b, layer, inputs, outputs):
    _check(b, layer)
    n = layer.cell.units
    order = [0, 3, 1, 2]  # Keras i f c o -> ONNX i o f c
    w = _gates(layer.cell.kernel.numpy(), order, n).T
    r = _gates(layer.cell.recurrent_kernel.numpy(), order, n).T
    bias = (_gates(layer.cell.bias.numpy(), order, n) if layer.cell.bias is not None
            else np.zeros(4 * n, np.float32))
    bias = np.concatenate([bias, np.zeros(4 * n, np.float32)])
    acts = _activations(layer, ("recurrent_activation", "activation", "activation"))
    _emit(b, layer, "LSTM", inputs, outputs, w, r, bias, activations=acts)


@converter("GRU")
def gru_layer(b, layer, inputs, outputs):
    _check(b, layer)
    n = layer.cell.units
    w = layer.cell.kernel.numpy().T
    r = layer.cell.recurrent_kernel.numpy().T
    if layer.cell.bias is None:
        bias = np.zeros(6 * n, np.float32)
    elif layer.cell.reset_after:
        bias = layer.cell.bias.numpy().reshape(-1)
    else:
        bias = np.concatenate([layer.cell.bias.numpy(), np.zeros(3 * n, np.float32)])
    acts = _activations(layer, ("recurrent_activation", "activation"))
    _emit(b, layer, "GRU", inputs, outputs, w, r, bias, activations=acts,
          linear_before_reset=int(layer.cell.reset_after))


@converter("SimpleRNN")
def simple_rnn_layer(b, layer, inputs, outputs):
    _check(b, layer)
    n = layer.cell.units
    w = layer.cell.kernel.numpy().T
    r = layer.cell.recurrent_kernel.numpy().T
    bias = layer.cell.bias.numpy() if layer.cell.bias is not None else np.zeros(n, np.float32)
    bias = np.concatenate([bias, np.zeros(n, np.float32)])
    _emit(b, layer, "RNN", inputs, outputs, w, r, bias,
          activations=_activations(layer, ("activation",)))
