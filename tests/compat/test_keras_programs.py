"""Keras 3 programs from the keras.io guides, run unchanged after ``import ember as keras``
(on small synthetic data so the suite stays fast)."""

import numpy as np

import ember as keras
from ember import layers

CENTERS = np.random.default_rng(42).normal(size=(10, 784)).astype("float32")


def _digits(n=512, seed=0):
    """Ten noisy prototypes in 784 dimensions: an easy stand-in for MNIST."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, n)
    centers = CENTERS
    x = centers[y] + 0.5 * rng.normal(size=(n, 784)).astype("float32")
    return x.astype("float32"), y


def test_training_and_evaluation_guide():
    # "Training & evaluation with the built-in methods", the first end-to-end example.
    x_train, y_train = _digits(1024)
    x_val, y_val = _digits(256, seed=1)
    x_test, y_test = _digits(256, seed=2)

    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)

    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[keras.metrics.SparseCategoricalAccuracy()],
    )
    history = model.fit(x_train, y_train, batch_size=64, epochs=2,
                        validation_data=(x_val, y_val), verbose=0)
    assert sorted(history.history) == [
        "loss", "sparse_categorical_accuracy", "val_loss", "val_sparse_categorical_accuracy"]
    assert all(len(v) == 2 for v in history.history.values())
    results = model.evaluate(x_test, y_test, batch_size=128, verbose=0)
    assert len(results) == 2 and results[1] > 0.9
    predictions = model.predict(x_test[:3], verbose=0)
    assert predictions.shape == (3, 10)
    np.testing.assert_allclose(predictions.sum(axis=1), 1.0, rtol=1e-5)


def test_sequential_guide_and_callbacks(tmp_path):
    # "The Sequential model" guide plus EarlyStopping/ModelCheckpoint from the callbacks guide.
    model = keras.Sequential()
    model.add(keras.Input(shape=(784,)))
    model.add(layers.Dense(32, activation="relu"))
    model.add(layers.Dropout(0.2))
    model.add(layers.Dense(10))
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    x, y = _digits(512)
    callbacks = [
        keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=1e-2, patience=2,
                                      verbose=0),
        keras.callbacks.ModelCheckpoint(filepath=str(tmp_path / "model_{epoch}.ember"),
                                        save_best_only=True, monitor="val_loss"),
    ]
    history = model.fit(x, y, epochs=3, batch_size=64, callbacks=callbacks,
                        validation_split=0.2, verbose=0)
    assert "val_accuracy" in history.history
    saved = sorted(p.name for p in tmp_path.iterdir())
    assert saved and all(name.startswith("model_") for name in saved)
    reloaded = keras.saving.load_model(str(tmp_path / saved[-1]))
    assert reloaded.predict(x[:4], verbose=0).shape == (4, 10)
    assert len(model.layers) == 3
    model.pop()
    assert len(model.layers) == 2


def test_subclassing_guide_custom_layer_and_model():
    # "Making new layers and models via subclassing".
    class Linear(keras.layers.Layer):
        def __init__(self, units=32):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                     initializer="random_normal", trainable=True)
            self.b = self.add_weight(shape=(self.units,), initializer="random_normal",
                                     trainable=True)

        def call(self, inputs):
            return keras.ops.matmul(inputs, self.w) + self.b

    class MLP(keras.Model):
        def __init__(self):
            super().__init__()
            self.linear_1 = Linear(32)
            self.linear_2 = Linear(10)

        def call(self, inputs):
            x = keras.ops.relu(self.linear_1(inputs))
            return self.linear_2(x)

    mlp = MLP()
    y = mlp(keras.ops.ones((3, 64)))
    assert tuple(y.shape) == (3, 10)
    assert len(mlp.weights) == 4 and len(mlp.trainable_weights) == 4

    mlp.compile(optimizer="adam",
                loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x, labels = _digits(256)
    before = mlp.evaluate(x[:, :64], labels, verbose=0)
    mlp.fit(x[:, :64], labels, epochs=3, verbose=0)
    assert mlp.evaluate(x[:, :64], labels, verbose=0) < before


def test_custom_training_loop_with_optimizer_apply():
    # A custom loop: forward under grad, backward, then optimizer.apply(grads, variables).
    model = keras.Sequential([keras.Input(shape=(784,)), layers.Dense(32, activation="relu"),
                              layers.Dense(10)])
    optimizer = keras.optimizers.SGD(learning_rate=0.05)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    x, y = _digits(256)
    losses = []
    for step in range(20):
        batch = slice((step % 4) * 64, (step % 4 + 1) * 64)
        logits = model(x[batch], training=True)
        loss = loss_fn(y[batch], logits)
        loss.backward()
        grads = [v.grad for v in model.trainable_weights]
        optimizer.apply(grads, model.trainable_weights)
        for v in model.trainable_weights:
            v.grad = None
        losses.append(float(loss))
    assert np.mean(losses[-4:]) < np.mean(losses[:4])
