"""``TensorBoard``: the event files of a real ``fit``, read back with TensorBoard's own
event reader and compared with ``History`` and the model."""

import os
import pstats
import sys

import numpy as np
import pytest

pytest.importorskip("tensorboardX")
event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")

import ember  # noqa: E402
from ember import layers  # noqa: E402
from ember.callbacks import LambdaCallback, TensorBoard  # noqa: E402

BATCHES_PER_EPOCH = 4


def _events(folder):
    accumulator = event_accumulator.EventAccumulator(
        str(folder), size_guidance={"scalars": 0, "histograms": 0, "images": 0, "tensors": 0})
    accumulator.Reload()
    return accumulator


def _scalars(accumulator, tag):
    return [(event.step, event.value) for event in accumulator.Scalars(tag)]


def _data(n=32, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int64")
    return x, y


def _model():
    model = ember.Sequential([
        ember.Input(shape=(6,)),
        layers.Dense(5, activation="relu", name="hidden"),
        layers.Dense(2, activation="softmax", name="probs"),
    ], name="classifier")
    model.compile(optimizer=ember.optimizers.SGD(learning_rate=0.05),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _fit(model, callbacks, epochs=3, validation=True):
    x, y = _data()
    val = _data(16, seed=1) if validation else None
    return model.fit(x, y, batch_size=len(x) // BATCHES_PER_EPOCH, epochs=epochs, verbose=0,
                     validation_data=val, shuffle=False, callbacks=callbacks)


def test_epoch_scalars_match_history_in_train_and_validation_runs(tmp_path):
    callback = TensorBoard(log_dir=tmp_path)
    model = _model()
    history = _fit(model, [callback]).history
    train, validation = _events(tmp_path / "train"), _events(tmp_path / "validation")
    for name in ("loss", "accuracy"):
        steps, values = zip(*_scalars(train, f"epoch_{name}"))
        assert steps == (0, 1, 2)
        np.testing.assert_allclose(values, history[name], rtol=1e-6)
        steps, values = zip(*_scalars(validation, f"epoch_{name}"))
        assert steps == (0, 1, 2)
        np.testing.assert_allclose(values, history[f"val_{name}"], rtol=1e-6)
    assert [v for _, v in _scalars(train, "epoch_learning_rate")] == pytest.approx([0.05] * 3)
    # After each validation pass, against the optimizer's update count.
    steps, values = zip(*_scalars(validation, "evaluation_loss_vs_iterations"))
    assert steps == (4, 8, 12)
    np.testing.assert_allclose(values, history["val_loss"], rtol=1e-6)
    assert not any(tag.startswith("batch_") for tag in train.Tags()["scalars"])
    assert "val_loss" not in train.Tags()["scalars"]
    assert callback._writers == {}  # closed at the end of training


def test_batch_scalars_every_n_batches_with_global_steps(tmp_path):
    seen = []  # (global batch, logs) as the loop hands them to callbacks
    recorder = LambdaCallback(
        on_train_batch_end=lambda batch, logs: seen.append((len(seen) + 1, dict(logs))))
    _fit(_model(), [recorder, TensorBoard(log_dir=tmp_path, update_freq=3,
                                          write_steps_per_second=True)],
         epochs=2, validation=False)
    train = _events(tmp_path / "train")
    logged = _scalars(train, "batch_loss")
    assert [step for step, _ in logged] == [3, 6]
    assert [value for _, value in logged] == pytest.approx(
        [seen[2][1]["loss"], seen[5][1]["loss"]], rel=1e-6)
    assert [step for step, _ in _scalars(train, "batch_accuracy")] == [3, 6]
    rates = _scalars(train, "batch_steps_per_second")
    assert [step for step, _ in rates] == [3, 6] and all(v > 0 for _, v in rates)
    assert [step for step, _ in _scalars(train, "epoch_steps_per_second")] == [0, 1]
    assert not os.path.exists(tmp_path / "validation")


def test_update_freq_batch_logs_every_batch(tmp_path):
    _fit(_model(), [TensorBoard(log_dir=tmp_path, update_freq="batch")], epochs=1,
         validation=False)
    assert [s for s, _ in _scalars(_events(tmp_path / "train"), "batch_loss")] == [1, 2, 3, 4]


def test_weight_histograms_and_images_every_histogram_freq(tmp_path):
    model = _model()
    _fit(model, [TensorBoard(log_dir=tmp_path, histogram_freq=2, write_images=True)],
         epochs=3)
    train = _events(tmp_path / "train")
    paths = ["hidden/kernel", "hidden/bias", "probs/kernel", "probs/bias"]
    assert sorted(train.Tags()["histograms"]) == sorted(f"{p}/histogram" for p in paths)
    for weight in model.weights:
        events = train.Histograms(f"{weight.path}/histogram")
        assert [event.step for event in events] == [0, 2]
        last = events[-1].histogram_value
        assert last.num == weight.numpy().size
        assert last.min == pytest.approx(float(weight.numpy().min()), rel=1e-6)
        assert last.max == pytest.approx(float(weight.numpy().max()), rel=1e-6)
    images = train.Images("hidden/kernel/image")
    assert [event.step for event in images] == [0, 2]
    # A (6, 5) kernel is drawn wider than tall: 5 rows of 6 pixels.
    assert (images[0].height, images[0].width) == (5, 6)


def test_layer_graph_of_a_functional_model_with_branches(tmp_path):
    inputs = ember.Input(shape=(4,), name="features")
    left = layers.Dense(3, name="left")(inputs)
    right = layers.Dense(3, name="right")(inputs)
    outputs = layers.Dense(1, name="out")(layers.Concatenate(name="both")([left, right]))
    model = ember.Model(inputs, outputs)
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((8, 4), dtype="float32")
    model.fit(x, np.zeros((8, 1), dtype="float32"), epochs=1, verbose=0,
              callbacks=[TensorBoard(log_dir=tmp_path)])
    graph = _events(tmp_path / "train").Graph()
    nodes = {node.name: node for node in graph.node}
    assert set(nodes) == {"features", "left", "right", "both", "out"}
    assert list(nodes["both"].input) == ["left", "right"]
    assert list(nodes["out"].input) == ["both"] and list(nodes["features"].input) == []
    assert nodes["both"].op == "Concatenate" and nodes["features"].op == "InputLayer"
    shape = nodes["both"].attr["_output_shapes"].list.shape[0]
    assert [d.size for d in shape.dim] == [-1, 6]


def test_no_graph_event_without_write_graph(tmp_path):
    _fit(_model(), [TensorBoard(log_dir=tmp_path, write_graph=False)], epochs=1)
    assert _events(tmp_path / "train").Tags()["graph"] is False


def _projector_entries(folder):
    text = (folder / "projector_config.pbtxt").read_text()
    return [block for block in text.split("embeddings {")[1:]]


def _read_tsv(path):
    return [line.split("\t") for line in path.read_text().splitlines()]


def test_embedding_projector_of_the_layer_before_the_output(tmp_path):
    model = _model()
    x, y = _data(20, seed=2)
    _fit(model, [TensorBoard(log_dir=tmp_path, embeddings_freq=2, embeddings_data=x,
                             embeddings_metadata=y)], epochs=3)
    train = tmp_path / "train"
    entries = _projector_entries(train)
    assert len(entries) == 2  # epochs 0 and 2
    assert 'tensor_path: "00002/hidden/tensors.tsv"' in entries[1]
    assert 'metadata_path: "00002/hidden/metadata.tsv"' in entries[1]
    vectors = np.array(_read_tsv(train / "00002" / "hidden" / "tensors.tsv"), dtype=float)
    assert vectors.shape == (20, 5)
    kernel, bias = (w.numpy() for w in model.get_layer("hidden").weights)
    np.testing.assert_allclose(vectors, np.maximum(x @ kernel + bias, 0.0), rtol=1e-5,
                               atol=1e-6)
    labels = (train / "00002" / "hidden" / "metadata.tsv").read_text().splitlines()
    assert labels == [str(label) for label in y]


def test_embeddings_of_named_layers_with_labels_per_layer(tmp_path):
    model = _model()
    x, y = _data(12, seed=3)
    names = ["class_" + str(label) for label in y]
    _fit(model, [TensorBoard(log_dir=tmp_path, embeddings_freq=1, embeddings_data=x,
                             embeddings_layer_names=["hidden", "probs"],
                             embeddings_metadata={"probs": names})], epochs=1)
    folder = tmp_path / "train" / "00000"
    assert np.array(_read_tsv(folder / "probs" / "tensors.tsv"), dtype=float).shape == (12, 2)
    assert (folder / "probs" / "metadata.tsv").read_text().splitlines() == names
    assert not (folder / "hidden" / "metadata.tsv").exists()
    assert len(_read_tsv(folder / "hidden" / "tensors.tsv")) == 12


class WordVectors(layers.Layer):
    """A stand-in for ``Embedding``: rows of an ``embeddings`` weight, averaged."""

    def build(self, input_shape):
        self.embeddings = self.add_weight(shape=(7, 3), name="embeddings")

    def call(self, inputs):
        return inputs @ self.embeddings


def test_without_data_embeddings_weights_are_exported_with_a_metadata_file(tmp_path):
    model = ember.Sequential([ember.Input(shape=(7,)), WordVectors(name="words"),
                              layers.Dense(1, name="out")])
    model.compile(optimizer="sgd", loss="mse")
    (tmp_path / "words.tsv").write_text("".join(f"word{i}\n" for i in range(7)))
    model.fit(np.eye(7, dtype="float32"), np.zeros((7, 1), dtype="float32"), epochs=1,
              verbose=0, callbacks=[TensorBoard(log_dir=tmp_path, embeddings_freq=1,
                                                embeddings_metadata="words.tsv")])
    folder = tmp_path / "train" / "00000" / "words"
    vectors = np.array(_read_tsv(folder / "tensors.tsv"), dtype=float)
    np.testing.assert_allclose(vectors, model.get_layer("words").embeddings.numpy(),
                               rtol=1e-6)
    assert (folder / "metadata.tsv").read_text().splitlines() == [f"word{i}" for i in range(7)]


def test_embedding_errors_name_what_was_expected(tmp_path):
    x, y = _data(10)
    with pytest.raises(ValueError, match="needs embeddings_data"):
        _fit(_model(), [TensorBoard(log_dir=tmp_path / "a", embeddings_freq=1)], epochs=1)
    with pytest.raises(ValueError, match=r"unknown \['nope'\]"):
        _fit(_model(), [TensorBoard(log_dir=tmp_path / "b", embeddings_freq=1,
                                    embeddings_data=x, embeddings_layer_names="nope")],
             epochs=1)
    with pytest.raises(ValueError, match="expected 10 embeddings_metadata labels"):
        _fit(_model(), [TensorBoard(log_dir=tmp_path / "c", embeddings_freq=1,
                                    embeddings_data=x, embeddings_metadata=y[:4])], epochs=1)
    with pytest.raises(ValueError, match=r"keys among the embedded layers \['hidden'\]"):
        _fit(_model(), [TensorBoard(log_dir=tmp_path / "d", embeddings_freq=1,
                                    embeddings_data=x, embeddings_metadata={"probs": y})],
             epochs=1)


def test_profile_batch_range_writes_python_profile(tmp_path):
    _fit(_model(), [TensorBoard(log_dir=tmp_path, profile_batch="2,5")], epochs=2,
         validation=False)
    profile = tmp_path / "train" / "profile_batch_2_5.prof"
    stats = pstats.Stats(str(profile))
    assert any(name == "train_step" for (_, _, name) in stats.stats)
    texts = _events(tmp_path / "train").Tensors("profile/text_summary")
    assert [event.step for event in texts] == [5]
    assert b"train_step" in texts[0].tensor_proto.string_val[0]


def test_evaluate_alone_writes_evaluation_scalars_and_closes(tmp_path):
    model = _model()
    _fit(model, [], epochs=1, validation=False)
    callback = TensorBoard(log_dir=tmp_path)
    x, y = _data(16, seed=4)
    loss, _ = model.evaluate(x, y, verbose=0, callbacks=[callback])
    assert _scalars(_events(tmp_path / "validation"), "evaluation_loss_vs_iterations") == [
        (BATCHES_PER_EPOCH, pytest.approx(loss, rel=1e-6))]
    assert callback._writers == {}


@pytest.mark.parametrize("kwargs, match", [
    ({"update_freq": "step"}, "update_freq 'epoch', 'batch' or a positive integer"),
    ({"update_freq": 0}, "update_freq 'epoch', 'batch' or a positive integer"),
    ({"histogram_freq": -1}, "histogram_freq to be a non-negative integer"),
    ({"embeddings_freq": 1.5}, "embeddings_freq to be a non-negative integer"),
    ({"profile_batch": (5, 2)}, "profile_batch"),
    ({"profile_batch": (0, 2)}, "profile_batch"),
    ({"profile_batch": "a,b"}, "profile_batch"),
    ({"profile_batch": -1}, "profile_batch"),
])
def test_argument_errors(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        TensorBoard(log_dir=tmp_path, **kwargs)


def test_missing_tensorboardx_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    with pytest.raises(ImportError, match=r"ember\[tensorboard\]"):
        TensorBoard(log_dir=tmp_path)
