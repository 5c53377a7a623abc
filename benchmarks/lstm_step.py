"""Training step of the sequential-MNIST LSTM (28 steps of 28 features -> LSTM(128) -> Dense(10),
softmax cross-entropy, Adam, batch 128, float32) three ways: ember, a hand-written NumPy LSTM
(the floor) and PyTorch CPU (``nn.LSTM`` + ``nn.Linear``) when installed.

Each framework runs in its own process (their thread pools fight inside one), alternating,
several rounds; a process times ``--steps`` steps after ``--warmup`` and keeps the median. The
JSON reports the best median of each framework and the ratios; the issue "Recurrent networks"
asks for ember at most 1.5x PyTorch's step time. ``--threads N`` gives every framework the same
N BLAS/OpenMP threads (on a machine shared with other jobs, 1 keeps spinning thread pools from
distorting the comparison).

    python benchmarks/lstm_step.py [--rounds 3] [--steps 50] [--warmup 5] [--threads N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time

import numpy as np

BATCH, STEPS, FEATURES, UNITS, CLASSES = 128, 28, 28, 128, 10
LR, B1, B2, EPS = 1e-3, 0.9, 0.999, 1e-7
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def make_batch(seed=0):
    """One batch shaped like sequential MNIST (the arithmetic does not depend on the values)."""
    rng = np.random.default_rng(seed)
    x = rng.random((BATCH, STEPS, FEATURES), dtype=np.float32)
    y = rng.integers(0, CLASSES, size=BATCH)
    return x, y


def ember_step_factory(x, y):
    """The model-level step: forward with ``training=True``, loss, ``backward``, Adam."""
    import ember as keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(STEPS, FEATURES)),
                              keras.layers.LSTM(UNITS),
                              keras.layers.Dense(CLASSES)])
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    optimizer = keras.optimizers.Adam(learning_rate=LR)
    variables = model.trainable_weights
    xt = keras.ops.convert_to_tensor(x)

    def step():
        loss = loss_fn(y, model(xt, training=True))
        loss.backward()
        grads = [v.grad for v in variables]
        for v in variables:
            v.grad = None
        optimizer.apply(grads, variables)
        return float(loss.item())

    return step


def numpy_step_factory(x, y):
    """The floor, written by hand: the input projection of all 28 steps in one product, the
    four gates of a step in one product and one fused nonlinearity per kind, backpropagation
    through time that keeps only the per-step ``dz``, and each weight gradient summed over
    time in one product after the loop; Adam in place."""
    rng = np.random.default_rng(0)
    h4 = 4 * UNITS
    lim_w, lim_d = np.sqrt(6 / (FEATURES + h4)), np.sqrt(6 / (UNITS + CLASSES))
    # Gate order i, f, o, g: the three sigmoid gates are one contiguous slice.
    params = [rng.uniform(-lim_w, lim_w, (FEATURES, h4)).astype(np.float32),
              np.linalg.qr(rng.standard_normal((h4, UNITS)))[0].T.astype(np.float32),
              np.zeros(h4, np.float32),
              rng.uniform(-lim_d, lim_d, (UNITS, CLASSES)).astype(np.float32),
              np.zeros(CLASSES, np.float32)]
    params[2][UNITS:2 * UNITS] = 1.0  # forget-gate bias, as Keras's unit_forget_bias
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    x_tm = np.ascontiguousarray(x.transpose(1, 0, 2)).reshape(STEPS * BATCH, FEATURES)
    rows = np.arange(BATCH)
    gates = np.empty((STEPS, BATCH, h4), np.float32)   # activated i, f, o, g
    cells = np.empty((STEPS + 1, BATCH, UNITS), np.float32)
    hiddens = np.empty((STEPS + 1, BATCH, UNITS), np.float32)
    tanh_c = np.empty((STEPS, BATCH, UNITS), np.float32)
    dz = np.empty((STEPS, BATCH, h4), np.float32)
    count = 0

    def step():
        nonlocal count
        kernel, recurrent, bias, dense_w, dense_b = params
        z_all = (x_tm @ kernel).reshape(STEPS, BATCH, h4)
        z_all += bias
        cells[0] = 0
        hiddens[0] = 0
        for t in range(STEPS):
            z = gates[t]
            np.matmul(hiddens[t], recurrent, out=z)
            z += z_all[t]
            s = z[:, :3 * UNITS]
            s *= 0.5
            np.tanh(s, out=s)  # sigmoid(a) = (1 + tanh(a / 2)) / 2: one transcendental
            s += 1.0
            s *= 0.5
            np.tanh(z[:, 3 * UNITS:], out=z[:, 3 * UNITS:])
            i, f, o, g = (z[:, k * UNITS:(k + 1) * UNITS] for k in range(4))
            np.multiply(f, cells[t], out=cells[t + 1])
            cells[t + 1] += i * g
            np.tanh(cells[t + 1], out=tanh_c[t])
            np.multiply(o, tanh_c[t], out=hiddens[t + 1])
        logits = hiddens[STEPS] @ dense_w + dense_b
        shifted = logits - logits.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        loss = float((np.log(total[:, 0]) - shifted[rows, y]).mean())
        dlogits = e / total
        dlogits[rows, y] -= 1
        dlogits /= BATCH
        grads = [None, None, None, hiddens[STEPS].T @ dlogits, dlogits.sum(axis=0)]
        dh = dlogits @ dense_w.T
        dc = np.zeros((BATCH, UNITS), np.float32)
        for t in reversed(range(STEPS)):
            i, f, o, g = (gates[t][:, k * UNITS:(k + 1) * UNITS] for k in range(4))
            d = dz[t]
            di, df, do, dg = (d[:, k * UNITS:(k + 1) * UNITS] for k in range(4))
            np.multiply(dh, tanh_c[t], out=do)
            dc += dh * o * (1 - tanh_c[t] * tanh_c[t])
            np.multiply(dc, g, out=di)
            np.multiply(dc, cells[t], out=df)
            np.multiply(dc, i, out=dg)
            dc *= f
            s = gates[t][:, :3 * UNITS]
            d[:, :3 * UNITS] *= s * (1 - s)
            dg *= 1 - g * g
            np.matmul(d, recurrent.T, out=dh)
        dz_flat = dz.reshape(STEPS * BATCH, h4)
        grads[0] = x_tm.T @ dz_flat
        grads[1] = hiddens[:STEPS].reshape(STEPS * BATCH, UNITS).T @ dz_flat
        grads[2] = dz_flat.sum(axis=0)
        count += 1
        alpha = LR * np.sqrt(1 - B2**count) / (1 - B1**count)
        for p, grad, mi, vi in zip(params, grads, m, v):
            mi += (grad - mi) * (1 - B1)
            vi += (grad * grad - vi) * (1 - B2)
            p -= alpha * mi / (np.sqrt(vi) + EPS)
        return loss

    return step


def torch_step_factory(x, y):
    import torch

    torch.manual_seed(0)
    lstm = torch.nn.LSTM(FEATURES, UNITS, batch_first=True)
    dense = torch.nn.Linear(UNITS, CLASSES)
    optimizer = torch.optim.Adam([*lstm.parameters(), *dense.parameters()], lr=LR, eps=EPS)
    loss_fn = torch.nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def step():
        optimizer.zero_grad()
        out, _ = lstm(xt)
        loss = loss_fn(dense(out[:, -1]), yt)
        loss.backward()
        optimizer.step()
        return float(loss.item())

    return step


FACTORIES = {"ember": ember_step_factory, "numpy": numpy_step_factory,
             "torch": torch_step_factory}


def child(framework: str, steps: int, warmup: int) -> None:
    step = FACTORIES[framework](*make_batch())
    losses = [step() for _ in range(warmup)]
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        losses.append(step())
        times.append(time.perf_counter() - t0)
    print(json.dumps({"framework": framework, "median_s": float(np.median(times)),
                      "first_loss": losses[0], "last_loss": losses[-1]}))


def torch_installed() -> bool:
    probe = subprocess.run([sys.executable, "-c", "import torch"], capture_output=True)
    return probe.returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=50, help="timed steps per process")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--threads", type=int, help="BLAS/OpenMP threads of every framework")
    parser.add_argument("--child", choices=sorted(FACTORIES))
    args = parser.parse_args()
    if args.child:
        child(args.child, args.steps, args.warmup)
        return

    env = dict(os.environ)
    if args.threads:
        env.update({name: str(args.threads) for name in THREAD_VARIABLES})
    frameworks = ["numpy", "ember"] + (["torch"] if torch_installed() else [])
    rounds = {f: [] for f in frameworks}
    losses = {}
    for _ in range(args.rounds):  # alternate, so a noisy neighbour hits all alike
        for f in frameworks:
            out = subprocess.run([sys.executable, __file__, "--child", f, "--steps",
                                  str(args.steps), "--warmup", str(args.warmup)],
                                 capture_output=True, text=True, check=True, env=env)
            result = json.loads(out.stdout.strip().splitlines()[-1])
            rounds[f].append(result["median_s"])
            losses[f] = [round(result["first_loss"], 4), round(result["last_loss"], 4)]
    best = {f: min(t) for f, t in rounds.items()}
    report = {
        "benchmark": "lstm_step",
        "network": "sequential MNIST: 28x28 -> LSTM(128) -> Dense(10), softmax cross-entropy, "
                   "Adam",
        "batch": BATCH,
        "dtype": "float32",
        "steps": args.steps,
        "step_ms": {f: round(t * 1e3, 3) for f, t in best.items()},
        "rounds_ms": {f: [round(t * 1e3, 3) for t in ts] for f, ts in rounds.items()},
        "first_last_loss": losses,
        "ember_over_numpy": round(best["ember"] / best["numpy"], 4),
        "target_ember_over_torch": 1.5,
        "numpy_version": np.__version__,
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "threads": args.threads,
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
    }
    if "torch" in best:
        report["ember_over_torch"] = round(best["ember"] / best["torch"], 4)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
