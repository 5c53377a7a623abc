"""``LSTMCell`` and ``LSTM`` (Hochreiter & Schmidhuber 1997), with Keras's gate order and
weight layout."""

from __future__ import annotations

from ember import activations, initializers, ops
from ember.layers.recurrent.cell_base import DenseCell
from ember.layers.recurrent.fused import FusedRNN, cell_property
from ember.ops import rnn


class LSTMCell(DenseCell):
    """One step of a long short-term memory. With ``a`` = activation and ``s`` =
    recurrent_activation, gates in Keras's order ``i, f, c, o``::

        z = x_t W + h_{t-1} U + b            W (input_dim, 4 units), U (units, 4 units)
        c_t = s(z_f) * c_{t-1} + s(z_i) * a(z_c)
        h_t = s(z_o) * a(c_t)                output h_t, states [h_t, c_t]

    ``unit_forget_bias=True`` initializes the forget gate's bias to 1 (Jozefowicz et al.
    2015). Other arguments as ``LSTM``.

    Example:
        >>> import ember
        >>> cell = ember.layers.LSTMCell(4)
        >>> h, (h2, c) = cell(ember.ones(2, 3), [ember.zeros(2, 4), ember.zeros(2, 4)])
        >>> h.shape, c.shape
        ((2, 4), (2, 4))
    """

    n_gates = 4

    def __init__(self, units: int, activation="tanh", recurrent_activation="sigmoid",
                 use_bias: bool = True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias: bool = True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0, seed: int | None = None, **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                         recurrent_constraint=recurrent_constraint,
                         bias_constraint=bias_constraint, dropout=dropout,
                         recurrent_dropout=recurrent_dropout, seed=seed, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = unit_forget_bias
        self.state_size = [self.units, self.units]

    def _bias_initializer(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        base, units = self.bias_initializer, self.units

        def unit_forget(shape, dtype=None):
            ones = initializers.get("ones")((units,), dtype=dtype)
            return ops.concatenate([base((units,), dtype=dtype), ones,
                                    base((2 * units,), dtype=dtype)])

        return unit_forget

    def call(self, inputs, states, training=False):
        h_tm1, c_tm1 = states[0], states[1]
        x, h = self._dropped(inputs, h_tm1, training)
        z = [a + b for a, b in zip(self._gate_products(x, self.kernel),
                                   self._gate_products(h, self.recurrent_kernel))]
        if self.bias is not None:
            z = [z_k + b_k for z_k, b_k in zip(z, ops.split(self.bias, 4))]
        i = self.recurrent_activation(z[0])
        f = self.recurrent_activation(z[1])
        c = f * c_tm1 + i * self.activation(z[2])
        o = self.recurrent_activation(z[3])
        h = o * self.activation(c)
        return h, [h, c]

    def cell_config(self) -> dict:
        return {**super().cell_config(),
                "recurrent_activation": activations.serialize(self.recurrent_activation),
                "unit_forget_bias": self.unit_forget_bias}


class LSTM(FusedRNN):
    """Long short-term memory layer (Hochreiter & Schmidhuber 1997) over
    ``(batch, timesteps, features)``; see ``LSTMCell`` for the equations.

    The whole sequence runs through ``ember.ops.rnn.lstm``: one input projection for all
    steps, one ``(batch, units) @ (units, 4 units)`` product per step, and a hand-written
    backward through time (see ``FusedRNN`` for when it steps through the cell instead).

    Args:
        units: Size of the output and of both states.
        activation: For the cell input and the output (``"tanh"``).
        recurrent_activation: For the gates (``"sigmoid"``).
        use_bias, kernel_initializer, recurrent_initializer, bias_initializer: As Keras
            (``True``, ``"glorot_uniform"``, ``"orthogonal"``, ``"zeros"``).
        unit_forget_bias: Initialize the forget gate's bias to 1.
        kernel_regularizer, recurrent_regularizer, bias_regularizer, activity_regularizer,
        kernel_constraint, recurrent_constraint, bias_constraint: As ``Dense``.
        dropout: Fraction of the input units dropped while training (one mask for all
            steps).
        recurrent_dropout: Fraction of the state units dropped for the recurrent product
            while training (one mask per gate for all steps, Gal & Ghahramani 2016).
        seed: Seed of the dropout masks.
        return_sequences, return_state, go_backwards, stateful, unroll: As ``RNN``; masks
            too.

    Example:
        >>> import ember
        >>> layer = ember.layers.LSTM(8, return_state=True)
        >>> output, h, c = layer(ember.ones(2, 5, 3))
        >>> output.shape, c.shape
        ((2, 8), (2, 8))
    """

    cell_class = LSTMCell
    _activation_names = ("activation", "recurrent_activation")
    recurrent_activation = cell_property("recurrent_activation")
    unit_forget_bias = cell_property("unit_forget_bias")

    def __init__(self, units: int, activation="tanh", recurrent_activation="sigmoid",
                 use_bias: bool = True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias: bool = True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0, seed: int | None = None,
                 return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, unroll: bool = False,
                 **kwargs):
        cell_kwargs = dict(
            units=units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            unit_forget_bias=unit_forget_bias, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout,
            recurrent_dropout=recurrent_dropout, seed=seed,
            implementation=kwargs.pop("implementation", 2),
        )
        super().__init__(cell_kwargs, return_sequences=return_sequences,
                         return_state=return_state, go_backwards=go_backwards,
                         stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)

    def _fused_loop(self, sequences, initial_state, mask, training, activation,
                    recurrent_activation):
        cell = self.cell
        return rnn.lstm(sequences, initial_state[0], initial_state[1], mask, cell.kernel,
                        cell.recurrent_kernel, cell.bias, activation=activation,
                        recurrent_activation=recurrent_activation,
                        go_backwards=self.go_backwards,
                        zero_output_for_mask=self.zero_output_for_mask)
