"""Functional models: two inputs and two outputs trained with lists and dicts, per-output
losses, ``loss_weights`` and metrics with Keras's names, shared layers, nested models."""

import numpy as np
import pytest

import ember
from ember import layers


def _two_in_two_out(seed=0):
    ember.utils.set_random_seed(seed)
    a = ember.Input(shape=(3,), name="in1")
    b = ember.Input(shape=(2,), name="in2")
    hidden = layers.Dense(8, activation="tanh", name="hidden")(layers.Concatenate()([a, b]))
    out1 = layers.Dense(3, activation="softmax", name="out1")(hidden)
    out2 = layers.Dense(1, name="out2")(hidden)
    return ember.Model([a, b], [out1, out2], name="two_by_two")


def _two_by_two_data(n=48, seed=0):
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=(n, 3)).astype("float32")
    x2 = rng.normal(size=(n, 2)).astype("float32")
    y1 = (x1[:, 0] > 0).astype("int64") + (x2[:, 0] > 0)  # classes 0, 1, 2
    y2 = (x1.sum(axis=1, keepdims=True) - x2[:, :1]).astype("float32")
    return x1, x2, y1, y2


def _sparse_ce(probs, labels):
    return float(np.mean(-np.log(np.clip(probs[np.arange(len(labels)), labels], 1e-7, 1.0))))


def test_names_and_shapes():
    model = _two_in_two_out()
    assert model.input_names == ["in1", "in2"]
    assert model.output_names == ["out1", "out2"]
    assert model.input_shape == [(None, 3), (None, 2)]
    assert model.output_shape == [(None, 3), (None, 1)]
    x1, x2, _, _ = _two_by_two_data(5)
    p1, p2 = model([x1, x2])
    assert p1.shape == (5, 3) and p2.shape == (5, 1)


def test_fit_with_lists_logs_per_output_losses_and_metrics():
    model = _two_in_two_out()
    model.compile(optimizer="adam",
                  loss=["sparse_categorical_crossentropy", "mse"],
                  metrics=[["accuracy"], ["mae"]])
    x1, x2, y1, y2 = _two_by_two_data()
    history = model.fit([x1, x2], [y1, y2], epochs=3, batch_size=16, verbose=0,
                        validation_split=0.25)
    expected = {"loss", "out1_loss", "out2_loss", "out1_accuracy", "out2_mae"}
    expected |= {f"val_{k}" for k in expected}
    assert set(history.history) == expected
    assert all(len(v) == 3 for v in history.history.values())
    # The total is the sum of the per-output losses (weights 1); epoch means are both taken
    # over the same batches with the same batch sizes, so the identity holds exactly.
    h = history.history
    for i in range(3):
        assert h["loss"][i] == pytest.approx(h["out1_loss"][i] + h["out2_loss"][i], rel=1e-5)
        assert h["val_loss"][i] == pytest.approx(h["val_out1_loss"][i] + h["val_out2_loss"][i],
                                                 rel=1e-5)
    assert h["loss"][-1] < h["loss"][0]


def test_fit_with_dicts_and_loss_weights_matches_hand_computation():
    model = _two_in_two_out()
    model.compile(optimizer=ember.optimizers.SGD(0.05),
                  loss={"out1": "sparse_categorical_crossentropy", "out2": "mse"},
                  loss_weights={"out1": 1.0, "out2": 0.5},
                  metrics={"out1": ["accuracy"], "out2": ["mae"]})
    x1, x2, y1, y2 = _two_by_two_data()
    history = model.fit({"in1": x1, "in2": x2}, {"out1": y1, "out2": y2}, epochs=2,
                        batch_size=16, verbose=0)
    assert set(history.history) == {"loss", "out1_loss", "out2_loss", "out1_accuracy",
                                    "out2_mae"}
    assert model.metrics_names == ["loss", "out1_loss", "out2_loss", "out1_accuracy",
                                   "out2_mae"]

    p1, p2 = model.predict([x1, x2], verbose=0)
    ce = _sparse_ce(p1, y1)
    mse = float(np.mean((p2 - y2) ** 2))
    acc = float(np.mean(p1.argmax(axis=1) == y1))
    mae = float(np.mean(np.abs(p2 - y2)))
    logs = model.evaluate({"in1": x1, "in2": x2}, {"out1": y1, "out2": y2}, verbose=0,
                          return_dict=True)
    assert logs["out1_loss"] == pytest.approx(ce, rel=1e-4)
    assert logs["out2_loss"] == pytest.approx(mse, rel=1e-4)
    assert logs["loss"] == pytest.approx(ce + 0.5 * mse, rel=1e-4)
    assert logs["out1_accuracy"] == pytest.approx(acc)
    assert logs["out2_mae"] == pytest.approx(mae, rel=1e-4)
    values = model.evaluate([x1, x2], [y1, y2], verbose=0)
    assert values == pytest.approx([logs[k] for k in model.metrics_names], rel=1e-6)


def test_loss_weights_as_list_scale_the_total():
    x1, x2, y1, y2 = _two_by_two_data(20)
    totals = []
    for weights in ([1.0, 1.0], [2.0, 0.0]):
        model = _two_in_two_out(seed=3)
        model.compile(optimizer="sgd", loss=["sparse_categorical_crossentropy", "mse"],
                      loss_weights=weights)
        totals.append(model.evaluate([x1, x2], [y1, y2], verbose=0, return_dict=True))
    plain, weighted = totals
    assert weighted["out1_loss"] == pytest.approx(plain["out1_loss"])
    assert weighted["loss"] == pytest.approx(2.0 * plain["out1_loss"], rel=1e-5)


def test_one_sample_weight_array_applies_to_every_output():
    """As in Keras, a single ``sample_weight`` array weights the loss of each output."""
    model = _two_in_two_out()
    model.compile(optimizer="sgd", loss=["sparse_categorical_crossentropy", "mse"])
    x1, x2, y1, y2 = _two_by_two_data(8)
    weights = np.array([1, 0, 2, 0, 1, 0, 1, 3], dtype="float32")
    p1, p2 = model.predict([x1, x2], verbose=0)
    per_ce = -np.log(p1[np.arange(8), y1])
    per_se = ((p2 - y2) ** 2)[:, 0]
    logs = model.evaluate([x1, x2], [y1, y2], sample_weight=weights, batch_size=8, verbose=0,
                          return_dict=True)
    assert logs["out1_loss"] == pytest.approx(float(np.mean(per_ce * weights)), rel=1e-4)
    assert logs["out2_loss"] == pytest.approx(float(np.mean(per_se * weights)), rel=1e-4)


def test_predict_returns_a_list_for_two_outputs():
    model = _two_in_two_out()
    x1, x2, _, _ = _two_by_two_data(13)
    p1, p2 = model.predict([x1, x2], batch_size=4, verbose=0)
    assert isinstance(p1, np.ndarray) and p1.shape == (13, 3)
    assert isinstance(p2, np.ndarray) and p2.shape == (13, 1)
    e1, e2 = model([x1, x2])
    np.testing.assert_allclose(p1, e1.numpy(), rtol=1e-6)
    np.testing.assert_allclose(p2, e2.numpy(), rtol=1e-6)


def test_dict_outputs_train_by_key():
    x_in = ember.Input(shape=(4,), name="features")
    hidden = layers.Dense(6, activation="relu")(x_in)
    model = ember.Model(x_in, {"score": layers.Dense(1)(hidden),
                               "label": layers.Dense(2, activation="softmax")(hidden)})
    model.compile(optimizer="adam",
                  loss={"score": "mse", "label": "sparse_categorical_crossentropy"},
                  metrics={"label": ["accuracy"]})
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype("float32")
    y = {"score": x.sum(axis=1, keepdims=True), "label": (x[:, 0] > 0).astype("int64")}
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert {"loss", "score_loss", "label_loss", "label_accuracy"} == set(history.history)
    out = model.predict(x, verbose=0)
    assert isinstance(out, dict) and out["score"].shape == (32, 1) and out["label"].shape == (32, 2)


def test_shared_layer_has_one_set_of_weights():
    shared = layers.Dense(4, name="shared")
    a = ember.Input(shape=(3,))
    b = ember.Input(shape=(3,))
    out = layers.Concatenate()([shared(a), shared(b)])
    model = ember.Model([a, b], out)
    assert len(model.weights) == 2 and model.count_params() == 3 * 4 + 4
    x = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    y = model.predict([x, x], verbose=0)
    np.testing.assert_allclose(y[:, :4], y[:, 4:], rtol=1e-6)
    kernel, bias = shared.get_weights()
    np.testing.assert_allclose(y[:, :4], x @ kernel + bias, rtol=1e-5, atol=1e-6)

    # Training moves the one kernel: both branches stay identical after fit.
    model.compile(optimizer="sgd", loss="mse")
    model.fit([x, 2 * x], np.ones((5, 8), dtype="float32"), epochs=2, verbose=0)
    assert not np.allclose(shared.get_weights()[0], kernel)
    y = model.predict([x, x], verbose=0)
    np.testing.assert_allclose(y[:, :4], y[:, 4:], rtol=1e-6)


def test_nested_sequential_inside_functional_model():
    inner = ember.Sequential([layers.Dense(5, activation="relu"), layers.Dense(2)], name="inner")
    x_in = ember.Input(shape=(4,))
    head = layers.Dense(1, name="head")
    model = ember.Model(x_in, head(inner(x_in)))
    assert len(model.weights) == 6
    assert model.count_params() == (4 * 5 + 5) + (5 * 2 + 2) + (2 + 1)
    assert inner in model.layers

    x = np.random.default_rng(0).normal(size=(6, 4)).astype("float32")
    k1, b1, k2, b2 = inner.get_weights()
    k3, b3 = head.get_weights()
    expected = (np.maximum(x @ k1 + b1, 0) @ k2 + b2) @ k3 + b3
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)

    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, np.ones((6, 1), dtype="float32"), epochs=1, verbose=0)
    assert not np.allclose(inner.get_weights()[0], k1)  # the nested weights are trained


def test_functional_model_is_callable_on_symbolic_inputs():
    """A whole model is a layer: calling it on an Input makes a bigger model."""
    base = ember.Sequential([ember.Input(shape=(3,)), layers.Dense(2)])
    x_in = ember.Input(shape=(3,))
    outer = ember.Model(x_in, layers.Activation("sigmoid")(base(x_in)))
    x = np.ones((2, 3), dtype="float32")
    expected = 1 / (1 + np.exp(-base.predict(x, verbose=0)))
    np.testing.assert_allclose(outer.predict(x, verbose=0), expected, rtol=1e-6)


def test_output_not_reachable_from_inputs_raises():
    a = ember.Input(shape=(2,))
    other = ember.Input(shape=(2,), name="stray")
    with pytest.raises(ValueError, match="stray"):
        ember.Model(a, layers.Dense(1)(other))
