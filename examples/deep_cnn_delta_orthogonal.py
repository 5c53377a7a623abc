"""Training a 50-layer plain tanh CNN: delta-orthogonal versus Glorot initialization.

Xiao et al. 2018, "Dynamical Isometry and a Mean Field Theory of CNNs: How to Train
10,000-Layer Vanilla Convolutional Neural Networks", show that a deep convolutional network
without residual connections or normalization trains when every kernel starts
delta-orthogonal (zero except an orthogonal matrix at the spatial centre), so that the
network's input-output Jacobian is close to an isometry. With the usual Glorot kernels
the same network barely learns in the same number of steps.

The network: 3x3 convolutions with 'same' padding and tanh at a constant width, the first
two with stride 2 (28 -> 14 -> 7), then a dense softmax layer over the flattened 7x7 maps;
no shortcuts, no normalization. (A global average pool instead of the flattening would
hide where things are in the image from the classifier, and a delta-orthogonal network,
which at first maps each pixel on its own, would have to learn that before anything
else.) It is trained for one epoch on MNIST (SGD with momentum 0.9, batch 128) from each
initialization; the training loss is printed every few batches, then the test accuracy.

    python examples/deep_cnn_delta_orthogonal.py [--depth 50] [--samples 60000]
"""

from __future__ import annotations

import argparse

import numpy as np

import ember as keras
from ember import layers

INITIALIZERS = ("delta_orthogonal", "glorot_uniform")


def build_model(kernel_initializer, depth: int = 50, width: int = 8) -> keras.Model:
    """``depth`` tanh convolutions of ``width`` channels, then a dense softmax layer."""
    inputs = keras.Input(shape=(28, 28, 1))
    x = inputs
    for i in range(depth):
        x = layers.Conv2D(width, 3, strides=2 if i < 2 else 1, padding="same",
                          activation="tanh", kernel_initializer=kernel_initializer,
                          name=f"conv{i + 1}")(x)
    x = layers.Flatten()(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs, outputs, name=f"plain_tanh_cnn{depth}")


def train_one_epoch(model: keras.Model, x, y, batch_size: int = 128, every: int = 10,
                    seed: int = 0) -> list:
    """One shuffled epoch of ``train_on_batch``; the mean training loss of each run of
    ``every`` batches."""
    order = np.random.default_rng(seed).permutation(len(x))
    curve, window = [], []
    for start in range(0, len(x), batch_size):
        batch = order[start:start + batch_size]
        model.reset_metrics()  # so train_on_batch returns this batch's loss alone
        window.append(model.train_on_batch(x[batch], y[batch], return_dict=True)["loss"])
        if len(window) == every:
            curve.append(float(np.mean(window)))
            window = []
    return curve


def run(kernel_initializer, x, y, depth: int = 50, width: int = 8,
        learning_rate: float = 0.02, every: int = 10, seed: int = 0):
    """A fresh network from ``kernel_initializer`` (seeded) trained one epoch on ``x, y``;
    returns the model and its loss curve."""
    keras.utils.set_random_seed(seed)
    model = build_model(kernel_initializer, depth, width)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate, momentum=0.9),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model, train_one_epoch(model, x, y, every=every, seed=seed)


def load_mnist():
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x_train = np.expand_dims(x_train.astype("float32") / 255, -1)
    x_test = np.expand_dims(x_test.astype("float32") / 255, -1)
    return (x_train, y_train), (x_test, y_test)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, default=50)
    parser.add_argument("--width", type=int, default=8)
    parser.add_argument("--samples", type=int, default=60000, help="training digits used")
    parser.add_argument("--learning-rate", type=float, default=0.02)
    parser.add_argument("--every", type=int, default=10, help="batches per printed loss")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    (x_train, y_train), (x_test, y_test) = load_mnist()
    x_train, y_train = x_train[:args.samples], y_train[:args.samples]
    curves, accuracies = {}, {}
    for init in INITIALIZERS:
        model, curves[init] = run(init, x_train, y_train, args.depth, args.width,
                                  args.learning_rate, args.every, args.seed)
        accuracies[init] = model.evaluate(x_test, y_test, batch_size=500, verbose=0)[1]

    print(f"Training loss of a {args.depth}-layer plain tanh CNN, mean of each "
          f"{args.every} batches")
    print(f"{'batches':>8}" + "".join(f"{init:>18}" for init in INITIALIZERS))
    for i, losses in enumerate(zip(*(curves[init] for init in INITIALIZERS))):
        print(f"{(i + 1) * args.every:>8}" + "".join(f"{v:>18.4f}" for v in losses))
    print(f"{'test acc':>8}" + "".join(f"{accuracies[i] * 100:>17.2f}%" for i in INITIALIZERS))


if __name__ == "__main__":
    main()
