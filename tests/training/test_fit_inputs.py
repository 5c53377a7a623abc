"""What ``fit`` accepts as data: Python generators (with and without ``steps_per_epoch``),
``PyDataset``s, iterables, lists; and the errors for data that does not fit the model."""

import numpy as np
import pytest

import ember
from ember import layers


def _data(n=32, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype("float32")
    return x, (x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")).astype("float32")


def _regressor():
    ember.utils.set_random_seed(0)
    model = ember.Sequential([ember.Input(shape=(3,), name="features"),
                              layers.Dense(1, name="linear")])
    model.compile(optimizer=ember.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
    return model


def test_finite_generator_is_one_epoch_and_matches_arrays():
    x, y = _data()

    def batches():
        for start in range(0, 32, 8):
            yield x[start:start + 8], y[start:start + 8]

    from_generator, from_arrays = _regressor(), _regressor()
    h1 = from_generator.fit(batches(), epochs=1, verbose=0)
    h2 = from_arrays.fit(x, y, batch_size=8, shuffle=False, epochs=1, verbose=0)
    assert h1.history["loss"] == pytest.approx(h2.history["loss"], rel=1e-6)
    for a, b in zip(from_generator.get_weights(), from_arrays.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_endless_generator_with_steps_per_epoch():
    x, y = _data()
    drawn = []

    def forever():
        i = 0
        while True:
            start = (i % 4) * 8
            drawn.append(start)
            yield x[start:start + 8], y[start:start + 8]
            i += 1

    model = _regressor()
    steps_seen = []
    history = model.fit(forever(), steps_per_epoch=3, epochs=4, verbose=0, callbacks=[
        ember.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: steps_seen.append(b))])
    assert len(history.history["loss"]) == 4
    assert steps_seen == [0, 1, 2] * 4
    assert drawn[:12] == [0, 8, 16, 24] * 3  # the generator continues across epochs
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_generator_with_sample_weights_in_batches():
    x, y = _data(8)
    model = _regressor()
    model.compile(optimizer=ember.optimizers.SGD(0.0), loss="mse")
    w = np.array([1, 0, 0, 0, 0, 0, 0, 2], dtype="float32")
    history = model.fit(iter([(x, y, w)]), verbose=0)
    per_sample = ((model.predict(x, verbose=0) - y) ** 2)[:, 0]
    assert history.history["loss"] == [pytest.approx(float(np.mean(per_sample * w)), rel=1e-5)]


def test_exhausted_generator_without_steps_raises_clearly():
    x, y = _data(8)
    model = _regressor()
    with pytest.raises(ValueError, match="steps_per_epoch"):
        model.fit(iter([(x, y)]), epochs=2, verbose=0)


class Batches(ember.utils.PyDataset):
    def __init__(self, x, y, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.batch_size = x, y, batch_size
        self.epoch_ends = 0

    def __len__(self):
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, index):
        part = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return self.x[part], self.y[part]

    def on_epoch_end(self):
        self.epoch_ends += 1


@pytest.mark.parametrize("workers", [1, 2])
def test_py_dataset_trains_like_arrays(workers):
    x, y = _data(30)
    dataset = Batches(x, y, batch_size=8, workers=workers)
    from_dataset, from_arrays = _regressor(), _regressor()
    batches_per_epoch = []
    h1 = from_dataset.fit(dataset, epochs=3, verbose=0, callbacks=[
        ember.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: batches_per_epoch.append(
            e))])
    h2 = from_arrays.fit(x, y, batch_size=8, shuffle=False, epochs=3, verbose=0)
    assert dataset.epoch_ends == 3
    assert h1.history["loss"] == pytest.approx(h2.history["loss"], rel=1e-6)
    for a, b in zip(from_dataset.get_weights(), from_arrays.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    # evaluate and predict take the dataset too; predict ignores its targets.
    assert from_dataset.evaluate(dataset, verbose=0, return_dict=True)["loss"] == pytest.approx(
        from_dataset.evaluate(x, y, verbose=0, return_dict=True)["loss"], rel=1e-6)
    assert from_dataset.predict(dataset, verbose=0).shape == (30, 1)


def test_py_dataset_as_validation_data():
    x, y = _data(24)
    model = _regressor()
    history = model.fit(x, y, validation_data=Batches(x, y, batch_size=5), verbose=0)
    assert history.history["val_loss"] == [pytest.approx(model.evaluate(x, y, verbose=0)[0],
                                                         rel=1e-6)]


def test_py_dataset_with_y_raises():
    x, y = _data(8)
    with pytest.raises(ValueError, match="y"):
        _regressor().fit(Batches(x, y, 4), y, verbose=0)


def test_nested_python_lists_are_arrays():
    model = _regressor()
    history = model.fit([[1.0, 2.0, 3.0], [0.0, 1.0, 0.0]], [[1.0], [2.0]], verbose=0)
    assert len(history.history["loss"]) == 1


def test_validation_split_on_python_lists():
    model = _regressor()
    model.compile(optimizer=ember.optimizers.SGD(0.0), loss="mse")
    x = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 1.0, 1.0]]
    y = [[0.0], [0.0], [0.0], [5.0]]
    history = model.fit(x, y, validation_split=0.25, verbose=0)
    pred = model.predict(np.array(x, dtype="float32"), verbose=0)
    assert history.history["val_loss"] == [pytest.approx(float((pred[3, 0] - 5.0) ** 2),
                                                         rel=1e-5)]


def test_validation_data_of_python_lists():
    model = _regressor()
    model.compile(optimizer=ember.optimizers.SGD(0.0), loss="mse")
    x_val, y_val = [[1.0, 2.0, 3.0]], [[4.0]]
    history = model.fit([[0.0, 0.0, 0.0]], [[0.0]], validation_data=(x_val, y_val), verbose=0)
    pred = model.predict(np.array(x_val, dtype="float32"), verbose=0)
    assert history.history["val_loss"] == [pytest.approx(float((pred[0, 0] - 4.0) ** 2),
                                                         rel=1e-5)]


def test_one_dimensional_inputs_feed_an_input_of_shape_1():
    """The course's first model: Celsius to Fahrenheit from 1-D arrays, as Keras allows."""
    celsius = np.array([-40, -10, 0, 8, 15, 22, 38], dtype="float64")
    fahrenheit = celsius * 1.8 + 32
    model = ember.Sequential([layers.Dense(1, input_shape=[1])])
    model.compile(optimizer=ember.optimizers.Adam(0.5), loss="mean_squared_error")
    history = model.fit(celsius, fahrenheit, epochs=300, verbose=0)
    assert history.history["loss"][-1] < 1e-2
    kernel, bias = model.get_weights()
    assert kernel.ravel() == pytest.approx([1.8], abs=1e-2)
    assert bias == pytest.approx([32.0], abs=0.1)
    np.testing.assert_allclose(model.predict(np.array([100.0]), verbose=0), [[212.0]], atol=0.2)

    x_in = ember.Input(shape=(1,))
    functional = ember.Model(x_in, layers.Dense(1)(x_in))
    assert functional.predict(celsius, verbose=0).shape == (7, 1)


def test_steps_per_epoch_with_arrays_cycles_through_the_data():
    x, y = _data(10)
    seen = []

    class Record(layers.Layer):
        def call(self, inputs, training=None):
            if training:
                seen.append(len(inputs))
            return inputs

    model = ember.Sequential([ember.Input(shape=(3,)), Record(), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, batch_size=4, steps_per_epoch=2, epochs=3, verbose=0)
    assert seen == [4, 4, 2, 4, 4, 2]


# ---- errors -----------------------------------------------------------------------------


def test_labels_of_the_wrong_length_name_both_counts():
    x, y = _data(32)
    with pytest.raises(ValueError) as info:
        _regressor().fit(x, y[:30], verbose=0)
    assert "32" in str(info.value) and "30" in str(info.value)


def test_sample_weight_of_the_wrong_length_names_both_counts():
    x, y = _data(12)
    with pytest.raises(ValueError) as info:
        _regressor().fit(x, y, sample_weight=np.ones(7), verbose=0)
    assert "12" in str(info.value) and "7" in str(info.value)


def test_input_of_the_wrong_shape_names_the_layer_and_both_shapes():
    x, y = _data(8)
    model = _regressor()
    with pytest.raises(ValueError) as info:
        model.fit(np.zeros((8, 5), dtype="float32"), y, verbose=0)
    message = str(info.value)
    assert "features" in message and "(None, 3)" in message and "(8, 5)" in message

    with pytest.raises(ValueError) as info:
        model.predict(np.zeros((4, 28, 28), dtype="float32"), verbose=0)
    assert "(4, 28, 28)" in str(info.value)


def test_wrong_input_shape_in_a_deferred_sequential_names_the_layer():
    model = ember.Sequential([layers.Dense(4, name="first_dense"), layers.Dense(1)])
    model(np.zeros((2, 3), dtype="float32"))
    with pytest.raises(ValueError) as info:
        model(np.zeros((2, 6), dtype="float32"))
    message = str(info.value)
    assert "first_dense" in message or "sequential" in message
    assert "(2, 6)" in message and "3" in message


def test_functional_input_count_mismatch():
    a, b = ember.Input(shape=(2,), name="left"), ember.Input(shape=(2,), name="right")
    model = ember.Model([a, b], layers.Add()([a, b]))
    with pytest.raises(ValueError, match="2 inputs"):
        model.predict([np.zeros((3, 2))], verbose=0)
    with pytest.raises(ValueError, match="right"):
        model.predict({"left": np.zeros((3, 2))}, verbose=0)


def test_missing_targets_raise():
    x, _ = _data(8)
    with pytest.raises(ValueError):
        _regressor().fit(x, verbose=0)


def test_validation_split_rejects_generators():
    x, y = _data(8)
    with pytest.raises(ValueError, match="validation_split"):
        _regressor().fit(iter([(x, y)]), validation_split=0.5, verbose=0)
