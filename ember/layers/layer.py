"""``Layer``: the unit of every model, with Keras 3's lifecycle.

``__init__`` stores configuration only; ``build(input_shape)`` creates weights with
``add_weight``; ``call(inputs, training=None)`` is ordinary tensor code; ``get_config``
round-trips. Layers build on their first call, check their input against ``input_spec``,
and also accept symbolic ``KerasTensor`` inputs to build functional graphs.
"""

from __future__ import annotations

import inspect
import threading

import numpy as np

from ember import backend
from ember.autograd.grad_mode import no_grad
from ember.autograd.tensor import Tensor
from ember.layers.input_spec import assert_input_compatibility
from ember.layers.symbolic import KerasTensor, Node, any_symbolic
from ember.utils import tree
from ember.utils.naming import snake_case, unique_name
from ember.variables import Variable

_CALL_CONTEXT = threading.local()


def current_training():
    """The ``training`` flag of the enclosing layer call, or None outside any call."""
    stack = getattr(_CALL_CONTEXT, "stack", None)
    return stack[-1] if stack else None


class Layer:
    """Base class of all layers.

    Example:
        >>> import ember
        >>> class Scale(ember.layers.Layer):
        ...     def build(self, input_shape):
        ...         self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones")
        ...     def call(self, inputs):
        ...         return inputs * self.scale
        >>> Scale()(ember.ones(2, 3)).shape
        (2, 3)
    """

    def __init__(self, *, activity_regularizer=None, trainable: bool = True, dtype=None,
                 autocast: bool = True, name: str | None = None, **kwargs):
        # Sub-layers in assignment order: Layers, or attribute lists holding Layers (kept by
        # reference, so layers appended later are tracked too).
        object.__setattr__(self, "_layers", [])
        object.__setattr__(self, "_trainable_variables", [])
        object.__setattr__(self, "_non_trainable_variables", [])
        input_shape = kwargs.pop("input_shape", None)
        input_dim = kwargs.pop("input_dim", None)
        batch_size = kwargs.pop("batch_size", None)
        batch_input_shape = kwargs.pop("batch_input_shape", None)
        kwargs.pop("input_length", None)
        if kwargs:
            raise TypeError(
                f"{type(self).__name__}: unrecognized keyword arguments {sorted(kwargs)}"
            )
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        if batch_input_shape is None and input_shape is not None:
            batch_input_shape = (batch_size,) + tuple(input_shape)
        self._batch_input_shape = tuple(batch_input_shape) if batch_input_shape else None
        self.name = name or unique_name(snake_case(type(self).__name__))
        self._dtype = np.dtype(getattr(dtype, "name", dtype) or backend.floatx()).name
        self.autocast = autocast
        self._trainable = bool(trainable)
        self.built = False
        self.input_spec = None
        self.supports_masking = False
        self._losses: list = []
        self._inbound_nodes: list = []
        self._build_shapes = None
        self._output_shape = None
        from ember import regularizers

        self.activity_regularizer = regularizers.get(activity_regularizer)
        self._call_params = _call_parameters(type(self).call)
        # Layers that make a mask from their input (Embedding, Masking) override compute_mask.
        self._computes_mask = type(self).compute_mask is not Layer.compute_mask

    # ---- attribute tracking -------------------------------------------------------------
    def __setattr__(self, name: str, value) -> None:
        if not name.startswith("__") and "_layers" in self.__dict__:
            if isinstance(value, Layer) and value is not self:
                if value not in self._layers:
                    self._layers.append(value)
            elif isinstance(value, list) and not name.startswith("_"):
                if not any(entry is value for entry in self._layers):
                    self._layers.append(value)
            elif isinstance(value, tuple) and not name.startswith("_"):
                for item in value:
                    if isinstance(item, Layer) and item not in self._layers:
                        self._layers.append(item)
            elif isinstance(value, Variable):
                self._track_variable(value)
        object.__setattr__(self, name, value)

    def _track_variable(self, variable: Variable) -> None:
        if any(v is variable for v in self._trainable_variables + self._non_trainable_variables):
            return
        if variable.trainable:
            self._trainable_variables.append(variable)
        else:
            self._non_trainable_variables.append(variable)

    # ---- configuration ------------------------------------------------------------------
    @property
    def dtype(self) -> str:
        return self._dtype

    @property
    def compute_dtype(self) -> str:
        return self._dtype

    @property
    def variable_dtype(self) -> str:
        return self._dtype

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        value = bool(value)
        self._trainable = value
        for v in self._trainable_variables:
            v.trainable = value
        for layer in self._sublayers():
            layer.trainable = value

    @property
    def layers(self) -> list:
        return self._sublayers()

    def _sublayers(self) -> list:
        """Layers assigned as attributes or held in attribute lists, in assignment order."""
        found = []
        for entry in self._layers:
            items = entry if isinstance(entry, list) else (entry,)
            found += [x for x in items if isinstance(x, Layer) and x is not self
                      and not any(x is f for f in found)]
        return found

    def get_config(self) -> dict:
        """The arguments that rebuild this layer with ``from_config``."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = list(self._batch_input_shape)
        if self.activity_regularizer is not None:
            from ember import regularizers

            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        if "batch_input_shape" in config and config["batch_input_shape"] is not None:
            config["batch_input_shape"] = tuple(config["batch_input_shape"])
        return cls(**config)

    # ---- weights ------------------------------------------------------------------------
    def add_weight(self, shape=None, initializer=None, dtype=None, trainable: bool = True,
                   autocast: bool = True, regularizer=None, constraint=None,
                   aggregation: str = "none", name: str | None = None) -> Variable:
        """Create a weight of this layer (a ``Variable`` tracked by the layer)."""
        from ember import constraints, initializers, regularizers

        shape = tuple(int(d) for d in (shape or ()))
        dtype = np.dtype(getattr(dtype, "name", dtype) or self._dtype)
        if initializer is None:
            initializer = "glorot_uniform" if dtype.kind == "f" else "zeros"
        init = initializers.get(initializer)
        variable = Variable(init, shape=shape, dtype=dtype, trainable=trainable,
                            name=name or "variable", aggregation=aggregation)
        variable.path = f"{self.name}/{variable.name}"
        variable.regularizer = regularizers.get(regularizer)
        variable.constraint = constraints.get(constraint)
        if not self._trainable and trainable:
            variable.trainable = False
            self._trainable_variables.append(variable)
        else:
            self._track_variable(variable)
        return variable

    def add_variable(self, shape, initializer, dtype=None, trainable=True, name=None, **kw):
        return self.add_weight(shape=shape, initializer=initializer, dtype=dtype,
                               trainable=trainable, name=name, **kw)

    def _flatten_layers(self, include_self: bool = True) -> list:
        """This layer and all nested layers, depth first, each once."""
        out, seen = [], set()
        stack = [self] if include_self else list(reversed(self._sublayers()))
        while stack:
            layer = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            out.append(layer)
            stack.extend(reversed(layer._sublayers()))
        return out

    @property
    def weights(self) -> list:
        """Every weight, layer by layer (each layer's own, then its sub-layers'), as Keras 3
        orders them: a BatchNormalization's moving statistics follow its gamma and beta."""
        return _unique(v for layer in self._flatten_layers()
                       for v in layer._trainable_variables + layer._non_trainable_variables)

    @property
    def trainable_weights(self) -> list:
        if not self._trainable:
            return []
        return [v for v in self.weights if v.trainable]

    @property
    def non_trainable_weights(self) -> list:
        if not self._trainable:
            return self.weights
        return [v for v in self.weights if not v.trainable]

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights
    variables = weights

    def get_weights(self) -> list:
        """The weights as NumPy arrays, in ``weights`` order."""
        return [np.array(v.numpy(), copy=True) for v in self.weights]

    def set_weights(self, weights) -> None:
        """Set the weights from NumPy arrays in ``weights`` order (shapes must match)."""
        params = self.weights
        if len(params) != len(weights):
            raise ValueError(
                f"{type(self).__name__} '{self.name}': expected {len(params)} weight arrays, "
                f"received {len(weights)}"
            )
        for v, w in zip(params, weights):
            w = np.asarray(w)
            if tuple(v.shape) != w.shape:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': weight '{v.path}' has shape "
                    f"{tuple(v.shape)}, received an array of shape {w.shape}"
                )
            v.assign(w)

    def count_params(self) -> int:
        if not self.built:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': count_params needs a built layer; "
                "call it on data or call build(input_shape) first"
            )
        return int(sum(np.prod(v.shape) for v in self.weights))

    # ---- losses -------------------------------------------------------------------------
    def add_loss(self, loss) -> None:
        """Add a loss tensor (for instance an activity penalty) to this call's losses."""
        self._losses.append(loss)

    @property
    def losses(self) -> list:
        """Losses from the last call (``add_loss``) plus current weight regularization."""
        out = []
        for layer in self._flatten_layers():
            out += layer._losses
            for v in layer._trainable_variables + layer._non_trainable_variables:
                if v.regularizer is not None and v.trainable:
                    out.append(v.regularizer(v))
        return out

    def _clear_losses(self) -> None:
        for layer in self._flatten_layers():
            if layer._losses:
                layer._losses = []

    # ---- building and calling -----------------------------------------------------------
    def build(self, input_shape) -> None:
        """Create the weights for inputs of ``input_shape``; the base creates none."""
        self.built = True

    def _maybe_build(self, shapes) -> None:
        if self.built:
            return
        self._build_shapes = shapes
        self.build(shapes)
        self.built = True

    def call(self, inputs, *args, **kwargs):
        """The layer's computation; the base returns its input unchanged."""
        return inputs

    def compute_mask(self, inputs, previous_mask=None):
        return previous_mask if self.supports_masking else None

    def __call__(self, *args, **kwargs):
        if args and any_symbolic(args[0]):
            return self._symbolic_call(*args, **kwargs)
        if not args:
            raise TypeError(f"{type(self).__name__} '{self.name}': called without inputs")
        dtype = self._dtype if self.autocast else None
        first = args[0]
        if isinstance(first, Tensor) and (dtype is None or first.data.dtype == dtype
                                          or first.data.dtype.kind != "f"):
            inputs = first
        else:
            inputs = tree.map_structure(lambda x: _to_tensor(x, dtype), first)
        shapes = tree.map_structure(lambda t: tuple(t.shape), inputs)
        if not self.built:
            self._maybe_build(_unwrap_single(shapes))
        if self.input_spec is not None and not isinstance(inputs, (list, tuple, dict)):
            assert_input_compatibility(self.input_spec, inputs.shape, self)
        return self._call_in_context(inputs, args[1:], kwargs)

    def _call_in_context(self, inputs, args, kwargs):
        stack = getattr(_CALL_CONTEXT, "stack", None)
        if stack is None:
            stack = _CALL_CONTEXT.stack = []
        training = kwargs.get("training")
        if training is None:
            training = stack[-1] if stack else False
        if "training" in self._call_params:
            kwargs["training"] = training
        else:
            kwargs.pop("training", None)
        mask = kwargs.get("mask")
        if mask is None:
            mask = _input_mask(inputs)
            if mask is not None and "mask" in self._call_params:
                kwargs["mask"] = mask
        elif "mask" not in self._call_params:
            kwargs.pop("mask")
        outermost = not stack
        if outermost:
            self._clear_losses()
        stack.append(training)
        try:
            outputs = self.call(inputs, *args, **kwargs)
        finally:
            stack.pop()
        if mask is not None or self._computes_mask:
            _attach_mask(outputs, self.compute_mask(inputs, mask))
        if self.activity_regularizer is not None:
            for out in tree.flatten(outputs):
                penalty = self.activity_regularizer(out)
                self.add_loss(penalty / max(out.shape[0], 1) if out.ndim else penalty)
        return outputs

    def compute_output_shape(self, input_shape):
        """Output shape for ``input_shape`` (``None`` for unknown sizes). The default runs the
        layer on small zero inputs; layers override it when the shape follows directly."""
        return self._shape_by_running(input_shape)

    def _shape_by_running(self, input_shape):
        """Run ``call`` twice on zeros, unknown sizes set to 2 then 3: axes that change are
        unknown in the output."""
        runs = []
        dtype = getattr(self, "_dummy_dtype", None) or self._dtype
        for fill in (2, 3):
            dummy = _dummy_inputs(input_shape, fill, dtype)
            with no_grad():
                out = self._call_in_context(dummy, (), {"training": False})
            runs.append([tuple(t.shape) for t in tree.flatten(out)])
        merged = [tuple(x if x == y else None for x, y in zip(a, b))
                  for a, b in zip(runs[0], runs[1])]
        return merged[0] if len(merged) == 1 else merged

    def _symbolic_call(self, *args, **kwargs):
        inputs = args[0]
        shapes = tree.map_structure(lambda t: t.shape if isinstance(t, KerasTensor) else t,
                                    inputs)
        shapes = _unwrap_single(shapes)
        if not self.built:
            self._maybe_build(shapes)
        if self.input_spec is not None and isinstance(inputs, KerasTensor):
            assert_input_compatibility(self.input_spec, inputs.shape, self)
        self._dummy_dtype = tree.flatten(inputs)[0].dtype
        out_shapes = self.compute_output_shape(shapes)
        node = Node(self, args, kwargs, [])
        flat_shapes = _flat_shapes(out_shapes)
        outputs = [KerasTensor(s, self._dtype, name=self.name, node=node, index=i)
                   for i, s in enumerate(flat_shapes)]
        node.outputs = outputs
        self._inbound_nodes.append(node)
        self._output_shape = out_shapes
        if isinstance(out_shapes, list) or (isinstance(out_shapes, tuple) and out_shapes
                                             and isinstance(out_shapes[0], (tuple, list))):
            return list(outputs) if isinstance(out_shapes, list) else tuple(outputs)
        return outputs[0]

    # ---- introspection ------------------------------------------------------------------
    @property
    def input(self):
        if not self._inbound_nodes:
            raise AttributeError(f"Layer '{self.name}' has not been called on a symbolic input")
        return _unwrap_single(self._inbound_nodes[0].args[0])

    @property
    def output(self):
        if not self._inbound_nodes:
            raise AttributeError(f"Layer '{self.name}' has not been called on a symbolic input")
        outs = self._inbound_nodes[0].outputs
        return outs[0] if len(outs) == 1 else outs

    @property
    def output_shape(self):
        if self._output_shape is None:
            raise AttributeError(f"Layer '{self.name}' has no defined output shape yet")
        return self._output_shape

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _input_mask(inputs):
    """The ``_keras_mask`` of the input tensor(s): one mask, a list, or None."""
    if isinstance(inputs, Tensor):
        return inputs._keras_mask
    if isinstance(inputs, (list, tuple)):
        masks = [getattr(t, "_keras_mask", None) for t in inputs]
        return masks if any(m is not None for m in masks) else None
    return None


def _attach_mask(outputs, mask) -> None:
    if isinstance(outputs, Tensor):
        outputs._keras_mask = mask
    elif isinstance(outputs, (list, tuple)):
        masks = mask if isinstance(mask, (list, tuple)) else [mask] * len(outputs)
        for out, m in zip(outputs, masks):
            if isinstance(out, Tensor):
                out._keras_mask = m


def _call_parameters(call) -> frozenset:
    params = inspect.signature(call).parameters
    names = set(params)
    if any(p.kind == p.VAR_KEYWORD for p in params.values()):
        names |= {"training", "mask"}
    return frozenset(names)


def _to_tensor(x, dtype=None):
    """``x`` as a Tensor; float inputs of another float dtype are cast to ``dtype`` (the
    layer's), and NumPy float64 data to floatx when no dtype is given."""
    if isinstance(x, KerasTensor):
        raise TypeError("A symbolic input reached an eager call")
    if isinstance(x, Tensor):
        if dtype is not None and x.data.dtype.kind == "f" and x.data.dtype != dtype:
            from ember.ops.math import cast

            return cast(x, dtype)
        return x
    arr = np.asarray(x) if not hasattr(x, "dtype") else x
    if arr.dtype.kind == "f" and arr.dtype != (dtype or backend.floatx()):
        arr = arr.astype(dtype or backend.floatx())
    return Tensor(arr)


def _unwrap_single(x):
    if isinstance(x, (list, tuple)) and len(x) == 1 and not isinstance(x[0], (int, type(None))):
        return x[0]
    return x


def _is_shape(x) -> bool:
    return isinstance(x, (tuple, list)) and all(d is None or isinstance(d, (int, np.integer))
                                                for d in x)


def _dummy_inputs(shapes, fill: int, dtype):
    """Zero tensors shaped like ``shapes`` (nested), unknown sizes set to ``fill``."""
    if _is_shape(shapes):
        concrete = tuple(fill if d is None else int(d) for d in shapes)
        return Tensor(backend.xp().zeros(concrete, dtype=dtype))
    if isinstance(shapes, dict):
        return {k: _dummy_inputs(v, fill, dtype) for k, v in shapes.items()}
    return [_dummy_inputs(v, fill, dtype) for v in shapes]


def _flat_shapes(shapes) -> list:
    if _is_shape(shapes):
        return [tuple(shapes)]
    if isinstance(shapes, dict):
        return [s for k in sorted(shapes) for s in _flat_shapes(shapes[k])]
    return [s for item in shapes for s in _flat_shapes(item)]


def _unique(items) -> list:
    seen, out = set(), []
    for v in items:
        if id(v) not in seen:
            seen.add(id(v))
            out.append(v)
    return out
