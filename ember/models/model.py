"""``Model``: a layer with training (``compile``/``fit``/``evaluate``/``predict``).

``ember.Model(inputs, outputs)`` builds a functional model; subclassing ``Model`` and
writing ``call`` gives a subclassed one, exactly as in Keras 3.
"""

from __future__ import annotations

from ember.layers.layer import Layer
from ember.training.trainer import Trainer


class Model(Trainer, Layer):
    """A trainable graph of layers.

    Example:
        >>> import ember
        >>> class MLP(ember.Model):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.hidden = ember.layers.Dense(8, activation="relu")
        ...         self.out = ember.layers.Dense(2)
        ...     def call(self, x):
        ...         return self.out(self.hidden(x))
        >>> MLP()(ember.ones(3, 4)).shape
        (3, 2)
    """

    def __new__(cls, *args, **kwargs):
        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):
            from ember.models.functional import Functional

            return Functional.__new__(Functional)
        return super().__new__(cls)

    def __init__(self, *args, **kwargs):
        trainable = kwargs.pop("trainable", True)
        name = kwargs.pop("name", None)
        dtype = kwargs.pop("dtype", None)
        if args or kwargs.get("inputs") is not None:
            raise TypeError(
                f"{type(self).__name__}: unexpected inputs/outputs arguments for a subclassed "
                "model; use ember.Model(inputs, outputs) for the functional API"
            )
        Layer.__init__(self, trainable=trainable, name=name, dtype=dtype, **kwargs)
        Trainer.__init__(self)

    def build(self, input_shape) -> None:
        self.built = True

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None) -> None:
        """Print the layers with their output shapes and parameter counts."""
        from ember.models.summary import print_summary

        print_summary(self, line_length=line_length, print_fn=print_fn,
                      show_trainable=show_trainable)

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """A layer found by ``name`` or by ``index`` in ``layers``."""
        if index is not None:
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(
            f"Model '{self.name}': no layer named {name!r}; layers: "
            f"{[layer.name for layer in self.layers]}"
        )

    def save(self, filepath: str, overwrite: bool = True) -> None:
        """Save architecture, weights and optimizer state to one ``.ember`` file, or to
        Keras 3's ``.keras`` format (which ``keras.saving.load_model`` reads)."""
        import os

        from ember.saving.model_file import save_model

        if not str(filepath).endswith((".ember", ".keras")):
            raise ValueError(
                f"Model.save: expected a file name ending in '.ember' or '.keras', received "
                f"'{filepath}'; use save_weights for weights only"
            )
        if not overwrite and os.path.exists(filepath):
            raise FileExistsError(f"Model.save: '{filepath}' exists and overwrite=False")
        save_model(self, filepath)

    def save_weights(self, filepath: str, overwrite: bool = True) -> None:
        """Save the weights to ``.weights.safetensors`` or ``.npz``, keyed by weight path."""
        import os

        from ember.saving.weights_file import save_weights

        if not overwrite and os.path.exists(filepath):
            raise FileExistsError(f"Model.save_weights: '{filepath}' exists and overwrite=False")
        save_weights(self, filepath)

    def load_weights(self, filepath: str) -> None:
        """Load weights saved by ``save_weights``, matched by weight path."""
        from ember.saving.weights_file import load_weights

        load_weights(self, filepath)

    def get_config(self) -> dict:
        return {"name": self.name, "trainable": self.trainable}

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        """A model from ``get_config``; a functional config rebuilds a functional model
        (``ember.Model.from_config(functional.get_config())``), as in Keras."""
        if cls is Model and all(k in config for k in ("layers", "input_layers",
                                                       "output_layers")):
            from ember.models.functional import Functional

            return Functional.from_config(config, custom_objects=custom_objects)
        return cls(**config)
