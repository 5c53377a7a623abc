"""The ``ember`` command (ember/cli.py), run in process through ``main(argv)`` on tiny models
and a tiny synthetic dataset; one subprocess run of ``python -m ember.cli``; one slow run on
real MNIST."""

import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

import ember
from ember import cli

ROOT = Path(__file__).resolve().parents[2]


# ---- helpers ----------------------------------------------------------------------------
def encode_png(pixels: np.ndarray, filters=(0,)) -> bytes:
    """An 8-bit PNG of ``pixels`` (uint8, (h, w) or (h, w, channels)), scanline ``y``
    filtered with ``filters[y % len(filters)]`` (0 None, 1 Sub, 2 Up, 3 Average, 4 Paeth)."""
    pixels = np.asarray(pixels, dtype=np.uint8)
    h, w = pixels.shape[:2]
    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    color = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    lines = pixels.reshape(h, w * channels).astype(np.int64)
    raw = bytearray()
    for y in range(h):
        kind = filters[y % len(filters)]
        line = lines[y]
        prior = lines[y - 1] if y else np.zeros_like(line)
        left = np.concatenate([np.zeros(channels, np.int64), line[:-channels]])
        upper_left = np.concatenate([np.zeros(channels, np.int64), prior[:-channels]])
        if kind == 0:
            predictor = np.zeros_like(line)
        elif kind == 1:
            predictor = left
        elif kind == 2:
            predictor = prior
        elif kind == 3:
            predictor = (left + prior) // 2
        else:
            p = left + prior - upper_left
            pa, pb, pc = np.abs(p - left), np.abs(p - prior), np.abs(p - upper_left)
            predictor = np.where((pa <= pb) & (pa <= pc), left,
                                 np.where(pb <= pc, prior, upper_left))
        raw += bytes([kind]) + bytes(((line - predictor) % 256).astype(np.uint8))

    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body)))

    header = struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(bytes(raw))) + chunk(b"IEND", b""))


def run(capsys, *argv):
    """``(status, stdout, stderr)`` of ``ember argv``."""
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def assert_one_line_error(status, err, *fragments):
    assert status == 2
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("ember: error: "), err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0]


def digits(n=40, seed=0):
    """Synthetic 28x28 "digits" in [0, 1]: class k lights up row band k."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    images = rng.uniform(0, 0.2, size=(n, 28, 28)).astype(np.float32)
    for i, k in enumerate(labels):
        images[i, 2 + 2 * k:4 + 2 * k, 4:24] = 1.0
    return images, labels.astype(np.int64)


@pytest.fixture
def tiny_data(monkeypatch):
    """ember's commands read this instead of MNIST."""
    train, test = digits(64, 0), digits(40, 1)
    calls = []

    def load(name="mnist"):
        calls.append(name)
        return train, test

    monkeypatch.setattr(cli, "load_dataset", load)
    return train, test, calls


def tiny_model(compile=True):
    ember.backend.clear_session()
    ember.utils.set_random_seed(3)
    model = ember.Sequential([ember.Input(shape=(784,)),
                              ember.layers.Dense(10, activation="softmax")])
    if compile:
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
    return model


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "tiny.ember"
    tiny_model().save(path)
    return path


# ---- --version ----------------------------------------------------------------------------
def test_version(capsys):
    status, out, _ = run(capsys, "--version")
    assert status == 0 and out == f"ember {ember.__version__}\n"


def test_version_as_a_module():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT),
                                                       os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run([sys.executable, "-m", "ember.cli", "--version"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == f"ember {ember.__version__}"


# ---- summary, evaluate ------------------------------------------------------------------
def test_summary(capsys, model_file):
    status, out, _ = run(capsys, "summary", model_file)
    assert status == 0
    assert "(Sequential)" in out and "Dense" in out and "Total params: 7,850" in out


def test_evaluate_prints_loss_and_accuracy(capsys, model_file, tiny_data):
    _, (x_test, y_test), calls = tiny_data
    status, out, _ = run(capsys, "evaluate", model_file)
    assert status == 0 and calls == ["mnist"]
    model = ember.saving.load_model(model_file)
    loss, accuracy = model.evaluate(x_test.reshape(-1, 784), y_test, verbose=0)
    assert out == f"loss: {loss:.4f} - accuracy: {accuracy:.4f}\n"


def test_evaluate_uncompiled_model_gives_accuracy_from_predictions(capsys, tmp_path,
                                                                  tiny_data):
    _, (x_test, y_test), _ = tiny_data
    model = tiny_model(compile=False)
    model.save(tmp_path / "plain.ember")
    status, out, _ = run(capsys, "evaluate", tmp_path / "plain.ember", "--dataset",
                         "fashion_mnist")
    assert status == 0 and tiny_data[2] == ["fashion_mnist"]
    accuracy = np.mean(model.predict(x_test.reshape(-1, 784), verbose=0).argmax(1) == y_test)
    assert out == f"accuracy: {accuracy:.4f}\n"


def test_evaluate_rejects_a_model_that_does_not_take_images(capsys, tmp_path, tiny_data):
    model = ember.Sequential([ember.Input(shape=(5,)), ember.layers.Dense(2)])
    model.save(tmp_path / "other.ember")
    status, _, err = run(capsys, "evaluate", tmp_path / "other.ember")
    assert_one_line_error(status, err, "28x28", "(None, 5)")


# ---- predict ----------------------------------------------------------------------------
def expected_top3(model_path, image):
    model = ember.saving.load_model(model_path)
    probs = model.predict(image.reshape(1, 784), verbose=0)[0]
    return "".join(f"{k}: {probs[k]:.4f}\n" for k in np.argsort(-probs, kind="stable")[:3])


def test_predict_prints_top_three(capsys, tmp_path, model_file):
    pixels = (digits(1, 5)[0][0] * 255).round().astype(np.uint8)
    (tmp_path / "digit.png").write_bytes(encode_png(pixels))
    status, out, _ = run(capsys, "predict", model_file, tmp_path / "digit.png")
    assert status == 0
    assert out == expected_top3(model_file, pixels.astype(np.float32) / 255)


def test_predict_without_matplotlib_decodes_png_itself(capsys, tmp_path, model_file,
                                                      monkeypatch):
    pixels = (digits(1, 6)[0][0] * 255).round().astype(np.uint8)
    rgb = np.repeat(pixels[:, :, None], 3, axis=2)
    (tmp_path / "digit.png").write_bytes(encode_png(rgb, filters=(1, 4, 3)))
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib fails
    status, out, _ = run(capsys, "predict", model_file, tmp_path / "digit.png")
    assert status == 0
    assert out == expected_top3(model_file, pixels.astype(np.float32) / 255)


def test_matplotlib_and_builtin_decoder_agree(tmp_path):
    image = pytest.importorskip("matplotlib.image")
    rgba = np.random.default_rng(0).uniform(size=(9, 7, 4))
    image.imsave(tmp_path / "rgba.png", rgba)
    decoded = cli.decode_png((tmp_path / "rgba.png").read_bytes())
    np.testing.assert_array_equal(decoded, image.imread(tmp_path / "rgba.png"))


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_decode_png_undoes_every_filter(channels):
    rng = np.random.default_rng(channels)
    shape = (10, 9) if channels == 1 else (10, 9, channels)
    pixels = rng.integers(0, 256, size=shape, dtype=np.uint8)
    decoded = cli.decode_png(encode_png(pixels, filters=(0, 1, 2, 3, 4)))
    assert decoded.shape == shape and decoded.dtype == np.float32
    np.testing.assert_array_equal(decoded, pixels / np.float32(255))


def test_to_mnist_image_inverts_paper_and_resizes_by_area():
    paper = np.ones((56, 56))
    paper[10:30, 20:22] = 0.0  # a dark stroke on white
    image = cli.to_mnist_image(paper)
    assert image.shape == (28, 28) and image.dtype == np.float32
    assert image[5:15, 10].tolist() == [1.0] * 10 and image[0, 0] == 0.0
    assert image[5:15, 9].tolist() == [0.0] * 10  # 2x2 blocks averaged: exact edges

    wide = np.zeros((14, 28, 3))
    wide[:, :, 1] = 1.0  # pure green: luminance 0.587, light border -> inverted
    squared = cli.to_mnist_image(wide)
    assert squared[0].tolist() == [0.0] * 28  # padding above the image
    np.testing.assert_allclose(squared[14, 3], 1 - 0.587, rtol=1e-6)


# ---- export -----------------------------------------------------------------------------
def test_export_calls_export_onnx(capsys, tmp_path, model_file, monkeypatch):
    calls = []
    monkeypatch.setattr(ember.saving, "export_onnx",
                        lambda model, path: calls.append((model.name, path)), raising=False)
    status, out, _ = run(capsys, "export", model_file, tmp_path / "m.onnx")
    assert status == 0 and calls == [("sequential", str(tmp_path / "m.onnx"))]
    assert "m.onnx" in out


def test_export_writes_an_onnx_file_that_runs(capsys, tmp_path, model_file):
    onnxruntime = pytest.importorskip("onnxruntime")
    status, _, err = run(capsys, "export", model_file, tmp_path / "m.onnx")
    assert status == 0, err
    session = onnxruntime.InferenceSession(str(tmp_path / "m.onnx"))
    x = digits(3, 2)[0].reshape(3, 784)
    (outputs,) = session.run(None, {session.get_inputs()[0].name: x})
    expected = ember.saving.load_model(model_file).predict(x, verbose=0)
    np.testing.assert_allclose(outputs, expected, rtol=1e-5, atol=1e-6)


def test_export_without_onnx_support(capsys, tmp_path, model_file, monkeypatch):
    monkeypatch.delattr(ember.saving, "export_onnx", raising=False)
    status, _, err = run(capsys, "export", model_file, tmp_path / "m.onnx")
    assert_one_line_error(status, err, "ONNX export is not available in this version")


# ---- train ------------------------------------------------------------------------------
def test_train_preset_saves_a_model_that_loads(capsys, tmp_path, tiny_data):
    out_path = tmp_path / "mlp.ember"
    status, out, err = run(capsys, "train", "mnist-mlp", "--epochs", 2, "--batch-size", 32,
                           "--seed", 0, "--out", out_path)
    assert status == 0, err
    assert "Test: loss: " in out and f"Saved the model to {out_path}" in out
    model = ember.saving.load_model(out_path)
    assert model.count_params() == 784 * 512 + 512 + 512 * 10 + 10
    assert int(model.optimizer.iterations.numpy()) == 2 * 2  # 57 samples after the split


def test_train_json_config_with_overrides(capsys, tmp_path, tiny_data):
    ember.backend.clear_session()
    model = ember.Sequential([ember.Input(shape=(28, 28)), ember.layers.Flatten(),
                              ember.layers.Dense(10, activation="softmax")])
    config = {
        "model": ember.layers.serialize(model),
        "compile": {"optimizer": ember.optimizers.serialize(ember.optimizers.SGD(0.5)),
                    "loss": "categorical_crossentropy", "metrics": ["accuracy"]},
        "fit": {"epochs": 1, "batch_size": 16},
    }
    (tmp_path / "run.json").write_text(json.dumps(config))
    out_path = tmp_path / "trained.ember"
    status, out, err = run(capsys, "train", tmp_path / "run.json", "--lr", 0.125,
                           "--batch-size", 64, "--out", out_path)
    assert status == 0, err
    trained = ember.saving.load_model(out_path)
    assert type(trained.optimizer).__name__ == "SGD"
    assert trained.optimizer.learning_rate == 0.125
    assert int(trained.optimizer.iterations.numpy()) == 1  # 64 samples, one batch of 64
    assert "accuracy: " in out


def test_train_from_bare_get_config(capsys, tmp_path, tiny_data):
    ember.backend.clear_session()
    model = ember.Sequential([ember.Input(shape=(28, 28, 1)), ember.layers.Flatten(),
                              ember.layers.Dense(10, activation="softmax")])
    config = {"model": model.get_config(), "fit": {"epochs": 1},
              "compile": {"loss": "sparse_categorical_crossentropy"}}
    (tmp_path / "run.json").write_text(json.dumps(config))
    status, _, err = run(capsys, "train", tmp_path / "run.json", "--out", tmp_path / "m.ember")
    assert status == 0, err
    assert ember.saving.load_model(tmp_path / "m.ember").input_shape == (None, 28, 28, 1)


@pytest.mark.parametrize("preset, layer, what", [
    ("mnist-cnn", "Conv2D", "the convolution layers"),
    ("mnist-lstm", "LSTM", "the recurrent layers"),
])
def test_preset_without_its_layers_is_a_clear_error(capsys, monkeypatch, preset, layer, what):
    monkeypatch.delattr(ember.layers, layer, raising=False)
    status, _, err = run(capsys, "train", preset)
    assert_one_line_error(status, err, f"'{preset}' needs {what}", layer)


@pytest.mark.parametrize("preset, layers, params", [
    ("mnist-mlp", ["Dense", "Dense"], 407_050),
    ("mnist-cnn", ["Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Flatten", "Dropout",
                   "Dense"], 34_826),
    ("mnist-lstm", ["LSTM", "Dense"], 81_674),
])
def test_preset_architectures(preset, layers, params):
    model = cli.build_preset(preset)
    assert [type(layer).__name__ for layer in model.layers] == layers
    assert model.count_params() == params


# ---- errors -----------------------------------------------------------------------------
@pytest.mark.parametrize("command", ["summary", "evaluate", "export"])
def test_missing_model_file(capsys, tmp_path, command):
    extra = [tmp_path / "out.onnx"] if command == "export" else []
    status, _, err = run(capsys, command, tmp_path / "absent.ember", *extra)
    if command == "export" and not hasattr(ember.saving, "export_onnx"):
        assert_one_line_error(status, err, "ONNX export")
    else:
        assert_one_line_error(status, err, "no such file", "absent.ember")


@pytest.mark.parametrize("content", [b"not a zip at all", b"PK\x03\x04\x14\x00truncated"])
def test_corrupt_model_file(capsys, tmp_path, content):
    (tmp_path / "bad.ember").write_bytes(content)
    status, _, err = run(capsys, "summary", tmp_path / "bad.ember")
    assert_one_line_error(status, err, "bad.ember", "not an ember model file")


def test_truncated_model_file(capsys, tmp_path, model_file):
    data = model_file.read_bytes()
    model_file.write_bytes(data[: len(data) * 2 // 3])
    status, _, err = run(capsys, "summary", model_file)
    assert_one_line_error(status, err, str(model_file))


@pytest.mark.parametrize("without_matplotlib", [False, True])
def test_bad_images(capsys, tmp_path, model_file, monkeypatch, without_matplotlib):
    if without_matplotlib:
        monkeypatch.setitem(sys.modules, "matplotlib", None)
    status, _, err = run(capsys, "predict", model_file, tmp_path / "absent.png")
    assert_one_line_error(status, err, "no such file", "absent.png")
    (tmp_path / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    status, _, err = run(capsys, "predict", model_file, tmp_path / "bad.png")
    assert_one_line_error(status, err, "bad.png")


def test_unsupported_png_without_matplotlib(capsys, tmp_path, model_file, monkeypatch):
    png = bytearray(encode_png(np.zeros((4, 4), np.uint8)))
    png[24] = 16  # bit depth 16 in IHDR
    (tmp_path / "deep.png").write_bytes(bytes(png))
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    status, _, err = run(capsys, "predict", model_file, tmp_path / "deep.png")
    assert_one_line_error(status, err, "expected an 8-bit", "bit depth 16")


@pytest.mark.parametrize("text, fragment", [
    ("{not json", "is not a JSON training config"),
    ('{"compile": {}}', "expected a JSON object with a 'model' config"),
    ('{"model": {"layers": []}, "fit": {"epoch": 3}}', "unknown settings ['fit.epoch']"),
    ('{"model": {"layers": []}, "dataset": "cifar"}', "expected a dataset among"),
])
def test_bad_training_configs(capsys, tmp_path, text, fragment):
    (tmp_path / "run.json").write_text(text)
    status, _, err = run(capsys, "train", tmp_path / "run.json")
    assert_one_line_error(status, err, fragment)


def test_unknown_preset(capsys):
    status, _, err = run(capsys, "train", "mnist-transformer")
    assert_one_line_error(status, err, "mnist-transformer", "mnist-mlp")


def test_debug_shows_the_exception(tmp_path):
    with pytest.raises(cli.CommandError, match="no such file"):
        cli.main(["--debug", "summary", str(tmp_path / "absent.ember")])
    with pytest.raises(ValueError, match="not an ember model file"):
        (tmp_path / "bad.ember").write_bytes(b"junk")
        cli.main(["summary", str(tmp_path / "bad.ember"), "--debug"])


def test_usage_errors_come_from_argparse(capsys):
    status, _, err = run(capsys, "train")
    assert status == 2 and "CONFIG_OR_PRESET" in err


# ---- real MNIST -------------------------------------------------------------------------
@pytest.mark.slow
def test_train_mnist_mlp_one_epoch(capsys, tmp_path, monkeypatch):
    data_dir = os.environ.get("EMBER_DATA_DIR")
    if not data_dir or not (Path(data_dir) / "mnist").is_dir():
        pytest.skip("EMBER_DATA_DIR is unset or has no mnist/ folder")
    monkeypatch.setattr(ember.datasets.mnist, "MIRRORS", [])  # never download
    out_path = tmp_path / "mlp.ember"
    status, _, err = run(capsys, "train", "mnist-mlp", "--epochs", 1, "--seed", 1, "--out",
                         out_path)
    assert status == 0, err
    model = ember.saving.load_model(out_path)
    (_, _), (x_test, y_test) = cli.load_dataset("mnist")
    _, accuracy = model.evaluate(x_test.reshape(-1, 784), y_test, batch_size=512, verbose=0)
    assert accuracy > 0.90
    status, out, _ = run(capsys, "evaluate", out_path)
    assert status == 0 and out.endswith(f"accuracy: {accuracy:.4f}\n")
