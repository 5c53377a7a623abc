"""Normalization layers: the layer contract for each, batch norm's training and inference
outputs and moving-statistics updates by hand (masked too), batch renormalization's r, d and
renorm statistics by hand, gradchecks in training mode, values against NumPy, float32,
configs and errors."""

import norm_reference as ref
import numpy as np
import pytest
from layer_contract import check_layer

import ember
from ember import layers
from ember.initializers import Constant


@pytest.fixture(autouse=True)
def _seeded():
    ember.utils.set_random_seed(3)


def _make(cls, **config):
    return lambda **kwargs: cls(**config, **kwargs)


# BatchNormalization's output changes with `training`, so its contract runs with
# training_changes_output=True, which asks for the identity in inference: moving mean 0 and
# moving_variance + epsilon = 1 exactly.
_IDENTITY = {"epsilon": 0.5, "moving_variance_initializer": Constant(0.5)}

CONTRACT = [
    ("BatchNormalization", _make(layers.BatchNormalization, **_IDENTITY), (5, 3), 4, 2),
    ("BatchNormalization-conv", _make(layers.BatchNormalization, **_IDENTITY), (3, 2, 2, 4),
     4, 2),
    ("BatchNormalization-axis1-no-affine",
     _make(layers.BatchNormalization, axis=1, center=False, scale=False, **_IDENTITY),
     (4, 3, 2), 2, 0),
    ("BatchNormalization-renorm",
     _make(layers.BatchNormalization, renorm=True, renorm_clipping={"rmax": 0.8, "dmax": 0.1},
           **_IDENTITY), (5, 3), 6, 2),
    ("LayerNormalization", _make(layers.LayerNormalization), (3, 5), 2, 2),
    ("LayerNormalization-axes", _make(layers.LayerNormalization, axis=[1, 2]), (2, 3, 4), 2, 2),
    ("LayerNormalization-rms_scaling", _make(layers.LayerNormalization, rms_scaling=True),
     (3, 5), 1, 1),
    ("LayerNormalization-no-affine", _make(layers.LayerNormalization, center=False,
                                           scale=False), (3, 5), 0, 0),
    ("GroupNormalization", _make(layers.GroupNormalization, groups=2), (2, 3, 3, 4), 2, 2),
    ("GroupNormalization-one-group", _make(layers.GroupNormalization, groups=1), (2, 5, 3), 2,
     2),
    ("GroupNormalization-axis1", _make(layers.GroupNormalization, groups=2, axis=1),
     (2, 4, 3), 2, 2),
    ("InstanceNormalization", _make(layers.InstanceNormalization), (2, 3, 3, 4), 2, 2),
    ("RMSNormalization", _make(layers.RMSNormalization), (3, 5), 1, 1),
    ("UnitNormalization", _make(layers.UnitNormalization), (3, 5), 0, 0),
    ("UnitNormalization-axes", _make(layers.UnitNormalization, axis=[1, 2]), (2, 3, 4), 0, 0),
]


@pytest.mark.parametrize("name,factory,shape,n_weights,n_trainable", CONTRACT,
                         ids=[c[0] for c in CONTRACT])
def test_layer_contract(name, factory, shape, n_weights, n_trainable):
    check_layer(factory, shape, expected_output_shape=shape, n_weights=n_weights,
                n_trainable=n_trainable, training_changes_output=name.startswith("Batch"))


# ---- BatchNormalization by hand ---------------------------------------------------------


def _batch(shape=(6, 3), seed=0, loc=1.0, scale=2.0):
    return np.random.default_rng(seed).normal(loc, scale, size=shape).astype("float32")


def _bn(gamma=(1.5, 0.5, 2.0), beta=(0.1, -0.2, 0.3), shape=(None, 3), **config):
    layer = layers.BatchNormalization(**config)
    layer.build(shape)
    layer.gamma.assign(np.array(gamma, "float32"))
    layer.beta.assign(np.array(beta, "float32"))
    return layer


def test_training_step_uses_batch_statistics_and_updates_moving_ones():
    x = _batch()
    layer = _bn(momentum=0.9)
    layer.moving_mean.assign(np.array([0.5, -0.5, 0.0], "float32"))
    y = layer(x, training=True)
    mean, var = x.mean(axis=0), x.var(axis=0)  # biased variance, as Keras 3
    expected = (x - mean) / np.sqrt(var + 1e-3) * layer.gamma.numpy() + layer.beta.numpy()
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.moving_mean.numpy(),
                               np.array([0.5, -0.5, 0.0]) * 0.9 + mean * 0.1, rtol=1e-6)
    np.testing.assert_allclose(layer.moving_variance.numpy(), 0.9 + var * 0.1, rtol=1e-6)
    assert layer.moving_mean.dtype == layer.moving_variance.dtype == np.float32


def test_inference_uses_moving_statistics_and_leaves_them():
    x = _batch()
    layer = _bn()
    moving_mean, moving_var = np.array([1.0, 2.0, -1.0]), np.array([4.0, 0.25, 1.0])
    layer.moving_mean.assign(moving_mean)
    layer.moving_variance.assign(moving_var)
    expected = ref.batch_norm(x, moving_mean, moving_var, offset=layer.beta.numpy(),
                              scale=layer.gamma.numpy())
    for training in (False, None):
        np.testing.assert_allclose(layer(x, training=training).numpy(), expected, rtol=1e-5)
    np.testing.assert_array_equal(layer.moving_mean.numpy(), moving_mean.astype("float32"))


def test_frozen_layer_runs_in_inference_mode():
    """Keras 3: trainable=False makes BatchNormalization use (and keep) its moving
    statistics even when called with training=True."""
    x = _batch()
    layer = _bn()
    inference = layer(x, training=False).numpy()
    layer.trainable = False
    np.testing.assert_array_equal(layer(x, training=True).numpy(), inference)
    np.testing.assert_array_equal(layer.moving_mean.numpy(), np.zeros(3, "float32"))
    layer.trainable = True
    assert not np.allclose(layer(x, training=True).numpy(), inference)


def test_conv_and_channels_first_statistics():
    x = _batch((4, 3, 3, 2), seed=1)
    layer = layers.BatchNormalization(momentum=0.0)
    y = layer(x, training=True)
    np.testing.assert_allclose(y.numpy(), ref.batch_norm_training(x)[0], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.numpy(), x.var(axis=(0, 1, 2)), rtol=1e-5)
    first = layers.BatchNormalization(axis=1, momentum=0.0)
    x1 = np.moveaxis(x, -1, 1)
    y1 = first(x1, training=True)
    np.testing.assert_allclose(y1.numpy(), np.moveaxis(y.numpy(), -1, 1), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(first.moving_mean.numpy(), layer.moving_mean.numpy(), rtol=1e-5)


def test_mask_limits_the_statistics_to_unmasked_steps():
    x = _batch((3, 4, 3), seed=2)
    mask = np.array([[1, 1, 0, 0], [1, 1, 1, 0], [1, 0, 0, 0]], dtype=bool)
    layer = _bn(momentum=0.0, shape=(None, 4, 3))
    y = layer(x, training=True, mask=mask)
    kept = x[mask]  # (6, 3): only the unmasked steps
    mean, var = kept.mean(axis=0), kept.var(axis=0)
    expected = (x - mean) / np.sqrt(var + 1e-3) * layer.gamma.numpy() + layer.beta.numpy()
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(layer.moving_mean.numpy(), mean, rtol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.numpy(), var, rtol=1e-5)
    # Inference ignores the mask, and the mask travels on.
    inference = layer(x, training=False, mask=mask)
    np.testing.assert_array_equal(inference.numpy(), layer(x, training=False).numpy())
    tensor = ember.tensor(x)
    tensor._keras_mask = ember.tensor(mask)
    np.testing.assert_array_equal(layer(tensor, training=False)._keras_mask.numpy(), mask)


def test_mask_of_the_wrong_shape_is_refused():
    layer = layers.BatchNormalization(name="bn_mask")
    with pytest.raises(ValueError, match=r"'bn_mask'.*mask of shape \(3, 4\).*\(3, 4, 1\)"):
        layer(_batch((3, 4, 2)), training=True, mask=np.ones((3, 4, 1), dtype=bool))


def test_renorm_corrections_and_statistics_by_hand():
    """Two steps: r and d from the renorm statistics before each step's update, clipped to
    [rmin, rmax] and [-dmax, dmax]; renorm_mean/renorm_stddev follow renorm_momentum and the
    moving statistics follow momentum."""
    eps, clipping = 1e-3, {"rmax": 1.8, "rmin": 0.9, "dmax": 0.4}
    layer = _bn(momentum=0.8, renorm=True, renorm_clipping=clipping, renorm_momentum=0.5,
                epsilon=eps)
    gamma, beta = layer.gamma.numpy(), layer.beta.numpy()
    renorm_mean, renorm_std = np.zeros(3), np.ones(3)
    moving_mean, moving_var = np.zeros(3), np.ones(3)
    for seed, (loc, scale) in enumerate([(0.3, 2.5), (-0.5, 0.5)]):
        x = _batch(seed=seed, loc=loc, scale=scale)
        mean, var = x.mean(axis=0), x.var(axis=0)
        std = np.sqrt(var + eps)
        sigma = np.maximum(renorm_std, np.sqrt(eps))
        r = np.clip(std / sigma, 0.9, 1.8)
        d = np.clip((mean - renorm_mean) / sigma, -0.4, 0.4)
        expected = gamma * ((x - mean) / std * r + d) + beta
        np.testing.assert_allclose(layer(x, training=True).numpy(), expected, rtol=1e-5,
                                   atol=1e-5)
        renorm_mean = renorm_mean * 0.5 + mean * 0.5
        renorm_std = renorm_std * 0.5 + std * 0.5
        moving_mean = moving_mean * 0.8 + mean * 0.2
        moving_var = moving_var * 0.8 + var * 0.2
        np.testing.assert_allclose(layer.renorm_mean.numpy(), renorm_mean, rtol=1e-5)
        np.testing.assert_allclose(layer.renorm_stddev.numpy(), renorm_std, rtol=1e-5)
        np.testing.assert_allclose(layer.moving_mean.numpy(), moving_mean, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(layer.moving_variance.numpy(), moving_var, rtol=1e-5)
    # Inference: r = 1, d = 0 and the moving statistics.
    x = _batch(seed=5)
    np.testing.assert_allclose(layer(x).numpy(),
                               ref.batch_norm(x, moving_mean, moving_var, -1, beta, gamma, eps),
                               rtol=1e-5, atol=1e-5)


def test_renorm_treats_r_and_d_as_constants():
    """The gradient of the renorm output equals that of gamma * (x_hat * r + d) + beta with
    x_hat from primitive ops and r, d fixed arrays (here unclipped, so they do vary with x)."""
    x = _batch(seed=4).astype("float64")
    layer = layers.BatchNormalization(renorm=True, dtype="float64")
    layer.build((None, 3))
    layer.renorm_mean.assign([0.2, -0.1, 0.4])
    layer.renorm_stddev.assign([1.5, 2.5, 0.8])
    mean, var = x.mean(axis=0), x.var(axis=0)
    sigma = layer.renorm_stddev.numpy()
    r = np.sqrt(var + 1e-3) / sigma
    d = (mean - layer.renorm_mean.numpy()) / sigma
    upstream = np.random.default_rng(9).normal(size=x.shape)
    grads = []
    for fn in (lambda t: layer(t, training=True),
               lambda t: _composite_renorm(t, layer.gamma, layer.beta, r, d)):
        t = ember.tensor(x, requires_grad=True)
        layer.gamma.grad = layer.beta.grad = None
        (fn(t) * ember.tensor(upstream)).sum().backward()
        grads.append([t.grad.numpy(), layer.gamma.grad.numpy(), layer.beta.grad.numpy()])
    for fused, composite in zip(*grads):
        np.testing.assert_allclose(fused, composite, rtol=1e-9, atol=1e-12)


def _composite_renorm(x, gamma, beta, r, d, epsilon=1e-3):
    mean = ember.ops.mean(x, axis=0, keepdims=True)
    centered = x - mean
    variance = ember.ops.mean(ember.ops.square(centered), axis=0, keepdims=True)
    x_hat = centered * ember.ops.rsqrt(variance + epsilon)
    return gamma * (x_hat * ember.tensor(r) + ember.tensor(d)) + beta


@pytest.mark.parametrize("config,mask", [
    ({}, None),
    ({"axis": 1}, None),
    ({}, np.array([[1, 1, 0], [0, 1, 1]], dtype=bool)),
    # Clipped corrections are locally constant; renorm_momentum=1 keeps the renorm
    # statistics fixed across gradcheck's evaluations.
    ({"renorm": True, "renorm_momentum": 1.0,
      "renorm_clipping": {"rmax": 1.2, "rmin": 1.1, "dmax": 0.1}}, None),
], ids=["plain", "axis1", "mask", "renorm"])
def test_training_mode_gradcheck(config, mask):
    """float64 gradients through the batch statistics, with respect to x, gamma and beta."""
    layer = layers.BatchNormalization(dtype="float64", beta_initializer="ones",
                                      gamma_initializer=Constant(1.5), **config)
    x = ember.tensor(_batch((2, 3, 4), seed=6, loc=2.0, scale=3.0).astype("float64"),
                     requires_grad=True)
    kwargs = {} if mask is None else {"mask": mask}
    layer(x, training=True, **kwargs)
    assert ember.gradcheck(lambda t, g, b: layer(t, training=True, **kwargs),
                           [x, layer.gamma, layer.beta])


# ---- the other layers against NumPy -----------------------------------------------------


def _set_affine(layer, seed=0):
    rng = np.random.default_rng(seed)
    for w in layer.trainable_weights:
        w.assign(rng.uniform(0.5, 1.5, size=w.shape))
    return [w.numpy() for w in layer.trainable_weights]


def test_layer_normalization_values():
    x = _batch((2, 3, 4), seed=7)
    layer = layers.LayerNormalization(axis=[1, 2])
    layer.build(x.shape)
    gamma, beta = _set_affine(layer)
    assert gamma.shape == (3, 4)
    np.testing.assert_allclose(layer(x).numpy(), ref.layer_norm(x, gamma, beta, axes=(1, 2)),
                               rtol=1e-5, atol=1e-5)
    rms = layers.LayerNormalization(rms_scaling=True)
    rms.build(x.shape)
    (gamma,) = _set_affine(rms)
    np.testing.assert_allclose(rms(x).numpy(), ref.keras_rms_scaling(x, gamma), rtol=1e-5)


def test_group_and_instance_normalization_values():
    x = _batch((2, 3, 3, 6), seed=8)
    group = layers.GroupNormalization(groups=3)
    group.build(x.shape)
    gamma, beta = _set_affine(group)
    np.testing.assert_allclose(group(x).numpy(), ref.group_norm(x, 3, gamma, beta), rtol=1e-5,
                               atol=1e-5)
    instance = layers.InstanceNormalization()
    instance.build(x.shape)
    gamma, beta = _set_affine(instance, seed=1)
    expected = ref.group_norm(x, 6, gamma, beta)
    np.testing.assert_allclose(instance(x).numpy(), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(layers.GroupNormalization(groups=-1)(x).numpy(),
                               ref.group_norm(x, 6), rtol=1e-5, atol=1e-5)


def test_rms_and_unit_normalization_values():
    x = _batch((3, 5), seed=9)
    rms = layers.RMSNormalization()
    rms.build(x.shape)
    (scale,) = _set_affine(rms)
    np.testing.assert_allclose(rms(x).numpy(), ref.rms_norm(x, scale, epsilon=1e-6), rtol=1e-5)
    unit = layers.UnitNormalization()(x).numpy()
    np.testing.assert_allclose(np.linalg.norm(unit, axis=-1), np.ones(3), rtol=1e-6)
    np.testing.assert_allclose(unit, ref.unit_norm(x), rtol=1e-6)


# ---- configs and errors -----------------------------------------------------------------


def test_configs_follow_keras():
    plain = layers.BatchNormalization().get_config()
    assert not {"renorm", "renorm_clipping", "renorm_momentum"} & set(plain)
    assert plain["momentum"] == 0.99 and plain["epsilon"] == 1e-3 and not plain["synchronized"]
    renorm = layers.BatchNormalization(renorm=True, renorm_clipping={"rmax": 3, "dmax": 5})
    config = renorm.get_config()
    assert config["renorm_clipping"] == {"rmax": 3.0, "dmax": 5.0}
    assert layers.BatchNormalization.from_config(config).renorm_clipping == {"rmax": 3.0,
                                                                             "dmax": 5.0}
    assert "groups" not in layers.InstanceNormalization().get_config()
    assert layers.GroupNormalization().get_config()["groups"] == 32
    assert layers.LayerNormalization(axis=(1, 2)).get_config()["axis"] == [1, 2]


@pytest.mark.parametrize("make,shape,error,message", [
    (lambda: layers.BatchNormalization(synchronized=True), None, ValueError, "synchronized"),
    (lambda: layers.BatchNormalization(renorm=True, renorm_clipping={"rmaxx": 2}), None,
     ValueError, "rmaxx"),
    (lambda: layers.BatchNormalization(renorm=True, renorm_clipping={"rmin": 2, "rmax": 1}),
     None, ValueError, "rmin <= rmax"),
    (lambda: layers.BatchNormalization(axis=3, name="bn_axis"), (2, 3), ValueError,
     "'bn_axis': axis 3 is out of bounds"),
    (lambda: layers.GroupNormalization(groups=4, name="gn"), (2, 6), ValueError,
     "'gn': expected groups dividing the 6 channels, received groups=4"),
    (lambda: layers.GroupNormalization(groups=0), None, ValueError, "groups"),
    (lambda: layers.LayerNormalization(axis="last"), None, TypeError, "axis='last'"),
])
def test_errors_name_the_layer(make, shape, error, message):
    with pytest.raises(error, match=message):
        layer = make()
        layer(np.ones(shape, dtype="float32"))


def test_wrong_channel_count_after_build_is_refused():
    layer = layers.BatchNormalization(name="bn_channels")
    layer(np.ones((2, 3), dtype="float32"))
    with pytest.raises(ValueError, match="'bn_channels': expected last axis 3"):
        layer(np.ones((2, 4), dtype="float32"))


def test_unknown_channel_size_is_refused():
    with pytest.raises(ValueError, match="must have a known size"):
        layers.LayerNormalization(name="ln")(ember.Input(shape=(None,)))
