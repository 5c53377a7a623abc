"""``SimpleRNNCell`` and ``SimpleRNN``: the fully connected recurrence (Elman 1990)."""

from __future__ import annotations

from ember import ops
from ember.layers.recurrent.cell_base import DenseCell
from ember.layers.recurrent.fused import FusedRNN
from ember.ops import rnn
from ember.utils import tree


class SimpleRNNCell(DenseCell):
    """One step of a fully connected recurrence::

        h_t = activation(x_t W + b + h_{t-1} U)       output h_t, state h_t

    Other arguments as ``SimpleRNN``.

    Example:
        >>> import ember
        >>> cell = ember.layers.SimpleRNNCell(4)
        >>> h, states = cell(ember.ones(2, 3), [ember.zeros(2, 4)])
        >>> h.shape
        (2, 4)
    """

    n_gates = 1

    def call(self, sequence, states, training=False):
        prev_output = states[0] if tree.is_nested(states) else states
        x, h = self._dropped(sequence, prev_output, training)
        output = ops.matmul(x, self.kernel)
        if self.bias is not None:
            output = output + self.bias
        output = self.activation(output + ops.matmul(h, self.recurrent_kernel))
        return output, ([output] if tree.is_nested(states) else output)


class SimpleRNN(FusedRNN):
    """Fully connected recurrent layer over ``(batch, timesteps, features)``:
    ``h_t = activation(x_t W + b + h_{t-1} U)``, the output of each step fed back.

    The whole sequence runs through ``ember.ops.rnn.simple_rnn`` (one input projection for
    all steps, one recurrent product per step, a hand-written backward through time),
    recurrent dropout included.

    Args:
        units: Size of the output and of the state.
        activation: ``"tanh"`` by default.
        Others: as ``LSTM`` (``recurrent_dropout`` uses one mask for all steps).

    Example:
        >>> import ember
        >>> ember.layers.SimpleRNN(4)(ember.ones(2, 5, 3)).shape
        (2, 4)
    """

    cell_class = SimpleRNNCell

    def __init__(self, units: int, activation="tanh", use_bias: bool = True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0, return_sequences: bool = False,
                 return_state: bool = False, go_backwards: bool = False,
                 stateful: bool = False, unroll: bool = False, seed: int | None = None,
                 **kwargs):
        cell_kwargs = dict(
            units=units, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout,
            recurrent_dropout=recurrent_dropout, seed=seed,
        )
        super().__init__(cell_kwargs, return_sequences=return_sequences,
                         return_state=return_state, go_backwards=go_backwards,
                         stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)

    def _fused_loop(self, sequences, initial_state, mask, training, activation):
        cell = self.cell
        recurrent_mask = cell.get_recurrent_dropout_mask(initial_state[0]) if training else None
        return rnn.simple_rnn(sequences, initial_state[0], mask, cell.kernel,
                              cell.recurrent_kernel, cell.bias, activation=activation,
                              recurrent_dropout_mask=recurrent_mask,
                              go_backwards=self.go_backwards,
                              zero_output_for_mask=self.zero_output_for_mask)
