"""A character-level language model trained on the docstrings of Python's standard library,
then asked to write text at several sampling temperatures.

After Karpathy (2015), "The Unreasonable Effectiveness of Recurrent Neural Networks", and the
Keras example "Character-level text generation with LSTM" (keras.io/examples/generative/
lstm_character_level_text_generation). The text ships with Python: the docstrings of 30
standard-library modules, their classes, functions and methods (about 237,000 characters on
Python 3.11; the last tenth is held out). Each training sequence is a window of ``seq_len``
characters; Embedding -> LSTM(return_sequences=True) -> Dense(vocab) predicts, at every step,
the logits of the next character. Twelve epochs bring the held-out loss to about 1.8 nats per
character (uniform guessing: 4.6). Sampling draws each character from softmax(logits / T): a
low temperature T picks the likeliest characters (safe, repetitive text), T = 1 samples the
model's own distribution, a higher T flattens it (more surprises, more misspellings).

    python examples/char_lm.py [--epochs 12] [--length 400]
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import time

import numpy as np

import ember as keras

MODULES = ("collections", "functools", "json", "textwrap", "string", "random", "statistics",
           "heapq", "bisect", "fractions", "argparse", "pathlib", "inspect", "unittest.case",
           "logging", "difflib", "threading", "subprocess", "shutil", "tempfile", "zipfile",
           "urllib.parse", "email.message", "http.client", "contextlib", "dataclasses", "enum",
           "calendar", "csv", "weakref")
TEMPERATURES = (0.2, 0.5, 1.0, 1.2)


def load_docstrings(modules=MODULES) -> str:
    """The distinct docstrings of the modules, of their public classes and functions and of
    the classes' public methods, in a fixed order, separated by blank lines."""
    texts, seen = [], set()
    for name in modules:
        module = importlib.import_module(name)
        objects = [module]
        for attr, obj in sorted(vars(module).items()):
            if attr.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isclass(obj):
                objects.append(obj)
                objects += [member for key, member in sorted(vars(obj).items())
                            if not key.startswith("_") and callable(member)]
            elif inspect.isfunction(obj):
                objects.append(obj)
        for obj in objects:
            doc = inspect.getdoc(obj)
            if doc and doc not in seen:
                seen.add(doc)
                texts.append(doc)
    if not texts:
        raise RuntimeError("load_docstrings: found no docstrings; was Python started with -OO?")
    return "\n\n".join(texts)


class Vocabulary:
    """The characters of a text, each mapped to an index."""

    def __init__(self, text: str):
        self.chars = sorted(set(text))
        self.index = {c: i for i, c in enumerate(self.chars)}

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        return np.array([self.index[c] for c in text], dtype=np.int64)

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)


def make_windows(ids: np.ndarray, seq_len: int, offset: int = 0):
    """Consecutive windows of ``seq_len`` characters starting at ``offset`` and, for each,
    the same window shifted one character ahead (the next-character targets)."""
    n = (len(ids) - offset - 1) // seq_len
    x = ids[offset:offset + n * seq_len].reshape(n, seq_len)
    y = ids[offset + 1:offset + 1 + n * seq_len].reshape(n, seq_len)
    return x, y


def build_model(vocab_size: int, units: int = 256, embed_dim: int = 32) -> keras.Model:
    return keras.Sequential([
        keras.Input(shape=(None,), dtype="int64"),
        keras.layers.Embedding(vocab_size, embed_dim),
        keras.layers.LSTM(units, return_sequences=True),
        keras.layers.Dense(vocab_size),  # logits of the next character, at every step
    ])


def sample(model: keras.Model, vocab: Vocabulary, prompt: str, length: int,
           temperature: float, rng: np.random.Generator, context: int = 64) -> str:
    """``length`` characters continuing ``prompt``, each drawn from softmax(logits / T) given
    the last ``context`` characters."""
    if temperature <= 0:
        raise ValueError(f"sample: expected temperature > 0, received temperature={temperature}")
    ids = list(vocab.encode(prompt))
    for _ in range(length):
        window = np.array(ids[-context:], dtype=np.int64)[None]
        logits = model.predict_on_batch(window)[0, -1].astype(np.float64) / temperature
        p = np.exp(logits - logits.max())
        ids.append(rng.choice(len(p), p=p / p.sum()))
    return vocab.decode(ids[len(ids) - length:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--seq-len", type=int, default=64)
    parser.add_argument("--units", type=int, default=256)
    parser.add_argument("--learning-rate", type=float, default=1e-2)
    parser.add_argument("--length", type=int, default=400, help="characters to generate")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    keras.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    text = load_docstrings()
    vocab = Vocabulary(text)
    ids = vocab.encode(text)
    split = len(ids) * 9 // 10
    train_ids, val_ids = ids[:split], ids[split:]
    print(f"{len(text)} characters of docstrings from {len(MODULES)} modules, "
          f"{len(vocab)} distinct; uniform guessing costs {np.log(len(vocab)):.2f} nats/char")

    model = build_model(len(vocab), args.units)
    model.summary()
    model.compile(optimizer=keras.optimizers.Adam(args.learning_rate, clipnorm=1.0),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x_val, y_val = make_windows(val_ids, args.seq_len)
    start = time.perf_counter()
    for epoch in range(args.epochs):
        # A new offset each epoch, so the windows do not always cut the text at the same places.
        x, y = make_windows(train_ids, args.seq_len, offset=int(rng.integers(args.seq_len)))
        print(f"Epoch {epoch + 1}/{args.epochs}")
        model.fit(x, y, batch_size=64, epochs=1, validation_data=(x_val, y_val), verbose=2)
    print(f"Trained in {time.perf_counter() - start:.0f} s")

    prompt = vocab.decode(val_ids[:args.seq_len])
    print(f"\nPrompt (from the held-out text):\n{prompt}")
    for temperature in TEMPERATURES:
        print(f"\n--- temperature {temperature} ---")
        print(sample(model, vocab, prompt, args.length, temperature, rng, args.seq_len))


if __name__ == "__main__":
    main()
