"""ember.blocks: shapes, weight counts from the papers' formulas, shortcut kinds, the SE
gates and the inception branches, on tiny inputs."""

import numpy as np
import pytest

import ember
from ember import blocks


def _conv(k, c_in, c_out, bias=True):
    return k * k * c_in * c_out + (c_out if bias else 0)


def _bn(c):
    return 4 * c  # gamma, beta, moving mean, moving variance


def _model(block, input_shape=(8, 8, 4), **kwargs):
    inputs = ember.Input(shape=input_shape)
    return ember.Model(inputs, block(inputs, **kwargs))


def _layer_names(model):
    return {layer.name for layer in model.layers}


def test_residual_block_identity_shortcut():
    model = _model(blocks.residual_block, filters=4, name="b")
    assert model.output_shape == (None, 8, 8, 4)
    assert not any("shortcut" in n for n in _layer_names(model))
    add_inputs = model.get_layer("b_add")._inbound_nodes[0].args[0]
    assert add_inputs[0] is model.inputs[0]  # the input itself is added back
    assert model.count_params() == 2 * _conv(3, 4, 4, bias=False) + 2 * _bn(4)


@pytest.mark.parametrize("stride, filters", [(2, 4), (1, 8), (2, 8)])
def test_residual_block_projection_when_shape_changes(stride, filters):
    model = _model(blocks.residual_block, filters=filters, stride=stride, name="b")
    assert model.output_shape == (None, 8 // stride, 8 // stride, filters)
    shortcut = model.get_layer("b_shortcut_conv")
    assert tuple(shortcut.kernel.shape) == (1, 1, 4, filters)
    assert tuple(shortcut.strides) == (stride, stride)
    assert "b_shortcut_bn" in _layer_names(model)
    expected = (_conv(3, 4, filters, bias=False) + _conv(3, filters, filters, bias=False)
                + _conv(1, 4, filters, bias=False) + 3 * _bn(filters))
    assert model.count_params() == expected


def test_residual_block_projection_flag():
    forced = _model(blocks.residual_block, filters=4, projection=True, name="b")
    assert "b_shortcut_conv" in _layer_names(forced)
    with pytest.raises(ValueError, match="projection=False"):
        _model(blocks.residual_block, filters=8, projection=False)
    with pytest.raises(ValueError, match="projection"):
        _model(blocks.residual_block, filters=4, projection="yes")


def test_residual_block_without_batchnorm_has_biases():
    model = _model(blocks.residual_block, filters=8, use_batchnorm=False)
    assert not any(isinstance(layer, ember.layers.BatchNormalization) for layer in model.layers)
    assert model.count_params() == _conv(3, 4, 8) + _conv(3, 8, 8) + _conv(1, 4, 8)


def test_residual_block_with_se_ratio():
    model = _model(blocks.residual_block, filters=8, stride=2, se_ratio=4, name="b")
    assert tuple(model.get_layer("b_se_reduce").kernel.shape) == (8, 2)
    plain = _model(blocks.residual_block, filters=8, stride=2)
    assert model.count_params() == plain.count_params() + (8 * 2 + 2) + (2 * 8 + 8)


def test_bottleneck_block_shapes_and_weights():
    model = _model(blocks.bottleneck_block, input_shape=(8, 8, 8), filters=4, stride=2,
                   name="b")
    assert model.output_shape == (None, 4, 4, 16)
    assert tuple(model.get_layer("b_conv1").kernel.shape) == (1, 1, 8, 4)
    assert tuple(model.get_layer("b_conv2").kernel.shape) == (3, 3, 4, 4)
    assert tuple(model.get_layer("b_conv3").kernel.shape) == (1, 1, 4, 16)
    expected = (_conv(1, 8, 4, False) + _conv(3, 4, 4, False) + _conv(1, 4, 16, False)
                + _conv(1, 8, 16, False) + _bn(4) + _bn(4) + 2 * _bn(16))
    assert model.count_params() == expected

    identity = _model(blocks.bottleneck_block, input_shape=(8, 8, 16), filters=4, name="c")
    assert identity.output_shape == (None, 8, 8, 16)
    assert "c_shortcut_conv" not in _layer_names(identity)


def test_blocks_run_on_real_tensors_and_backpropagate():
    x = ember.tensor(np.random.default_rng(0).normal(size=(2, 6, 6, 4)).astype("float32"),
                     requires_grad=True)
    y = blocks.residual_block(x, 8, stride=2)
    y = blocks.squeeze_excitation_block(y, ratio=4)
    y = blocks.inception_module(y, 2, 2, 3, 1, 2, 1)
    assert isinstance(y, ember.Tensor) and y.shape == (2, 3, 3, 8)
    y.sum().backward()
    assert x.grad is not None and x.grad.shape == (2, 6, 6, 4)
    assert np.isfinite(x.grad.numpy()).all() and np.abs(x.grad.numpy()).sum() > 0


def test_squeeze_excitation_output_is_input_times_channel_gates():
    model = _model(blocks.squeeze_excitation_block, input_shape=(5, 4, 8), ratio=4, name="se")
    assert model.output_shape == (None, 5, 4, 8)
    assert model.count_params() == (8 * 2 + 2) + (2 * 8 + 8)
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(size=w.shape).astype("float32")
                       for w in model.get_weights()])
    x = rng.normal(size=(3, 5, 4, 8)).astype("float32")
    w1, b1 = model.get_layer("se_reduce").get_weights()
    w2, b2 = model.get_layer("se_expand").get_weights()
    squeezed = x.mean(axis=(1, 2))
    gates = 1 / (1 + np.exp(-(np.maximum(squeezed @ w1 + b1, 0) @ w2 + b2)))
    assert gates.min() < 0.4 and gates.max() > 0.6  # gates that really rescale
    out = model.predict(x, verbose=0)
    np.testing.assert_allclose(out, x * gates[:, None, None, :], rtol=1e-5, atol=1e-6)


def test_squeeze_excitation_keeps_at_least_one_unit():
    model = _model(blocks.squeeze_excitation_block, input_shape=(4, 4, 8), ratio=16,
                   name="se")
    assert tuple(model.get_layer("se_reduce").kernel.shape) == (8, 1)


def test_inception_module_concatenates_the_four_branches():
    c_in, f = 6, dict(filters_1x1=3, filters_3x3_reduce=2, filters_3x3=5,
                      filters_5x5_reduce=1, filters_5x5=4, filters_pool_proj=2)
    model = _model(blocks.inception_module, input_shape=(7, 7, c_in), name="inc", **f)
    assert model.output_shape == (None, 7, 7, 3 + 5 + 4 + 2)
    for branch, channels in [("1x1", 3), ("3x3", 5), ("5x5", 4), ("pool_proj", 2)]:
        assert model.get_layer(f"inc_{branch}").output.shape == (None, 7, 7, channels)
    expected = (_conv(1, c_in, 3) + _conv(1, c_in, 2) + _conv(3, 2, 5) + _conv(1, c_in, 1)
                + _conv(5, 1, 4) + _conv(1, c_in, 2))
    assert model.count_params() == expected
    out = model.predict(np.ones((1, 7, 7, c_in), "float32"), verbose=0)
    assert out.shape == (1, 7, 7, 14) and (out >= 0).all()  # every branch ends in ReLU


@pytest.mark.parametrize("block, kwargs", [
    (blocks.residual_block, {"filters": 4}),
    (blocks.bottleneck_block, {"filters": 4}),
    (blocks.squeeze_excitation_block, {}),
    (blocks.inception_module, {"filters_1x1": 1, "filters_3x3_reduce": 1, "filters_3x3": 1,
                               "filters_5x5_reduce": 1, "filters_5x5": 1,
                               "filters_pool_proj": 1}),
])
def test_blocks_reject_inputs_that_are_not_images(block, kwargs):
    with pytest.raises(ValueError, match=rf"{block.__name__}: expected a 4-D .*\(None, 16\)"):
        block(ember.Input(shape=(16,)), **kwargs)


@pytest.mark.parametrize("kwargs, bad", [
    ({"filters": 0}, "filters"), ({"filters": 4, "stride": 0}, "stride"),
    ({"filters": 2.5}, "filters"), ({"filters": 4, "kernel_size": -1}, "kernel_size"),
])
def test_residual_block_rejects_bad_sizes(kwargs, bad):
    with pytest.raises(ValueError, match=rf"residual_block: expected {bad} to be a positive"):
        blocks.residual_block(ember.Input(shape=(8, 8, 4)), **kwargs)


def test_squeeze_excitation_rejects_bad_ratio():
    with pytest.raises(ValueError, match="ratio=0"):
        blocks.squeeze_excitation_block(ember.Input(shape=(4, 4, 8)), ratio=0)
