"""One epoch of the demo network (784-512-10 ReLU/softmax, Adam, batch 128, shuffled) three
ways: ember's ``fit``, a hand-written NumPy loop (the floor) and PyTorch CPU when installed.

Each framework runs in its own process (their thread pools fight inside one), alternating,
several rounds; the JSON reports the best epoch time of each and the ratios.

    python benchmarks/mnist_mlp_epoch.py [--rounds 3] [--epochs 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

BATCH, LR, B1, B2, EPS = 128, 1e-3, 0.9, 0.999, 1e-7


def load_data():
    """Real MNIST when available, else random data of the same shape (speed is the same)."""
    try:
        import ember

        (x, y), _ = ember.datasets.mnist.load_data()
        return x.reshape(-1, 784).astype(np.float32) / 255.0, y.astype(np.int64), "mnist"
    except Exception:  # noqa: BLE001 - offline without data: shape-alike random data
        rng = np.random.default_rng(0)
        return (rng.random((60000, 784), dtype=np.float32), rng.integers(0, 10, 60000),
                "random")


def run_ember(x, y, epochs):
    import ember as keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(784,)),
                              keras.layers.Dense(512, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    times = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
        times.append(time.perf_counter() - t0)
    return times


def run_numpy(x, y, epochs):
    """The floor: the same epoch written by hand with in-place Adam."""
    rng = np.random.default_rng(0)
    lim1, lim2 = np.sqrt(6 / (784 + 512)), np.sqrt(6 / (512 + 10))
    params = [rng.uniform(-lim1, lim1, (784, 512)).astype(np.float32),
              np.zeros(512, np.float32),
              rng.uniform(-lim2, lim2, (512, 10)).astype(np.float32),
              np.zeros(10, np.float32)]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    step = 0
    times = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        order = rng.permutation(len(x))
        correct = 0
        loss_sum = 0.0
        for start in range(0, len(x), BATCH):
            idx = order[start:start + BATCH]
            xb, yb = x[idx], y[idx]
            n = len(idx)
            w1, b1, w2, b2 = params
            z1 = xb @ w1 + b1
            h = np.maximum(z1, 0)
            logits = h @ w2 + b2
            shifted = logits - logits.max(axis=1, keepdims=True)
            e = np.exp(shifted)
            total = e.sum(axis=1, keepdims=True)
            probs = e / total
            rows = np.arange(n)
            loss_sum += float((np.log(total[:, 0]) - shifted[rows, yb]).sum())
            correct += int((probs.argmax(axis=1) == yb).sum())
            d = probs.copy()
            d[rows, yb] -= 1
            d /= n
            dz1 = (d @ w2.T) * (z1 > 0)
            grads = [xb.T @ dz1, dz1.sum(axis=0), h.T @ d, d.sum(axis=0)]
            step += 1
            alpha = LR * np.sqrt(1 - B2**step) / (1 - B1**step)
            for p, g, mi, vi in zip(params, grads, m, v):
                mi += (g - mi) * (1 - B1)
                vi += (g * g - vi) * (1 - B2)
                p -= alpha * mi / (np.sqrt(vi) + EPS)
        times.append(time.perf_counter() - t0)
    return times


def run_torch(x, y, epochs):
    import torch

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(),
                                torch.nn.Linear(512, 10))
    opt = torch.optim.Adam(model.parameters(), lr=LR, eps=EPS)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    loss_fn = torch.nn.CrossEntropyLoss()
    times = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        order = torch.randperm(len(xt))
        for start in range(0, len(xt), BATCH):
            idx = order[start:start + BATCH]
            opt.zero_grad()
            out = model(xt[idx])
            loss = loss_fn(out, yt[idx])
            loss.backward()
            opt.step()
            (out.argmax(1) == yt[idx]).sum().item()
        times.append(time.perf_counter() - t0)
    return times


RUNNERS = {"ember": run_ember, "numpy": run_numpy, "torch": run_torch}


def child(framework: str, epochs: int) -> None:
    x, y, source = load_data()
    times = RUNNERS[framework](x, y, epochs)
    print(json.dumps({"framework": framework, "epoch_s": times, "data": source}))


def torch_installed() -> bool:
    probe = subprocess.run([sys.executable, "-c", "import torch"], capture_output=True)
    return probe.returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=2, help="epochs per process (best kept)")
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS/OpenMP threads for every framework (default: theirs)")
    parser.add_argument("--child", choices=sorted(RUNNERS))
    args = parser.parse_args()
    if args.child:
        child(args.child, args.epochs)
        return

    env = dict(os.environ)
    if args.threads:
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = str(args.threads)
    frameworks = ["numpy", "ember"] + (["torch"] if torch_installed() else [])
    best = {f: float("inf") for f in frameworks}
    data = None
    for _ in range(args.rounds):
        for f in frameworks:
            out = subprocess.run([sys.executable, __file__, "--child", f, "--epochs",
                                  str(args.epochs)], capture_output=True, text=True, check=True,
                                 env=env)
            result = json.loads(out.stdout.strip().splitlines()[-1])
            best[f] = min(best[f], min(result["epoch_s"]))
            data = result["data"]
    report = {
        "benchmark": "mnist_mlp_epoch",
        "network": "784-512-10 relu/softmax, Adam, batch 128, shuffled, 60000 samples",
        "data": data,
        "epoch_s": {f: round(t, 4) for f, t in best.items()},
        "ember_over_numpy": round(best["ember"] / best["numpy"], 4),
        "target_ember_over_numpy": 1.2,
        "threads": args.threads,
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
    }
    if "torch" in best:
        report["ember_over_torch"] = round(best["ember"] / best["torch"], 4)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
