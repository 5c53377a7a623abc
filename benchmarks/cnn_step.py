"""Training step of Keras's simple MNIST convnet (conv 32 3x3 ReLU, 2x2 max pool, conv 64
3x3 ReLU, 2x2 max pool, flatten, dropout 0.5, dense 10 softmax; sparse cross-entropy, Adam,
batch 128, float32) three ways: ember's ``train_on_batch``, a hand-written NumPy im2col
step (the floor) and PyTorch CPU when installed.

Each framework runs in its own process (their thread pools fight inside one), alternating,
several rounds; a process reports the median step time after a warm-up, and the JSON keeps
the best round of each and the ratios.

``--threads N`` gives every framework the same N BLAS/OpenMP threads (on a machine shared
with other jobs, 1 keeps spinning thread pools from distorting the comparison).

    python benchmarks/cnn_step.py [--rounds 3] [--steps 30] [--warmup 5] [--threads N]
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

BATCH, N_CLASSES, LR, B1, B2, EPS, DROP = 128, 10, 1e-3, 0.9, 0.999, 1e-7, 0.5
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def make_batch(seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((BATCH, 28, 28, 1), dtype=np.float32), rng.integers(0, N_CLASSES, BATCH)


def ember_step_factory(x, y):
    import ember as keras
    from ember import layers

    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(DROP),
        layers.Dense(N_CLASSES, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=LR, epsilon=EPS),
                  loss="sparse_categorical_crossentropy")
    return lambda: model.train_on_batch(x, y)


def torch_step_factory(x, y):
    import torch

    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Dropout(DROP), torch.nn.Linear(1600, N_CLASSES),
    )
    opt = torch.optim.Adam(model.parameters(), lr=LR, eps=EPS)
    loss_fn = torch.nn.CrossEntropyLoss()
    xt = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))  # PyTorch is NCHW
    yt = torch.from_numpy(y)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(xt), yt)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def numpy_step_factory(x, y):
    """The floor: the same step by hand, channels-last, convolutions as im2col + GEMM."""
    rng = np.random.default_rng(0)

    def glorot(fan_in, fan_out, shape):
        limit = np.sqrt(6 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, shape).astype(np.float32)

    # Kernels as (kh * kw * C, O), the order of the columns _im2col makes.
    params = [glorot(9, 9 * 32, (9, 32)), np.zeros(32, np.float32),
              glorot(9 * 32, 9 * 64, (288, 64)), np.zeros(64, np.float32),
              glorot(1600, N_CLASSES, (1600, N_CLASSES)), np.zeros(N_CLASSES, np.float32)]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    rows = np.arange(BATCH)
    t = 0

    def step():
        nonlocal t
        w1, b1, w2, b2, w3, b3 = params
        cols1 = _im2col(x)                                   # (B * 26 * 26, 9)
        z1 = (cols1 @ w1 + b1).reshape(BATCH, 26, 26, 32)
        a1 = np.maximum(z1, 0)
        p1, mask1 = _maxpool2(a1)                            # (B, 13, 13, 32)
        cols2 = _im2col(p1)                                  # (B * 11 * 11, 288)
        z2 = (cols2 @ w2 + b2).reshape(BATCH, 11, 11, 64)
        a2 = np.maximum(z2, 0)
        p2, mask2 = _maxpool2(a2[:, :10, :10])               # (B, 5, 5, 64)
        keep = (rng.random((BATCH, 1600)) >= DROP).astype(np.float32) / (1 - DROP)
        h = p2.reshape(BATCH, 1600) * keep
        logits = h @ w3 + b3
        shifted = logits - logits.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        loss = float((np.log(total[:, 0]) - shifted[rows, y]).mean())

        d = e / total
        d[rows, y] -= 1
        d /= BATCH
        dh = (d @ w3.T) * keep
        da2 = np.zeros_like(a2)
        da2[:, :10, :10] = _unpool2(dh.reshape(BATCH, 5, 5, 64), mask2)
        dz2 = (da2 * (z2 > 0)).reshape(-1, 64)
        dp1 = _col2im((dz2 @ w2.T).reshape(BATCH, 11, 11, 3, 3, 32), (BATCH, 13, 13, 32))
        dz1 = (_unpool2(dp1, mask1) * (z1 > 0)).reshape(-1, 32)
        grads = [cols1.T @ dz1, dz1.sum(axis=0), cols2.T @ dz2, dz2.sum(axis=0),
                 h.T @ d, d.sum(axis=0)]
        t += 1
        alpha = LR * np.sqrt(1 - B2**t) / (1 - B1**t)
        for p, g, mi, vi in zip(params, grads, m, v):
            mi += (g - mi) * (1 - B1)
            vi += (g * g - vi) * (1 - B2)
            p -= alpha * mi / (np.sqrt(vi) + EPS)
        return loss

    return step


def _im2col(x):
    """The 3x3 windows of ``x`` (B, H, W, C) as rows ``(B * (H-2) * (W-2), 9 * C)``, each
    row ordered (kh, kw, C) so that channels stay contiguous."""
    windows = np.lib.stride_tricks.sliding_window_view(x, (3, 3), axis=(1, 2))
    return windows.transpose(0, 1, 2, 4, 5, 3).reshape(-1, 9 * x.shape[-1])


def _col2im(dcols, shape):
    """Scatter-add window gradients ``(B, OH, OW, 3, 3, C)`` back onto ``shape``."""
    out = np.zeros(shape, np.float32)
    oh, ow = dcols.shape[1:3]
    for i in range(3):
        for j in range(3):
            out[:, i:i + oh, j:j + ow] += dcols[:, :, :, i, j]
    return out


def _maxpool2(a):
    """2x2 max pool of ``a`` (B, 2H, 2W, C) and the mask of the maxima."""
    b, h2, w2, c = a.shape
    blocks = a.reshape(b, h2 // 2, 2, w2 // 2, 2, c)
    pooled = blocks.max(axis=(2, 4))
    return pooled, blocks == pooled[:, :, None, :, None]


def _unpool2(g, mask):
    b, h, _, w, _, c = mask.shape
    return (mask * g[:, :, None, :, None]).reshape(b, 2 * h, 2 * w, c)


FACTORIES = {"numpy": numpy_step_factory, "ember": ember_step_factory,
             "torch": torch_step_factory}


def child(framework: str, steps: int, warmup: int) -> None:
    step = FACTORIES[framework](*make_batch())
    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    print(json.dumps({"framework": framework, "median_s": float(np.median(times))}))


def torch_installed() -> bool:
    probe = subprocess.run([sys.executable, "-c", "import torch"], capture_output=True)
    return probe.returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=30, help="timed steps per process")
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
    for _ in range(args.rounds):  # alternate, so a noisy neighbour hits all alike
        for f in frameworks:
            out = subprocess.run([sys.executable, __file__, "--child", f, "--steps",
                                  str(args.steps), "--warmup", str(args.warmup)],
                                 capture_output=True, text=True, check=True, env=env)
            rounds[f].append(json.loads(out.stdout.strip().splitlines()[-1])["median_s"])
    best = {f: min(times) for f, times in rounds.items()}
    report = {
        "benchmark": "cnn_step",
        "network": "Keras simple MNIST convnet: conv32-pool-conv64-pool-dropout-dense10, "
                   "Adam, sparse cross-entropy",
        "batch": BATCH,
        "dtype": "float32",
        "steps": args.steps,
        "step_ms": {f: round(t * 1e3, 3) for f, t in best.items()},
        "rounds_ms": {f: [round(t * 1e3, 3) for t in times] for f, times in rounds.items()},
        "ember_over_numpy": round(best["ember"] / best["numpy"], 4),
        "numpy_version": np.__version__,
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "threads": args.threads,
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
    }
    if "torch" in best:
        report["ember_over_torch"] = round(best["ember"] / best["torch"], 4)
        report["target_ember_over_torch"] = 1.5
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
