"""``SimpleRNN``, ``LSTM`` and ``GRU`` against the per-step NumPy reference (Keras's
equations), the fused path against the generic cell path, float64 gradchecks of layers and
cells (inputs, kernels, initial states, masks, dropout with a fixed seed), dropout
semantics and the weight layout."""

from __future__ import annotations

import numpy as np
import pytest
import rnn_reference as ref

import ember
from ember import layers

B, T, D = 3, 5, 4
MASK = np.array([[1, 1, 1, 0, 0], [0, 1, 0, 1, 1], [1, 1, 1, 1, 1]], dtype=bool)


@pytest.fixture(autouse=True)
def _seeded():
    ember.utils.set_random_seed(11)


def _inputs(seed=0, shape=(B, T, D)):
    return np.random.default_rng(seed).standard_normal(shape)


def _randomize(layer, seed=1, scale=0.5):
    """Random weights (the defaults would hide a swapped gate behind zero biases)."""
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.standard_normal(w.shape) * scale for w in layer.get_weights()])


def _built(layer, x, **kwargs):
    layer(ember.tensor(x), **kwargs)
    _randomize(layer)
    return layer


def _reference_step(kind, layer):
    weights = layer.get_weights()
    kernel, recurrent, bias = weights[0], weights[1], weights[2] if len(weights) > 2 else None
    cell = layer.cell
    act = ember.activations.serialize(cell.activation)
    if kind == "LSTM":
        return ref.lstm_step(kernel, recurrent, bias, act,
                             ember.activations.serialize(cell.recurrent_activation))
    if kind == "GRU":
        return ref.gru_step(kernel, recurrent, bias, act,
                            ember.activations.serialize(cell.recurrent_activation),
                            cell.reset_after)
    return ref.simple_rnn_step(kernel, recurrent, bias, act)


LAYERS = {"LSTM": layers.LSTM, "GRU": layers.GRU, "SimpleRNN": layers.SimpleRNN}
CELLS = {"LSTM": layers.LSTMCell, "GRU": layers.GRUCell, "SimpleRNN": layers.SimpleRNNCell}
N_STATES = {"LSTM": 2, "GRU": 1, "SimpleRNN": 1}
OPTIONS = [
    pytest.param({}, id="plain"),
    pytest.param({"go_backwards": True}, id="backwards"),
    pytest.param({"mask": True}, id="masked"),
    pytest.param({"mask": True, "go_backwards": True}, id="masked-backwards"),
    pytest.param({"initial_state": True}, id="initial-state"),
    pytest.param({"activation": "relu", "recurrent_activation": "hard_sigmoid"}, id="relu"),
    pytest.param({"reset_after": False}, id="gru-reset-before"),
    pytest.param({"use_bias": False}, id="no-bias"),
]


def _layer_kwargs(kind, options):
    kwargs = {k: v for k, v in options.items() if k in ("go_backwards", "use_bias")}
    if "activation" in options:
        kwargs["activation"] = options["activation"]
        if kind != "SimpleRNN":
            kwargs["recurrent_activation"] = options["recurrent_activation"]
    if "reset_after" in options and kind == "GRU":
        kwargs["reset_after"] = options["reset_after"]
    return kwargs


def _call_kwargs(kind, options, dtype="float64"):
    kwargs = {}
    if options.get("mask"):
        kwargs["mask"] = MASK
    if options.get("initial_state"):
        rng = np.random.default_rng(5)
        kwargs["initial_state"] = [ember.tensor(rng.standard_normal((B, 3)) * 0.5, dtype=dtype)
                                   for _ in range(N_STATES[kind])]
    return kwargs


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("kind", ["LSTM", "GRU", "SimpleRNN"])
def test_layer_matches_the_numpy_reference(kind, options):
    x = _inputs()
    layer = _built(LAYERS[kind](3, return_sequences=True, return_state=True, dtype="float64",
                                **_layer_kwargs(kind, options)), x)
    call = _call_kwargs(kind, options)
    output, *states = layer(ember.tensor(x), **call)
    initial = [s.numpy() for s in call["initial_state"]] if "initial_state" in call else \
        [np.zeros((B, 3))] * N_STATES[kind]
    _, expected, expected_states = ref.run(_reference_step(kind, layer), x, initial,
                                           call.get("mask"), options.get("go_backwards", False))
    np.testing.assert_allclose(output.numpy(), expected, rtol=1e-10, atol=1e-12)
    for s, e in zip(states, expected_states):
        np.testing.assert_allclose(s.numpy(), e, rtol=1e-10, atol=1e-12)
    last = LAYERS[kind].from_config(layer.get_config() | {"return_sequences": False,
                                                          "return_state": False})
    last(ember.tensor(x), **call)
    last.set_weights(layer.get_weights())
    np.testing.assert_allclose(last(ember.tensor(x), **call).numpy(), expected[:, -1],
                               rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("kind", ["LSTM", "GRU", "SimpleRNN"])
def test_fused_path_equals_the_generic_cell_path(kind, options):
    """``LSTM(...)`` (fused kernel) and ``RNN(LSTMCell(...))`` (the cell step by step) give
    the same outputs, states and gradients with the same weights."""
    x = _inputs()
    kwargs = _layer_kwargs(kind, options)
    go_backwards = kwargs.pop("go_backwards", False)
    fused = _built(LAYERS[kind](3, return_sequences=True, return_state=True,
                                go_backwards=go_backwards, dtype="float64", **kwargs), x)
    generic = layers.RNN(CELLS[kind](3, dtype="float64", **kwargs), return_sequences=True,
                         return_state=True, go_backwards=go_backwards, dtype="float64")
    generic(ember.tensor(x))
    generic.set_weights(fused.get_weights())
    results = []
    for layer in (fused, generic):
        inputs = ember.tensor(x, requires_grad=True)
        call = _call_kwargs(kind, options)
        outputs = layer(inputs, **call)
        sum(((o * (i + 1.0)).sum() for i, o in enumerate(outputs)), ember.tensor(0.0)).backward()
        results.append([o.numpy() for o in outputs] + [inputs.grad.numpy()]
                       + [w.grad.numpy() for w in layer.trainable_weights])
        for w in layer.trainable_weights:
            w.grad = None
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "SimpleRNN"])
def test_gradcheck_inputs_kernels_and_initial_states_with_a_mask(kind):
    x = ember.tensor(_inputs(shape=(3, 4, 2)), requires_grad=True)
    mask = MASK[:, :4]
    layer = LAYERS[kind](2, return_sequences=True, return_state=True, dtype="float64")
    states = [ember.tensor(np.full((3, 2), 0.3 * (k + 1)), requires_grad=True)
              for k in range(N_STATES[kind])]
    layer(x, initial_state=states)
    _randomize(layer)

    def fn(x, *args):
        return layer(x, initial_state=list(args[:len(states)]), mask=mask)

    assert ember.gradcheck(fn, [x, *states, *layer.trainable_weights])


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "SimpleRNN"])
def test_gradcheck_through_the_cell_alone(kind):
    cell = CELLS[kind](2, dtype="float64")
    x = ember.tensor(_inputs(shape=(3, 4)), requires_grad=True)
    states = [ember.tensor(np.full((3, 2), 0.2 * (k + 1)), requires_grad=True)
              for k in range(N_STATES[kind])]
    cell(x, states)
    _randomize(cell)
    assert ember.gradcheck(lambda x, *s: cell(x, list(s))[0], [x, *states,
                                                             *cell.trainable_weights])


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "SimpleRNN"])
@pytest.mark.parametrize("rates", [(0.3, 0.0), (0.0, 0.4), (0.3, 0.4)],
                         ids=["dropout", "recurrent", "both"])
def test_gradcheck_with_dropout_and_a_fixed_seed(kind, rates):
    """The masks are redrawn from the same seed on every evaluation of the gradcheck."""
    x = ember.tensor(_inputs(shape=(3, 4, 2)), requires_grad=True)
    layer = LAYERS[kind](2, dropout=rates[0], recurrent_dropout=rates[1], seed=4,
                         return_sequences=True, dtype="float64")
    layer(x)
    _randomize(layer)

    def fn(x, *weights):
        layer.cell.seed_generator = ember.random.SeedGenerator(4)
        return layer(x, training=True)

    first, second = fn(x).numpy(), fn(x).numpy()
    np.testing.assert_array_equal(first, second)
    assert not np.allclose(first, layer(x, training=False).numpy())
    assert ember.gradcheck(fn, [x, *layer.trainable_weights])


def _dropout_masks(seed, count, shapes):
    """The masks a cell seeded with ``seed`` draws: ``count`` per shape, in order."""
    generator = ember.random.SeedGenerator(seed)
    return [[ember.random.dropout(ember.ones(shape, dtype="float64"), rate,
                                  seed=generator).numpy() for _ in range(count)]
            for shape, rate in shapes]


def test_lstm_dropout_masks_are_fixed_across_time_steps():
    """Keras's implementation 2 (no recurrent dropout): one input mask for every gate and
    step, as the per-step reference with that mask gives."""
    x = _inputs()
    layer = _built(layers.LSTM(3, dropout=0.5, seed=9, return_sequences=True,
                               dtype="float64"), x)
    out = layer(ember.tensor(x), training=True).numpy()
    (masks,) = _dropout_masks(9, 1, [((B, D), 0.5)])
    kernel, recurrent, bias = layer.get_weights()
    step = ref.lstm_step(kernel, recurrent, bias, input_masks=masks * 4)
    _, expected, _ = ref.run(step, x, [np.zeros((B, 3))] * 2)
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)


def test_lstm_recurrent_dropout_draws_one_mask_per_gate():
    """With recurrent dropout Keras switches to implementation 1: four input masks, then
    four state masks, each fixed across the steps."""
    x = _inputs()
    layer = _built(layers.LSTM(3, dropout=0.3, recurrent_dropout=0.4, seed=2,
                               return_sequences=True, dtype="float64"), x)
    assert layer.cell.implementation == 1
    out = layer(ember.tensor(x), training=True).numpy()
    input_masks, state_masks = _dropout_masks(2, 4, [((B, D), 0.3), ((B, 3), 0.4)])
    kernel, recurrent, bias = layer.get_weights()
    step = ref.lstm_step(kernel, recurrent, bias, input_masks=input_masks,
                         state_masks=state_masks)
    _, expected, _ = ref.run(step, x, [np.zeros((B, 3))] * 2)
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)


def test_simple_rnn_recurrent_dropout_runs_fused_with_keras_masks():
    x = _inputs()
    layer = _built(layers.SimpleRNN(3, dropout=0.25, recurrent_dropout=0.5, seed=6,
                                    return_sequences=True, dtype="float64"), x)
    out = layer(ember.tensor(x), training=True).numpy()
    (input_mask,), (state_mask,) = _dropout_masks(6, 1, [((B, D), 0.25), ((B, 3), 0.5)])
    kernel, recurrent, bias = layer.get_weights()
    step = ref.simple_rnn_step(kernel, recurrent, bias, input_mask=input_mask,
                               state_mask=state_mask)
    np.testing.assert_allclose(out, ref.run(step, x, [np.zeros((B, 3))])[1], rtol=1e-10,
                               atol=1e-12)


def test_dropout_is_off_in_inference_and_new_masks_come_each_call():
    x = ember.tensor(_inputs())
    layer = layers.GRU(3, dropout=0.5, recurrent_dropout=0.5, seed=1)
    inference = layer(x).numpy()
    np.testing.assert_array_equal(inference, layer(x, training=False).numpy())
    assert not np.allclose(layer(x, training=True).numpy(), layer(x, training=True).numpy())


def test_weight_layout_and_initial_values():
    x = ember.tensor(_inputs())
    lstm, gru, gru_before = layers.LSTM(3), layers.GRU(3), layers.GRU(3, reset_after=False)
    for layer in (lstm, gru, gru_before):
        layer(x)
    assert [tuple(w.shape) for w in lstm.weights] == [(D, 12), (3, 12), (12,)]
    assert [tuple(w.shape) for w in gru.weights] == [(D, 9), (3, 9), (2, 9)]
    assert [tuple(w.shape) for w in gru_before.weights] == [(D, 9), (3, 9), (9,)]
    np.testing.assert_array_equal(lstm.cell.bias.numpy(), [0] * 3 + [1] * 3 + [0] * 6)
    recurrent = lstm.cell.recurrent_kernel.numpy()
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(3), atol=1e-5)  # orthogonal
    assert [w.path for w in lstm.weights] == [
        f"{lstm.name}/lstm_cell/kernel", f"{lstm.name}/lstm_cell/recurrent_kernel",
        f"{lstm.name}/lstm_cell/bias"]
    assert lstm.units == 3 and lstm.recurrent_activation is ember.activations.sigmoid


def test_flat_config_as_keras():
    config = layers.LSTM(4, return_sequences=True, dropout=0.1).get_config()
    assert "cell" not in config
    assert config["units"] == 4 and config["return_sequences"] is True
    assert config["recurrent_initializer"]["class_name"] == "Orthogonal"
    assert config["unit_forget_bias"] is True and config["zero_output_for_mask"] is False
    assert layers.GRU(2).get_config()["reset_after"] is True


def test_float32_stays_float32_forward_and_backward():
    x = ember.tensor(_inputs().astype("float32"), requires_grad=True)
    for layer in (layers.LSTM(3), layers.GRU(3), layers.SimpleRNN(3)):
        out = layer(x, mask=MASK)
        assert out.dtype == np.float32
        out.sum().backward()
        assert x.grad.dtype == np.float32
        assert all(w.grad.dtype == np.float32 for w in layer.trainable_weights)
        x.grad = None


@pytest.mark.parametrize(("make", "message"), [
    (lambda: layers.LSTM(3)(ember.ones(2, 4)), "expected input with ndim=3"),
    (lambda: layers.LSTM(3)(ember.ones(2, 4, 3), initial_state=[ember.zeros(2, 3)]),
     "expected 2 initial states"),
    (lambda: layers.GRU(3)(ember.ones(2, 4, 3), initial_state=ember.zeros(3, 3)),
     r"expected initial states of shape \(2, 3\)"),
    (lambda: layers.SimpleRNN(3)(ember.ones(2, 4, 3), mask=np.ones((2, 3), bool)),
     r"expected a mask of shape \(2, 4\)"),
    (lambda: layers.LSTM(0), "expected a positive integer `units`"),
    (lambda: layers.RNN("lstm"), "expected a cell that is a Layer"),
    (lambda: layers.RNN(layers.Dense(3)), "expected a cell with a `state_size`"),
])
def test_errors_name_the_layer_with_expected_and_received(make, message):
    with pytest.raises(ValueError, match=message):
        make()
