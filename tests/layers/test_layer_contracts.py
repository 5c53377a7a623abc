"""The layer contract (``layer_contract.check_layer``) applied to every layer in
``ember.layers``, in several configurations each."""

from __future__ import annotations

import inspect

import pytest
from layer_contract import check_layer

import ember
from ember import layers


@pytest.fixture(autouse=True)
def _seeded():
    ember.utils.set_random_seed(7)


def double(x):
    return x * 2.0


def _make(cls, *args, **config):
    """A factory ``f(**kwargs)`` building ``cls(*args, **config, **kwargs)``."""
    return lambda **kwargs: cls(*args, **config, **kwargs)


CASES = [
    # core
    ("Dense", _make(layers.Dense, 4), (3, 5), (3, 4), 2, {}),
    ("Dense-no-bias", _make(layers.Dense, 4, use_bias=False), (3, 5), (3, 4), 1, {}),
    ("Dense-tanh", _make(layers.Dense, 3, activation="tanh"), (2, 5), (2, 3), 2, {}),
    ("Dense-sigmoid-reg", _make(layers.Dense, 2, activation="sigmoid", kernel_regularizer="l2",
                                bias_initializer="ones"), (2, 3), (2, 2), 2, {}),
    ("Dense-3d", _make(layers.Dense, 3), (2, 4, 5), (2, 4, 3), 2, {}),
    ("Activation-tanh", _make(layers.Activation, "tanh"), (2, 3), (2, 3), 0, {}),
    ("Activation-softmax", _make(layers.Activation, "softmax"), (2, 4), (2, 4), 0, {}),
    ("Identity", _make(layers.Identity), (2, 3, 2), (2, 3, 2), 0, {}),
    ("Lambda", _make(layers.Lambda, double), (2, 3), (2, 3), 0,
     {"custom_objects": {"double": double}}),
    # activation
    ("ReLU", _make(layers.ReLU), (3, 4), (3, 4), 0, {}),
    ("ReLU-options", _make(layers.ReLU, max_value=0.8, negative_slope=0.1, threshold=0.3),
     (3, 4), (3, 4), 0, {}),
    ("LeakyReLU", _make(layers.LeakyReLU), (3, 4), (3, 4), 0, {}),
    ("LeakyReLU-0.1", _make(layers.LeakyReLU, negative_slope=0.1), (2, 3, 2), (2, 3, 2), 0, {}),
    ("PReLU", _make(layers.PReLU, alpha_initializer="ones"), (3, 4), (3, 4), 1, {}),
    ("PReLU-shared", _make(layers.PReLU, shared_axes=[1]), (2, 3, 4), (2, 3, 4), 1, {}),
    ("ELU", _make(layers.ELU), (3, 4), (3, 4), 0, {}),
    ("ELU-0.5", _make(layers.ELU, alpha=0.5), (3, 4), (3, 4), 0, {}),
    ("Softmax", _make(layers.Softmax), (3, 4), (3, 4), 0, {}),
    ("Softmax-axis1", _make(layers.Softmax, axis=1), (2, 3, 4), (2, 3, 4), 0, {}),
    ("Softmax-axes", _make(layers.Softmax, axis=[1, 2]), (2, 3, 4), (2, 3, 4), 0, {}),
    ("Swish", _make(layers.Swish, beta=1.5), (3, 4), (3, 4), 1, {}),
    ("Swish-fixed", _make(layers.Swish, trainable_beta=False), (3, 4), (3, 4), 1,
     {"n_trainable": 0}),
    # merge
    ("Add", _make(layers.Add), [(2, 3), (2, 3)], (2, 3), 0, {}),
    ("Add-three", _make(layers.Add), [(2, 3), (2, 3), (2, 3)], (2, 3), 0, {}),
    ("Add-broadcast", _make(layers.Add), [(2, 3, 4), (2, 1, 4)], (2, 3, 4), 0, {}),
    ("Add-ranks", _make(layers.Add), [(2, 4), (2, 3, 4)], (2, 3, 4), 0, {}),
    ("Subtract", _make(layers.Subtract), [(2, 3), (2, 3)], (2, 3), 0, {}),
    ("Multiply", _make(layers.Multiply), [(2, 3), (2, 3), (2, 3)], (2, 3), 0, {}),
    ("Average", _make(layers.Average), [(2, 3), (2, 3)], (2, 3), 0, {}),
    ("Maximum", _make(layers.Maximum), [(2, 3), (2, 3), (2, 3)], (2, 3), 0, {}),
    ("Minimum", _make(layers.Minimum), [(2, 3), (2, 3)], (2, 3), 0, {}),
    ("Concatenate", _make(layers.Concatenate), [(2, 3), (2, 4)], (2, 7), 0, {}),
    ("Concatenate-axis1", _make(layers.Concatenate, axis=1), [(2, 3, 4), (2, 1, 4)], (2, 4, 4),
     0, {}),
    ("Dot", _make(layers.Dot, axes=1), [(2, 3), (2, 3)], (2, 1), 0, {}),
    ("Dot-pair", _make(layers.Dot, axes=(1, 2)), [(2, 3, 5), (2, 4, 3)], (2, 5, 4), 0, {}),
    ("Dot-normalize", _make(layers.Dot, axes=-1, normalize=True), [(2, 4), (2, 4)], (2, 1), 0,
     {}),
    ("Dot-rank3-rank2", _make(layers.Dot, axes=(2, 1)), [(2, 3, 4), (2, 4)], (2, 3), 0, {}),
    # reshaping
    ("Flatten", _make(layers.Flatten), (2, 3, 4), (2, 12), 0, {}),
    ("Flatten-channels-first", _make(layers.Flatten, data_format="channels_first"),
     (2, 3, 2, 2), (2, 12), 0, {}),
    ("Flatten-rank1", _make(layers.Flatten), (3,), (3, 1), 0, {}),
    ("Reshape", _make(layers.Reshape, (4, 3)), (2, 12), (2, 4, 3), 0, {}),
    ("Reshape-infer", _make(layers.Reshape, (-1, 2)), (2, 3, 4), (2, 6, 2), 0, {}),
    ("Permute", _make(layers.Permute, (2, 1)), (2, 3, 4), (2, 4, 3), 0, {}),
    ("Permute-3", _make(layers.Permute, (3, 1, 2)), (2, 3, 4, 5), (2, 5, 3, 4), 0, {}),
    ("RepeatVector", _make(layers.RepeatVector, 3), (2, 4), (2, 3, 4), 0, {}),
    # regularization
    ("Dropout", _make(layers.Dropout, 0.5), (4, 5), (4, 5), 0,
     {"training_changes_output": True}),
    ("Dropout-noise-shape", _make(layers.Dropout, 0.5, noise_shape=(None, 1, 4), seed=3),
     (3, 2, 4), (3, 2, 4), 0, {"training_changes_output": True}),
    ("Dropout-zero", _make(layers.Dropout, 0.0), (4, 5), (4, 5), 0, {}),
    ("SpatialDropout1D", _make(layers.SpatialDropout1D, 0.5, seed=3), (4, 5, 6), (4, 5, 6), 0,
     {"training_changes_output": True}),
    ("SpatialDropout2D", _make(layers.SpatialDropout2D, 0.5, seed=3), (4, 3, 3, 6),
     (4, 3, 3, 6), 0, {"training_changes_output": True}),
    ("SpatialDropout3D", _make(layers.SpatialDropout3D, 0.5, seed=3), (4, 2, 2, 2, 6),
     (4, 2, 2, 2, 6), 0, {"training_changes_output": True}),
    ("GaussianNoise", _make(layers.GaussianNoise, 0.1, seed=1), (4, 5), (4, 5), 0,
     {"training_changes_output": True}),
    ("GaussianDropout", _make(layers.GaussianDropout, 0.3), (4, 5), (4, 5), 0,
     {"training_changes_output": True}),
    ("AlphaDropout", _make(layers.AlphaDropout, 0.2, seed=2), (4, 5), (4, 5), 0,
     {"training_changes_output": True}),
    ("ActivityRegularization", _make(layers.ActivityRegularization, l1=0.01, l2=0.02), (4, 5),
     (4, 5), 0, {}),
]


@pytest.mark.parametrize(("factory", "shape", "expected", "n_weights", "extra"),
                         [pytest.param(*case[1:], id=case[0]) for case in CASES])
def test_layer_contract(factory, shape, expected, n_weights, extra):
    check_layer(factory, shape, expected_output_shape=expected, n_weights=n_weights, **extra)


def test_every_layer_has_a_contract_case():
    """A layer added to ember.layers without a contract case fails here."""
    covered = {type(factory()).__name__ for _, factory, *_ in CASES}
    public = {name for name, obj in vars(layers).items()
              if inspect.isclass(obj) and issubclass(obj, layers.Layer)
              and name not in ("Layer", "InputLayer") and not name.startswith("_")}
    mine_and_core = {name for name in public
                     if vars(layers)[name].__module__.rsplit(".", 1)[-1]
                     in ("core", "activation", "merge", "reshaping", "regularization")}
    assert mine_and_core - covered == set()
