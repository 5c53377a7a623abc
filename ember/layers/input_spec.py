"""``InputSpec``: what a layer accepts (rank, fixed axes), checked on every call."""

from __future__ import annotations


class InputSpec:
    """Constraints on a layer's input: ``ndim``, ``min_ndim``, ``max_ndim``, ``axes``
    (``{axis: size}``), ``shape`` (``None`` entries free), as in Keras."""

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None,
                 axes=None, allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype = dtype
        self.shape = tuple(shape) if shape is not None else None
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = dict(axes or {})
        self.name = name
        self.optional = optional

    def get_config(self) -> dict:
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim,
                "max_ndim": self.max_ndim, "min_ndim": self.min_ndim, "axes": self.axes}


def assert_input_compatibility(spec, shape: tuple, layer) -> None:
    """Raise a ValueError naming ``layer`` when ``shape`` breaks ``spec``."""
    if spec is None:
        return
    where = f"{type(layer).__name__} '{layer.name}'"
    ndim = len(shape)
    if spec.ndim is not None and ndim != spec.ndim:
        raise ValueError(
            f"{where}: expected input with ndim={spec.ndim}, got input of shape {shape} "
            f"(ndim={ndim})"
        )
    if spec.min_ndim is not None and ndim < spec.min_ndim:
        raise ValueError(
            f"{where}: expected input with ndim >= {spec.min_ndim}, got input of shape {shape}"
        )
    if spec.max_ndim is not None and ndim > spec.max_ndim:
        raise ValueError(
            f"{where}: expected input with ndim <= {spec.max_ndim}, got input of shape {shape}"
        )
    for axis, size in spec.axes.items():
        if size is None:
            continue
        if -ndim <= axis < ndim and shape[axis] not in (size, None):
            name = "last axis" if axis == -1 else f"axis {axis}"
            raise ValueError(
                f"{where}: expected {name} {size}, got input of shape {shape}"
            )
    if spec.shape is not None:
        for want, got in zip(spec.shape, shape):
            if want is not None and got is not None and want != got:
                raise ValueError(
                    f"{where}: expected input shape {spec.shape}, got input of shape {shape}"
                )
