"""``Model.summary``: the lines it hands to ``print_fn``, with Keras's numbers."""

import re

import ember
from ember import layers


def _summary_lines(model, **kwargs) -> list:
    lines = []
    model.summary(print_fn=lines.append, **kwargs)
    return lines


def _row(lines, layer_name):
    rows = [line for line in lines if line.startswith(f"{layer_name} (")]
    assert len(rows) == 1, f"expected one row for {layer_name!r} in:\n" + "\n".join(lines)
    return rows[0]


def _mnist_mlp():
    return ember.Sequential([
        ember.Input(shape=(784,)),
        layers.Dense(512, activation="relu", name="hidden"),
        layers.Dense(10, activation="softmax", name="probs"),
    ], name="mlp")


def test_sequential_summary_rows_and_totals():
    lines = _summary_lines(_mnist_mlp())
    assert any('"mlp"' in line for line in lines)
    hidden = _row(lines, "hidden")
    assert "(Dense)" in hidden and "(None, 512)" in hidden and "401,920" in hidden
    probs = _row(lines, "probs")
    assert "(Dense)" in probs and "(None, 10)" in probs and "5,130" in probs
    text = "\n".join(lines)
    # 407,050 float32 parameters are 1,628,200 bytes = 1.55 MiB, as Keras prints them.
    assert re.search(r"Total params: 407,050 \(1\.55 MB\)", text)
    assert re.search(r"Trainable params: 407,050", text)
    assert re.search(r"Non-trainable params: 0\b", text)
    # The Input of a Sequential is not a row, as in Keras.
    assert not any("InputLayer" in line for line in lines)
    # Rows come in the order of the layers.
    assert lines.index(hidden) < lines.index(probs)


def test_summary_goes_to_stdout_without_print_fn(capsys):
    _mnist_mlp().summary()
    out = capsys.readouterr().out
    assert "401,920" in out and "407,050" in out


def test_summary_counts_non_trainable_params():
    model = _mnist_mlp()
    model.get_layer("hidden").trainable = False
    text = "\n".join(_summary_lines(model))
    assert re.search(r"Total params: 407,050", text)
    assert re.search(r"Trainable params: 5,130\b", text)
    assert re.search(r"Non-trainable params: 401,920\b", text)


def test_functional_summary_lists_inputs_and_connections():
    a = ember.Input(shape=(3,), name="in_a")
    b = ember.Input(shape=(2,), name="in_b")
    merged = layers.Concatenate(name="merged")([a, b])
    out = layers.Dense(4, name="head")(merged)
    lines = _summary_lines(ember.Model([a, b], out, name="two_inputs"))
    assert "(None, 3)" in _row(lines, "in_a")
    merged_row = _row(lines, "merged")
    assert "(None, 5)" in merged_row and "in_a" in merged_row and "in_b" in merged_row
    head = _row(lines, "head")
    assert "(None, 4)" in head and "24" in head
    assert any("Total params: 24 " in line for line in lines)


def test_nested_model_is_one_row_with_its_params():
    inner = ember.Sequential([layers.Dense(4, name="inner_a"), layers.Dense(2, name="inner_b")],
                             name="inner")
    x = ember.Input(shape=(5,))
    out = layers.Dense(1, name="outer_head")(inner(x))
    lines = _summary_lines(ember.Model(x, out))
    inner_row = _row(lines, "inner")
    assert "(Sequential)" in inner_row and "(None, 2)" in inner_row
    assert "34" in inner_row  # 5*4 + 4 + 4*2 + 2
    assert any("Total params: 37 " in line for line in lines)
