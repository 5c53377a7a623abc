"""``compile``: optimizers, losses and metrics from strings and objects, and the metric class
``"accuracy"`` becomes for each kind of target (checked with its value)."""

import numpy as np
import pytest

import ember
from ember import layers


def _classifier(units=3, activation="softmax", features=4):
    return ember.Sequential([ember.Input(shape=(features,)),
                             layers.Dense(units, activation=activation)])


def _metric(model, cls):
    found = [m for m in model.metrics if isinstance(m, cls)]
    assert len(found) == 1, [type(m).__name__ for m in model.metrics]
    return found[0]


def test_optimizer_from_string_and_object():
    model = _classifier()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    assert isinstance(model.optimizer, ember.optimizers.Adam)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.001)

    sgd = ember.optimizers.SGD(0.1)
    model.compile(optimizer=sgd, loss=ember.losses.CategoricalCrossentropy())
    assert model.optimizer is sgd
    assert float(model.optimizer.learning_rate) == pytest.approx(0.1)


def test_default_optimizer_is_rmsprop():
    model = _classifier()
    model.compile(loss="mse")
    assert isinstance(model.optimizer, ember.optimizers.RMSprop)


def test_loss_string_and_object_give_the_same_value():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(10, 4)).astype("float32")
    labels = rng.integers(0, 3, 10)
    one_hot = np.eye(3, dtype="float32")[labels]
    model = _classifier()
    probs = model.predict(x, verbose=0)
    expected = float(np.mean(-np.log(probs[np.arange(10), labels])))

    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    assert model.evaluate(x, labels, verbose=0) == pytest.approx(expected, rel=1e-5)
    model.compile(optimizer="sgd", loss=ember.losses.CategoricalCrossentropy())
    assert model.evaluate(x, one_hot, verbose=0) == pytest.approx(expected, rel=1e-5)
    model.compile(optimizer="sgd", loss=ember.losses.categorical_crossentropy)
    assert model.evaluate(x, one_hot, verbose=0) == pytest.approx(expected, rel=1e-5)


def test_accuracy_resolves_to_sparse_categorical_for_integer_labels():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(30, 4)).astype("float32")
    y = rng.integers(0, 3, 30)
    model = _classifier()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    loss, accuracy = model.evaluate(x, y, verbose=0)
    assert _metric(model, ember.metrics.SparseCategoricalAccuracy).name == "accuracy"
    expected = np.mean(model.predict(x, verbose=0).argmax(axis=1) == y)
    assert accuracy == pytest.approx(expected)
    # (n, 1) integer labels are sparse too.
    _, accuracy = model.evaluate(x, y[:, None], verbose=0)
    assert accuracy == pytest.approx(expected)


def test_accuracy_resolves_to_categorical_for_one_hot_targets():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(30, 4)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, 30)]
    model = _classifier()
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    _, accuracy = model.evaluate(x, y, verbose=0)
    _metric(model, ember.metrics.CategoricalAccuracy)
    expected = np.mean(model.predict(x, verbose=0).argmax(axis=1) == y.argmax(axis=1))
    assert accuracy == pytest.approx(expected)


def test_accuracy_resolves_to_binary_for_one_output_unit():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(40, 4)).astype("float32")
    y = (rng.random(40) > 0.5).astype("float32")[:, None]
    model = _classifier(units=1, activation="sigmoid")
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["acc"])
    _, accuracy = model.evaluate(x, y, verbose=0)
    assert _metric(model, ember.metrics.BinaryAccuracy).name == "acc"
    expected = np.mean((model.predict(x, verbose=0) > 0.5) == (y > 0.5))
    assert accuracy == pytest.approx(expected)


def test_metric_objects_and_functions_keep_their_names():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(16, 4)).astype("float32")
    y = rng.normal(size=(16, 2)).astype("float32")
    model = _classifier(units=2, activation=None)
    model.compile(optimizer="sgd", loss="mse",
                  metrics=["mae", ember.metrics.RootMeanSquaredError(name="rmse_obj"),
                           ember.losses.mean_absolute_error])
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert list(logs) == ["loss", "mae", "rmse_obj", "mean_absolute_error"]
    pred = model.predict(x, verbose=0)
    assert logs["mae"] == pytest.approx(float(np.mean(np.abs(pred - y))), rel=1e-5)
    assert logs["mean_absolute_error"] == pytest.approx(logs["mae"], rel=1e-6)
    assert logs["rmse_obj"] == pytest.approx(float(np.sqrt(np.mean((pred - y) ** 2))), rel=1e-5)
    assert logs["loss"] == pytest.approx(logs["rmse_obj"] ** 2, rel=1e-5)


def test_crossentropy_shortcut_picks_the_loss_from_shapes():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(12, 4)).astype("float32")
    y = rng.integers(0, 3, 12)
    model = _classifier()
    model.compile(optimizer="sgd", loss="crossentropy")
    probs = model.predict(x, verbose=0)
    expected = float(np.mean(-np.log(probs[np.arange(12), y])))
    assert model.evaluate(x, y, verbose=0) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("kwargs, kind, close", [
    ({"optimizer": "adamm", "loss": "mse"}, "optimizer", "adam"),
    ({"optimizer": "sgd", "loss": "sparse_categorical_crossentropyy"}, "loss",
     "sparse_categorical_crossentropy"),
    ({"optimizer": "sgd", "loss": "mse", "metrics": ["accuraccy"]}, "metric", "accuracy"),
])
def test_unknown_identifier_names_a_close_match(kwargs, kind, close):
    model = _classifier()
    with pytest.raises(ValueError) as info:
        model.compile(**kwargs)
    message = str(info.value)
    assert kind in message.lower()
    assert f"'{close}'" in message


def test_fit_evaluate_before_compile_raise():
    model = _classifier()
    x, y = np.zeros((4, 4), dtype="float32"), np.zeros(4)
    for call in (lambda: model.fit(x, y, verbose=0), lambda: model.evaluate(x, y, verbose=0),
                 lambda: model.train_on_batch(x, y)):
        with pytest.raises(RuntimeError, match="compile"):
            call()
    assert model.predict(x, verbose=0).shape == (4, 3)  # predict needs no compile


def test_loss_list_with_wrong_length_raises():
    a = ember.Input(shape=(2,))
    model = ember.Model(a, [layers.Dense(1, name="o1")(a), layers.Dense(1, name="o2")(a)])
    model.compile(optimizer="sgd", loss=["mse", "mse", "mse"])
    with pytest.raises(ValueError, match="2"):
        model.fit(np.zeros((2, 2)), [np.zeros((2, 1))] * 2, verbose=0)


def test_loss_dict_with_unknown_output_raises():
    a = ember.Input(shape=(2,))
    model = ember.Model(a, layers.Dense(1, name="only")(a))
    model.compile(optimizer="sgd", loss={"missing": "mse"})
    with pytest.raises(ValueError, match="missing"):
        model.fit(np.zeros((2, 2)), np.zeros((2, 1)), verbose=0)


def test_weighted_metrics_use_sample_weights_and_keras_names():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(20, 4)).astype("float32")
    y = rng.integers(0, 3, 20)
    w = rng.random(20).astype("float32")
    model = _classifier()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], weighted_metrics=["accuracy"])
    logs = model.evaluate(x, y, sample_weight=w, verbose=0, return_dict=True)
    assert model.metrics_names == ["loss", "accuracy", "weighted_accuracy"]
    correct = model.predict(x, verbose=0).argmax(axis=1) == y
    assert logs["accuracy"] == pytest.approx(float(np.mean(correct)))
    assert logs["weighted_accuracy"] == pytest.approx(float(np.sum(w * correct) / np.sum(w)),
                                                      rel=1e-5)
