"""Straightforward NumPy references for the recurrent tests, written from Keras's equations
independently of ember's fused kernels: one gate at a time with its own slice of the
weights, ``1 / (1 + exp(-x))`` for the sigmoid, and Keras's generic time loop with masks."""

from __future__ import annotations

import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


ACTIVATIONS = {
    "tanh": np.tanh,
    "sigmoid": sigmoid,
    "relu": lambda x: np.maximum(x, 0.0),
    "hard_sigmoid": lambda x: np.clip((x + 3.0) / 6.0, 0.0, 1.0),
    "linear": lambda x: x,
}


def gate(weight, k, units):
    """Columns of gate ``k`` in Keras's layout (gates side by side on the last axis)."""
    return weight[..., k * units:(k + 1) * units]


def run(step, x, states, mask=None, go_backwards=False, zero_output_for_mask=False):
    """Keras's generic loop: ``(last_output, outputs (B, T, U), final states)``.

    At a masked step the states stay; the output is the previous output (zeros at first),
    or zeros with ``zero_output_for_mask``."""
    steps = x.shape[1]
    order = list(range(steps))[::-1] if go_backwards else list(range(steps))
    outputs, previous = [], None
    for t in order:
        out, new_states = step(x[:, t], states)
        if mask is not None:
            keep = mask[:, t][:, None]
            new_states = [np.where(keep, n, s) for n, s in zip(new_states, states)]
            if previous is None or zero_output_for_mask:
                previous = np.zeros_like(out)
            out = np.where(keep, out, previous)
        states, previous = new_states, out
        outputs.append(out)
    return previous, np.stack(outputs, axis=1), states


def lstm_step(kernel, recurrent_kernel, bias=None, activation="tanh",
              recurrent_activation="sigmoid", input_masks=None, state_masks=None):
    """One LSTM step; ``input_masks`` / ``state_masks``: one dropout multiplier per gate."""
    units = recurrent_kernel.shape[0]
    act, rec = ACTIVATIONS[activation], ACTIVATIONS[recurrent_activation]
    ones = [1.0] * 4

    def step(x, states):
        h, c = states
        xm, hm = input_masks or ones, state_masks or ones
        z = [(x * xm[k]) @ gate(kernel, k, units) + (h * hm[k]) @ gate(recurrent_kernel, k, units)
             + (0.0 if bias is None else gate(bias, k, units)) for k in range(4)]
        i, f, o = rec(z[0]), rec(z[1]), rec(z[3])
        c_new = f * c + i * act(z[2])
        h_new = o * act(c_new)
        return h_new, [h_new, c_new]

    return step


def gru_step(kernel, recurrent_kernel, bias=None, activation="tanh",
             recurrent_activation="sigmoid", reset_after=True):
    units = recurrent_kernel.shape[0]
    act, rec = ACTIVATIONS[activation], ACTIVATIONS[recurrent_activation]
    if bias is None:
        b_in = b_rec = np.zeros(3 * units)
    elif reset_after:
        b_in, b_rec = bias[0], bias[1]
    else:
        b_in, b_rec = bias, np.zeros(3 * units)

    def step(x, states):
        (h,) = states
        x_z, x_r, x_h = (x @ gate(kernel, k, units) + gate(b_in, k, units) for k in range(3))
        z = rec(x_z + h @ gate(recurrent_kernel, 0, units) + gate(b_rec, 0, units))
        r = rec(x_r + h @ gate(recurrent_kernel, 1, units) + gate(b_rec, 1, units))
        if reset_after:
            hh = act(x_h + r * (h @ gate(recurrent_kernel, 2, units) + gate(b_rec, 2, units)))
        else:
            hh = act(x_h + (r * h) @ gate(recurrent_kernel, 2, units))
        h_new = z * h + (1.0 - z) * hh
        return h_new, [h_new]

    return step


def simple_rnn_step(kernel, recurrent_kernel, bias=None, activation="tanh", input_mask=1.0,
                    state_mask=1.0):
    act = ACTIVATIONS[activation]

    def step(x, states):
        (h,) = states
        out = act((x * input_mask) @ kernel + (0.0 if bias is None else bias)
                  + (h * state_mask) @ recurrent_kernel)
        return out, [out]

    return step
