"""``Sequential``: a plain stack of layers, each feeding the next."""

from __future__ import annotations

from ember.autograd.tensor import Tensor
from ember.layers.core import InputLayer
from ember.layers.layer import Layer
from ember.layers.symbolic import KerasTensor
from ember.models.functional import _adjust_input_rank, _check_input_shape
from ember.models.model import Model


class Sequential(Model):
    """A linear stack of layers; built from an ``Input`` or on its first call.

    Example:
        >>> import ember
        >>> model = ember.Sequential([
        ...     ember.Input(shape=(784,)),
        ...     ember.layers.Dense(512, activation="relu"),
        ...     ember.layers.Dense(10, activation="softmax"),
        ... ])
        >>> model.output_shape
        (None, 10)
    """

    def __init__(self, layers=None, trainable: bool = True, name: str | None = None):
        super().__init__(trainable=trainable, name=name)
        self._input_layer = None
        self._stack: list = []
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._maybe_build_graph()

    def add(self, layer, rebuild: bool = True) -> None:
        """Append a layer (or an ``Input``, which must come first)."""
        if isinstance(layer, KerasTensor):
            layer = layer.node.layer
        if isinstance(layer, InputLayer):
            if self._stack or self._input_layer is not None:
                raise ValueError(
                    f"Sequential '{self.name}': an Input must be the first element, "
                    f"received one after {len(self._stack)} layers"
                )
            self._input_layer = layer
            return
        if not isinstance(layer, Layer):
            raise TypeError(
                f"Sequential '{self.name}': expected a Layer, received {type(layer).__name__}"
            )
        if not self._stack and self._input_layer is None and layer._batch_input_shape:
            self._input_layer = InputLayer(batch_shape=layer._batch_input_shape)
        self._stack.append(layer)
        self._layers = list(self._stack)
        self.built = False
        if rebuild:
            self._maybe_build_graph()

    def pop(self) -> Layer:
        """Remove and return the last layer."""
        if not self._stack:
            raise IndexError(f"Sequential '{self.name}': pop from a model with no layers")
        layer = self._stack.pop()
        self._layers = list(self._stack)
        self.built = False
        self._maybe_build_graph()
        return layer

    @property
    def layers(self) -> list:
        return list(self._stack)

    def _maybe_build_graph(self) -> None:
        if self._input_layer is not None and self._stack:
            self.build(self._input_layer.batch_shape)

    def build(self, input_shape=None) -> None:
        """Build every layer by calling the stack on a symbolic input of ``input_shape``."""
        if input_shape is None:
            if self._input_layer is None:
                raise ValueError(
                    f"Sequential '{self.name}': build needs an input shape; add an "
                    "ember.Input first or call the model on data"
                )
            input_shape = self._input_layer.batch_shape
        if self._input_layer is None:
            self._input_layer = InputLayer(batch_shape=tuple(input_shape))
        x = self._input_layer.output_tensor
        for layer in self._stack:
            x = layer(x)
        self._output_shape = x.shape
        self.inputs = [self._input_layer.output_tensor]
        self.outputs = [x]
        self.built = True

    @property
    def input_shape(self):
        return self._input_layer.batch_shape if self._input_layer else None

    @property
    def output_shape(self):
        if not self.built:
            raise AttributeError(f"Sequential '{self.name}' is not built yet")
        return self._output_shape

    def call(self, inputs, training=None, mask=None):
        x = inputs
        if self._input_layer is not None and isinstance(x, Tensor):
            kt = self._input_layer.output_tensor
            x = _adjust_input_rank(kt, x)
            _check_input_shape(self, kt, x.shape)
        for layer in self._stack:
            x = layer(x, training=training)
        return x

    def __call__(self, *args, **kwargs):
        if not self.built and args and not isinstance(args[0], KerasTensor):
            shape = tuple(getattr(args[0], "shape", ()))
            if shape:
                self.build((None,) + shape[1:])
        return super().__call__(*args, **kwargs)

    def compute_output_shape(self, input_shape):
        shape = input_shape
        for layer in self._stack:
            shape = layer.compute_output_shape(shape)
        return shape

    def get_config(self) -> dict:
        from ember.saving.object_registration import serialize_object

        layers = []
        if self._input_layer is not None:
            layers.append(serialize_object(self._input_layer))
        layers += [serialize_object(layer) for layer in self._stack]
        return {"name": self.name, "trainable": self.trainable, "layers": layers}

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        from ember.layers import deserialize

        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for layer_config in config["layers"]:
            model.add(deserialize(layer_config, custom_objects=custom_objects), rebuild=False)
        model._maybe_build_graph()
        return model

    @property
    def input(self):
        return self._input_layer.output_tensor if self._input_layer else None

    @property
    def output(self):
        return self.outputs[0] if self.built else None
