"""``plot_model``: a diagram of a model's layers and their connections, without graphviz."""

from __future__ import annotations

import numpy as np

from ember.visualize._figure import new_figure, save_figure
from ember.visualize.graph import LayerNode, layer_graph

_CHAR_WIDTH = 0.075  # inches per character of 9-point monospace text
_LINE_HEIGHT = 0.19  # inches per line
_GAP = 0.45  # inches between boxes
_EDGE_COLOR = "#4a4a4a"


def plot_model(model, path=None, show_shapes: bool = True, show_layer_names: bool = True,
               rankdir: str = "TB"):
    """Draw the layer graph of a model: one box per layer (its name, class and output
    shape) and an arrow from each layer to each layer that reads its output.

    Layers are placed in ranks: the inputs first, every other layer one rank after the
    last layer it reads from, so branches stand side by side and merges below them. A
    subclassed model, whose connections are in Python code, is one box.

    Args:
        model: A Functional, Sequential (built) or subclassed (built) model.
        path: When given, the figure is written there in the format of its extension
            (``.png``, ``.svg``, ``.pdf``).
        show_shapes: Write each layer's output shape in its box.
        show_layer_names: Write each layer's name before its class.
        rankdir: ``"TB"`` draws from top to bottom, ``"LR"`` from left to right.

    Returns:
        The matplotlib ``Figure``.

    Example:
        >>> import ember
        >>> from ember.visualize import plot_model
        >>> inputs = ember.Input(shape=(8,), name="x")
        >>> left = ember.layers.Dense(4, name="left")(inputs)
        >>> right = ember.layers.Dense(4, name="right")(inputs)
        >>> outputs = ember.layers.Add(name="sum")([left, right])
        >>> figure = plot_model(ember.Model(inputs, outputs))
        >>> len(figure.axes[0].patches)  # one box per layer
        4
    """
    if rankdir not in ("TB", "LR"):
        raise ValueError(f"plot_model: expected rankdir 'TB' or 'LR', received {rankdir!r}")
    nodes = _graph_or_single_box(model)
    labels = [_label(node, show_shapes, show_layer_names) for node in nodes]
    width = max(len(line) for label in labels for line in label.splitlines())
    width = width * _CHAR_WIDTH + 0.4
    height = max(label.count("\n") + 1 for label in labels) * _LINE_HEIGHT + 0.25
    ranks = _ranks(nodes)
    slots = _slots(nodes, ranks)
    positions = {}
    for node, rank in zip(nodes, ranks):
        along, across = rank, slots[node.layer.name]
        if rankdir == "TB":
            positions[node.layer.name] = (across * (width + _GAP), -along * (height + _GAP))
        else:
            positions[node.layer.name] = (along * (width + _GAP), -across * (height + _GAP))
    xs = np.array([p[0] for p in positions.values()])
    ys = np.array([p[1] for p in positions.values()])
    left, right = xs.min() - width / 2 - 0.1, xs.max() + width / 2 + 0.1
    bottom, top = ys.min() - height / 2 - 0.1, ys.max() + height / 2 + 0.1
    figure = new_figure("plot_model", right - left, top - bottom)
    figure.set_layout_engine("none")
    axes = figure.add_axes((0.0, 0.0, 1.0, 1.0))
    axes.set_xlim(left, right)
    axes.set_ylim(bottom, top)
    axes.set_axis_off()
    from matplotlib.patches import FancyBboxPatch

    rank_of = {node.layer.name: rank for node, rank in zip(nodes, ranks)}
    for node, label in zip(nodes, labels):
        x, y = positions[node.layer.name]
        is_input = type(node.layer).__name__ == "InputLayer"
        axes.add_patch(FancyBboxPatch(
            (x - width / 2, y - height / 2), width, height, boxstyle="round,pad=0.02",
            facecolor="#dff0d8" if is_input else "#d9e8f6", edgecolor=_EDGE_COLOR,
            linewidth=1.0))
        axes.text(x, y, label, ha="center", va="center", family="monospace", fontsize=9)
        for parent in node.inbound:
            start, end = _edge(positions[parent], (x, y), width, height, rankdir)
            skipped = rank_of[node.layer.name] - rank_of[parent] - 1
            if skipped:
                # Over skipped ranks the line stays in its parent's lane, beside the boxes
                # of the layers between, and turns to its layer only in the last gap.
                step = skipped * ((height if rankdir == "TB" else width) + _GAP)
                turn = (start[0], start[1] - step) if rankdir == "TB" else (
                    start[0] + step, start[1])
                axes.plot([start[0], turn[0]], [start[1], turn[1]], color=_EDGE_COLOR,
                          linewidth=1.0)
                start = turn
            axes.annotate("", xy=end, xytext=start, arrowprops={
                "arrowstyle": "-|>", "color": _EDGE_COLOR, "shrinkA": 0, "shrinkB": 0})
    if path is not None:
        save_figure("plot_model", figure, path)
    return figure


def _graph_or_single_box(model) -> list:
    from ember.models.sequential import Sequential

    if getattr(model, "outputs", None) or isinstance(model, Sequential):
        return layer_graph(model)
    if not getattr(model, "built", False):
        raise ValueError(
            f"plot_model: model '{model.name}' is not built; call it on data (or fit it) "
            "first"
        )
    return [LayerNode(model, [], [])]


def _label(node: LayerNode, show_shapes: bool, show_layer_names: bool) -> str:
    kind = type(node.layer).__name__
    lines = [f"{node.layer.name} ({kind})" if show_layer_names else kind]
    if show_shapes and node.outputs:
        shapes = ", ".join(_format_shape(shape) for shape in node.output_shapes)
        lines.append(f"→ {shapes}")
    return "\n".join(lines)


def _format_shape(shape) -> str:
    if isinstance(shape, list):
        return ", ".join(_format_shape(s) for s in shape)
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def _ranks(nodes: list) -> list:
    """Each layer one rank after the last layer it reads from (nodes come parents first)."""
    rank: dict = {}
    for node in nodes:
        rank[node.layer.name] = 1 + max((rank[p] for p in node.inbound), default=-1)
    return [rank[node.layer.name] for node in nodes]


def _slots(nodes: list, ranks: list) -> dict:
    """Position across the ranks: in each rank, layers ordered by the mean slot of the
    layers they read from (fewer crossings), centred on 0."""
    slot: dict = {}
    for rank in range(max(ranks) + 1):
        members = [node for node, r in zip(nodes, ranks) if r == rank]
        members.sort(key=lambda node: np.mean([slot[p] for p in node.inbound])
                     if node.inbound else 0.0)
        for i, node in enumerate(members):
            slot[node.layer.name] = i - (len(members) - 1) / 2
    return slot


def _edge(start, end, width: float, height: float, rankdir: str) -> tuple:
    """From the side of the parent's box that faces the child to the opposite side."""
    (x0, y0), (x1, y1) = start, end
    if rankdir == "TB":
        return (x0, y0 - height / 2), (x1, y1 + height / 2)
    return (x0 + width / 2, y0), (x1 - width / 2, y1)
