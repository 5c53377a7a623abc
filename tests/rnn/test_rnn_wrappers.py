"""``Bidirectional`` (merge modes, states, masks, errors), ``TimeDistributed``,
``Embedding`` (scatter-add gradient, index checks) and ``Masking``."""

from __future__ import annotations

import numpy as np
import pytest
import rnn_reference as ref

import ember
from ember import layers


@pytest.fixture(autouse=True)
def _seeded():
    ember.utils.set_random_seed(31)


def _x(shape=(2, 4, 3), seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _lstm_reference(layer, x, mask=None, zero_output=False):
    """Outputs in forward time order of an LSTM layer, from the NumPy reference."""
    step = ref.lstm_step(*layer.get_weights())
    initial = [np.zeros((x.shape[0], layer.units))] * 2
    last, outputs, states = ref.run(step, x, initial, mask, layer.go_backwards, zero_output)
    return last, (outputs[:, ::-1] if layer.go_backwards else outputs), states


MERGES = {"concat": lambda a, b: np.concatenate([a, b], axis=-1), "sum": np.add,
          "mul": np.multiply, "ave": lambda a, b: (a + b) / 2}


@pytest.mark.parametrize("return_sequences", [False, True], ids=["last", "sequences"])
@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
def test_merge_modes_match_the_reference(merge_mode, return_sequences):
    x = _x()
    layer = layers.Bidirectional(layers.LSTM(3, return_sequences=return_sequences,
                                             dtype="float64"), merge_mode=merge_mode,
                                 dtype="float64")
    out = layer(x)
    fwd_last, fwd_seq, _ = _lstm_reference(layer.forward_layer, x)
    bwd_last, bwd_seq, _ = _lstm_reference(layer.backward_layer, x)
    fwd, bwd = (fwd_seq, bwd_seq) if return_sequences else (fwd_last, bwd_last)
    if merge_mode is None:
        assert isinstance(out, tuple) and len(out) == 2
        np.testing.assert_allclose(out[0].numpy(), fwd, rtol=1e-10)
        np.testing.assert_allclose(out[1].numpy(), bwd, rtol=1e-10)
    else:
        np.testing.assert_allclose(out.numpy(), MERGES[merge_mode](fwd, bwd), rtol=1e-10)
    symbolic = layer(ember.Input((4, 3)))
    shapes = [t.shape for t in symbolic] if merge_mode is None else [symbolic.shape]
    expected = (None, 4) if return_sequences else (None,)
    width = 6 if merge_mode == "concat" else 3
    assert shapes == [expected + (width,)] * len(shapes)


def test_return_state_and_initial_state_halves():
    x = _x()
    layer = layers.Bidirectional(layers.LSTM(3, return_state=True))
    out, fh, fc, bh, bc = layer(x)
    assert out.shape == (2, 6) and fh.shape == bc.shape == (2, 3)
    np.testing.assert_allclose(out.numpy(), np.concatenate([fh.numpy(), bh.numpy()], -1))
    states = [ember.tensor(np.full((2, 3), v, dtype="float32")) for v in (0.1, 0.2, 0.3, 0.4)]
    given = layer(x, initial_state=states)
    forward = layer.forward_layer(x, initial_state=states[:2])
    backward = layer.backward_layer(x, initial_state=states[2:])
    np.testing.assert_allclose(given[0].numpy()[:, :3], forward[0].numpy(), rtol=1e-6)
    np.testing.assert_allclose(given[0].numpy()[:, 3:], backward[0].numpy(), rtol=1e-6)
    symbolic = layer(ember.Input((4, 3)))
    assert [t.shape for t in symbolic] == [(None, 6)] + [(None, 3)] * 4


def test_masked_sequences_are_zero_at_masked_steps_in_both_directions():
    x = _x()
    mask = np.array([[True, True, True, False], [True, True, False, False]])
    layer = layers.Bidirectional(layers.LSTM(2, return_sequences=True, dtype="float64"),
                                 dtype="float64")
    out = layer(x, mask=mask)
    np.testing.assert_array_equal(out._keras_mask, mask)
    _, fwd, _ = _lstm_reference(layer.forward_layer, x, mask, zero_output=True)
    _, bwd, _ = _lstm_reference(layer.backward_layer, x, mask, zero_output=True)
    np.testing.assert_allclose(out.numpy(), np.concatenate([fwd, bwd], -1), rtol=1e-10,
                               atol=1e-14)
    np.testing.assert_array_equal(out.numpy()[~mask], 0.0)


def test_backward_layer_and_weights():
    forward = layers.GRU(2, return_sequences=True)
    backward = layers.SimpleRNN(2, return_sequences=True, go_backwards=True)
    layer = layers.Bidirectional(forward, backward_layer=backward, merge_mode="sum")
    layer(_x())
    assert layer.backward_layer is backward and layer.forward_layer is not forward
    assert layer.forward_layer.name == f"forward_{forward.name}"
    assert len(layer.weights) == 6
    assert layer.states is None


@pytest.mark.parametrize(("make", "message"), [
    (lambda: layers.Bidirectional(layers.LSTM(2), merge_mode="max"), "expected merge_mode"),
    (lambda: layers.Bidirectional("lstm"), "expected a Layer"),
    (lambda: layers.Bidirectional(layers.LSTM(2), backward_layer=layers.LSTM(2)),
     "different go_backwards"),
    (lambda: layers.Bidirectional(layers.LSTM(2), backward_layer=layers.LSTM(
        2, go_backwards=True, return_sequences=True)), "same return_sequences"),
])
def test_bidirectional_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_stateful_bidirectional_resets_both_directions():
    layer = layers.Bidirectional(layers.LSTM(2, stateful=True))
    x = _x().astype("float32")
    first = layer(x).numpy()
    assert not np.allclose(layer(x).numpy(), first)
    layer.reset_states()
    np.testing.assert_allclose(layer(x).numpy(), first, rtol=1e-6)
    assert len(layer.states) == 4
    with pytest.raises(AttributeError, match="not stateful"):
        layers.Bidirectional(layers.LSTM(2)).reset_state()


def test_time_distributed_dense_equals_dense_on_the_reshaped_input():
    x = _x((2, 5, 3))
    layer = layers.TimeDistributed(layers.Dense(4, activation="tanh", dtype="float64"),
                                   dtype="float64")
    out = layer(x).numpy()
    dense = layer.layer
    expected = dense(x.reshape(10, 3)).numpy().reshape(2, 5, 4)
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    kernel, bias = dense.get_weights()
    np.testing.assert_allclose(out, np.tanh(x @ kernel + bias), rtol=1e-12)
    assert layer.compute_output_shape((None, 5, 3)) == (None, 5, 4)


def test_time_distributed_passes_the_mask_on():
    class MaskedSum(layers.Layer):
        def call(self, inputs, mask=None):
            return inputs * ember.ops.cast(ember.ops.expand_dims(mask, -1), inputs.dtype)

    x = np.ones((2, 3, 2), dtype="float32")
    mask = np.array([[True, False, True], [False, True, True]])
    out = layers.TimeDistributed(MaskedSum())(x, mask=mask)
    np.testing.assert_array_equal(out.numpy()[..., 0], mask.astype("float32"))
    np.testing.assert_array_equal(out._keras_mask, mask)
    with pytest.raises(ValueError, match=r"expected inputs of rank >= 3"):
        layers.TimeDistributed(layers.Dense(2))(np.ones((2, 3), "float32"))


def test_embedding_gradient_scatter_adds_repeated_indices():
    layer = layers.Embedding(5, 3, dtype="float64")
    ids = np.array([[1, 3, 1], [4, 1, 0]])
    out = layer(ids)
    np.testing.assert_array_equal(out.numpy(), layer.embeddings.numpy()[ids])
    upstream = np.random.default_rng(0).standard_normal((2, 3, 3))
    (out * ember.tensor(upstream)).sum().backward()
    expected = np.zeros((5, 3))
    for (i, j), index in np.ndenumerate(ids):
        expected[index] += upstream[i, j]
    np.testing.assert_allclose(layer.embeddings.grad.numpy(), expected, rtol=1e-12)
    np.testing.assert_array_equal(layer.embeddings.grad.numpy()[2], 0.0)


@pytest.mark.parametrize("ids", [[[0, 5]], [[-1, 2]]], ids=["too-large", "negative"])
def test_embedding_rejects_indices_out_of_range(ids):
    layer = layers.Embedding(5, 2)
    with pytest.raises(ValueError, match=r"Embedding '.*': expected indices in \[0, 5\)"):
        layer(np.array(ids))


def test_embedding_options():
    table = np.arange(8.0).reshape(4, 2)
    layer = layers.Embedding(4, 2, weights=[table], mask_zero=True)
    out = layer(np.array([[2.0, 0.0]]))  # float indices are cast, as Keras does
    np.testing.assert_array_equal(out.numpy(), [[[4.0, 5.0], [0.0, 1.0]]])
    np.testing.assert_array_equal(out._keras_mask, [[True, False]])
    assert layers.Embedding(4, 2)(np.array([[1]]))._keras_mask is None
    assert layer.compute_output_shape((None, 7)) == (None, 7, 2)
    init = layers.Embedding(100, 50)
    init.build()
    values = init.embeddings.numpy()
    assert values.min() >= -0.05 and values.max() < 0.05 and values.std() > 0.02
    with pytest.raises(ValueError, match="positive integer `output_dim`"):
        layers.Embedding(4, 0)


def test_masking_zeroes_masked_steps_and_sets_the_mask():
    x = np.array([[[1.0, 2.0], [5.0, 5.0], [0.0, 3.0]]], dtype="float32")
    out = layers.Masking(mask_value=5.0)(x)
    np.testing.assert_array_equal(out.numpy(), [[[1.0, 2.0], [0.0, 0.0], [0.0, 3.0]]])
    np.testing.assert_array_equal(out._keras_mask, [[True, False, True]])


def test_model_of_recurrent_layers_saves_and_reloads(tmp_path):
    ids = np.array([[1, 2, 3, 0], [4, 5, 0, 0]])
    model = ember.Sequential([
        ember.Input((4,), dtype="int64"),
        layers.Embedding(10, 4, mask_zero=True),
        layers.Bidirectional(layers.LSTM(3, return_sequences=True)),
        layers.TimeDistributed(layers.Dense(2)),
        layers.RNN([layers.GRUCell(2), layers.SimpleRNNCell(2)]),
    ])
    expected = model(ids).numpy()
    model.save(tmp_path / "model.ember")
    reloaded = ember.saving.load_model(tmp_path / "model.ember")
    np.testing.assert_array_equal(reloaded(ids).numpy(), expected)
    assert [w.path for w in reloaded.weights] == [w.path for w in model.weights]
    lstm = model.layers[1].forward_layer
    assert f"{lstm.name}/lstm_cell/kernel" in [w.path for w in model.weights]
