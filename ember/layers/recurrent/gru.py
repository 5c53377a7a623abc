"""``GRUCell`` and ``GRU`` (Cho et al. 2014), with Keras's gate order and weight layout."""

from __future__ import annotations

from ember import activations, ops
from ember.layers.recurrent.cell_base import DenseCell
from ember.layers.recurrent.fused import FusedRNN, cell_property
from ember.ops import rnn
from ember.utils import tree


class GRUCell(DenseCell):
    """One step of a gated recurrent unit, gates in Keras's order ``z, r, h``::

        z = s(x W_z + b_z + h U_z [+ b'_z])     r = s(x W_r + b_r + h U_r [+ b'_r])
        reset_after=True (default; bias (2, 3 units), an input row and a recurrent row):
            hh = a(x W_h + b_h + r * (h U_h + b'_h))
        reset_after=False (bias (3 units,)):
            hh = a(x W_h + b_h + (r * h) U_h)
        h_t = z * h_{t-1} + (1 - z) * hh

    Other arguments as ``GRU``.

    Example:
        >>> import ember
        >>> cell = ember.layers.GRUCell(4)
        >>> h, states = cell(ember.ones(2, 3), [ember.zeros(2, 4)])
        >>> h.shape
        (2, 4)
    """

    n_gates = 3

    def __init__(self, units: int, activation="tanh", recurrent_activation="sigmoid",
                 use_bias: bool = True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0,
                 reset_after: bool = True, seed: int | None = None, **kwargs):
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
        self.reset_after = bool(reset_after)

    def _bias_shape(self) -> tuple:
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def call(self, inputs, states, training=False):
        h_tm1 = states[0] if tree.is_nested(states) else states
        x, h = self._dropped(inputs, h_tm1, training)
        x_z, x_r, x_h = self._gate_products(x, self.kernel)
        rec_bias = None
        if self.bias is not None:
            in_bias = self.bias
            if self.reset_after:
                in_bias, rec_bias = self.bias[0], self.bias[1]
            b_z, b_r, b_h = ops.split(in_bias, 3)
            x_z, x_r, x_h = x_z + b_z, x_r + b_r, x_h + b_h
        if self.reset_after:
            r_z, r_r, r_h = self._gate_products(h, self.recurrent_kernel)
            if rec_bias is not None:
                c_z, c_r, c_h = ops.split(rec_bias, 3)
                r_z, r_r, r_h = r_z + c_z, r_r + c_r, r_h + c_h
            z = self.recurrent_activation(x_z + r_z)
            r = self.recurrent_activation(x_r + r_r)
            hh = self.activation(x_h + r * r_h)
        else:
            h_z, h_r, h_h = h if isinstance(h, list) else (h, h, h)
            u_z, u_r, u_h = ops.split(self.recurrent_kernel, 3, axis=1)
            z = self.recurrent_activation(x_z + ops.matmul(h_z, u_z))
            r = self.recurrent_activation(x_r + ops.matmul(h_r, u_r))
            hh = self.activation(x_h + ops.matmul(r * h_h, u_h))
        h_new = z * h_tm1 + (1.0 - z) * hh
        return h_new, ([h_new] if tree.is_nested(states) else h_new)

    def cell_config(self) -> dict:
        return {**super().cell_config(),
                "recurrent_activation": activations.serialize(self.recurrent_activation),
                "reset_after": self.reset_after}


class GRU(FusedRNN):
    """Gated recurrent unit layer (Cho et al. 2014) over ``(batch, timesteps, features)``;
    see ``GRUCell`` for the equations. ``reset_after=True`` (default, cuDNN-compatible)
    applies the reset gate after the recurrent product, ``False`` before it.

    The whole sequence runs through ``ember.ops.rnn.gru``: one input projection for all
    steps, one ``(batch, units) @ (units, 3 units)`` product per step (two with
    ``reset_after=False``), and a hand-written backward through time.

    Args:
        units: Size of the output and of the state.
        activation: For the candidate state (``"tanh"``).
        recurrent_activation: For the gates (``"sigmoid"``).
        reset_after: Where the reset gate applies (see above).
        Others: as ``LSTM``.

    Example:
        >>> import ember
        >>> ember.layers.GRU(6, return_sequences=True)(ember.ones(2, 5, 3)).shape
        (2, 5, 6)
    """

    cell_class = GRUCell
    _activation_names = ("activation", "recurrent_activation")
    recurrent_activation = cell_property("recurrent_activation")
    reset_after = cell_property("reset_after")

    def __init__(self, units: int, activation="tanh", recurrent_activation="sigmoid",
                 use_bias: bool = True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout: float = 0.0, recurrent_dropout: float = 0.0,
                 seed: int | None = None, return_sequences: bool = False,
                 return_state: bool = False, go_backwards: bool = False,
                 stateful: bool = False, unroll: bool = False, reset_after: bool = True,
                 **kwargs):
        cell_kwargs = dict(
            units=units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
            dropout=dropout, recurrent_dropout=recurrent_dropout, reset_after=reset_after,
            seed=seed, implementation=kwargs.pop("implementation", 2),
        )
        super().__init__(cell_kwargs, return_sequences=return_sequences,
                         return_state=return_state, go_backwards=go_backwards,
                         stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)

    def _fused_loop(self, sequences, initial_state, mask, training, activation,
                    recurrent_activation):
        cell = self.cell
        return rnn.gru(sequences, initial_state[0], mask, cell.kernel, cell.recurrent_kernel,
                       cell.bias, activation=activation,
                       recurrent_activation=recurrent_activation,
                       reset_after=cell.reset_after, go_backwards=self.go_backwards,
                       zero_output_for_mask=self.zero_output_for_mask)
