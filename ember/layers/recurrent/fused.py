"""``FusedRNN``: the base of ``SimpleRNN``, ``LSTM`` and ``GRU``, which run their cell through
a fused sequence kernel of ``ember.ops.rnn`` whenever it computes the same thing."""

from __future__ import annotations

from ember import activations, ops
from ember.layers.input_spec import InputSpec
from ember.layers.recurrent.base_rnn import RNN
from ember.layers.recurrent.cell_base import dropout_active
from ember.utils.naming import snake_case, unique_name

_FUSED_NAMES = {
    activations.tanh: "tanh",
    activations.sigmoid: "sigmoid",
    activations.relu: "relu",
    activations.hard_sigmoid: "hard_sigmoid",
    activations.linear: "linear",
}


def fused_activation_name(activation) -> str | None:
    """The name under which ``ember.ops.rnn`` fuses ``activation``, or None."""
    return _FUSED_NAMES.get(activation)


def cell_property(name: str) -> property:
    return property(lambda self: getattr(self.cell, name), doc=f"The cell's ``{name}``.")


class FusedRNN(RNN):
    """An RNN over one of ember's cells, configured flat as Keras's ``LSTM``/``GRU``/
    ``SimpleRNN`` (the cell's arguments beside the RNN's, the cell built inside).

    The whole sequence runs through the fused kernel (one input projection for all steps,
    one fused recurrent product per step, a hand-written backward through time) unless an
    activation has no fused form or, while training, the cell draws one dropout mask per
    gate (``implementation=1``, forced by ``recurrent_dropout`` in LSTM and GRU): then each
    step goes through the cell's ``call`` as in ``RNN``. Both paths give the same values.
    Subclasses give ``cell_class`` and ``_fused_loop``.
    """

    cell_class = None
    _activation_names = ("activation",)

    units = cell_property("units")
    activation = cell_property("activation")
    use_bias = cell_property("use_bias")
    kernel_initializer = cell_property("kernel_initializer")
    recurrent_initializer = cell_property("recurrent_initializer")
    bias_initializer = cell_property("bias_initializer")
    kernel_regularizer = cell_property("kernel_regularizer")
    recurrent_regularizer = cell_property("recurrent_regularizer")
    bias_regularizer = cell_property("bias_regularizer")
    kernel_constraint = cell_property("kernel_constraint")
    recurrent_constraint = cell_property("recurrent_constraint")
    bias_constraint = cell_property("bias_constraint")
    dropout = cell_property("dropout")
    recurrent_dropout = cell_property("recurrent_dropout")
    seed = cell_property("seed")

    def __init__(self, cell_kwargs: dict, return_sequences: bool = False,
                 return_state: bool = False, go_backwards: bool = False,
                 stateful: bool = False, unroll: bool = False, **kwargs):
        kwargs.pop("use_cudnn", None)  # Keras's switch for a cuDNN kernel; ember fuses on CPU
        name = kwargs.pop("name", None) or unique_name(snake_case(type(self).__name__))
        cell = self.cell_class(**cell_kwargs, dtype=kwargs.get("dtype"),
                               trainable=kwargs.get("trainable", True),
                               name=snake_case(self.cell_class.__name__))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         name=name, **kwargs)
        self.input_spec = InputSpec(ndim=3)

    def build(self, sequences_shape, initial_state_shape=None) -> None:
        super().build(sequences_shape, initial_state_shape)
        for v in self.cell.weights:  # Keras's paths: "lstm/lstm_cell/kernel"
            if not v.path.startswith(f"{self.name}/"):
                v.path = f"{self.name}/{v.path}"

    def inner_loop(self, sequences, initial_state, mask, training=False):
        names = [fused_activation_name(getattr(self.cell, a)) for a in self._activation_names]
        cell = self.cell
        per_gate_masks = training and getattr(cell, "dropout_mask_count", None) and (
            dropout_active(cell.dropout) or dropout_active(cell.recurrent_dropout))
        if None in names or per_gate_masks:
            return super().inner_loop(sequences, initial_state, mask, training)
        if training:
            dropout_mask = cell.get_dropout_mask(sequences.data[:, 0])
            if dropout_mask is not None:
                sequences = sequences * ops.expand_dims(dropout_mask, 1)
        return self._fused_loop(sequences, initial_state, mask, training, *names)

    def get_config(self) -> dict:
        config = super().get_config()
        del config["cell"]
        config.update(self.cell.cell_config())
        return config
