"""``fit`` on arrays: History, validation, weights, epochs, shuffling, stopping, the training
flag, regularization and output. Exact values come from tiny linear models computed by hand
(and from SGD with learning rate 0, which leaves the weights where they are)."""

import numpy as np
import pytest

import ember
from ember import layers


def _linear(kernel, bias=None, **dense_kwargs):
    """``x @ kernel (+ bias)`` with known weights."""
    kernel = np.asarray(kernel, dtype="float32")
    model = ember.Sequential([
        ember.Input(shape=(kernel.shape[0],)),
        layers.Dense(kernel.shape[1], use_bias=bias is not None, **dense_kwargs),
    ])
    model.set_weights([kernel] if bias is None else [kernel, np.asarray(bias, "float32")])
    return model


def _classification_data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int64") + (x[:, 2] > 1)
    return x, y


def _classifier(seed=0):
    ember.utils.set_random_seed(seed)
    return ember.Sequential([ember.Input(shape=(4,)), layers.Dense(8, activation="relu"),
                             layers.Dense(3, activation="softmax")])


def _sparse_ce(probs, labels):
    return -np.log(probs[np.arange(len(labels)), labels])


# ---- History ----------------------------------------------------------------------------


def test_history_keys_and_lengths():
    x, y = _classification_data()
    model = _classifier()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=4, batch_size=16, validation_data=(x[:20], y[:20]),
                        verbose=0)
    assert isinstance(history, ember.callbacks.History)
    assert history is model.history
    assert list(history.history) == ["loss", "accuracy", "val_loss", "val_accuracy"]
    assert all(len(v) == 4 for v in history.history.values())
    assert history.epoch == [0, 1, 2, 3]
    assert all(isinstance(v, float) for vs in history.history.values() for v in vs)
    assert all(0.0 <= a <= 1.0 for a in history.history["accuracy"])
    # The last val_* values are what evaluate reports for the same data and weights.
    val_loss, val_acc = model.evaluate(x[:20], y[:20], verbose=0)
    assert history.history["val_loss"][-1] == pytest.approx(val_loss, rel=1e-6)
    assert history.history["val_accuracy"][-1] == pytest.approx(val_acc)


def test_history_without_validation_has_no_val_keys():
    x, y = _classification_data(20)
    model = _classifier()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=2, verbose=0)
    assert list(history.history) == ["loss"]


def test_epoch_loss_is_the_sample_weighted_mean_of_batch_losses():
    """Batches of 4, 4 and 2 with learning rate 0: the epoch's loss is the mean over all
    10 samples, not the mean of the three batch means."""
    x = np.arange(10, dtype="float32")[:, None]
    y = np.zeros((10, 1), dtype="float32")
    model = _linear([[1.0]])
    model.compile(optimizer=ember.optimizers.SGD(0.0), loss="mse")
    history = model.fit(x, y, batch_size=4, shuffle=False, verbose=0)
    assert history.history["loss"] == [pytest.approx(np.mean(np.arange(10.0) ** 2))]


# ---- validation -------------------------------------------------------------------------


def test_validation_split_takes_the_last_fraction_before_shuffling():
    # 100 samples: targets 0 for the first 90, 10 for the last 10. With a frozen model
    # (lr 0) predicting x, the train and validation losses reveal which samples went where.
    x = np.linspace(-1, 1, 100, dtype="float32")[:, None]
    y = np.zeros((100, 1), dtype="float32")
    y[90:] = 10.0
    model = _linear([[1.0]])
    model.compile(optimizer=ember.optimizers.SGD(0.0), loss="mse")
    history = model.fit(x, y, validation_split=0.1, epochs=2, batch_size=8, shuffle=True,
                        verbose=0)
    train_loss = float(np.mean((x[:90] - y[:90]) ** 2))
    val_loss = float(np.mean((x[90:] - y[90:]) ** 2))
    assert history.history["loss"] == pytest.approx([train_loss] * 2, rel=1e-5)
    assert history.history["val_loss"] == pytest.approx([val_loss] * 2, rel=1e-5)


def test_validation_split_with_sample_weights_splits_them_too():
    x = np.ones((10, 1), dtype="float32")
    y = np.zeros((10, 1), dtype="float32")
    weights = np.array([1] * 8 + [0, 3], dtype="float32")
    model = _linear([[1.0]])
    model.compile(optimizer=ember.optimizers.SGD(0.0), loss="mse")
    history = model.fit(x, y, sample_weight=weights, validation_split=0.2, verbose=0)
    assert history.history["loss"] == [pytest.approx(1.0)]
    # As in Keras 3, the validation part keeps its weights: (0 * 1 + 3 * 1) / 2.
    assert history.history["val_loss"] == [pytest.approx(1.5)]


def test_validation_data_with_sample_weights():
    x = np.array([[1.0], [2.0], [3.0], [4.0]], dtype="float32")
    y = np.zeros((4, 1), dtype="float32")
    w = np.array([1.0, 0.0, 2.0, 0.5], dtype="float32")
    model = _linear([[1.0]])
    model.compile(optimizer=ember.optimizers.SGD(0.0), loss="mse")
    plain = model.fit(x, y, validation_data=(x, y), verbose=0).history
    weighted = model.fit(x, y, validation_data=(x, y, w), verbose=0).history
    assert plain["val_loss"] == [pytest.approx((1 + 4 + 9 + 16) / 4)]
    assert weighted["val_loss"] == [pytest.approx((1 * 1 + 0 * 4 + 2 * 9 + 0.5 * 16) / 4)]


def test_validation_freq_runs_validation_every_n_epochs():
    x, y = _classification_data(20)
    seen = []
    model = _classifier()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    record = ember.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: seen.append((epoch, "val_loss" in logs)))
    history = model.fit(x, y, epochs=5, validation_data=(x, y), validation_freq=2,
                        callbacks=[record], verbose=0)
    assert seen == [(0, False), (1, True), (2, False), (3, True), (4, False)]
    assert len(history.history["loss"]) == 5
    assert len(history.history["val_loss"]) == len(history.history["val_accuracy"]) == 2


# ---- sample and class weights -----------------------------------------------------------


def test_sample_weight_loss_and_sgd_step_by_hand():
    x = np.array([[1.0, 2.0], [0.0, 1.0], [3.0, -1.0], [2.0, 2.0]], dtype="float32")
    y = np.array([[1.0], [2.0], [0.0], [1.0]], dtype="float32")
    w = np.array([1.0, 2.0, 0.0, 0.5], dtype="float32")
    kernel = np.array([[0.5], [-1.0]], dtype="float32")
    model = _linear(kernel)
    model.compile(optimizer=ember.optimizers.SGD(0.1), loss="mse")
    history = model.fit(x, y, sample_weight=w, batch_size=4, verbose=0)

    residual = x @ kernel - y  # (4, 1)
    loss = float(np.sum(w[:, None] * residual ** 2) / 4)  # sum_over_batch_size: divide by n
    grad = 2.0 / 4 * x.T @ (w[:, None] * residual)
    assert history.history["loss"] == [pytest.approx(loss, rel=1e-6)]
    np.testing.assert_allclose(model.get_weights()[0], kernel - 0.1 * grad, rtol=1e-5)


def test_zero_sample_weights_leave_the_weights_unchanged():
    x, y = _classification_data(24)
    model = _classifier()
    model.compile(optimizer=ember.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy")
    before = model.get_weights()
    history = model.fit(x, y, sample_weight=np.zeros(24, dtype="float32"), epochs=2,
                        batch_size=8, verbose=0)
    assert history.history["loss"] == [0.0, 0.0]
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_class_weight_scales_each_sample_loss():
    x, y = _classification_data(30)
    model = _classifier()
    model.compile(optimizer=ember.optimizers.SGD(0.0), loss="sparse_categorical_crossentropy")
    class_weight = {0: 1.0, 1: 3.0, 2: 0.5}
    history = model.fit(x, y, class_weight=class_weight, batch_size=7, shuffle=False, verbose=0)
    per_sample = _sparse_ce(model.predict(x, verbose=0), y)
    weights = np.array([class_weight[c] for c in y])
    expected = float(np.mean(per_sample * weights))
    assert history.history["loss"] == [pytest.approx(expected, rel=1e-5)]
    assert expected != pytest.approx(float(np.mean(per_sample)), rel=1e-3)


def test_class_weight_with_one_hot_targets():
    x, y = _classification_data(12)
    one_hot = np.eye(3, dtype="float32")[y]
    model = _classifier()
    model.compile(optimizer=ember.optimizers.SGD(0.0), loss="categorical_crossentropy")
    history = model.fit(x, one_hot, class_weight={0: 2.0, 1: 0.0, 2: 1.0}, verbose=0)
    weights = np.array([2.0, 0.0, 1.0])[y]
    expected = float(np.mean(_sparse_ce(model.predict(x, verbose=0), y) * weights))
    assert history.history["loss"] == [pytest.approx(expected, rel=1e-5)]


def test_class_weight_missing_a_class_raises():
    x, y = _classification_data(30)
    model = _classifier()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="class"):
        model.fit(x, y, class_weight={0: 1.0, 1: 1.0}, verbose=0)


# ---- epochs, shuffling, determinism -----------------------------------------------------


def test_initial_epoch_resumes_the_epoch_count():
    x, y = _classification_data(20)
    epochs_seen = []
    model = _classifier()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=5, initial_epoch=3, verbose=0, callbacks=[
        ember.callbacks.LambdaCallback(on_epoch_begin=lambda e, logs: epochs_seen.append(e))])
    assert epochs_seen == [3, 4]
    assert history.epoch == [3, 4]
    assert len(history.history["loss"]) == 2


def test_shuffle_false_is_reproducible_and_keeps_order():
    class RecordBatches(layers.Layer):
        def __init__(self):
            super().__init__()
            self.first_values = []

        def call(self, inputs, training=None):
            if training:
                self.first_values.append(float(inputs.numpy()[0, 0]))
            return inputs

    x = np.arange(20, dtype="float32")[:, None]
    y = np.zeros((20, 1), dtype="float32")
    results = []
    for _ in range(2):
        recorder = RecordBatches()
        model = ember.Sequential([ember.Input(shape=(1,)), recorder, layers.Dense(1)])
        model.set_weights([np.array([[0.1]], "float32"), np.zeros(1, "float32")])
        model.compile(optimizer=ember.optimizers.SGD(0.001), loss="mse")
        model.fit(x, y, batch_size=5, epochs=2, shuffle=False, verbose=0)
        assert recorder.first_values == [0.0, 5.0, 10.0, 15.0] * 2
        results.append(model.get_weights())
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_shuffle_true_changes_the_batch_order():
    x = np.arange(64, dtype="float32")[:, None]
    order = []

    class RecordFirst(layers.Layer):
        def call(self, inputs, training=None):
            if training:
                order.append(inputs.numpy()[:, 0].tolist())
            return inputs

    model = ember.Sequential([ember.Input(shape=(1,)), RecordFirst(), layers.Dense(1)])
    model.compile(optimizer=ember.optimizers.SGD(0.0), loss="mse")
    model.fit(x, x, batch_size=64, epochs=2, verbose=0)
    assert sorted(order[0]) == list(range(64))
    assert order[0] != list(range(64)) and order[0] != order[1]


def test_set_random_seed_makes_build_and_fit_reproducible():
    x, y = _classification_data(40)

    def run():
        ember.utils.set_random_seed(0)
        model = ember.Sequential([ember.Input(shape=(4,)), layers.Dense(8, activation="relu"),
                                  layers.Dropout(0.3), layers.Dense(3, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        model.fit(x, y, epochs=2, batch_size=8, shuffle=True, verbose=0)
        return model.get_weights()

    first, second = run(), run()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    ember.utils.set_random_seed(1)
    other = ember.Sequential([ember.Input(shape=(4,)), layers.Dense(8)]).get_weights()
    assert not np.array_equal(other[0], first[0])


# ---- callbacks and the training flag -----------------------------------------------------


def test_stop_training_from_a_callback_ends_after_that_epoch():
    class StopAtEpoch(ember.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.stop_training = True

    x, y = _classification_data(20)
    model = _classifier()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=10, callbacks=[StopAtEpoch()], verbose=0)
    assert history.epoch == [0, 1]
    assert len(history.history["loss"]) == 2


def test_early_stopping_stops_a_stalled_run():
    x, y = _classification_data(20)
    model = _classifier()
    model.compile(optimizer=ember.optimizers.SGD(0.0), loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=20, shuffle=False, verbose=0,
                        callbacks=[ember.callbacks.EarlyStopping(monitor="loss", patience=2)])
    assert len(history.history["loss"]) == 3


class RecordTraining(layers.Layer):
    """Passes inputs through and records the ``training`` flag of each call."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.flags = []

    def call(self, inputs, training=None):
        self.flags.append(training)
        return inputs


def test_training_flag_is_true_only_in_fit_and_train_on_batch():
    recorder = RecordTraining()
    model = ember.Sequential([ember.Input(shape=(4,)), recorder,
                              layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = _classification_data(16)

    recorder.flags.clear()
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert recorder.flags == [True] * 4
    recorder.flags.clear()
    model.fit(x, y, batch_size=8, validation_data=(x, y), verbose=0)
    assert recorder.flags == [True, True, False, False]  # validation runs in inference mode
    recorder.flags.clear()
    model.train_on_batch(x, y)
    assert recorder.flags == [True]

    recorder.flags.clear()
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    model.test_on_batch(x, y)
    model.predict_on_batch(x)
    model(x)
    assert len(recorder.flags) == 5 and not any(recorder.flags)


def test_fit_records_no_graph_outside_the_step():
    """After fit, gradients are not left on the weights."""
    x, y = _classification_data(16)
    model = _classifier()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, verbose=0)
    assert all(w.grad is None for w in model.trainable_weights)


# ---- regularization ---------------------------------------------------------------------


def test_kernel_regularizer_is_added_to_the_loss_and_gradient():
    x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype="float32")
    y = np.array([[1.0], [0.0], [2.0]], dtype="float32")
    kernel = np.array([[2.0], [-1.0]], dtype="float32")
    model = _linear(kernel, kernel_regularizer="l2")  # Keras's default factor 0.01
    model.compile(optimizer=ember.optimizers.SGD(0.1), loss="mse")
    penalty = 0.01 * float(np.sum(kernel ** 2))
    residual = x @ kernel - y
    mse = float(np.mean(residual ** 2))
    assert len(model.losses) == 1 and float(model.losses[0].item()) == pytest.approx(penalty)

    history = model.fit(x, y, batch_size=3, verbose=0)
    assert history.history["loss"] == [pytest.approx(mse + penalty, rel=1e-6)]
    grad = 2.0 / 3 * x.T @ residual + 2 * 0.01 * kernel
    new_kernel = kernel - 0.1 * grad
    np.testing.assert_allclose(model.get_weights()[0], new_kernel, rtol=1e-5)

    # evaluate includes the penalty too, as in Keras 3.
    new_mse = float(np.mean((x @ new_kernel - y) ** 2))
    new_penalty = 0.01 * float(np.sum(new_kernel ** 2))
    assert model.evaluate(x, y, verbose=0) == pytest.approx(new_mse + new_penalty, rel=1e-5)


def test_activity_regularizer_adds_its_penalty():
    x = np.array([[1.0, 2.0], [3.0, 4.0]], dtype="float32")
    kernel = np.eye(2, dtype="float32")
    model = _linear(kernel, activity_regularizer=ember.regularizers.L1(0.1))
    model.compile(optimizer=ember.optimizers.SGD(0.0), loss="mse")
    history = model.fit(x, x, verbose=0)  # the mse is 0; only the penalty remains
    # Keras divides the activity penalty by the batch size.
    assert history.history["loss"] == [pytest.approx(0.1 * np.abs(x).sum() / 2, rel=1e-6)]


# ---- output -----------------------------------------------------------------------------


def _fit_output(capsys, verbose, epochs=3):
    x, y = _classification_data(20)
    model = _classifier()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    capsys.readouterr()
    model.fit(x, y, epochs=epochs, batch_size=10, validation_data=(x, y), verbose=verbose)
    return capsys.readouterr().out


def test_verbose_0_prints_nothing(capsys):
    assert _fit_output(capsys, 0) == ""


@pytest.mark.parametrize("verbose", [2, 1, "auto"])
def test_verbose_prints_one_line_per_epoch_when_not_a_terminal(capsys, verbose):
    out = _fit_output(capsys, verbose)
    lines = [line for line in out.splitlines() if line.strip()]
    assert [line for line in lines if line.startswith("Epoch")] == ["Epoch 1/3", "Epoch 2/3",
                                                                     "Epoch 3/3"]
    summaries = [line for line in lines if not line.startswith("Epoch")]
    assert len(summaries) == 3
    for line in summaries:
        assert line.startswith("2/2")
        for key in ("loss:", "accuracy:", "val_loss:", "val_accuracy:"):
            assert key in line


def test_evaluate_and_predict_verbose_0_print_nothing(capsys):
    x, y = _classification_data(20)
    model = _classifier()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    capsys.readouterr()
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    assert capsys.readouterr().out == ""
