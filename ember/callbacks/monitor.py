"""Which way a monitored quantity improves: the ``mode`` of the monitoring callbacks."""

from __future__ import annotations

import warnings

# Metric names that improve upwards; losses and errors improve downwards.
_MAX_NAMES = ("acc", "auc", "precision", "recall", "f1", "fbeta", "iou", "r2", "top_k",
              "cosine_similarity", "true_positives", "true_negatives")
_MIN_NAMES = ("loss", "error", "crossentropy", "hinge", "divergence", "kld", "poisson",
              "logcosh", "huber", "mse", "mae", "mape", "msle", "rmse", "false_positives",
              "false_negatives")


def check_mode(owner: str, mode: str) -> str:
    """``mode`` if it is one of ``auto``, ``min``, ``max``; else ``auto`` with a warning."""
    if mode not in ("auto", "min", "max"):
        warnings.warn(f"{owner} mode {mode!r} is unknown, fallback to auto mode.", stacklevel=3)
        return "auto"
    return mode


def infer_mode(monitor: str, model=None) -> str | None:
    """``"min"`` or ``"max"`` for the log name ``monitor``, or ``None`` when unknown.

    A metric of the model named like ``monitor`` (without ``val_``) that declares its
    ``_direction`` (``"up"``/``"down"``) decides; otherwise the name does: ``loss`` and
    error-like names are minimized, ``acc``/``accuracy``/``auc``/``precision``/... are
    maximized.
    """
    name = monitor.removeprefix("val_")
    for metric in _model_metrics(model):
        direction = getattr(metric, "_direction", None)
        if getattr(metric, "name", None) == name and direction in ("up", "down"):
            return "max" if direction == "up" else "min"
    if name == "loss" or name.endswith("_loss"):
        return "min"
    if any(key in name for key in _MAX_NAMES):
        return "max"
    if any(key in name for key in _MIN_NAMES):
        return "min"
    return None


def resolve_mode(owner: str, monitor: str, mode: str, model=None) -> str:
    """``mode``, inferred from ``monitor`` when it is ``auto``; raises when it cannot be."""
    if mode != "auto":
        return mode
    inferred = infer_mode(monitor, model)
    if inferred is None:
        raise ValueError(
            f"{owner} callback received monitor={monitor!r}, but ember cannot tell whether "
            "that metric should be maximized or minimized. Pass mode='max' to monitor the "
            "highest value, or mode='min' to use the lowest value."
        )
    return inferred


def _model_metrics(model):
    """The model's metrics, with metric containers (compiled metrics lists) opened."""
    stack = list(getattr(model, "metrics", None) or ())
    while stack:
        metric = stack.pop(0)
        inner = getattr(metric, "metrics", None)
        if isinstance(inner, (list, tuple)):
            stack[:0] = inner
        else:
            yield metric
