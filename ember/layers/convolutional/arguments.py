"""Argument checks shared by the spatial layers (convolution, pooling, image reshaping):
Keras's ``standardize_tuple``, ``standardize_padding`` and ``standardize_data_format``, the
input-rank check and the output length of a sliding window along one axis."""

from __future__ import annotations

import numbers

from ember.ops.im2col import normalize_tuple

LAYOUTS = {1: "(batch, steps, channels)", 2: "(batch, height, width, channels)",
           3: "(batch, depth, height, width, channels)"}


def label(layer) -> str:
    return f"{type(layer).__name__} '{layer.name}'"


def standardize_tuple(layer, value, rank: int, name: str, minimum: int = 1) -> tuple:
    """``value`` (an int or ``rank`` ints) as a tuple of ``rank`` ints >= ``minimum``."""
    return normalize_tuple(value, rank, name, label(layer), minimum)


def standardize_padding(layer, padding, allow_causal: bool = False) -> str:
    modes = ("valid", "same", "causal") if allow_causal else ("valid", "same")
    mode = padding.lower() if isinstance(padding, str) else padding
    if mode not in modes:
        raise ValueError(
            f"{label(layer)}: expected padding to be one of {modes}, received padding={padding!r}"
        )
    return mode


def standardize_data_format(layer, data_format) -> str:
    """``"channels_last"``; ``channels_first`` is refused (ember's images are channels-last)."""
    mode = data_format.lower() if isinstance(data_format, str) else data_format
    if mode in (None, "channels_last"):
        return "channels_last"
    if mode == "channels_first":
        raise ValueError(
            f"{label(layer)}: data_format='channels_first' is not supported; ember's images "
            f"are channels-last {LAYOUTS.get(getattr(layer, 'rank', 2))}: move the channel "
            f"axis last (ops.moveaxis(x, 1, -1)) and use data_format='channels_last'"
        )
    raise ValueError(
        f"{label(layer)}: expected data_format 'channels_last' or None, received "
        f"data_format={data_format!r}"
    )


def check_input_rank(layer, input_shape, rank: int) -> None:
    if len(input_shape) != rank + 2:
        raise ValueError(
            f"{label(layer)}: expected input with {rank + 2} dimensions {LAYOUTS[rank]}, got "
            f"shape {tuple(input_shape)}"
        )


def window_output_length(length, span: int, stride: int, padding: str):
    """Outputs of a window of ``span`` elements moved by ``stride`` over ``length`` elements
    (None stays None): ``"valid"`` ``(length - span) // stride + 1``, ``"same"`` ``ceil(length /
    stride)``; ``"causal"`` is "valid" after ``span - 1`` elements of left padding."""
    if length is None:
        return None
    if padding == "same":
        return -(-length // stride)
    if padding == "causal":
        length += span - 1
    return (length - span) // stride + 1


def check_output_lengths(layer, input_shape, lengths, window) -> None:
    """A ValueError naming ``layer`` when a window does not fit in the input."""
    if any(n is not None and n < 1 for n in lengths):
        raise ValueError(
            f"{label(layer)}: the input shape {tuple(input_shape)} is too small for a window "
            f"of {window}: the output would have spatial shape {tuple(lengths)}"
        )


def positive_int(layer, value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(
            f"{label(layer)}: expected a positive integer {name}, received {name}={value!r}"
        )
    return int(value)


def check_strides_and_dilation(layer) -> None:
    if max(layer.strides) > 1 and max(layer.dilation_rate) > 1:
        raise ValueError(
            f"{label(layer)}: strides > 1 cannot be combined with dilation_rate > 1 (as in "
            f"Keras), received strides={layer.strides}, dilation_rate={layer.dilation_rate}"
        )


def conv_output_lengths(layer, input_shape) -> tuple:
    """Spatial output shape of a convolution layer (``kernel_size``, ``strides``,
    ``dilation_rate``, ``padding``) for ``input_shape``; a ValueError when empty."""
    check_input_rank(layer, input_shape, layer.rank)
    lengths = tuple(
        window_output_length(n, d * (k - 1) + 1, s, layer.padding)
        for n, k, s, d in zip(input_shape[1:-1], layer.kernel_size, layer.strides,
                              layer.dilation_rate)
    )
    check_output_lengths(layer, input_shape, lengths,
                         f"kernel_size={layer.kernel_size}, dilation_rate={layer.dilation_rate}")
    return lengths
