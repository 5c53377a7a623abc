"""Recurrent layers: the generic ``RNN`` over a cell, ``SimpleRNN``, ``LSTM`` and ``GRU`` (run
by fused sequence kernels) with their cells, ``StackedRNNCells``, and the wrappers
``Bidirectional`` and ``TimeDistributed``."""

from ember.layers.recurrent.base_rnn import RNN
from ember.layers.recurrent.bidirectional import Bidirectional
from ember.layers.recurrent.cell_base import DropoutRNNCell
from ember.layers.recurrent.gru import GRU, GRUCell
from ember.layers.recurrent.lstm import LSTM, LSTMCell
from ember.layers.recurrent.simple_rnn import SimpleRNN, SimpleRNNCell
from ember.layers.recurrent.stacked_rnn_cells import StackedRNNCells
from ember.layers.recurrent.time_distributed import TimeDistributed

__all__ = [
    "GRU",
    "LSTM",
    "RNN",
    "Bidirectional",
    "DropoutRNNCell",
    "GRUCell",
    "LSTMCell",
    "SimpleRNN",
    "SimpleRNNCell",
    "StackedRNNCells",
    "TimeDistributed",
]
