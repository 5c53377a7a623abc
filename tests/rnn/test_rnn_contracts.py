"""The layer contract (``check_layer``: shapes, weight counts, training flag, config round
trip, symbolic call, float32, float64 gradcheck w.r.t. inputs and weights) for every
recurrent, wrapper and embedding layer, in several configurations."""

from __future__ import annotations

import pytest
from layer_contract import check_layer

import ember
from ember import layers, ops


class MinimalRNNCell(layers.Layer):
    """The user-written cell of Keras's ``RNN`` documentation."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units),
                                                initializer="orthogonal",
                                                name="recurrent_kernel")

    def call(self, inputs, states):
        output = ops.tanh(ops.matmul(inputs, self.kernel)
                          + ops.matmul(states[0], self.recurrent_kernel))
        return output, [output]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@pytest.fixture(autouse=True)
def _seeded():
    ember.utils.set_random_seed(3)


def _make(cls, *args, **config):
    return lambda **kwargs: cls(*args, **config, **kwargs)


def _rnn(make_cell, **config):
    """``RNN(cell)`` with the cell made in the layer's dtype (the gradcheck asks float64)."""
    return lambda **kwargs: layers.RNN(make_cell(kwargs.get("dtype")), **config, **kwargs)


def _wrapped(wrapper, make_inner, **config):
    return lambda **kwargs: wrapper(make_inner(kwargs.get("dtype")), **config, **kwargs)


SEQ = (2, 4, 3)
CASES = [
    ("SimpleRNN", _make(layers.SimpleRNN, 3), SEQ, (2, 3), 3, {}),
    ("SimpleRNN-seq-backwards-sigmoid",
     _make(layers.SimpleRNN, 2, activation="sigmoid", return_sequences=True, go_backwards=True),
     SEQ, (2, 4, 2), 3, {}),
    ("LSTM", _make(layers.LSTM, 3), SEQ, (2, 3), 3, {}),
    ("LSTM-seq-backwards-no-bias",
     _make(layers.LSTM, 2, return_sequences=True, go_backwards=True, use_bias=False),
     SEQ, (2, 4, 2), 2, {}),
    ("LSTM-hard-sigmoid-regularized",
     _make(layers.LSTM, 2, recurrent_activation="hard_sigmoid", unit_forget_bias=False,
           kernel_regularizer="l2", recurrent_constraint="non_neg"), SEQ, (2, 2), 3, {}),
    ("LSTM-gelu-generic-path", _make(layers.LSTM, 2, activation="gelu"), SEQ, (2, 2), 3, {}),
    ("GRU", _make(layers.GRU, 3), SEQ, (2, 3), 3, {}),
    ("GRU-reset-before-seq", _make(layers.GRU, 2, reset_after=False, return_sequences=True),
     SEQ, (2, 4, 2), 3, {}),
    ("RNN-SimpleRNNCell", _rnn(lambda dt: layers.SimpleRNNCell(3, dtype=dt)), SEQ, (2, 3), 3,
     {}),
    ("RNN-LSTMCell-seq", _rnn(lambda dt: layers.LSTMCell(2, dtype=dt), return_sequences=True),
     SEQ, (2, 4, 2), 3, {}),
    ("RNN-GRUCell-reset-before",
     _rnn(lambda dt: layers.GRUCell(2, reset_after=False, dtype=dt), go_backwards=True),
     SEQ, (2, 2), 3, {}),
    ("RNN-stacked", _rnn(lambda dt: [layers.LSTMCell(3, dtype=dt), layers.GRUCell(2, dtype=dt)]),
     SEQ, (2, 2), 6, {}),
    ("RNN-StackedRNNCells", _rnn(lambda dt: layers.StackedRNNCells(
        [layers.SimpleRNNCell(2, dtype=dt), layers.SimpleRNNCell(3, dtype=dt)], dtype=dt)),
     SEQ, (2, 3), 6, {}),
    ("RNN-user-cell", _rnn(lambda dt: MinimalRNNCell(3, dtype=dt), return_sequences=True),
     SEQ, (2, 4, 3), 2, {"custom_objects": {"MinimalRNNCell": MinimalRNNCell}}),
    ("Bidirectional-concat", _wrapped(layers.Bidirectional,
                                      lambda dt: layers.LSTM(2, dtype=dt)), SEQ, (2, 4), 6, {}),
    ("Bidirectional-sum-seq", _wrapped(
        layers.Bidirectional, lambda dt: layers.GRU(2, return_sequences=True, dtype=dt),
        merge_mode="sum"), SEQ, (2, 4, 2), 6, {}),
    ("Bidirectional-mul", _wrapped(layers.Bidirectional,
                                   lambda dt: layers.SimpleRNN(2, dtype=dt), merge_mode="mul"),
     SEQ, (2, 2), 6, {}),
    ("Bidirectional-ave-backward-layer", lambda **kw: layers.Bidirectional(
        layers.LSTM(2, return_sequences=True, dtype=kw.get("dtype")), merge_mode="ave",
        backward_layer=layers.GRU(2, return_sequences=True, go_backwards=True,
                                  dtype=kw.get("dtype")), **kw), SEQ, (2, 4, 2), 6, {}),
    ("TimeDistributed-Dense", _wrapped(layers.TimeDistributed,
                                       lambda dt: layers.Dense(3, dtype=dt)),
     (2, 4, 5), (2, 4, 3), 2, {}),
    ("TimeDistributed-rank4", _wrapped(layers.TimeDistributed,
                                       lambda dt: layers.Dense(2, dtype=dt)),
     (2, 3, 2, 4), (2, 3, 2, 2), 2, {}),
    ("Embedding", _make(layers.Embedding, 6, 3), (2, 4), (2, 4, 3), 1,
     {"input_dtype": "int64"}),
    ("Embedding-mask-zero", _make(layers.Embedding, 5, 2, mask_zero=True,
                                  embeddings_initializer="glorot_uniform"), (3, 2), (3, 2, 2), 1,
     {"input_dtype": "int32"}),
    ("Masking", _make(layers.Masking), SEQ, SEQ, 0, {}),
    ("Masking-value", _make(layers.Masking, mask_value=0.5), SEQ, SEQ, 0, {}),
]


@pytest.mark.parametrize(("factory", "shape", "expected", "n_weights", "extra"),
                         [pytest.param(*case[1:], id=case[0]) for case in CASES])
def test_layer_contract(factory, shape, expected, n_weights, extra):
    check_layer(factory, shape, expected_output_shape=expected, n_weights=n_weights, **extra)


def test_every_recurrent_layer_has_a_contract_case():
    """A layer added to the recurrent or embedding modules without a case fails here."""
    covered = {type(factory()).__name__ for _, factory, *_ in CASES}
    covered |= {"SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells"}  # through RNN
    mine = {name for name, obj in vars(layers).items()
            if isinstance(obj, type) and issubclass(obj, layers.Layer)
            and obj.__module__.startswith(("ember.layers.recurrent", "ember.layers.embedding"))}
    assert mine - covered == set()
