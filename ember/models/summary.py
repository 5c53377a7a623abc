"""``Model.summary``: layers, output shapes and parameter counts, as Keras prints them."""

from __future__ import annotations

import numpy as np


def _format_shape(shape) -> str:
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return ", ".join(_format_shape(s) for s in shape)
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def _count(weights) -> int:
    return int(sum(int(np.prod(v.shape)) for v in weights))


def _human(n: int) -> str:
    size = n * 4
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} GB"


def print_summary(model, line_length=None, print_fn=None, show_trainable: bool = False) -> None:
    """Print (or hand to ``print_fn`` line by line) the model's layer table and totals."""
    print_fn = print_fn or print
    layers = [layer for layer in model.layers
              if type(layer).__name__ != "InputLayer" or _is_functional(model)]
    connected = _is_functional(model) and _has_branches(model)
    headers = ["Layer (type)", "Output Shape", "Param #"]
    if connected:
        headers.append("Connected to")
    if show_trainable:
        headers.append("Trainable")
    rows = []
    for layer in layers:
        shape = layer._output_shape if layer._output_shape is not None else None
        params = _count(layer.weights) if layer.built else 0
        row = [f"{layer.name} ({type(layer).__name__})", _format_shape(shape), f"{params:,}"]
        if connected:
            row.append(", ".join(_inbound_names(layer)) or "-")
        if show_trainable:
            row.append("Y" if layer.trainable else "N")
        rows.append(row)
    widths = [max(len(h), *(len(r[i]) for r in rows)) + 2 if rows else len(h) + 2
              for i, h in enumerate(headers)]
    total_width = line_length or sum(widths)
    kind = "Sequential" if type(model).__name__ == "Sequential" else (
        "Functional" if _is_functional(model) else type(model).__name__)
    print_fn(f'Model: "{model.name}" ({kind})')
    print_fn("━" * total_width)
    print_fn("".join(h.ljust(w) for h, w in zip(headers, widths)))
    print_fn("━" * total_width)
    for i, row in enumerate(rows):
        print_fn("".join(c.ljust(w) for c, w in zip(row, widths)))
        if i < len(rows) - 1:
            print_fn("─" * total_width)
    print_fn("━" * total_width)
    trainable = _count(model.trainable_weights)
    non_trainable = _count(model.non_trainable_weights)
    total = trainable + non_trainable
    print_fn(f" Total params: {total:,} ({_human(total)})")
    print_fn(f" Trainable params: {trainable:,} ({_human(trainable)})")
    print_fn(f" Non-trainable params: {non_trainable:,} ({_human(non_trainable)})")
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and getattr(optimizer, "variables", None):
        state = _count(optimizer.variables)
        print_fn(f" Optimizer params: {state:,} ({_human(state)})")


def _is_functional(model) -> bool:
    return type(model).__name__ == "Functional" or hasattr(model, "_nodes")


def _has_branches(model) -> bool:
    return len(getattr(model, "inputs", [])) > 1 or any(
        len(node.parent_tensors) > 1 for node in getattr(model, "_nodes", [])
    )


def _inbound_names(layer) -> list:
    names = []
    for node in layer._inbound_nodes:
        for t in node.parent_tensors:
            names.append(f"{t.node.layer.name}[0][{t.index}]")
    return names
