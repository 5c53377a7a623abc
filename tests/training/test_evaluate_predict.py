"""``evaluate``, ``predict`` and the ``*_on_batch`` methods: return shapes and values as
Keras gives them, checked against NumPy."""

import numpy as np
import pytest

import ember
from ember import layers


def _data(n=23, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int64") + (x[:, 1] > 0.5)
    return x, y


def _classifier(metrics=None, optimizer="sgd"):
    ember.utils.set_random_seed(0)
    model = ember.Sequential([ember.Input(shape=(4,)), layers.Dense(6, activation="tanh"),
                              layers.Dense(3, activation="softmax")])
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=metrics)
    return model


def _by_hand(model, x, y):
    probs = model.predict(x, verbose=0)
    loss = float(np.mean(-np.log(probs[np.arange(len(y)), y])))
    return loss, float(np.mean(probs.argmax(axis=1) == y))


def test_evaluate_returns_a_scalar_with_only_a_loss():
    x, y = _data()
    model = _classifier()
    result = model.evaluate(x, y, verbose=0)
    assert isinstance(result, float)
    assert result == pytest.approx(_by_hand(model, x, y)[0], rel=1e-5)
    assert model.metrics_names == ["loss"]


def test_evaluate_returns_a_list_in_metrics_names_order():
    x, y = _data()
    model = _classifier(metrics=["accuracy", "sparse_categorical_crossentropy"])
    result = model.evaluate(x, y, verbose=0)
    assert model.metrics_names == ["loss", "accuracy", "sparse_categorical_crossentropy"]
    loss, accuracy = _by_hand(model, x, y)
    assert result == pytest.approx([loss, accuracy, loss], rel=1e-5)


def test_evaluate_return_dict():
    x, y = _data()
    model = _classifier(metrics=["accuracy"])
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert list(logs) == ["loss", "accuracy"]
    assert [logs["loss"], logs["accuracy"]] == pytest.approx(list(_by_hand(model, x, y)),
                                                             rel=1e-5)


@pytest.mark.parametrize("batch_size", [1, 5, 23, 64])
def test_evaluate_does_not_depend_on_the_batch_size(batch_size):
    x, y = _data()
    model = _classifier(metrics=["accuracy"])
    result = model.evaluate(x, y, batch_size=batch_size, verbose=0)
    assert result == pytest.approx(list(_by_hand(model, x, y)), rel=1e-5)


def test_evaluate_with_sample_weight():
    x, y = _data()
    model = _classifier()
    w = np.linspace(0, 2, len(y)).astype("float32")
    probs = model.predict(x, verbose=0)
    expected = float(np.mean(-np.log(probs[np.arange(len(y)), y]) * w))
    assert model.evaluate(x, y, sample_weight=w, batch_size=len(y), verbose=0) == pytest.approx(
        expected, rel=1e-5)


def test_evaluate_leaves_weights_unchanged():
    x, y = _data()
    model = _classifier(optimizer="adam")
    before = model.get_weights()
    model.evaluate(x, y, verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("batch_size", [None, 1, 4, 7, 100])
def test_predict_batches_give_the_full_output(batch_size):
    x, _ = _data(23)
    model = _classifier()
    out = model.predict(x, batch_size=batch_size, verbose=0)
    assert isinstance(out, np.ndarray) and out.shape == (23, 3) and out.dtype == np.float32
    np.testing.assert_allclose(out, model(x).numpy(), rtol=1e-6)


def test_predict_counts_batches_for_callbacks():
    x, _ = _data(23)
    seen = []
    model = _classifier()
    model.predict(x, batch_size=10, verbose=0, callbacks=[
        ember.callbacks.LambdaCallback(
            on_predict_batch_end=lambda b, logs: seen.append(len(logs["outputs"])))])
    assert seen == [10, 10, 3]


def test_predict_on_a_generator():
    x, _ = _data(12)
    model = _classifier()
    out = model.predict((x[i:i + 5] for i in range(0, 12, 5)), verbose=0)
    np.testing.assert_allclose(out, model(x).numpy(), rtol=1e-6)


def test_train_on_batch_returns_the_loss_before_the_step():
    x = np.array([[1.0, 0.0], [0.0, 2.0]], dtype="float32")
    y = np.array([[1.0], [1.0]], dtype="float32")
    model = ember.Sequential([ember.Input(shape=(2,)), layers.Dense(1, use_bias=False)])
    kernel = np.array([[0.5], [0.25]], dtype="float32")
    model.set_weights([kernel])
    model.compile(optimizer=ember.optimizers.SGD(0.1), loss="mse", metrics=["mae"])

    loss = model.train_on_batch(x, y)
    residual = x @ kernel - y  # [-0.5, -0.5]
    assert loss == pytest.approx([float(np.mean(residual ** 2)),
                                  float(np.mean(np.abs(residual)))])
    new_kernel = kernel - 0.1 * (2.0 / 2 * x.T @ residual)
    np.testing.assert_allclose(model.get_weights()[0], new_kernel, rtol=1e-6)
    assert int(model.optimizer.iterations.numpy()) == 1

    model.reset_metrics()
    logs = model.test_on_batch(x, y, return_dict=True)
    assert logs["loss"] == pytest.approx(float(np.mean((x @ new_kernel - y) ** 2)), rel=1e-6)
    np.testing.assert_allclose(model.get_weights()[0], new_kernel, rtol=1e-6)  # no step

    out = model.predict_on_batch(x)
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(out, x @ new_kernel, rtol=1e-6)


def test_train_on_batch_with_class_weight_and_sample_weight():
    x, y = _data(6)
    model = _classifier(optimizer=ember.optimizers.SGD(0.0))
    probs = model.predict(x, verbose=0)
    per_sample = -np.log(probs[np.arange(6), y])
    class_weight = {0: 0.5, 1: 2.0, 2: 1.0}
    w = np.array([class_weight[c] for c in y])
    assert model.train_on_batch(x, y, class_weight=class_weight) == pytest.approx(
        float(np.mean(per_sample * w)), rel=1e-5)
    model.reset_metrics()
    sw = np.arange(6, dtype="float32")
    assert model.train_on_batch(x, y, sample_weight=sw) == pytest.approx(
        float(np.mean(per_sample * sw)), rel=1e-5)


def test_optimizer_iterations_count_the_steps_of_fit():
    x, y = _data(23)
    model = _classifier()
    model.fit(x, y, batch_size=5, epochs=3, verbose=0)  # ceil(23 / 5) = 5 steps an epoch
    assert int(model.optimizer.iterations.numpy()) == 15
