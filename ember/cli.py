"""The ``ember`` command: train, evaluate, inspect and export models from the shell.

    ember train mnist-mlp --epochs 5 --out mlp.ember    # a preset: mnist-mlp, -cnn, -lstm
    ember train experiment.json                         # a model config, compile and fit
    ember evaluate mlp.ember                            # loss and accuracy on MNIST's test set
    ember predict mlp.ember digit.png                   # the top-3 digits for an image
    ember summary mlp.ember
    ember export mlp.ember mlp.onnx
    ember --version

A training config is a JSON file::

    {"model": <ember.layers.serialize(model), or model.get_config() of a Sequential or
               functional model>,
     "compile": {"optimizer": "adam", "loss": "sparse_categorical_crossentropy",
                 "metrics": ["accuracy"]},
     "fit": {"epochs": 5, "batch_size": 128, "validation_split": 0.1},
     "dataset": "mnist"}

``dataset`` is ``"mnist"`` (the default) or ``"fashion_mnist"``: 28x28 images scaled to
[0, 1] and reshaped to the model's input shape, so a model may take ``(784,)``,
``(28, 28)`` or ``(28, 28, 1)``. The command line's ``--epochs``, ``--batch-size`` and
``--lr`` override the file.

Errors print one line, ``ember: error: ...``, and exit with status 2; ``--debug`` raises
the exception instead, with its traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import sys
import zlib

import numpy as np

IMAGE_SIZE = 28
_FIT_SETTINGS = ("epochs", "batch_size", "validation_split", "validation_freq", "shuffle",
                 "initial_epoch", "steps_per_epoch")
_ACCURACY_NAMES = ("accuracy", "acc", "sparse_categorical_accuracy", "categorical_accuracy")


class CommandError(Exception):
    """A failure reported to the user in one line."""


def main(argv: list[str] | None = None) -> int:
    """Run the ``ember`` command with ``argv`` (default: ``sys.argv[1:]``); returns the exit
    status.

    Example:
        >>> from ember.cli import main
        >>> main(["summary", "no-such-model.ember"])  # prints "ember: error: ..." on stderr
        2
    """
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors, printed by argparse
        return exc.code if isinstance(exc.code, int) else 2
    try:
        args.command(args)
    except KeyboardInterrupt:
        print("ember: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - every failure becomes one line (see --debug)
        if getattr(args, "debug", False):
            raise
        text = str(exc) if isinstance(exc, (CommandError, ValueError, OSError)) else (
            f"{type(exc).__name__}: {exc}")
        print(f"ember: error: {' '.join(text.split())}", file=sys.stderr)
        return 2
    return 0


def _parser() -> argparse.ArgumentParser:
    from ember import __version__

    # Accepted before and after the command; SUPPRESS keeps a subcommand's default from
    # overwriting a --debug given before it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the full traceback of an error")
    parser = argparse.ArgumentParser(
        prog="ember", parents=[common],
        description="Train, evaluate, inspect and export ember models.")
    parser.add_argument("--version", action="version", version=f"ember {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    train = commands.add_parser("train", parents=[common], help="train a model and save it",
                                description="Train a preset or a JSON config and save it.")
    train.add_argument("config", metavar="CONFIG_OR_PRESET",
                       help=f"a JSON training config, or one of {', '.join(PRESETS)}")
    train.add_argument("--epochs", type=int, help="number of epochs")
    train.add_argument("--batch-size", type=int, help="samples per gradient step")
    train.add_argument("--lr", type=float, help="learning rate of the optimizer")
    train.add_argument("--out", default="model.ember",
                       help="where to save the model (default: model.ember)")
    train.add_argument("--seed", type=int, help="random seed, for a reproducible run")
    train.set_defaults(command=train_command)

    evaluate = commands.add_parser("evaluate", parents=[common],
                                   help="loss and accuracy on a test set")
    evaluate.add_argument("model", help="a .ember model file")
    evaluate.add_argument("--dataset", default="mnist", choices=DATASETS,
                          help="the test set (default: mnist)")
    evaluate.add_argument("--batch-size", type=int, default=256)
    evaluate.set_defaults(command=evaluate_command)

    predict = commands.add_parser("predict", parents=[common],
                                  help="the top-3 classes for an image")
    predict.add_argument("model", help="a .ember model file")
    predict.add_argument("image", help="a PNG image of a digit")
    predict.set_defaults(command=predict_command)

    summary = commands.add_parser("summary", parents=[common], help="print a model's layers")
    summary.add_argument("model", help="a .ember model file")
    summary.set_defaults(command=summary_command)

    export = commands.add_parser("export", parents=[common], help="export a model to ONNX")
    export.add_argument("model", help="a .ember model file")
    export.add_argument("output", help="the .onnx file to write")
    export.set_defaults(command=export_command)
    return parser


# ---- commands ---------------------------------------------------------------------------
def train_command(args) -> None:
    from ember import utils

    spec = _training_spec(args.config)
    if args.seed is not None:
        utils.set_random_seed(args.seed)
    model = spec["build"]()
    settings = dict(spec["compile"])
    optimizer = _optimizer(settings.pop("optimizer", "rmsprop"))
    if args.lr is not None:
        optimizer.learning_rate = args.lr
    model.compile(optimizer=optimizer, **_compile_specs(settings))
    fit = dict(spec["fit"])
    if args.epochs is not None:
        fit["epochs"] = args.epochs
    if args.batch_size is not None:
        fit["batch_size"] = args.batch_size
    (x_train, y_train), (x_test, y_test) = load_dataset(spec["dataset"])
    model.fit(_as_inputs(x_train, model, "train"), _as_targets(y_train, model),
              verbose=1 if sys.stdout.isatty() else 2, **fit)
    print("Test: " + _report(model, x_test, y_test, fit.get("batch_size") or 256))
    model.save(args.out)
    print(f"Saved the model to {args.out}")


def evaluate_command(args) -> None:
    model = _load_model(args.model)
    _, (x_test, y_test) = load_dataset(args.dataset)
    print(_report(model, x_test, y_test, args.batch_size))


def predict_command(args) -> None:
    model = _load_model(args.model, compile=False)
    image = to_mnist_image(read_image(_existing(args.image)))
    outputs = np.asarray(model.predict(_as_inputs(image[None], model, "predict"), verbose=0))
    scores = outputs.reshape(-1).astype(np.float64)
    if (scores < 0).any() or abs(scores.sum() - 1.0) > 1e-3:  # logits: make probabilities
        scores = np.exp(scores - scores.max())
        scores /= scores.sum()
    for k in np.argsort(-scores, kind="stable")[:3]:
        print(f"{k}: {scores[k]:.4f}")


def summary_command(args) -> None:
    _load_model(args.model, compile=False).summary()


def export_command(args) -> None:
    from ember import saving

    export_onnx = getattr(saving, "export_onnx", None)
    if export_onnx is None:
        raise CommandError("ONNX export is not available in this version of ember")
    export_onnx(_load_model(args.model, compile=False), args.output)
    print(f"Exported the model to {args.output}")


# ---- presets and training configs -------------------------------------------------------
def _mnist_mlp():
    from ember import Input, Sequential, layers

    return Sequential([
        Input(shape=(784,)),
        layers.Dense(512, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ], name="mnist_mlp")


def _mnist_cnn():
    """Keras's simple MNIST convnet."""
    from ember import Input, Sequential, layers

    _require_layers("mnist-cnn", "the convolution layers", "Conv2D", "MaxPooling2D")
    return Sequential([
        Input(shape=(28, 28, 1)),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ], name="mnist_cnn")


def _mnist_lstm():
    """An LSTM reading the image row by row: 28 steps of 28 pixels."""
    from ember import Input, Sequential, layers

    _require_layers("mnist-lstm", "the recurrent layers", "LSTM")
    return Sequential([
        Input(shape=(28, 28)),
        layers.LSTM(128),
        layers.Dense(10, activation="softmax"),
    ], name="mnist_lstm")


_PRESET_TRAINING = {
    "compile": {"optimizer": "adam", "loss": "sparse_categorical_crossentropy",
                "metrics": ["accuracy"]},
    "dataset": "mnist",
}
PRESETS = {
    "mnist-mlp": dict(_PRESET_TRAINING, build=_mnist_mlp,
                      fit={"epochs": 10, "batch_size": 128, "validation_split": 0.1}),
    "mnist-cnn": dict(_PRESET_TRAINING, build=_mnist_cnn,
                      fit={"epochs": 15, "batch_size": 128, "validation_split": 0.1}),
    "mnist-lstm": dict(_PRESET_TRAINING, build=_mnist_lstm,
                       fit={"epochs": 10, "batch_size": 128, "validation_split": 0.1}),
}


def build_preset(name: str):
    """The (uncompiled) model of the preset ``name``."""
    if name not in PRESETS:
        raise CommandError(f"expected a preset among {list(PRESETS)}, received '{name}'")
    return PRESETS[name]["build"]()


def _require_layers(preset: str, what: str, *names: str) -> None:
    from ember import layers

    missing = [name for name in names if not hasattr(layers, name)]
    if missing:
        raise CommandError(
            f"the preset '{preset}' needs {what} ({', '.join(missing)}), which this version "
            "of ember does not have"
        )


def _training_spec(source: str) -> dict:
    """``{"build", "compile", "fit", "dataset"}`` of a preset name or a JSON config file."""
    if source in PRESETS:
        return PRESETS[source]
    if not os.path.isfile(source):
        raise CommandError(
            f"expected a training config file or a preset among {list(PRESETS)}, "
            f"received '{source}' (no such file)"
        )
    try:
        with open(source, encoding="utf-8") as f:
            config = json.load(f)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CommandError(f"'{source}' is not a JSON training config ({exc})") from None
    if not isinstance(config, dict) or not isinstance(config.get("model"), dict):
        raise CommandError(
            f"'{source}': expected a JSON object with a 'model' config (and 'compile', "
            "'fit', 'dataset')"
        )
    unknown = sorted(set(config) - {"model", "compile", "fit", "dataset"})
    unknown_fit = sorted(set(config.get("fit", {})) - set(_FIT_SETTINGS))
    if unknown or unknown_fit:
        raise CommandError(
            f"'{source}': unknown settings {unknown + ['fit.' + k for k in unknown_fit]}; "
            f"expected model, compile, fit ({', '.join(_FIT_SETTINGS)}) and dataset"
        )
    dataset = config.get("dataset", "mnist")
    if dataset not in DATASETS:
        raise CommandError(f"'{source}': expected a dataset among {list(DATASETS)}, "
                           f"received {dataset!r}")
    return {"build": lambda: _model_from_config(config["model"]),
            "compile": config.get("compile", {}), "fit": config.get("fit", {}),
            "dataset": dataset}


def _model_from_config(config: dict):
    from ember import layers
    from ember.models import Functional, Sequential

    if "class_name" in config:
        return layers.deserialize(config)
    if "input_layers" in config:
        return Functional.from_config(config)
    return Sequential.from_config(config)


def _optimizer(identifier):
    from ember import optimizers

    return optimizers.get(identifier)


def _compile_specs(settings: dict) -> dict:
    """The compile section with serialized losses and metrics (dicts) made into objects."""
    from ember import losses, metrics

    def resolve(spec, module):
        if isinstance(spec, dict) and "class_name" in spec:
            return module.deserialize(spec)
        if isinstance(spec, list):
            return [resolve(s, module) for s in spec]
        return spec

    out = dict(settings)
    if "loss" in out:
        out["loss"] = resolve(out["loss"], losses)
    for key in ("metrics", "weighted_metrics"):
        if key in out:
            out[key] = resolve(out[key], metrics)
    return out


# ---- data -------------------------------------------------------------------------------
DATASETS = ("mnist", "fashion_mnist")


def load_dataset(name: str = "mnist"):
    """``(x_train, y_train), (x_test, y_test)``: 28x28 float32 images in [0, 1] and int64
    labels, from ``ember.datasets``."""
    from ember import datasets

    (x_train, y_train), (x_test, y_test) = getattr(datasets, name).load_data()
    return ((x_train.astype(np.float32) / 255.0, y_train.astype(np.int64)),
            (x_test.astype(np.float32) / 255.0, y_test.astype(np.int64)))


def _as_inputs(images: np.ndarray, model, command: str) -> np.ndarray:
    """28x28 images reshaped to the model's input shape."""
    shape = getattr(model, "input_shape", None)
    if not isinstance(shape, tuple) or None in shape[1:] or (
            int(np.prod(shape[1:])) != IMAGE_SIZE * IMAGE_SIZE):
        raise CommandError(
            f"ember {command}: expected a model with one input of {IMAGE_SIZE}x{IMAGE_SIZE} "
            f"values (such as (784,), (28, 28) or (28, 28, 1)), received input shape {shape}"
        )
    return images.reshape((len(images),) + tuple(shape[1:]))


def _as_targets(labels: np.ndarray, model) -> np.ndarray:
    """Integer labels, one-hot when the model's loss is a (non-sparse) categorical one."""
    from ember.utils import to_categorical

    loss = model.loss
    name = loss if isinstance(loss, str) else getattr(loss, "name", None) or getattr(
        loss, "__name__", "")
    if "categorical" in name and "sparse" not in name:
        return to_categorical(labels, num_classes=model.output_shape[-1])
    return labels


def _report(model, images: np.ndarray, labels: np.ndarray, batch_size: int) -> str:
    """``"loss: 0.0812 - accuracy: 0.9754"`` on the given images (the loss when the model
    has one)."""
    x = _as_inputs(images, model, "evaluate")
    parts, accuracy = [], None
    if getattr(model, "compiled", False) and model.loss is not None:
        logs = model.evaluate(x, _as_targets(labels, model), batch_size=batch_size, verbose=0,
                              return_dict=True)
        parts.append(f"loss: {logs['loss']:.4f}")
        accuracy = next((logs[k] for k in _ACCURACY_NAMES if k in logs), None)
    if accuracy is None:
        predicted = np.asarray(model.predict(x, batch_size=batch_size, verbose=0))
        accuracy = float(np.mean(predicted.argmax(axis=-1) == labels))
    parts.append(f"accuracy: {accuracy:.4f}")
    return " - ".join(parts)


def _existing(path: str) -> str:
    if not os.path.exists(path):
        raise CommandError(f"no such file: '{path}'")
    if os.path.isdir(path):
        raise CommandError(f"expected a file, received the folder '{path}'")
    return path


def _load_model(path: str, compile: bool = True):
    from ember import saving

    return saving.load_model(_existing(path), compile=compile)


# ---- images -----------------------------------------------------------------------------
def read_image(path: str) -> np.ndarray:
    """A PNG image as floats in [0, 1], of shape (height, width) or (height, width,
    channels): through matplotlib when it is installed, else ``decode_png``."""
    try:
        from matplotlib import image as mpl_image
    except ImportError:
        with open(path, "rb") as f:
            return decode_png(f.read(), path)
    try:
        image = mpl_image.imread(path)
    except Exception as exc:  # noqa: BLE001 - Pillow raises many kinds for a bad file
        raise CommandError(f"'{path}' is not an image that can be read ({exc})") from None
    if image.dtype.kind in "ui":
        image = image / float(np.iinfo(image.dtype).max)
    return np.asarray(image, dtype=np.float32)


def to_mnist_image(image: np.ndarray) -> np.ndarray:
    """A (28, 28) float32 image in [0, 1] with a dark background, as MNIST's digits.

    Colour becomes luminance (ITU-R BT.601) and transparency is laid over white; an image
    whose border is light on average is inverted (a dark digit on paper); a non-square
    image is padded to a square with background; then it is resized by averaging over
    areas."""
    image = np.asarray(image, dtype=np.float64)
    if image.ndim == 3:
        if image.shape[-1] in (2, 4):  # with alpha: over a white background
            alpha = image[..., -1:]
            image = image[..., :-1] * alpha + (1.0 - alpha)
        luminance = np.array([0.299, 0.587, 0.114])
        image = image[..., 0] if image.shape[-1] == 1 else image[..., :3] @ luminance
    if image.ndim != 2:
        raise CommandError(f"expected a 2-D image (grayscale or colour), received shape "
                           f"{image.shape}")
    border = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])
    if border.mean() > 0.5:
        image = 1.0 - image
    h, w = image.shape
    side = max(h, w)
    square = np.zeros((side, side))
    square[(side - h) // 2:(side - h) // 2 + h, (side - w) // 2:(side - w) // 2 + w] = image
    resized = _area_matrix(side, IMAGE_SIZE) @ square @ _area_matrix(side, IMAGE_SIZE).T
    return np.clip(resized, 0.0, 1.0).astype(np.float32)


def _area_matrix(n_in: int, n_out: int) -> np.ndarray:
    """``(n_out, n_in)`` weights: output pixel ``i`` averages the input pixels under the
    interval it covers, in proportion to the overlap."""
    edges = np.linspace(0.0, n_in, n_out + 1)
    starts = np.arange(n_in)
    overlap = (np.minimum(edges[1:, None], starts[None, :] + 1)
               - np.maximum(edges[:-1, None], starts[None, :]))
    overlap = np.clip(overlap, 0.0, None)
    return overlap / overlap.sum(axis=1, keepdims=True)


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}  # color type: grayscale, RGB, gray+alpha, RGBA


def decode_png(data: bytes, name: str = "image") -> np.ndarray:
    """Decode an 8-bit, non-interlaced grayscale, RGB or RGBA PNG (with or without alpha)
    into floats in [0, 1]: shape (height, width) or (height, width, channels).

    Example:
        >>> import struct, zlib
        >>> def chunk(kind, body):
        ...     return (struct.pack(">I", len(body)) + kind + body
        ...             + struct.pack(">I", zlib.crc32(kind + body)))
        >>> png = (b"\\x89PNG\\r\\n\\x1a\\n"
        ...        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 1, 8, 0, 0, 0, 0))
        ...        + chunk(b"IDAT", zlib.compress(bytes([0, 0, 255]))) + chunk(b"IEND", b""))
        >>> decode_png(png).tolist()
        [[0.0, 1.0]]
    """
    if not data.startswith(_PNG_SIGNATURE):
        raise CommandError(f"'{name}' is not a PNG file")
    pos, header, idat = len(_PNG_SIGNATURE), None, []
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += length + 12
        if kind == b"IHDR" and len(body) == 13:
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if header is None or not idat:
        raise CommandError(f"'{name}' is a truncated PNG file (no image header or data)")
    width, height, depth, color, _, _, interlace = header
    channels = _PNG_CHANNELS.get(color)
    if depth != 8 or channels is None or interlace:
        raise CommandError(
            f"'{name}': without matplotlib, expected an 8-bit non-interlaced grayscale, RGB or "
            f"RGBA PNG, received bit depth {depth}, color type {color}, interlace {interlace}"
        )
    try:
        raw = zlib.decompress(b"".join(idat))
    except zlib.error as exc:
        raise CommandError(f"'{name}' is a corrupt PNG file ({exc})") from None
    stride = width * channels
    if len(raw) != height * (stride + 1):
        raise CommandError(f"'{name}' is a truncated PNG file ({len(raw)} bytes of pixels, "
                           f"expected {height * (stride + 1)})")
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(height, stride + 1)
    pixels = _unfilter(rows[:, 0], rows[:, 1:], channels, name)
    image = pixels.reshape(height, width, channels).astype(np.float32) / 255.0
    return image[..., 0] if channels == 1 else image


def _unfilter(filters: np.ndarray, lines: np.ndarray, bpp: int, name: str) -> np.ndarray:
    """Undo PNG's per-scanline filters (None, Sub, Up, Average, Paeth; PNG spec 9.2)."""
    out = np.empty_like(lines)
    prior = np.zeros(lines.shape[1], dtype=np.uint8)
    for y, (kind, line) in enumerate(zip(filters.tolist(), lines)):
        if kind == 0:
            row = line
        elif kind == 1:  # Sub: a running sum per channel, modulo 256
            row = np.cumsum(line.reshape(-1, bpp), axis=0, dtype=np.uint8).reshape(-1)
        elif kind == 2:  # Up
            row = line + prior
        elif kind in (3, 4):  # Average and Paeth depend on the byte just decoded
            row = np.array(_unfilter_sequential(kind, line.tolist(), prior.tolist(), bpp),
                           dtype=np.uint8)
        else:
            raise CommandError(f"'{name}' is a corrupt PNG file (filter type {kind})")
        out[y] = row
        prior = out[y]
    return out


def _unfilter_sequential(kind: int, line: list, prior: list, bpp: int) -> list:
    row = [0] * len(line)
    for i, value in enumerate(line):
        a = row[i - bpp] if i >= bpp else 0
        b = prior[i]
        if kind == 3:
            predictor = (a + b) // 2
        else:
            c = prior[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            predictor = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
        row[i] = (value + predictor) & 0xFF
    return row


if __name__ == "__main__":
    sys.exit(main())
