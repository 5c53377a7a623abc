"""``ember.visualize`` plots: what each figure shows, and the files it writes."""

import sys
import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest

matplotlib_image = pytest.importorskip("matplotlib.image")
to_rgba = pytest.importorskip("matplotlib.colors").to_rgba

import ember  # noqa: E402
from ember import layers  # noqa: E402
from ember.visualize import (  # noqa: E402
    plot_confusion_matrix,
    plot_filters,
    plot_history,
    plot_predictions,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def assert_png(path, min_side=100):
    """A PNG that matplotlib reads back, of a sensible size, and not blank."""
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    pixels = matplotlib_image.imread(str(path))
    assert pixels.shape[0] > min_side and pixels.shape[1] > min_side
    assert pixels[..., :3].var() > 0


def assert_svg(path):
    root = ElementTree.parse(path).getroot()
    assert root.tag.endswith("svg")


HISTORY = {"loss": [0.9, 0.6, 0.5, 0.45], "accuracy": [0.6, 0.75, 0.8, 0.82],
           "val_loss": [1.0, 0.7, 0.65, 0.6], "val_accuracy": [0.55, 0.7, 0.74, 0.77]}


def test_plot_history_one_subplot_per_metric_training_and_validation(tmp_path):
    figure = plot_history(HISTORY, path=tmp_path / "history.png")
    axes = [a for a in figure.axes if a.get_visible()]
    assert [a.get_title() for a in axes] == ["loss", "accuracy"]
    train, validation = axes[1].get_lines()
    assert train.get_label() == "training" and validation.get_label() == "validation"
    assert list(train.get_xdata()) == [1, 2, 3, 4]
    assert list(validation.get_ydata()) == HISTORY["val_accuracy"]
    assert_png(tmp_path / "history.png")
    plot_history(HISTORY, metrics=["accuracy"], path=tmp_path / "history.svg")
    assert_svg(tmp_path / "history.svg")


def test_plot_history_from_fit_and_validation_every_other_epoch():
    x = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
    model = ember.Sequential([ember.Input(shape=(3,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    history = model.fit(x, x[:, :1], epochs=4, verbose=0, validation_data=(x, x[:, :1]),
                        validation_freq=2)
    figure = plot_history(history, validation_freq=2)
    assert [a.get_title() for a in figure.axes if a.get_visible()] == ["loss", "mae"]
    validation = figure.axes[0].get_lines()[1]
    assert list(validation.get_xdata()) == [2, 4]
    assert list(validation.get_ydata()) == history.history["val_loss"]
    with pytest.raises(ValueError, match="pass the validation_freq given to fit"):
        plot_history(history)


def test_plot_history_errors():
    with pytest.raises(ValueError, match=r"among \['loss', 'accuracy'\]"):
        plot_history(HISTORY, metrics=["precision"])
    with pytest.raises(ValueError, match="expected a History"):
        plot_history({})
    with pytest.raises(ValueError, match="positive integer validation_freq"):
        plot_history(HISTORY, validation_freq=0)


def _mosaic(figure):
    return np.asarray(figure.axes[0].images[0].get_array())


def test_plot_filters_dense_units_as_28x28_images_each_normalized(tmp_path):
    layer = layers.Dense(10)
    layer.build((None, 784))
    figure = plot_filters(layer, path=tmp_path / "filters.png")
    picture = _mosaic(figure)
    assert picture.shape == (3 * 29 - 1, 4 * 29 - 1)  # 10 tiles in 3 rows of 4
    kernel = layer.kernel.numpy().astype(np.float64)
    for unit, (row, column) in [(0, (0, 0)), (5, (1, 1)), (9, (2, 1))]:
        tile = picture[row * 29:row * 29 + 28, column * 29:column * 29 + 28]
        weights = kernel[:, unit].reshape(28, 28)
        expected = (weights - weights.min()) / (weights.max() - weights.min())
        np.testing.assert_allclose(tile, expected, atol=1e-12)
    assert np.isnan(picture[28]).all()  # the gap between rows of tiles
    assert np.isnan(picture[-28:, -28:]).all()  # no 11th tile
    assert_png(tmp_path / "filters.png")


def test_plot_filters_conv_kernels_one_image_per_output_channel():
    rng = np.random.default_rng(0)
    color = _mosaic(plot_filters(rng.normal(size=(5, 5, 3, 4))))
    assert color.shape == (2 * 6 - 1, 2 * 6 - 1, 4)  # RGBA, gaps transparent
    assert color[:5, :5, 3].min() == 1.0 and color[5, :, 3].max() == 0.0
    np.testing.assert_allclose(color[:5, :5, :3].min(), 0.0)
    np.testing.assert_allclose(color[:5, :5, :3].max(), 1.0)
    gray = _mosaic(plot_filters(rng.normal(size=(3, 3, 1, 9))))
    assert gray.shape == (3 * 4 - 1, 3 * 4 - 1)
    # Two input channels side by side in each of the 4 tiles: 3 x (3 + 1 + 3).
    wide = _mosaic(plot_filters(rng.normal(size=(3, 3, 2, 4))))
    assert wide.shape == (2 * 4 - 1, 2 * 8 - 1)
    assert np.isnan(wide[:3, 3]).all() and not np.isnan(wide[:3, :3]).any()
    # Color images read by a Dense layer: 3072 inputs are 32 x 32 x 3.
    assert _mosaic(plot_filters(rng.normal(size=(3072, 2)))).shape == (32, 2 * 33 - 1, 4)


def test_plot_filters_errors():
    with pytest.raises(ValueError, match="holding the 50 inputs"):
        plot_filters(np.zeros((50, 3)))
    with pytest.raises(ValueError, match="holding the 50 inputs"):
        plot_filters(np.zeros((50, 3)), image_shape=(7, 7))
    assert _mosaic(plot_filters(np.arange(150.0).reshape(50, 3), image_shape=(5, 10))).shape \
        == (2 * 6 - 1, 2 * 11 - 1)
    with pytest.raises(TypeError, match="expected a layer with a kernel"):
        plot_filters(layers.Dropout(0.5))
    with pytest.raises(ValueError, match="rank 2"):
        plot_filters(np.zeros(5))


def _cell_texts(figure):
    return [t.get_text() for t in figure.axes[0].texts]


def test_plot_confusion_matrix_counts_in_cells(tmp_path):
    y_true = [0, 0, 1, 1, 1, 2]
    y_pred = [0, 1, 1, 1, 2, 2]
    figure = plot_confusion_matrix(y_true, y_pred, class_names=["cat", "dog", "bird"],
                                   path=tmp_path / "confusion.png")
    assert _cell_texts(figure) == ["1", "1", "0", "0", "2", "1", "0", "0", "1"]
    assert [t.get_text() for t in figure.axes[0].get_xticklabels()] == ["cat", "dog", "bird"]
    assert_png(tmp_path / "confusion.png")
    normalized = plot_confusion_matrix(y_true, y_pred, normalize=True)
    assert _cell_texts(normalized)[3:6] == ["0.00", "0.67", "0.33"]
    # One-hot labels and probabilities; a class never seen still gets a row and column.
    one_hot = np.eye(4)[[0, 1, 1]]
    probabilities = np.array([[0.9, 0.1, 0, 0], [0.2, 0.7, 0.1, 0], [0.5, 0.2, 0.3, 0]])
    texts = _cell_texts(plot_confusion_matrix(one_hot, probabilities))
    assert len(texts) == 16 and texts[:2] == ["1", "0"] and texts[4:6] == ["1", "1"]


def test_plot_confusion_matrix_errors():
    with pytest.raises(ValueError, match="as many predictions as labels"):
        plot_confusion_matrix([0, 1], [0])
    with pytest.raises(ValueError, match="non-negative integer classes"):
        plot_confusion_matrix([0.5, 1], [0, 1])
    with pytest.raises(ValueError, match="at least 3 class_names"):
        plot_confusion_matrix([0, 2], [0, 1], class_names=["a", "b"])


def test_plot_predictions_top3_classes_and_right_or_wrong(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.random((3, 784))  # flat 28 x 28 images
    probabilities = np.array([[0.1, 0.6, 0.2, 0.1], [0.7, 0.1, 0.15, 0.05],
                              [0.25, 0.25, 0.3, 0.2]])
    figure = plot_predictions(images, probabilities, labels=[1, 2, 2],
                              class_names=["a", "b", "c", "d"], path=tmp_path / "p.png")
    assert figure.axes[0].get_xlabel().splitlines() == ["b 0.60", "c 0.20", "a 0.10"]
    assert figure.axes[2].get_xlabel().splitlines()[0] == "c 0.30"
    assert [a.get_title() for a in figure.axes] == ["true: b", "true: c", "true: c"]
    assert [to_rgba(a.title.get_color()) for a in figure.axes] == [
        to_rgba("tab:green"), to_rgba("tab:red"), to_rgba("tab:green")]
    assert figure.axes[0].images[0].get_array().shape == (28, 28)
    assert_png(tmp_path / "p.png")
    color_images = rng.integers(0, 256, size=(2, 8, 8, 3)).astype(np.uint8)
    figure = plot_predictions(color_images, probabilities[:2, :2])
    assert len(figure.axes[0].get_xlabel().splitlines()) == 2


def test_plot_predictions_errors():
    with pytest.raises(ValueError, match=r"probabilities of shape \(2, classes\)"):
        plot_predictions(np.zeros((2, 4, 4)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="expected 2 class_names"):
        plot_predictions(np.zeros((2, 4, 4)), np.zeros((2, 2)), class_names=["a"])
    with pytest.raises(ValueError, match="among classes 0 to 1"):
        plot_predictions(np.zeros((2, 4, 4)), np.zeros((2, 2)), labels=[0, 2])
    with pytest.raises(ValueError, match="flat square images"):
        plot_predictions(np.zeros((2, 5)), np.zeros((2, 2)))


def test_unknown_extension_and_missing_matplotlib(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match=r"expected a path ending in one of .*'\.png'"):
        plot_history(HISTORY, path=tmp_path / "history.txt")
    assert list(tmp_path.iterdir()) == []  # nothing half-written
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"ember\[plot\]"):
        plot_history(HISTORY)
