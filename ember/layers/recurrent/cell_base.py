"""What ember's built-in cells share: ``DropoutRNNCell`` (dropout masks fixed across time
steps, as Keras) and ``DenseCell`` (the configuration and weights of a cell made of
``kernel``, ``recurrent_kernel`` and ``bias``)."""

from __future__ import annotations

import numbers

from ember import activations, constraints, initializers, ops, random, regularizers
from ember.layers.layer import Layer


def dropout_active(rate: float) -> bool:
    """Keras applies a cell's dropout only for rates strictly between 0 and 1."""
    return 0.0 < rate < 1.0


class DropoutRNNCell:
    """Mixin giving a cell ``dropout`` on its inputs and ``recurrent_dropout`` on its state
    with one mask per sequence, the same at every time step (Gal & Ghahramani 2016, "A
    Theoretically Grounded Application of Dropout in Recurrent Neural Networks").

    The masks are made on first use and kept until the ``RNN`` layer resets them after the
    sequence. A cell with ``dropout_mask_count = n`` gets a list of ``n`` independent masks
    (one per gate, Keras's ``implementation=1``). The cell needs ``dropout``,
    ``recurrent_dropout`` and ``seed_generator`` attributes.
    """

    def get_dropout_mask(self, step_input):
        """The input dropout mask for inputs shaped like ``step_input`` (or None)."""
        if getattr(self, "_dropout_mask", None) is None and dropout_active(self.dropout):
            self._dropout_mask = self._create_dropout_mask(step_input, self.dropout)
        return getattr(self, "_dropout_mask", None)

    def get_recurrent_dropout_mask(self, step_input):
        """The recurrent dropout mask for states shaped like ``step_input`` (or None)."""
        if (getattr(self, "_recurrent_dropout_mask", None) is None
                and dropout_active(self.recurrent_dropout)):
            self._recurrent_dropout_mask = self._create_dropout_mask(step_input,
                                                                     self.recurrent_dropout)
        return getattr(self, "_recurrent_dropout_mask", None)

    def reset_dropout_mask(self) -> None:
        self._dropout_mask = None

    def reset_recurrent_dropout_mask(self) -> None:
        self._recurrent_dropout_mask = None

    def _create_dropout_mask(self, step_input, rate: float):
        shape, dtype = tuple(step_input.shape), step_input.dtype

        def one_mask():
            ones = ops.ones(shape, dtype=dtype)
            return random.dropout(ones, rate, seed=self.seed_generator)

        count = getattr(self, "dropout_mask_count", None)
        return one_mask() if count is None else [one_mask() for _ in range(count)]


class DenseCell(Layer, DropoutRNNCell):
    """Base of ``SimpleRNNCell``, ``LSTMCell`` and ``GRUCell``: stores Keras's arguments,
    creates ``kernel (input_dim, n_gates * units)``, ``recurrent_kernel (units, n_gates *
    units)`` and ``bias``, and serializes them. Subclasses set ``n_gates`` and write
    ``call``."""

    n_gates = 1

    def __init__(self, units: int, activation="tanh", use_bias: bool = True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout: float = 0.0, recurrent_dropout: float = 0.0,
                 seed: int | None = None, **kwargs):
        implementation = kwargs.pop("implementation", 2)
        super().__init__(**kwargs)
        if (isinstance(units, bool) or not isinstance(units, numbers.Integral)
                or units <= 0):
            raise ValueError(
                f"{type(self).__name__}: expected a positive integer `units`, "
                f"received units={units!r}"
            )
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        # Clipped into [0, 1] as Keras does; rates 0 and 1 turn dropout off.
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        # Keras's implementation=1 (forced by recurrent dropout) multiplies each gate's input
        # and state by its own dropout mask; implementation=2 shares one mask for all gates.
        self.implementation = 1 if self.recurrent_dropout != 0.0 else implementation
        if self.n_gates > 1 and self.implementation == 1:
            self.dropout_mask_count = self.n_gates
        self.seed = seed
        self.seed_generator = random.SeedGenerator(seed)
        self.state_size = self.units
        self.output_size = self.units

    def build(self, input_shape) -> None:
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': the last axis of the input must be "
                f"known, received input shape {tuple(input_shape)}"
            )
        width = self.n_gates * self.units
        self.kernel = self.add_weight(
            shape=(input_dim, width), initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
            name="kernel",
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, width), initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer, constraint=self.recurrent_constraint,
            name="recurrent_kernel",
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=self._bias_shape(), initializer=self._bias_initializer(),
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                name="bias",
            )
        self.built = True

    def _dropped(self, inputs, h_tm1, training):
        """Inputs and previous state after dropout while training: each one tensor (one
        mask for all gates) or a list of ``n_gates`` tensors (a mask per gate)."""
        x, h = inputs, h_tm1
        if training and dropout_active(self.dropout):
            mask = self.get_dropout_mask(inputs)
            x = [inputs * m for m in mask] if isinstance(mask, list) else inputs * mask
        if training and dropout_active(self.recurrent_dropout):
            mask = self.get_recurrent_dropout_mask(h_tm1)
            h = [h_tm1 * m for m in mask] if isinstance(mask, list) else h_tm1 * mask
        return x, h

    def _gate_products(self, x, weight) -> list:
        """``x @ weight`` split into the ``n_gates`` gates' parts: one product for one
        tensor, one product per gate for a list of per-gate tensors."""
        if isinstance(x, list):
            return [ops.matmul(x_k, w_k)
                    for x_k, w_k in zip(x, ops.split(weight, self.n_gates, axis=1))]
        return ops.split(ops.matmul(x, weight), self.n_gates, axis=1)

    def _bias_shape(self) -> tuple:
        return (self.n_gates * self.units,)

    def _bias_initializer(self):
        return self.bias_initializer

    def get_initial_state(self, batch_size=None) -> list:
        """Zero states, one ``(batch_size, size)`` tensor per entry of ``state_size``."""
        sizes = self.state_size if isinstance(self.state_size, list) else [self.state_size]
        return [ops.zeros((batch_size, size), dtype=self.compute_dtype) for size in sizes]

    def cell_config(self) -> dict:
        """The cell's own arguments (also the flat config of its layer: ``LSTM``...)."""
        return {
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }

    def get_config(self) -> dict:
        return {**super().get_config(), **self.cell_config()}
