"""The ``Layer`` base: naming, lazy build, input specs, tracking, freezing, losses, weights,
and custom layers written as in the Keras guide."""

from __future__ import annotations

import numpy as np
import pytest
from layer_contract import check_layer

import ember
from ember import layers, ops
from ember.layers import Input


@pytest.fixture(autouse=True)
def _fresh_session():
    ember.utils.clear_session()
    ember.utils.set_random_seed(0)


# ---- custom layers from the Keras guide "Making new layers and models via subclassing" --


@ember.saving.register_serializable(package="guide")
class Linear(layers.Layer):
    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                 initializer="random_normal", trainable=True, name="w")
        self.b = self.add_weight(shape=(self.units,), initializer="random_normal",
                                 trainable=True, name="b")

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units})
        return config


class ComputeSum(layers.Layer):
    def __init__(self, input_dim):
        super().__init__()
        self.total = self.add_weight(initializer="zeros", shape=(input_dim,), trainable=False)

    def call(self, inputs):
        self.total.assign_add(ops.sum(inputs, axis=0))
        return self.total


class ActivityRegularizationLayer(layers.Layer):
    def __init__(self, rate=1e-2):
        super().__init__()
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.mean(inputs))
        return inputs


class OuterLayer(layers.Layer):
    def __init__(self):
        super().__init__()
        self.activity_reg = ActivityRegularizationLayer(1e-2)

    def call(self, inputs):
        return self.activity_reg(inputs)


class MLPBlock(layers.Layer):
    def __init__(self):
        super().__init__()
        self.linear_1 = Linear(32)
        self.linear_2 = Linear(32)
        self.linear_3 = Linear(1)

    def call(self, inputs):
        x = ops.relu(self.linear_1(inputs))
        x = ops.relu(self.linear_2(x))
        return self.linear_3(x)


def test_guide_linear_layer_computes_and_learns():
    layer = Linear(4)
    x = np.random.default_rng(0).normal(size=(2, 3)).astype("float32")
    y = layer(ember.tensor(x))
    w, b = layer.get_weights()
    np.testing.assert_allclose(y.numpy(), x @ w + b, rtol=1e-5)
    y.sum().backward()
    np.testing.assert_allclose(layer.w.grad.numpy(), np.repeat(x.sum(0)[:, None], 4, axis=1),
                               rtol=1e-5)
    assert [v.path for v in layer.weights] == ["linear/w", "linear/b"]


def test_guide_linear_layer_meets_the_contract():
    check_layer(lambda **kwargs: Linear(3, **kwargs), (2, 4), expected_output_shape=(2, 3),
                n_weights=2)


def test_guide_linear_layer_symbolic_shape_without_compute_output_shape():
    out = Linear(5)(Input((7,)))
    assert out.shape == (None, 5)


def test_guide_non_trainable_weight_in_init():
    layer = ComputeSum(2)
    x = ember.ones(2, 2)
    layer(x)
    y = layer(x)
    np.testing.assert_array_equal(y.numpy(), [4.0, 4.0])
    assert layer.weights == [layer.total]
    assert layer.trainable_weights == [] and layer.non_trainable_weights == [layer.total]


def test_guide_nested_add_loss_is_collected_and_reset():
    layer = OuterLayer()
    assert layer.losses == []
    layer(ember.ones(1, 1))
    assert len(layer.losses) == 1
    layer(ember.ones(1, 1))
    assert len(layer.losses) == 1, "losses are reset at the start of every top-level call"
    np.testing.assert_allclose(float(layer.losses[0].numpy()), 1e-2)


def test_guide_mlp_block_tracks_nested_weights():
    mlp = MLPBlock()
    y = mlp(ember.ones(3, 64))
    assert y.shape == (3, 1)
    assert len(mlp.weights) == 6 and len(mlp.trainable_weights) == 6
    assert mlp.count_params() == 64 * 32 + 32 + 32 * 32 + 32 + 32 + 1


# ---- naming, building, input specs --------------------------------------------------------


def test_automatic_names_count_per_class():
    names = [layers.Dense(2).name, layers.Dense(2).name, layers.Dropout(0.1).name,
             layers.Dense(2).name, layers.Dense(2, name="head").name]
    assert names == ["dense", "dense_1", "dropout", "dense_2", "head"]
    ember.utils.clear_session()
    assert layers.Dense(2).name == "dense"


def test_build_happens_on_first_call():
    layer = layers.Dense(3)
    assert not layer.built and layer.weights == []
    layer(ember.ones(2, 5))
    assert layer.built
    assert layer.kernel.shape == (5, 3) and layer.bias.shape == (3,)


def test_explicit_build_and_input_shape_argument():
    layer = layers.Dense(3)
    layer.build((None, 4))
    assert layer.kernel.shape == (4, 3)
    layer = layers.Dense(3, input_shape=(6,))
    assert layer.get_config()["batch_input_shape"] == [None, 6]


def test_input_spec_error_names_layer_and_both_shapes():
    layer = layers.Dense(10)
    layer(ember.ones(128, 784))
    with pytest.raises(ValueError) as info:
        layer(ember.ones(128, 28, 28))
    assert str(info.value) == (
        "Dense 'dense': expected last axis 784, got input of shape (128, 28, 28)"
    )
    with pytest.raises(ValueError, match=r"Dense 'dense_1': expected input with ndim >= 2, "
                                         r"got input of shape \(5,\)"):
        layers.Dense(10)(ember.ones(5))


def test_input_spec_error_in_symbolic_call():
    layer = layers.Dense(10)
    layer(Input((784,)))
    with pytest.raises(ValueError, match=r"Dense 'dense': expected last axis 784, got input "
                                         r"of shape \(None, 28\)"):
        layer(Input((28,)))


def test_unknown_constructor_argument_is_an_error():
    with pytest.raises(TypeError, match="Dense"):
        layers.Dense(3, unitz=4)


# ---- tracking and freezing ----------------------------------------------------------------


class Tower(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.stem = layers.Dense(4)
        self.blocks = [layers.Dense(4), layers.Dense(4, use_bias=False)]
        self.head = layers.Dense(1)

    def call(self, inputs):
        x = self.stem(inputs)
        for block in self.blocks:
            x = block(x)
        return self.head(x)


def test_nested_layers_tracked_through_attributes_and_lists():
    tower = Tower()
    assert tower.layers == [tower.stem, *tower.blocks, tower.head]
    tower(ember.ones(2, 3))
    assert len(tower.weights) == 7
    own = {id(w) for layer in tower.layers for w in layer.weights}
    assert {id(w) for w in tower.weights} == own


def test_trainable_false_freezes_weights():
    tower = Tower()
    tower(ember.ones(2, 3))
    tower.trainable = False
    assert tower.trainable_weights == []
    assert len(tower.non_trainable_weights) == 7
    assert not any(w.requires_grad for w in tower.weights)
    assert not tower.stem.trainable
    out = tower(ember.tensor(np.ones((2, 3), dtype="float32"), requires_grad=True))
    out.sum().backward()
    assert all(w.grad is None for w in tower.weights)
    tower.trainable = True
    assert len(tower.trainable_weights) == 7
    assert all(w.requires_grad for w in tower.weights)


def test_freezing_one_nested_layer():
    tower = Tower()
    tower(ember.ones(2, 3))
    tower.stem.trainable = False
    assert len(tower.trainable_weights) == 5
    assert set(map(id, tower.non_trainable_weights)) == set(map(id, tower.stem.weights))


def test_layer_created_frozen_builds_non_trainable_weights():
    layer = layers.Dense(3, trainable=False)
    layer(ember.ones(2, 2))
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 2
    assert not layer.kernel.requires_grad


def test_non_trainable_weight_stays_non_trainable_after_unfreezing():
    layer = layers.Swish(trainable_beta=False, trainable=False)
    layer(ember.ones(2, 3))
    layer.trainable = True
    assert layer.trainable_weights == []
    assert not layer.beta.requires_grad


# ---- losses -------------------------------------------------------------------------------


def test_weight_regularizers_appear_in_losses():
    layer = layers.Dense(3, kernel_regularizer=ember.regularizers.L2(0.1),
                         bias_regularizer=ember.regularizers.L1(0.5),
                         bias_initializer="ones")
    layer(ember.ones(2, 4))
    assert len(layer.losses) == 2
    kernel = layer.kernel.numpy()
    values = sorted(float(loss.numpy()) for loss in layer.losses)
    np.testing.assert_allclose(values, sorted([0.1 * np.sum(kernel**2), 0.5 * 3]), rtol=1e-5)
    layer.trainable = False
    assert layer.losses == [], "frozen weights are not regularized"


def test_activity_regularizer_argument_adds_a_loss():
    layer = layers.Dense(2, activity_regularizer="l2", kernel_initializer="ones")
    layer(ember.ones(1, 3))
    assert len(layer.losses) == 1
    np.testing.assert_allclose(float(layer.losses[0].numpy()), 0.01 * 2 * 9, rtol=1e-5)


def test_activity_regularizer_on_a_scalar_output():
    class Total(layers.Layer):
        def call(self, inputs):
            return ops.sum(inputs)

    layer = Total(activity_regularizer=ember.regularizers.L1(0.5))
    layer(ember.ones(2, 3))
    np.testing.assert_allclose(float(layer.losses[0].numpy()), 3.0)


def test_losses_of_nested_layers_are_collected():
    class WithReg(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = layers.Dense(2, kernel_regularizer="l2")
            self.act = layers.ActivityRegularization(l1=1.0)

        def call(self, inputs):
            return self.act(self.inner(inputs))

    layer = WithReg()
    layer(ember.ones(1, 3))
    assert len(layer.losses) == 2


# ---- weights --------------------------------------------------------------------------------


def test_get_and_set_weights_round_trip():
    a, b = layers.Dense(3), layers.Dense(3)
    x = ember.randn(2, 4)
    a(x)
    b(x)
    b.set_weights(a.get_weights())
    np.testing.assert_array_equal(b(x).numpy(), a(x).numpy())


def test_get_weights_returns_copies():
    layer = layers.Dense(3, kernel_initializer="ones")
    layer(ember.ones(2, 4))
    snapshot = layer.get_weights()
    layer.kernel.assign_sub(np.ones((4, 3), dtype="float32"))
    np.testing.assert_array_equal(snapshot[0], np.ones((4, 3)))


def test_set_weights_errors_name_layer_and_shapes():
    layer = layers.Dense(3, name="proj")
    layer(ember.ones(2, 4))
    with pytest.raises(ValueError, match=r"Dense 'proj': expected 2 weight arrays, received 1"):
        layer.set_weights([np.zeros((4, 3))])
    with pytest.raises(ValueError, match=r"Dense 'proj': weight 'proj/kernel' has shape "
                                         r"\(4, 3\), received an array of shape \(3, 4\)"):
        layer.set_weights([np.zeros((3, 4)), np.zeros(3)])


def test_count_params():
    layer = layers.Dense(3)
    with pytest.raises(ValueError, match="Dense 'dense': count_params needs a built layer"):
        layer.count_params()
    layer(ember.ones(2, 5))
    assert layer.count_params() == 5 * 3 + 3
    assert layers.Dense(3, use_bias=False)(ember.ones(1, 5)) is not None
    assert layers.Dropout(0.5).count_params() == 0


def test_weights_follow_layer_dtype():
    layer = layers.Dense(2, dtype="float64")
    y = layer(ember.tensor(np.ones((1, 3))))
    assert layer.kernel.dtype == np.float64 and y.dtype == np.float64
    y32 = layers.Dense(2)(ember.ones(1, 3))
    assert y32.dtype == np.float32
