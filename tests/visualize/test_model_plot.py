"""``plot_model`` and the layer graph it draws: boxes, arrows, ranks, files."""

import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest

matplotlib_image = pytest.importorskip("matplotlib.image")
text_module = pytest.importorskip("matplotlib.text")

import ember  # noqa: E402
from ember import layers  # noqa: E402
from ember.visualize import plot_model  # noqa: E402
from ember.visualize.graph import layer_graph  # noqa: E402


def _branching_model():
    inputs = ember.Input(shape=(8,), name="x")
    left = layers.Dense(4, name="left")(inputs)
    right = layers.Dense(4, name="right")(inputs)
    deeper = layers.Dense(4, name="deeper")(right)
    merged = layers.Add(name="sum")([left, deeper])
    return ember.Model(inputs, layers.Dense(2, name="out")(merged))


def _boxes(figure):
    """Layer label (first line of the box text) -> centre of its box."""
    axes = figure.axes[0]
    labels = [t for t in axes.texts if not isinstance(t, text_module.Annotation)]
    return {t.get_text().splitlines()[0]: t.get_position() for t in labels}


def _arrows(figure):
    return [t for t in figure.axes[0].texts if isinstance(t, text_module.Annotation)]


def test_layer_graph_parents_first_with_inbound_names():
    nodes = layer_graph(_branching_model())
    names = [node.layer.name for node in nodes]
    assert names.index("x") < names.index("right") < names.index("deeper") < names.index("sum")
    inbound = {node.layer.name: node.inbound for node in nodes}
    assert inbound == {"x": [], "left": ["x"], "right": ["x"], "deeper": ["right"],
                       "sum": ["left", "deeper"], "out": ["sum"]}
    assert [node.output_shapes for node in nodes if node.layer.name == "sum"] == [[(None, 4)]]


def test_shared_layer_is_one_node_with_all_its_inputs():
    a, b = ember.Input(shape=(3,), name="a"), ember.Input(shape=(3,), name="b")
    shared = layers.Dense(2, name="shared")
    outputs = layers.Concatenate(name="cat")([shared(a), shared(b)])
    nodes = layer_graph(ember.Model([a, b], outputs))
    assert [n.layer.name for n in nodes].count("shared") == 1
    assert {n.layer.name: n.inbound for n in nodes}["shared"] == ["a", "b"]


def test_plot_model_branches_side_by_side_and_merge_below(tmp_path):
    figure = plot_model(_branching_model(), path=tmp_path / "model.png")
    boxes = _boxes(figure)
    assert set(boxes) == {"x (InputLayer)", "left (Dense)", "right (Dense)", "deeper (Dense)",
                          "sum (Add)", "out (Dense)"}
    assert len(figure.axes[0].patches) == 6
    assert len(_arrows(figure)) == 6  # x->left, x->right, right->deeper, 2 into sum, sum->out
    (xl, yl), (xr, yr) = boxes["left (Dense)"], boxes["right (Dense)"]
    assert yl == yr and xl != xr
    ys = [boxes[name][1] for name in ("x (InputLayer)", "right (Dense)", "deeper (Dense)",
                                      "sum (Add)", "out (Dense)")]
    assert ys == sorted(ys, reverse=True) and len(set(ys)) == 5
    texts = [t.get_text() for t in figure.axes[0].texts]
    assert "sum (Add)\n→ (None, 4)" in texts
    pixels = matplotlib_image.imread(str(tmp_path / "model.png"))
    assert (tmp_path / "model.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert pixels.shape[0] > 300 and pixels.shape[1] > 200 and pixels[..., :3].var() > 0


def test_plot_model_sequential_svg_left_to_right_without_shapes(tmp_path):
    model = ember.Sequential([ember.Input(shape=(784,)), layers.Dense(16, name="hidden"),
                              layers.Dense(10, name="probs")])
    figure = plot_model(model, path=tmp_path / "model.svg", show_shapes=False,
                        show_layer_names=False, rankdir="LR")
    texts = [t.get_text() for t in figure.axes[0].texts
             if not isinstance(t, text_module.Annotation)]
    assert texts == ["InputLayer", "Dense", "Dense"]
    xs = [t.get_position()[0] for t in figure.axes[0].texts
          if not isinstance(t, text_module.Annotation)]
    assert xs == sorted(xs) and len(set(xs)) == 3
    root = ElementTree.parse(tmp_path / "model.svg").getroot()
    assert root.tag.endswith("svg")
    assert "hidden" not in (tmp_path / "model.svg").read_text()


def test_plot_model_subclassed_is_one_box_and_unbuilt_models_raise():
    class TwoLayers(ember.Model):
        def __init__(self):
            super().__init__(name="two")
            self.first = layers.Dense(3)
            self.second = layers.Dense(1)

        def call(self, x):
            return self.second(self.first(x))

    model = TwoLayers()
    with pytest.raises(ValueError, match="not built"):
        plot_model(model)
    model(np.ones((2, 4), dtype="float32"))
    assert list(_boxes(plot_model(model))) == ["two (TwoLayers)"]
    with pytest.raises(ValueError, match="Sequential not yet called"):
        plot_model(ember.Sequential([layers.Dense(2)]))
    with pytest.raises(ValueError, match="rankdir 'TB' or 'LR'"):
        plot_model(_branching_model(), rankdir="BT")
