"""ember.applications: every builder on tiny inputs (shapes, weight counts from hand
formulas, options, argument errors, a forward and backward pass)."""

import numpy as np
import pytest

import ember
from ember import applications


def _conv(k, c_in, c_out, bias=True):
    return k * k * c_in * c_out + (c_out if bias else 0)


def _dense(n_in, n_out):
    return n_in * n_out + n_out


def _bn(c):
    return 4 * c


# Tiny configurations of each builder, for 8x8 grey images (LeNet needs 28x28).
TINY = {
    "LeNet5": lambda **kw: applications.LeNet5(**kw),
    "VGG": lambda **kw: applications.VGG(block_config=((4,), (8, 8)), dense_units=(16,),
                                         input_shape=(8, 8, 1), **kw),
    "ResNet": lambda **kw: applications.ResNet(8, input_shape=(8, 8, 1), width=0.25, **kw),
    "SENet": lambda **kw: applications.SENet(8, ratio=2, input_shape=(8, 8, 1), width=0.25,
                                             **kw),
    "GoogLeNet": lambda **kw: applications.GoogLeNet(input_shape=(8, 8, 1), width=1 / 16,
                                                     **kw),
}
BUILDERS = {"LeNet5": applications.LeNet5, "VGG": applications.VGG,
            "ResNet": applications.ResNet, "SENet": applications.SENet,
            "GoogLeNet": applications.GoogLeNet}


def _count(model, kind):
    return sum(isinstance(layer, kind) for layer in model.layers)


@pytest.mark.parametrize("name", sorted(TINY))
def test_builders_reject_pretrained_weights(name):
    with pytest.raises(ValueError, match=rf"{name}: no pretrained weights .*"
                                         r"received: weights='imagenet'"):
        BUILDERS[name](weights="imagenet")


@pytest.mark.parametrize("name", sorted(TINY))
def test_builders_train_a_step(name):
    model = TINY[name](classes=3)
    assert isinstance(model, ember.Model) and model.output_shape == (None, 3)
    size = 28 if name == "LeNet5" else 8
    rng = np.random.default_rng(0)
    x = rng.random((4, size, size, 1)).astype("float32")
    probs = model(x, training=True)
    np.testing.assert_allclose(probs.numpy().sum(axis=1), 1.0, rtol=1e-5)
    ember.ops.log(probs).sum().backward()
    for v in model.trainable_weights:
        assert v.grad is not None and np.isfinite(v.grad.numpy()).all(), v.path
    first_kernel = model.layers[1].kernel  # the gradient reached the input end
    assert np.abs(first_kernel.grad.numpy()).sum() > 0

    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    before = [w.copy() for w in model.get_weights()]
    model.train_on_batch(x, np.array([0, 1, 2, 0]))
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


@pytest.mark.parametrize("name", sorted(TINY))
def test_builders_without_top(name):
    features = TINY[name](include_top=False)
    assert len(features.output_shape) == 4 and "predictions" not in {
        layer.name for layer in features.layers}
    pooled = TINY[name](include_top=False, pooling="avg")
    assert pooled.output_shape == (None, features.output_shape[-1])
    logits = TINY[name](classifier_activation=None, classes=5)
    assert logits.get_layer("predictions").activation is ember.activations.linear
    with pytest.raises(ValueError, match=rf"{name}: expected pooling .* pooling='sum'"):
        TINY[name](include_top=False, pooling="sum")
    with pytest.raises(ValueError, match=rf"{name}: expected classes .* classes=0"):
        TINY[name](classes=0)


@pytest.mark.parametrize("name", ["VGG", "ResNet", "SENet", "GoogLeNet"])
def test_builders_reject_bad_input_shapes(name):
    with pytest.raises(ValueError, match=rf"{name}: expected input_shape .*\(28, 28\)"):
        BUILDERS[name](input_shape=(28, 28))


def test_lenet5_layout_and_weight_count():
    model = applications.LeNet5()
    assert model.name == "lenet5" and model.output_shape == (None, 10)
    shapes = {n: model.get_layer(n).output.shape for n in ("c1", "s2", "c3", "s4", "c5")}
    assert shapes == {"c1": (None, 28, 28, 6), "s2": (None, 14, 14, 6),
                      "c3": (None, 10, 10, 16), "s4": (None, 5, 5, 16),
                      "c5": (None, 1, 1, 120)}
    expected = (_conv(5, 1, 6) + _conv(5, 6, 16) + _conv(5, 16, 120) + _dense(120, 84)
                + _dense(84, 10))
    assert model.count_params() == expected == 61706
    assert isinstance(model.get_layer("s2"), ember.layers.AveragePooling2D)
    assert model.get_layer("c1").activation is ember.activations.tanh


def test_lenet5_modern_variant_and_errors():
    model = applications.LeNet5(activation="relu", subsampling="max")
    assert isinstance(model.get_layer("s4"), ember.layers.MaxPooling2D)
    assert model.get_layer("f6").activation is ember.activations.relu
    with pytest.raises(ValueError, match="subsampling='min'"):
        applications.LeNet5(subsampling="min")
    with pytest.raises(ValueError, match=r"at least 28x28.*\(24, 24, 1\)"):
        applications.LeNet5(input_shape=(24, 24, 1))


@pytest.mark.parametrize("batch_norm", [False, True])
def test_vgg_weight_count(batch_norm):
    model = TINY["VGG"](classes=3, batch_norm=batch_norm)
    bias = not batch_norm
    convs = _conv(3, 1, 4, bias) + _conv(3, 4, 8, bias) + _conv(3, 8, 8, bias)
    norms = _bn(4) + 2 * _bn(8) if batch_norm else 0
    top = _dense(2 * 2 * 8, 16) + _dense(16, 3)  # 8x8 pooled twice: 2x2x8 features
    assert model.count_params() == convs + norms + top
    assert model.name == ("vgg_bn" if batch_norm else "vgg")
    assert _count(model, ember.layers.BatchNormalization) == (3 if batch_norm else 0)
    assert _count(model, ember.layers.Dropout) == 1


@pytest.mark.parametrize("depth, convs", [(11, 8), (13, 10), (16, 13), (19, 16)])
def test_vgg_depths_follow_the_paper(depth, convs):
    model = applications.VGG(depth, width=1 / 64, input_shape=(32, 32, 3))
    assert model.name == f"vgg{depth}"
    assert _count(model, ember.layers.Conv2D) == convs
    assert _count(model, ember.layers.Dense) == 3
    assert _count(model, ember.layers.MaxPooling2D) == 5
    assert model.get_layer("block5_pool").output.shape == (None, 1, 1, 8)
    assert model.get_layer("fc1").units == 64  # 4096 / 64


def test_vgg_width_scales_filters_and_argument_errors():
    model = applications.VGG(block_config=((64,), (128,)), width=0.25, dense_units=(100,),
                             input_shape=(8, 8, 1))
    assert model.get_layer("block2_conv1").filters == 32 and model.get_layer("fc1").units == 25
    with pytest.raises(ValueError, match=r"at least 32x32.*\(28, 28, 1\)"):
        applications.VGG(16, input_shape=(28, 28, 1))
    with pytest.raises(ValueError, match="depth=12"):
        applications.VGG(12)
    with pytest.raises(ValueError, match="not both"):
        applications.VGG(11, block_config=((8,),))
    with pytest.raises(ValueError, match="block_config"):
        applications.VGG(block_config=((8,), ()))
    with pytest.raises(ValueError, match="dropout=1"):
        applications.VGG(dropout=1)
    with pytest.raises(ValueError, match="width=0"):
        applications.VGG(width=0)


def _basic_block(c_in, filters):
    params = _conv(3, c_in, filters, False) + _conv(3, filters, filters, False) + 2 * _bn(
        filters)
    if c_in != filters:
        params += _conv(1, c_in, filters, False) + _bn(filters)
    return params


def _se(channels, ratio):
    hidden = max(1, channels // ratio)
    return _dense(channels, hidden) + _dense(hidden, channels)


@pytest.mark.parametrize("depth", [8, 14, 20])
def test_resnet_weight_count(depth):
    n = (depth - 2) // 6
    model = applications.ResNet(depth, input_shape=(8, 8, 1), width=0.25, classes=3)
    assert model.name == f"resnet{depth}"
    stem = _conv(3, 1, 4, False) + _bn(4)
    stages = sum(_basic_block(c_in, f) + (n - 1) * _basic_block(f, f)
                 for c_in, f in [(4, 4), (4, 8), (8, 16)])
    assert model.count_params() == stem + stages + _dense(16, 3)
    assert _count(model, ember.layers.Conv2D) == depth - 1 + 2  # + two projections
    assert model.get_layer(f"stage3_block{n}_out").output.shape == (None, 2, 2, 16)
    assert "stage1_block1_shortcut_conv" not in {layer.name for layer in model.layers}


def test_resnet_default_is_the_papers_resnet20():
    model = applications.ResNet()
    assert model.input_shape == (None, 32, 32, 3)
    assert model.get_layer("stage3_block3_out").output.shape == (None, 8, 8, 64)
    stem = _conv(3, 3, 16, False) + _bn(16)
    stages = sum(_basic_block(c_in, f) + 2 * _basic_block(f, f)
                 for c_in, f in [(16, 16), (16, 32), (32, 64)])
    assert model.count_params() == stem + stages + _dense(64, 10) == 274042


@pytest.mark.parametrize("builder", [applications.ResNet, applications.SENet])
@pytest.mark.parametrize("depth", [7, 9, 2, 20.0, "20"])
def test_resnet_rejects_depths_not_6n_plus_2(builder, depth):
    with pytest.raises(ValueError, match=rf"6n \+ 2 .* depth={depth!r}"):
        builder(depth)


def test_senet_adds_an_se_block_to_every_residual_block():
    model = applications.SENet(14, ratio=4, input_shape=(8, 8, 1), width=0.5, classes=3)
    assert model.name == "seresnet14"
    plain = applications.ResNet(14, input_shape=(8, 8, 1), width=0.5, classes=3)
    se = 2 * (_se(8, 4) + _se(16, 4) + _se(32, 4))
    assert model.count_params() == plain.count_params() + se
    assert _count(model, ember.layers.Multiply) == 6
    # The gates rescale the residual branch before the shortcut is added.
    add_inputs = model.get_layer("stage2_block2_add")._inbound_nodes[0].args[0]
    assert add_inputs[1].node.layer is model.get_layer("stage2_block2_se_excite")
    with pytest.raises(ValueError, match="ratio=0"):
        applications.SENet(ratio=0)


def test_googlenet_modules_follow_table_1():
    model = applications.GoogLeNet(input_shape=(16, 16, 3), width=0.25, classes=7)
    concat = {label: model.get_layer(f"inception_{label}_concat").output.shape
              for label in ("3a", "3b", "4a", "4e", "5a", "5b")}
    # Table 1 output channels 256, 480, 512, 832, 832, 1024, times 0.25.
    assert concat == {"3a": (None, 16, 16, 64), "3b": (None, 16, 16, 120),
                      "4a": (None, 8, 8, 128), "4e": (None, 8, 8, 208),
                      "5a": (None, 4, 4, 208), "5b": (None, 4, 4, 256)}
    assert _count(model, ember.layers.Concatenate) == 9
    assert model.get_layer("predictions").kernel.shape == (256, 7)
    assert model.get_layer("dropout").rate == 0.4
    no_dropout = applications.GoogLeNet(input_shape=(8, 8, 1), width=1 / 16, dropout=0)
    assert _count(no_dropout, ember.layers.Dropout) == 0


@pytest.mark.parametrize("name", sorted(TINY))
def test_builders_round_trip_through_config_and_file(name, tmp_path):
    model = TINY[name](classes=3)
    size = 28 if name == "LeNet5" else 8
    x = np.random.default_rng(1).random((2, size, size, 1)).astype("float32")
    expected = model.predict(x, verbose=0)
    rebuilt = ember.Model.from_config(model.get_config())
    assert [layer.name for layer in rebuilt.layers] == [layer.name for layer in model.layers]
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_allclose(rebuilt.predict(x, verbose=0), expected, rtol=1e-5)
    path = str(tmp_path / f"{name}.ember")
    model.save(path)
    loaded = ember.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-5)
