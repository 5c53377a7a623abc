"""Training step of the course's 784-512-10 ReLU network (softmax cross-entropy, plain SGD,
batch 128, float32), written with ember tensors, against the same step hand-written in
NumPy, in one run. Prints JSON.

    python benchmarks/mlp_step.py [--steps 200] [--warmup 20]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np

import ember
from ember import ops

BATCH, N_IN, N_HIDDEN, N_OUT, LR = 128, 784, 512, 10, 0.01


def make_data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((BATCH, N_IN), dtype=np.float32)
    y = rng.integers(0, N_OUT, size=BATCH)
    w1 = (rng.standard_normal((N_IN, N_HIDDEN)) * np.sqrt(2 / N_IN)).astype(np.float32)
    w2 = (rng.standard_normal((N_HIDDEN, N_OUT)) * np.sqrt(2 / N_HIDDEN)).astype(np.float32)
    return x, y, w1, np.zeros(N_HIDDEN, np.float32), w2, np.zeros(N_OUT, np.float32)


def numpy_step_factory(x, y, w1, b1, w2, b2):
    """The floor: forward, backward and in-place update written by hand."""
    onehot = np.zeros((BATCH, N_OUT), np.float32)
    onehot[np.arange(BATCH), y] = 1

    def step():
        nonlocal w1, b1, w2, b2  # updated in place
        z1 = x @ w1 + b1
        h = np.maximum(z1, 0)
        logits = h @ w2 + b2
        shifted = logits - logits.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        loss = (np.log(total[:, 0]) - shifted[np.arange(BATCH), y]).mean()
        dlogits = (e / total - onehot) / BATCH
        dw2 = h.T @ dlogits
        db2 = dlogits.sum(axis=0)
        dz1 = (dlogits @ w2.T) * (z1 > 0)
        dw1 = x.T @ dz1
        db1 = dz1.sum(axis=0)
        w1 -= LR * dw1
        b1 -= LR * db1
        w2 -= LR * dw2
        b2 -= LR * db2
        return loss

    return step


def ember_step_factory(x, y, w1, b1, w2, b2):
    xt = ember.tensor(x)
    params = [ember.tensor(a, requires_grad=True) for a in (w1, b1, w2, b2)]
    W1, B1, W2, B2 = params

    def step():
        logits = ops.relu(xt @ W1 + B1) @ W2 + B2
        loss = ops.sparse_categorical_crossentropy(y, logits, from_logits=True, reduction="mean")
        loss.backward()
        with ember.no_grad():
            for p in params:
                p -= LR * p.grad
                p.grad = None
        return loss

    return step


def median_time(step, steps, warmup):
    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5, help="alternations of the two")
    args = parser.parse_args()

    numpy_times, ember_times = [], []
    for _ in range(args.rounds):  # alternate, so a noisy neighbour hits both alike
        numpy_times.append(median_time(numpy_step_factory(*make_data()), args.steps, args.warmup))
        ember_times.append(median_time(ember_step_factory(*make_data()), args.steps, args.warmup))
    t_np, t_em = min(numpy_times), min(ember_times)
    print(json.dumps({
        "benchmark": "mlp_step",
        "network": "784-512-10 relu, softmax cross-entropy, SGD",
        "batch": BATCH,
        "dtype": "float32",
        "steps": args.steps,
        "numpy_ms": round(t_np * 1e3, 4),
        "ember_ms": round(t_em * 1e3, 4),
        "ember_over_numpy": round(t_em / t_np, 4),
        "target_ratio": 1.15,
        "numpy_rounds_ms": [round(t * 1e3, 4) for t in numpy_times],
        "ember_rounds_ms": [round(t * 1e3, 4) for t in ember_times],
        "numpy_version": np.__version__,
        "python": platform.python_version(),
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
    }, indent=2))


if __name__ == "__main__":
    main()
