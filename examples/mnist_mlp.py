"""The course's handwritten-digit recognizer: 784 -> Dense 512 ReLU -> Dense 10 softmax.

Trains with Adam at batch 128 on MNIST, prints the test accuracy, then the top-3 classes with
their probabilities for a few test digits.

    python examples/mnist_mlp.py [--epochs 10]
"""

from __future__ import annotations

import argparse

import numpy as np

import ember as keras


def build_model() -> keras.Model:
    return keras.Sequential([
        keras.Input(shape=(784,)),
        keras.layers.Dense(512, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])


def load_mnist():
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x_train = x_train.reshape(-1, 784).astype("float32") / 255.0
    x_test = x_test.reshape(-1, 784).astype("float32") / 255.0
    return (x_train, y_train), (x_test, y_test)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    keras.utils.set_random_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = load_mnist()
    model = build_model()
    model.summary()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    # As Keras's classic MNIST example does: train on all 60,000 digits and watch the test set.
    model.fit(x_train, y_train, batch_size=128, epochs=args.epochs,
              validation_data=(x_test, y_test))

    loss, accuracy = model.evaluate(x_test, y_test, batch_size=512, verbose=0)
    print(f"Test loss: {loss:.4f}")
    print(f"Test accuracy: {accuracy * 100:.2f}%")

    probs = model.predict(x_test[:5], verbose=0)
    for i, p in enumerate(probs):
        top = np.argsort(p)[::-1][:3]
        guesses = ", ".join(f"{c}: {p[c] * 100:5.1f}%" for c in top)
        print(f"digit {i} (label {y_test[i]}): {guesses}")


if __name__ == "__main__":
    main()
