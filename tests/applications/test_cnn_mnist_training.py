"""Convolutional networks trained on real MNIST, each judged on the full 10,000-digit test
set (slow: one to three minutes each on two cores). Skipped when $EMBER_DATA_DIR has no
mnist/ folder; never downloads."""

import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest

import ember
from ember import applications, layers
from ember.datasets import mnist

DATA_DIR = os.environ.get("EMBER_DATA_DIR")
if not DATA_DIR or not (Path(DATA_DIR) / "mnist").is_dir():
    pytest.skip("EMBER_DATA_DIR is unset or has no mnist/ folder", allow_module_level=True)

pytestmark = pytest.mark.slow
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def data():
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(mnist, "MIRRORS", [])  # the files must be there: no download
        (x_train, y_train), (x_test, y_test) = mnist.load_data()
    x_train = np.expand_dims(x_train.astype("float32") / 255, -1)
    x_test = np.expand_dims(x_test.astype("float32") / 255, -1)
    return (x_train, y_train), (x_test, y_test)


def _example(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _train_and_test(model, data, learning_rate, batch_size=32):
    """One epoch on all 60,000 training digits, Adam with the learning rate decaying to zero
    along a cosine (so that batch normalization's moving statistics settle at the end);
    returns the accuracy on the 10,000 test digits."""
    (x_train, y_train), (x_test, y_test) = data
    steps = -(-len(x_train) // batch_size)
    schedule = ember.optimizers.schedules.CosineDecay(learning_rate, decay_steps=steps)
    model.compile(optimizer=ember.optimizers.Adam(learning_rate=schedule),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=batch_size, epochs=1, verbose=0)
    assert history.history["accuracy"][0] > 0.9
    _, accuracy = model.evaluate(x_test, y_test, batch_size=500, verbose=0)
    return accuracy


def test_simple_convnet_reaches_98_percent_in_two_epochs(data):
    """examples/mnist_cnn.py's network (Keras's simple MNIST convnet), all 60,000 digits
    less the 10% validation split, as the example trains it, for 2 of its 12 epochs (98.30%
    measured; the example's 12 epochs reach the issue's 99.0%)."""
    (x_train, y_train), (x_test, y_test) = data
    example = _example("mnist_cnn")
    ember.utils.set_random_seed(1)
    model = example.build_model()
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    y_onehot = ember.utils.to_categorical(y_train, 10)
    history = model.fit(x_train, y_onehot, batch_size=128, epochs=2, validation_split=0.1,
                        verbose=0)
    assert history.history["val_accuracy"][-1] > 0.98
    _, accuracy = model.evaluate(x_test, ember.utils.to_categorical(y_test, 10),
                                 batch_size=500, verbose=0)
    assert accuracy >= 0.98, f"test accuracy {accuracy:.4f} < 0.98 after 2 epochs"


def test_small_resnet_reaches_98_5_percent(data):
    """ResNet-8 at half width (8, 16, 32 filters, 20,000 weights), one epoch in batches of
    32 (98.72% measured)."""
    ember.utils.set_random_seed(2)
    model = applications.ResNet(8, input_shape=(28, 28, 1), width=0.5)
    accuracy = _train_and_test(model, data, learning_rate=5e-3)
    assert accuracy >= 0.985, f"ResNet-8 test accuracy {accuracy:.4f} < 0.985"


def test_batch_normalized_vgg_reaches_98_5_percent(data):
    """A VGG layout of two stages of two 3x3 convolutions (8 and 16 filters), each followed
    by batch normalization, and a dense layer of 128 units with dropout 0.25; one epoch in
    batches of 32 (98.92% measured)."""
    ember.utils.set_random_seed(3)
    model = applications.VGG(block_config=((8, 8), (16, 16)), batch_norm=True,
                             dense_units=(128,), dropout=0.25, input_shape=(28, 28, 1))
    assert sum(isinstance(layer, layers.BatchNormalization) for layer in model.layers) == 4
    accuracy = _train_and_test(model, data, learning_rate=3e-3)
    assert accuracy >= 0.985, f"VGG (batch norm) test accuracy {accuracy:.4f} < 0.985"


def test_delta_orthogonal_trains_a_50_layer_tanh_cnn_faster_than_glorot(data):
    """examples/deep_cnn_delta_orthogonal.py's plain 50-layer tanh CNN, 100 batches of
    MNIST from each initialization (same seed, same batches, SGD with momentum). Measured
    over seeds 0, 1, 2: the delta-orthogonal loss over the last 30 batches was 0.46, 0.49,
    0.54 and Glorot's 1.78, 2.31, 1.09; the delta-orthogonal test accuracy 84-87%."""
    (x_train, y_train), (x_test, y_test) = data
    example = _example("deep_cnn_delta_orthogonal")
    x, y = x_train[:12800], y_train[:12800]
    model, delta = example.run("delta_orthogonal", x, y, depth=50, every=10, seed=0)
    _, glorot = example.run("glorot_uniform", x, y, depth=50, every=10, seed=0)
    assert len(delta) == len(glorot) == 10
    assert sum(isinstance(layer, layers.Conv2D) for layer in model.layers) == 50
    assert not any(isinstance(layer, (layers.BatchNormalization, layers.Add))
                   for layer in model.layers)
    final_delta, final_glorot = np.mean(delta[-3:]), np.mean(glorot[-3:])
    assert final_delta < 0.6 * final_glorot and final_delta < 0.8, (
        f"final training loss: delta-orthogonal {final_delta:.3f}, Glorot {final_glorot:.3f}")
    _, accuracy = model.evaluate(x_test, y_test, batch_size=500, verbose=0)
    assert accuracy >= 0.80, f"delta-orthogonal test accuracy {accuracy:.4f} < 0.80"
