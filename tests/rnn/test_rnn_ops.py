"""The fused sequence kernels (``ember.ops.rnn``) through the op harness: float64 values
against the per-step NumPy reference, central-difference gradchecks (inputs, initial states,
kernels, biases; masks, ``go_backwards``), float32 kept forward and backward."""

from __future__ import annotations

import numpy as np
import pytest
import rnn_reference as ref
from op_harness import Case, check_float32, check_forward, check_gradcheck, normal, params

import ember
from ember.ops import rnn

B, T, D, U = 2, 4, 3, 3
# Sample 0 masked in the middle and at the end, sample 1 at the start.
MASK = np.array([[True, False, True, False], [False, True, True, True]])


def _lstm_case(name, mask=None, bias=True, go_backwards=False, zero_output=False,
               activation="tanh", recurrent_activation="sigmoid"):
    inputs = [normal(B, T, D), normal(B, U, scale=0.5), normal(B, U, scale=0.5),
              normal(D, 4 * U, scale=0.5), normal(U, 4 * U, scale=0.5)]
    if bias:
        inputs.append(normal(4 * U, scale=0.5))

    def fn(x, h0, c0, w, u, b=None):
        last, outs, (h, c) = rnn.lstm(x, h0, c0, mask, w, u, b, activation=activation,
                                      recurrent_activation=recurrent_activation,
                                      go_backwards=go_backwards,
                                      zero_output_for_mask=zero_output)
        return last, outs, h, c

    def reference(x, h0, c0, w, u, b=None):
        step = ref.lstm_step(w, u, b, activation, recurrent_activation)
        last, outs, (h, c) = ref.run(step, x, [h0, c0], mask, go_backwards, zero_output)
        return last, outs, h, c

    return Case(f"lstm-{name}", fn, reference, inputs)


def _gru_case(name, reset_after=True, mask=None, bias=True, go_backwards=False,
              activation="tanh", recurrent_activation="sigmoid"):
    inputs = [normal(B, T, D), normal(B, U, scale=0.5), normal(D, 3 * U, scale=0.5),
              normal(U, 3 * U, scale=0.5)]
    if bias:
        inputs.append(normal(*((2, 3 * U) if reset_after else (3 * U,)), scale=0.5))

    def fn(x, h0, w, u, b=None):
        last, outs, (h,) = rnn.gru(x, h0, mask, w, u, b, activation=activation,
                                   recurrent_activation=recurrent_activation,
                                   reset_after=reset_after, go_backwards=go_backwards)
        return last, outs, h

    def reference(x, h0, w, u, b=None):
        step = ref.gru_step(w, u, b, activation, recurrent_activation, reset_after)
        last, outs, (h,) = ref.run(step, x, [h0], mask, go_backwards)
        return last, outs, h

    return Case(f"gru-{name}", fn, reference, inputs)


def _simple_case(name, activation="tanh", mask=None, go_backwards=False, state_mask=None):
    inputs = [normal(B, T, D), normal(B, U, scale=0.5), normal(D, U, scale=0.5),
              normal(U, U, scale=0.5), normal(U, scale=0.5)]

    def fn(x, h0, w, u, b):
        last, outs, (h,) = rnn.simple_rnn(x, h0, mask, w, u, b, activation=activation,
                                          recurrent_dropout_mask=state_mask,
                                          go_backwards=go_backwards)
        return last, outs, h

    def reference(x, h0, w, u, b):
        step = ref.simple_rnn_step(w, u, b, activation,
                                   state_mask=1.0 if state_mask is None else state_mask)
        last, outs, (h,) = ref.run(step, x, [h0], mask, go_backwards)
        return last, outs, h

    return Case(f"simple-{name}", fn, reference, inputs)


CASES = [
    _lstm_case("plain"),
    _lstm_case("masked", mask=MASK),
    _lstm_case("backwards-masked", mask=MASK, go_backwards=True),
    _lstm_case("zero-output", mask=MASK, zero_output=True),
    _lstm_case("no-bias", bias=False),
    _lstm_case("relu-hard-sigmoid", activation="relu", recurrent_activation="hard_sigmoid"),
    _lstm_case("linear", activation="linear"),
    _gru_case("reset-after"),
    _gru_case("reset-before", reset_after=False),
    _gru_case("reset-after-masked", mask=MASK),
    _gru_case("reset-before-backwards-masked", reset_after=False, mask=MASK, go_backwards=True),
    _gru_case("no-bias", bias=False),
    _gru_case("no-bias-reset-before", reset_after=False, bias=False),
    _simple_case("tanh"),
    _simple_case("relu-masked", activation="relu", mask=MASK),
    _simple_case("backwards", go_backwards=True),
    _simple_case("recurrent-dropout", state_mask=np.array([[2.0, 0.0, 2.0], [0.0, 2.0, 2.0]])),
]


@pytest.mark.parametrize("case", params(CASES))
def test_forward(case):
    check_forward(case)


@pytest.mark.parametrize("case", params(CASES))
def test_gradcheck(case):
    check_gradcheck(case)


@pytest.mark.parametrize("case", params(CASES))
def test_float32(case):
    check_float32(case)


UNSTACK = Case("unstack_time", lambda x: tuple(rnn.unstack_time(x)),
               lambda x: tuple(x[:, t] for t in range(x.shape[1])), [normal(2, 3, 2)])


def test_unstack_time():
    check_forward(UNSTACK)
    check_gradcheck(UNSTACK)
    check_float32(UNSTACK)


def test_unstack_time_gradient_of_some_steps():
    x = ember.tensor(np.arange(12.0).reshape(2, 3, 2), requires_grad=True)
    steps = rnn.unstack_time(x)
    (steps[2] * 3.0).sum().backward()
    expected = np.zeros((2, 3, 2))
    expected[:, 2] = 3.0
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_lstm_mask_tensor_and_array_agree():
    rng = np.random.default_rng(0)
    x, h0 = rng.standard_normal((B, T, D)), np.zeros((B, U))
    w, u = rng.standard_normal((D, 4 * U)), rng.standard_normal((U, 4 * U))
    a = rnn.lstm(x, h0, h0, MASK, w, u)[1].numpy()
    b = rnn.lstm(x, h0, h0, ember.tensor(MASK.astype("int64")), w, u)[1].numpy()
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("uses", ["last", "sequence", "both"])
def test_lstm_backward_twice_with_retain_graph(uses):
    """The fused LSTM's last backward reuses its saved gates as scratch; with retain_graph
    the saved arrays must survive for a second pass that gives the same gradients."""
    rng = np.random.default_rng(1)
    x = ember.tensor(rng.standard_normal((B, T, D)), requires_grad=True)
    weights = [ember.tensor(rng.standard_normal(shape) * 0.5, requires_grad=True)
               for shape in ((D, 4 * U), (U, 4 * U), (4 * U,))]
    h0 = ember.tensor(rng.standard_normal((B, U)), requires_grad=True)
    last, outputs, (_, c) = rnn.lstm(x, h0, h0 * 0.5, None, *weights)
    loss = {"last": (last * last).sum(), "sequence": outputs.sum(),
            "both": last.sum() + (outputs * outputs).sum() + c.sum()}[uses]
    inputs = [x, h0, *weights]
    loss.backward(retain_graph=True)
    first = [t.grad.numpy().copy() for t in inputs]
    for t in inputs:
        t.grad = None
    loss.backward()
    for a, t in zip(first, inputs):
        np.testing.assert_allclose(t.grad.numpy(), a, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("call", "message"), [
    (lambda x, h, w, u: rnn.lstm(x[0], h, h, None, w, u), "expected float inputs of shape"),
    (lambda x, h, w, u: rnn.lstm(x, h, h, None, w[:, :8], u), "expected kernel of shape"),
    (lambda x, h, w, u: rnn.lstm(x, h[:1], h, None, w, u), "expected initial states"),
    (lambda x, h, w, u: rnn.lstm(x, h, h, MASK[:, :2], w, u), "expected a mask of shape"),
    (lambda x, h, w, u: rnn.lstm(x, h, h, None, w, u, activation="gelu"),
     "expected an activation among"),
    (lambda x, h, w, u: rnn.gru(x, h, None, w[:, :9], u[:, :9], np.zeros(9)),
     "expected bias of shape (2, 9)"),
    (lambda x, h, w, u: rnn.simple_rnn(x, h, None, w[:, :3], u[:, :3],
                                       recurrent_dropout_mask=np.ones((1, 3))),
     "expected recurrent_dropout_mask of shape"),
])
def test_errors_name_the_op_and_the_shapes(call, message):
    x, h = np.zeros((B, T, D)), np.zeros((B, U))
    w, u = np.zeros((D, 4 * U)), np.zeros((U, 4 * U))
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call(x, h, w, u)
