"""Sequence to sequence learning for performing number addition, after the Keras example of
that name (keras.io/examples/nlp/addition_rnn, Smerity and fchollet).

A question such as "535+61" is padded with spaces to 7 characters, reversed (which shortens
the path between the digits that must be added, as in Sutskever et al., 2014, "Sequence to
Sequence Learning with Neural Networks") and one-hot encoded. An LSTM(128) encoder reads it;
its last state is repeated once per answer character (RepeatVector) and an
LSTM(128, return_sequences=True) decoder with a softmax per step writes the answer "596 ".
Trained on 45,000 of 50,000 generated questions, validated on the rest; the accuracy is per
answer character, as in the Keras example. Passes 99% validation accuracy from about the
twelfth of its 30 epochs, with dips of a few points on the way.

    python examples/addition_seq2seq.py [--epochs 30] [--digits 3] [--size 50000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import ember as keras

CHARS = "0123456789+ "


class CharacterTable:
    """One-hot encoding of strings over a fixed alphabet, and decoding back from one-hot
    rows, probabilities or indices."""

    def __init__(self, chars: str):
        self.chars = sorted(set(chars))
        self.char_indices = {c: i for i, c in enumerate(self.chars)}
        self.indices_char = dict(enumerate(self.chars))

    def encode(self, text: str, num_rows: int) -> np.ndarray:
        x = np.zeros((num_rows, len(self.chars)), dtype=np.float32)
        for i, c in enumerate(text):
            x[i, self.char_indices[c]] = 1.0
        return x

    def decode(self, x: np.ndarray, calc_argmax: bool = True) -> str:
        if calc_argmax:
            x = x.argmax(axis=-1)
        return "".join(self.indices_char[int(i)] for i in x)


def generate_questions(size: int, digits: int, rng: np.random.Generator, reverse=True):
    """``size`` distinct questions "a+b" (a and b of 1 to ``digits`` digits; a+b and b+a count
    once), padded to ``2 * digits + 1`` characters, with their answers padded to
    ``digits + 1``."""
    distinct = 10**digits * (10**digits + 1) // 2
    if size > distinct:
        raise ValueError(f"generate_questions: expected size <= {distinct}, the number of "
                         f"distinct questions with {digits} digits; received size={size}")
    maxlen = 2 * digits + 1
    questions, expected, seen = [], [], set()

    def number() -> int:  # 1 to ``digits`` random digits, so short numbers are common
        return int("".join(rng.choice(list("0123456789"), size=rng.integers(1, digits + 1))))

    while len(questions) < size:
        a, b = number(), number()
        key = tuple(sorted((a, b)))
        if key in seen:
            continue
        seen.add(key)
        query = f"{a}+{b}".ljust(maxlen)
        questions.append(query[::-1] if reverse else query)
        expected.append(str(a + b).ljust(digits + 1))
    return questions, expected


def vectorize(questions, expected, digits: int, ctable: CharacterTable):
    x = np.stack([ctable.encode(q, 2 * digits + 1) for q in questions])
    y = np.stack([ctable.encode(a, digits + 1) for a in expected])
    return x, y


def build_model(digits: int, units: int = 128) -> keras.Model:
    return keras.Sequential([
        keras.Input(shape=(2 * digits + 1, len(CHARS))),
        keras.layers.LSTM(units),                          # encoder: the question in a vector
        keras.layers.RepeatVector(digits + 1),             # one copy per answer character
        keras.layers.LSTM(units, return_sequences=True),   # decoder
        keras.layers.Dense(len(CHARS), activation="softmax"),  # a character per step
    ])


def exact_match(model: keras.Model, x: np.ndarray, y: np.ndarray) -> float:
    """The fraction of answers with every character right."""
    predicted = model.predict(x, batch_size=1024, verbose=0).argmax(axis=-1)
    return float(np.mean(np.all(predicted == y.argmax(axis=-1), axis=1)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--digits", type=int, default=3)
    parser.add_argument("--size", type=int, default=50000, help="number of questions")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    keras.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    ctable = CharacterTable(CHARS)
    questions, expected = generate_questions(args.size, args.digits, rng)
    x, y = vectorize(questions, expected, args.digits, ctable)
    split_at = len(x) - len(x) // 10  # the last 10% for validation, as the Keras example
    (x_train, x_val), (y_train, y_val) = np.split(x, [split_at]), np.split(y, [split_at])
    print(f"{len(x_train)} training and {len(x_val)} validation questions, "
          f"e.g. {questions[0][::-1]!r} -> {expected[0]!r}")

    model = build_model(args.digits)
    model.summary()
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        print(f"Epoch {epoch}/{args.epochs}")
        history = model.fit(x_train, y_train, batch_size=args.batch_size, epochs=1,
                            validation_data=(x_val, y_val))
        for i in rng.integers(0, len(x_val), size=5):
            guess = ctable.decode(model.predict(x_val[i:i + 1], verbose=0)[0])
            correct = ctable.decode(y_val[i])
            mark = "ok " if guess == correct else "bad"
            print(f"  Q {ctable.decode(x_val[i])[::-1]} T {correct} {mark} {guess}")
    elapsed = time.perf_counter() - start

    print(f"Validation accuracy per character: {history.history['val_accuracy'][-1] * 100:.2f}%"
          f" after {args.epochs} epochs ({elapsed:.0f} s)")
    print(f"Validation answers entirely right: {exact_match(model, x_val, y_val) * 100:.2f}%")


if __name__ == "__main__":
    main()
