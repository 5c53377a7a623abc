"""End to end: Dense -> BatchNormalization -> ReLU -> Dense learns a toy task with ``fit``, and
``evaluate``/``predict`` normalize with the moving statistics, not the batch's."""

import numpy as np

import ember
from ember import layers


def _toy_data(n=256, seed=0):
    """Two classes split by a plane through badly scaled, off-centre features: the setting
    where normalizing the hidden layer helps."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)) * np.array([20.0, 0.5, 5.0, 1.0]) + np.array([50, -3, 8, 0])
    score = (x[:, 0] - 50) / 20 + (x[:, 1] + 3) / 0.5 - (x[:, 2] - 8) / 5
    return x.astype("float32"), (score > 0).astype("int64")


def test_batchnorm_model_fits_and_evaluates_with_moving_statistics(tmp_path):
    ember.utils.set_random_seed(0)
    x, y = _toy_data()
    bn = layers.BatchNormalization(momentum=0.9)
    first, last = layers.Dense(16), layers.Dense(2)
    model = ember.Sequential([ember.Input(shape=(4,)), first, bn, layers.ReLU(), last])
    model.compile(optimizer=ember.optimizers.Adam(0.02),
                  loss=ember.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=40, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < 0.3 * history.history["loss"][0]

    x_test, y_test = _toy_data(128, seed=1)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert accuracy > 0.9

    # predict (and evaluate, which shares its forward) uses the moving statistics: the same
    # network computed by hand in NumPy with moving_mean / moving_variance.
    kernel1, bias1 = first.get_weights()
    gamma, beta, moving_mean, moving_var = bn.get_weights()
    kernel2, bias2 = last.get_weights()
    assert not np.allclose(moving_mean, 0.0)  # updated by the training steps
    hidden = x_test @ kernel1 + bias1
    hidden = (hidden - moving_mean) / np.sqrt(moving_var + 1e-3) * gamma + beta
    logits = np.maximum(hidden, 0.0) @ kernel2 + bias2
    np.testing.assert_allclose(model.predict(x_test, verbose=0), logits, rtol=1e-4, atol=1e-4)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    expected_loss = -log_probs[np.arange(len(y_test)), y_test].mean()
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-4)
    # A training-mode forward of the same batch (batch statistics) gives other logits.
    assert not np.allclose(model(x_test, training=True).numpy(), logits, atol=1e-3)

    # The moving statistics are weights: a saved model predicts the same after reloading.
    model.save(tmp_path / "bn.ember")
    reloaded = ember.saving.load_model(tmp_path / "bn.ember")
    np.testing.assert_array_equal(reloaded.predict(x_test, verbose=0),
                                  model.predict(x_test, verbose=0))
