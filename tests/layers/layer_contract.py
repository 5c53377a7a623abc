"""The layer contract every ember layer must meet, as one reusable check.

``check_layer(factory, input_shape, ...)`` builds the layer through ``factory(**kwargs)``
(so the check can ask for ``dtype="float64"``) and verifies:

- the output shape equals ``compute_output_shape`` (and ``expected_output_shape``);
- the counts of ``weights``, ``trainable_weights`` and ``non_trainable_weights``, and that
  trainable weights require grad while the others do not;
- the ``training`` flag: noise layers change their output when ``training=True`` and are
  the identity for ``training=False``/``None``; other layers give the same output either way;
- the config round-trip: the config is JSON-serializable, ``from_config`` (and
  ``ember.layers.deserialize(serialize(layer))``) rebuild a layer with the same config which,
  given the same weights, gives identical outputs;
- a symbolic call on ``ember.Input`` gives a ``KerasTensor`` with a ``None`` batch axis;
- float32 in gives float32 out;
- a float64 central-difference ``ember.gradcheck`` of the output with respect to the
  inputs and every trainable weight.

Tests import it as ``from layer_contract import check_layer`` (pytest puts this folder on
``sys.path``).
"""

from __future__ import annotations

import json

import numpy as np

import ember
from ember.layers import Input
from ember.layers.symbolic import KerasTensor


def check_layer(layer_factory, input_shape, expected_output_shape=None, n_weights: int = 0,
                n_trainable: int | None = None, gradcheck: bool = True,
                training_changes_output: bool = False, input_dtype: str = "float32",
                input_data=None, custom_objects=None, call_kwargs=None):
    """Run the whole layer contract on ``layer_factory(**kwargs)``; returns the layer.

    Args:
        layer_factory: ``factory(**kwargs) -> Layer``; it must pass ``**kwargs`` (``dtype``)
            on to the layer.
        input_shape: One shape with the batch axis, or a list of shapes (merge layers).
        expected_output_shape: The output shape for ``input_shape``, checked when given.
        n_weights: Number of weights once built; ``n_trainable`` of them trainable
            (all of them when None).
        gradcheck: Run the float64 gradient check.
        training_changes_output: True for noise layers (dropout, Gaussian noise).
        input_dtype: dtype of the inputs ("float32", or an integer dtype).
        input_data: Arrays to use instead of random inputs (kept away from kinks).
        custom_objects: Passed as a custom-object scope to ``from_config``.
        call_kwargs: Extra keyword arguments for every call.
    """
    n_trainable = n_weights if n_trainable is None else n_trainable
    call_kwargs = dict(call_kwargs or {})
    multi = _is_shape_list(input_shape)
    shapes = [tuple(s) for s in input_shape] if multi else [tuple(input_shape)]
    arrays = _input_arrays(shapes, input_dtype, input_data)

    def run(layer, arrays_, **kwargs):
        tensors = [ember.tensor(a) for a in arrays_]
        return layer(tensors if multi else tensors[0], **call_kwargs, **kwargs)

    layer = layer_factory()
    out = run(layer, arrays)
    shape_arg = shapes if multi else shapes[0]
    _check_output_shape(layer, out, shape_arg, expected_output_shape)
    _check_weight_counts(layer, n_weights, n_trainable)
    if np.dtype(input_dtype) == np.float32:
        assert out.dtype == np.float32, f"{layer.name}: float32 input gave {out.dtype} output"
    _check_training_flag(layer, arrays, run, training_changes_output, multi)
    _check_config_round_trip(layer, arrays, run, custom_objects)
    _check_symbolic(layer_factory, shapes, multi, input_dtype, call_kwargs,
                    layer.compute_output_shape(shape_arg))
    if gradcheck:
        _check_gradients(layer_factory, shapes, arrays, multi, input_dtype, call_kwargs)
    return layer


def _is_shape_list(shape) -> bool:
    return isinstance(shape, list) and len(shape) > 0 and isinstance(shape[0], (tuple, list))


def _input_arrays(shapes, input_dtype, input_data) -> list:
    if input_data is not None:
        data = input_data if isinstance(input_data, list) else [input_data]
        return [np.asarray(a, dtype=input_dtype) for a in data]
    rng = np.random.default_rng(1234)
    if np.dtype(input_dtype).kind in "iu":
        return [rng.integers(0, 5, size=s).astype(input_dtype) for s in shapes]
    # Magnitudes in [0.2, 1.5] with random signs: away from the kinks at 0 of ReLU-like
    # layers, and with ties between inputs (Maximum, Minimum) of probability zero.
    return [(rng.choice([-1.0, 1.0], size=s) * rng.uniform(0.2, 1.5, size=s)).astype(input_dtype)
            for s in shapes]


def _check_output_shape(layer, out, shape_arg, expected) -> None:
    computed = tuple(layer.compute_output_shape(shape_arg))
    assert tuple(out.shape) == computed, (
        f"{layer.name}: output shape {tuple(out.shape)} != compute_output_shape {computed}"
    )
    if expected is not None:
        assert tuple(out.shape) == tuple(expected), (
            f"{layer.name}: output shape {tuple(out.shape)} != expected {tuple(expected)}"
        )


def _check_weight_counts(layer, n_weights: int, n_trainable: int) -> None:
    assert len(layer.weights) == n_weights, (
        f"{layer.name}: {len(layer.weights)} weights, expected {n_weights}"
    )
    assert len(layer.trainable_weights) == n_trainable, (
        f"{layer.name}: {len(layer.trainable_weights)} trainable weights, expected {n_trainable}"
    )
    assert len(layer.non_trainable_weights) == n_weights - n_trainable
    assert all(w.requires_grad for w in layer.trainable_weights)
    assert not any(w.requires_grad for w in layer.non_trainable_weights)
    assert len(layer.get_weights()) == n_weights


def _check_training_flag(layer, arrays, run, changes: bool, multi: bool) -> None:
    inference = run(layer, arrays, training=False).numpy()
    default = run(layer, arrays).numpy()
    np.testing.assert_array_equal(default, inference,
                                  err_msg=f"{layer.name}: training=None differs from False")
    training = run(layer, arrays, training=True).numpy()
    if changes:
        assert not multi
        np.testing.assert_array_equal(inference, arrays[0],
                                      err_msg=f"{layer.name}: not the identity in inference")
        assert not np.allclose(training, inference), (
            f"{layer.name}: training=True left the output unchanged"
        )
    else:
        np.testing.assert_array_equal(training, inference,
                                      err_msg=f"{layer.name}: training=True changed the output")


def _check_config_round_trip(layer, arrays, run, custom_objects) -> None:
    config = layer.get_config()
    json.dumps(config)
    with ember.saving.custom_object_scope(custom_objects or {}):
        clones = [type(layer).from_config(config),
                  ember.layers.deserialize(ember.layers.serialize(layer))]
    expected = run(layer, arrays, training=False).numpy()
    for clone in clones:
        assert type(clone) is type(layer)
        assert clone.get_config() == config, (
            f"{layer.name}: config changed in the round trip:\n{config}\n{clone.get_config()}"
        )
        run(clone, arrays, training=False)
        clone.set_weights(layer.get_weights())
        np.testing.assert_array_equal(run(clone, arrays, training=False).numpy(), expected)


def _check_symbolic(layer_factory, shapes, multi, input_dtype, call_kwargs, concrete) -> None:
    inputs = [Input(shape=s[1:], dtype=input_dtype) for s in shapes]
    layer = layer_factory()
    out = layer(inputs if multi else inputs[0], **call_kwargs)
    assert isinstance(out, KerasTensor), f"{layer.name}: symbolic call gave {type(out)}"
    expected = (None,) + tuple(concrete[1:])
    assert out.shape == expected, f"{layer.name}: symbolic shape {out.shape} != {expected}"
    if np.dtype(input_dtype) == np.float32:
        assert out.dtype == "float32"


def _check_gradients(layer_factory, shapes, arrays, multi, input_dtype, call_kwargs) -> None:
    layer = layer_factory(dtype="float64")
    float_inputs = np.dtype(input_dtype).kind == "f"
    tensors = [ember.tensor(a.astype("float64") if float_inputs else a,
                            requires_grad=float_inputs) for a in arrays]
    layer(tensors if multi else tensors[0], **call_kwargs)
    weights = list(layer.trainable_weights)
    for w in weights:
        assert w.dtype == np.float64, f"{layer.name}: weight {w.path} is {w.dtype}, not float64"
    n = len(tensors)

    def fn(*args):
        xs = list(args[:n])
        return layer(xs if multi else xs[0], training=False, **call_kwargs)

    checked = tensors + weights
    assert any(getattr(t, "requires_grad", False) for t in checked), "nothing to gradcheck"
    assert ember.gradcheck(fn, checked)
