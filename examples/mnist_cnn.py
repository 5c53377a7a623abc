"""Keras's "Simple MNIST convnet", run with ``import ember as keras``: two 3x3 convolutions
(32 and 64 filters, ReLU), each followed by 2x2 max pooling, dropout 0.5 and a softmax over
the ten digits. Adam, batch 128, 10% of the training digits held out for validation; about
99% test accuracy after 12 epochs.

    python examples/mnist_cnn.py [--epochs 12]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import ember as keras
from ember import layers

NUM_CLASSES = 10
INPUT_SHAPE = (28, 28, 1)


def build_model() -> keras.Model:
    return keras.Sequential([
        keras.Input(shape=INPUT_SHAPE),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(NUM_CLASSES, activation="softmax"),
    ])


def load_mnist():
    """Images scaled to [0, 1] with a channel axis, labels one-hot."""
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x_train = np.expand_dims(x_train.astype("float32") / 255, -1)
    x_test = np.expand_dims(x_test.astype("float32") / 255, -1)
    y_train = keras.utils.to_categorical(y_train, NUM_CLASSES)
    y_test = keras.utils.to_categorical(y_test, NUM_CLASSES)
    return (x_train, y_train), (x_test, y_test)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    keras.utils.set_random_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = load_mnist()
    model = build_model()
    model.summary()
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=128, epochs=args.epochs, validation_split=0.1)
    elapsed = time.perf_counter() - start

    score = model.evaluate(x_test, y_test, verbose=0)
    print(f"Test loss: {score[0]:.4f}")
    print(f"Test accuracy: {score[1] * 100:.2f}%")
    print(f"Training time: {elapsed:.0f} s ({elapsed / args.epochs:.1f} s per epoch)")


if __name__ == "__main__":
    main()
