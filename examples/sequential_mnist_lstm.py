"""Sequential MNIST: an LSTM reads each 28x28 digit as a sequence of 28 rows of 28 pixels.

The course's first recurrent network (issue "Recurrent networks"): LSTM(128) over the rows,
its last hidden state into Dense(10, softmax); Adam at batch 128 on all 60,000 digits while
watching the test set. Passes 98% test accuracy around the sixth of its 10 epochs.

    python examples/sequential_mnist_lstm.py [--epochs 10]
"""

from __future__ import annotations

import argparse
import time

import ember as keras


def build_model(units: int = 128) -> keras.Model:
    return keras.Sequential([
        keras.Input(shape=(28, 28)),  # (time steps = rows, features = pixels of a row)
        keras.layers.LSTM(units),
        keras.layers.Dense(10, activation="softmax"),
    ])


def load_mnist():
    """MNIST with each image as 28 time steps of 28 features in [0, 1]."""
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    return ((x_train.astype("float32") / 255.0, y_train),
            (x_test.astype("float32") / 255.0, y_test))


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
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=128, epochs=args.epochs,
              validation_data=(x_test, y_test))
    elapsed = time.perf_counter() - start

    loss, accuracy = model.evaluate(x_test, y_test, batch_size=512, verbose=0)
    print(f"Test loss: {loss:.4f}")
    print(f"Test accuracy: {accuracy * 100:.2f}% after {args.epochs} epochs "
          f"({elapsed:.0f} s of training)")


if __name__ == "__main__":
    main()
