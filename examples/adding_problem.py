"""The adding problem: a long-range memory task that an LSTM solves and a simple RNN does not.

Hochreiter & Schmidhuber (1997), "Long Short-Term Memory", Neural Computation 9(8),
experiment 4, in the form used by Le, Jaitly & Hinton (2015), "A Simple Way to Initialize
Recurrent Networks of Rectified Linear Units": each sequence has ``length`` steps of two
features, a random value in [0, 1] and a marker that is 1 at exactly two steps (one in each
half) and 0 elsewhere. The target is the sum of the two marked values. Always answering 1,
the mean of the sum, gives a mean squared error of Var(U1 + U2) = 2/12 = 0.167; a network
beats that only by carrying the first marked value across tens of steps.

The same budget (data, epochs, optimizer) trains LSTM(units) -> Dense(1) and
SimpleRNN(units) -> Dense(1); the table compares their test MSE with the baseline.

    python examples/adding_problem.py [--length 100] [--epochs 30]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import ember as keras

BASELINE_MSE = 2 / 12  # the variance of the sum of two independent U(0, 1)


def adding_problem(n: int, length: int, rng: np.random.Generator):
    """``n`` sequences ``(n, length, 2)`` of (value, marker) and their targets ``(n, 1)``."""
    values = rng.random((n, length), dtype=np.float32)
    rows = np.arange(n)
    first = rng.integers(0, length // 2, size=n)
    second = rng.integers(length // 2, length, size=n)
    markers = np.zeros((n, length), np.float32)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x = np.stack([values, markers], axis=-1)
    y = (values[rows, first] + values[rows, second])[:, None]
    return x, y


KINDS = ("LSTM", "SimpleRNN")


def build_model(kind: str, length: int, units: int) -> keras.Model:
    return keras.Sequential([
        keras.Input(shape=(length, 2)),
        getattr(keras.layers, kind)(units),
        keras.layers.Dense(1),
    ])


def train(kind: str, data, length: int, units: int, epochs: int, learning_rate: float,
          seed: int, verbose: int = 0) -> dict:
    """Train one model on ``data = ((x, y), (x_test, y_test))`` with Adam (gradients clipped
    to norm 1) at batch 64; its final training and test MSE and its training time."""
    (x, y), (x_test, y_test) = data
    keras.utils.set_random_seed(seed)
    model = build_model(kind, length, units)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate, clipnorm=1.0), loss="mse")
    start = time.perf_counter()
    history = model.fit(x, y, batch_size=64, epochs=epochs, verbose=verbose)
    seconds = time.perf_counter() - start
    return {"model": f"{kind}({units})", "params": model.count_params(),
            "train_mse": history.history["loss"][-1],
            "test_mse": float(model.evaluate(x_test, y_test, batch_size=1000, verbose=0)),
            "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=int, default=100)
    parser.add_argument("--samples", type=int, default=10000)
    parser.add_argument("--units", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    data = (adding_problem(args.samples, args.length, rng),
            adding_problem(1000, args.length, rng))
    rows = []
    for kind in KINDS:
        print(f"Training {kind}({args.units}) on {args.samples} sequences of length "
              f"{args.length} for {args.epochs} epochs")
        rows.append(train(kind, data, args.length, args.units, args.epochs,
                          args.learning_rate, args.seed, verbose=2))

    print(f"\n{'model':<16}{'params':>8}{'test MSE':>10}{'/ baseline':>12}{'seconds':>9}")
    print(f"{'predict 1':<16}{0:>8}{BASELINE_MSE:>10.4f}{1:>12.3f}{0:>9}")
    for r in rows:
        print(f"{r['model']:<16}{r['params']:>8}{r['test_mse']:>10.4f}"
              f"{r['test_mse'] / BASELINE_MSE:>12.3f}{r['seconds']:>9.0f}")


if __name__ == "__main__":
    main()
