"""The number-addition seq2seq task of examples/addition_seq2seq.py (after the Keras example
keras.io/examples/nlp/addition_rnn): its question generator, its one-hot table and, slow, an
encoder-decoder LSTM that learns two-digit addition."""

import numpy as np
import pytest
from rnn_examples import load_example

import ember

addition = load_example("addition_seq2seq")


def test_questions_are_distinct_padded_reversed_and_answered():
    questions, expected = addition.generate_questions(3000, 3, np.random.default_rng(0))
    assert len(questions) == len(expected) == 3000
    assert all(len(q) == 7 for q in questions) and all(len(a) == 4 for a in expected)
    pairs = set()
    for q, a in zip(questions, expected):
        left, right = q[::-1].strip().split("+")
        assert int(a) == int(left) + int(right)
        assert 0 <= int(left) < 1000 and 0 <= int(right) < 1000
        pairs.add(tuple(sorted((int(left), int(right)))))
    assert len(pairs) == 3000
    assert max(len(q[::-1].rstrip()) for q in questions) == 7


def test_asking_for_more_questions_than_exist_is_an_error():
    with pytest.raises(ValueError, match="5050"):
        addition.generate_questions(5051, 2, np.random.default_rng(0))


def test_character_table_round_trip():
    table = addition.CharacterTable(addition.CHARS)
    rows = table.encode("12+7", 5)
    assert rows.shape == (5, 12) and rows.dtype == np.float32
    assert rows[:4].sum(axis=1).tolist() == [1, 1, 1, 1] and not rows[4].any()
    assert table.decode(table.encode("535+61 ", 7)) == "535+61 "
    assert table.decode(np.array([1, 2, 0]), calc_argmax=False) == "+0 "


@pytest.mark.slow
def test_encoder_decoder_learns_two_digit_addition():
    """LSTM(128) -> RepeatVector(3) -> LSTM(128, return_sequences=True) -> Dense softmax on
    4,000 two-digit questions (3,600 to train), 20 epochs of Adam (3e-3) at batch 32:
    per-character validation accuracy at least 90% (the example: 3 digits, 50,000 questions,
    99%). Measured with seeds 0 and 1: at least 92% from epoch 12 on, 99.6% and 99.2% at
    epoch 20."""
    digits = 2
    rng = np.random.default_rng(0)
    ember.utils.set_random_seed(0)
    table = addition.CharacterTable(addition.CHARS)
    x, y = addition.vectorize(*addition.generate_questions(4000, digits, rng), digits, table)
    (x_train, x_val), (y_train, y_val) = np.split(x, [3600]), np.split(y, [3600])

    model = addition.build_model(digits)
    model.compile(loss="categorical_crossentropy", optimizer=ember.optimizers.Adam(3e-3),
                  metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=32, epochs=20,
                        validation_data=(x_val, y_val), verbose=0)

    h = history.history
    assert h["loss"][-1] < h["loss"][0] / 4
    assert h["val_accuracy"][-1] >= 0.90, f"validation accuracy {h['val_accuracy'][-1]:.4f}"
    assert addition.exact_match(model, x_val, y_val) >= 0.60
