"""Masks from ``Embedding(mask_zero=True)`` and ``Masking``, stateful layers, initial states
given symbolically in functional models, and stacked cells."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember import layers

# Three sequences of lengths 4, 2 and 3, padded with zeros to 5 steps.
TOKENS = [[3, 1, 4, 1], [5, 9], [2, 6, 5]]


@pytest.fixture(autouse=True)
def _seeded():
    ember.utils.set_random_seed(21)


def _padded(sequences, length=5, left=False):
    out = np.zeros((len(sequences), length), dtype="int64")
    for i, seq in enumerate(sequences):
        if left:
            out[i, length - len(seq):] = seq
        else:
            out[i, :len(seq)] = seq
    return out


@pytest.mark.parametrize("left", [False, True], ids=["right-padded", "left-padded"])
@pytest.mark.parametrize("recurrent", [layers.LSTM, layers.GRU, layers.SimpleRNN])
def test_embedding_mask_gives_the_unpadded_results(recurrent, left):
    """The padded batch gives, sample by sample, the final output and states of the
    sequence run alone without padding."""
    embedding = layers.Embedding(10, 4, mask_zero=True)
    rnn = recurrent(3, return_state=True)
    padded = rnn(embedding(_padded(TOKENS, left=left)))
    for i, seq in enumerate(TOKENS):
        alone = rnn(embedding(np.array([seq])))
        for a, b in zip(padded, alone):
            np.testing.assert_allclose(a.numpy()[i], b.numpy()[0], rtol=1e-5, atol=1e-6)


def test_masked_steps_repeat_the_previous_output_as_keras():
    """Keras 3 (``zero_output_for_mask=False``): a masked step outputs the previous step's
    output, zeros before the first unmasked step; ``True`` gives zeros."""
    x = ember.tensor(np.random.default_rng(0).standard_normal((2, 4, 3)).astype("float32"))
    mask = np.array([[False, True, False, True], [True, True, False, False]])
    for zero in (False, True):
        out = layers.GRU(2, return_sequences=True, zero_output_for_mask=zero)(
            x, mask=mask).numpy()
        np.testing.assert_array_equal(out[0, 0], 0.0)
        if zero:
            np.testing.assert_array_equal(out[1, 2:], 0.0)
        else:
            np.testing.assert_array_equal(out[0, 2], out[0, 1])
            np.testing.assert_array_equal(out[1, 3], out[1, 1])
            np.testing.assert_array_equal(out[1, 2], out[1, 1])


def test_masking_layer_feeds_the_mask_to_the_recurrent_layer():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 5, 3)).astype("float32")
    x[0, 3:] = 0.0
    x[1, :2] = 0.0
    model = ember.Sequential([ember.Input((5, 3)), layers.Masking(),
                              layers.LSTM(4, return_sequences=True)])
    masked = layers.Masking()(x)
    np.testing.assert_array_equal(masked._keras_mask.numpy(),
                                  [[1, 1, 1, 0, 0], [0, 0, 1, 1, 1]])
    out = model(x).numpy()
    lstm = model.layers[-1]
    np.testing.assert_allclose(out[0, :3], lstm(x[:1, :3]).numpy()[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out[1, 2:], lstm(x[1:, 2:]).numpy()[0], rtol=1e-5, atol=1e-6)


def test_output_mask_follows_return_sequences():
    ids = _padded(TOKENS)
    embedded = layers.Embedding(10, 4, mask_zero=True)(ids)
    sequence = layers.LSTM(3, return_sequences=True)(embedded)
    np.testing.assert_array_equal(sequence._keras_mask.numpy(), ids != 0)
    assert layers.LSTM(3)(embedded)._keras_mask is None
    out, h, c = layers.LSTM(3, return_sequences=True, return_state=True)(embedded)
    assert out._keras_mask is not None and h._keras_mask is None


def test_stacked_masked_layers_train_in_a_model():
    model = ember.Sequential([
        ember.Input((5,), dtype="int64"),
        layers.Embedding(10, 4, mask_zero=True),
        layers.Bidirectional(layers.LSTM(3, return_sequences=True)),
        layers.GRU(3),
        layers.Dense(1),
    ])
    model.compile(optimizer="adam", loss="mse")
    x = _padded(TOKENS * 4)
    y = np.arange(12, dtype="float32")[:, None] / 12
    history = model.fit(x, y, epochs=3, batch_size=4, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_stateful_layer_continues_across_batches():
    x = np.random.default_rng(2).standard_normal((2, 6, 3)).astype("float32")
    whole = layers.LSTM(4, return_sequences=True)
    expected = whole(x).numpy()
    stateful = layers.LSTM(4, return_sequences=True, stateful=True)
    stateful(x[:, :3])
    stateful.set_weights(whole.get_weights())
    stateful.reset_states()
    first, second = stateful(x[:, :3]).numpy(), stateful(x[:, 3:]).numpy()
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), expected, rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(stateful.states[0].numpy(), expected[:, -1], rtol=1e-5,
                               atol=1e-6)
    stateful.reset_state()
    np.testing.assert_array_equal(stateful.states[1].numpy(), 0.0)
    np.testing.assert_allclose(stateful(x[:, :3]).numpy(), first, rtol=1e-6)
    assert stateful.weights == stateful.trainable_weights  # states are not weights


@pytest.mark.parametrize("make", [
    lambda **kw: layers.SimpleRNN(2, **kw),
    lambda **kw: layers.RNN(layers.SimpleRNNCell(2, dtype="float64"), **kw),
], ids=["fused", "generic"])
def test_stateful_gradients_are_unaffected_by_the_state_update(make):
    """The states change in place after the call; the graph must keep the old values."""
    x = ember.tensor(np.random.default_rng(3).standard_normal((2, 3, 2)))
    layer = make(stateful=True, dtype="float64")
    layer(x)
    reference = make(dtype="float64")
    reference(x)
    reference.set_weights(layer.get_weights())
    initial = [ember.tensor(layer.states[0].numpy().copy())]
    layer(x).sum().backward()
    reference(x, initial_state=initial).sum().backward()
    for a, b in zip(layer.trainable_weights, reference.trainable_weights):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12)


def test_stateful_errors():
    layer = layers.GRU(2, stateful=True)
    layer(np.zeros((3, 4, 2), "float32"))
    with pytest.raises(ValueError, match="built for batch size 3, received a batch of 2"):
        layer(np.zeros((2, 4, 2), "float32"))
    with pytest.raises(ValueError, match="stateful=True needs a fixed batch size"):
        layers.GRU(2, stateful=True)(ember.Input((4, 2)))
    symbolic = layers.GRU(2, stateful=True)(ember.Input((4, 2), batch_size=3))
    assert symbolic.shape == (3, 2)


def test_encoder_decoder_passes_states_symbolically():
    encoder_inputs, decoder_inputs = ember.Input((4, 3)), ember.Input((5, 2))
    _, h, c = layers.LSTM(6, return_state=True)(encoder_inputs)
    decoded = layers.LSTM(6, return_sequences=True)(decoder_inputs, initial_state=[h, c])
    outputs = layers.TimeDistributed(layers.Dense(2))(decoded)
    model = ember.Model([encoder_inputs, decoder_inputs], outputs)
    assert model.output_shape == (None, 5, 2)
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((3, 4, 3)), rng.standard_normal((3, 5, 2))
    model.compile(optimizer="adam", loss="mse")
    history = model.fit([a, b], b, epochs=4, batch_size=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_stacked_cells_equal_stacked_layers():
    x = np.random.default_rng(5).standard_normal((2, 4, 3))
    stacked = layers.RNN([layers.LSTMCell(3, dtype="float64"), layers.GRUCell(2, dtype="float64")],
                         return_state=True, dtype="float64")
    out, (h1, c1), (h2,) = stacked(x)
    first = layers.LSTM(3, return_sequences=True, return_state=True, dtype="float64")
    second = layers.GRU(2, return_state=True, dtype="float64")
    seq, h1_ref, c1_ref = first(x)
    out_ref, h2_ref = second(seq)
    first.set_weights(stacked.get_weights()[:3])
    second.set_weights(stacked.get_weights()[3:])
    seq, h1_ref, c1_ref = first(x)
    out_ref, h2_ref = second(seq)
    for a, b in [(out, out_ref), (h1, h1_ref), (c1, c1_ref), (h2, h2_ref)]:
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10)
