"""The array module (NumPy or CuPy), the default float dtype and the global random generator.

Every op is written once against ``xp``, the array module of its inputs. ``array_module``
answers which one that is; ``set_backend`` chooses where new tensors are created.
"""

from __future__ import annotations

import os
import random as _pyrandom

import numpy as np

try:  # CuPy is optional: ember runs on NumPy alone.
    import cupy as _cupy
except Exception:  # noqa: BLE001 - any failure to import means "no GPU backend"
    _cupy = None

_state = {
    "xp": np,
    "floatx": "float32",
    "rng": np.random.default_rng(),
}


def array_module(*arrays):
    """The array module (``numpy`` or ``cupy``) that owns ``arrays``."""
    if _cupy is not None:
        for a in arrays:
            if isinstance(a, _cupy.ndarray):
                return _cupy
    return np


def xp():
    """The array module new tensors are created with."""
    return _state["xp"]


def backend() -> str:
    """Name of the active array module: ``"numpy"`` or ``"cupy"``."""
    return "cupy" if _state["xp"] is not np else "numpy"


def set_backend(name: str) -> None:
    """Choose the array module for new tensors: ``"numpy"`` or ``"cupy"``."""
    if name == "numpy":
        _state["xp"] = np
    elif name == "cupy":
        if _cupy is None:
            raise ValueError("set_backend: expected an installed CuPy for 'cupy', got none")
        _state["xp"] = _cupy
    else:
        raise ValueError(f"set_backend: expected 'numpy' or 'cupy', received: name={name!r}")


def cupy_available() -> bool:
    return _cupy is not None


def floatx() -> str:
    """The default float dtype name (``"float32"``), as in ``keras.config.floatx``."""
    return _state["floatx"]


def set_floatx(value: str) -> None:
    if value not in ("float16", "float32", "float64"):
        raise ValueError(
            f"set_floatx: expected 'float16', 'float32' or 'float64', received: value={value!r}"
        )
    _state["floatx"] = value


def epsilon() -> float:
    """The fuzz factor used in numeric expressions, as in ``keras.config.epsilon``."""
    return 1e-7


def rng() -> np.random.Generator:
    """The global NumPy generator behind ember's random ops and weight initializers."""
    return _state["rng"]


def set_seed(seed: int) -> None:
    """Seed ember's generator, Python's ``random`` and NumPy's legacy global generator."""
    seed = int(seed)
    _state["rng"] = np.random.default_rng(seed)
    _pyrandom.seed(seed)
    np.random.seed(seed % 2**32)
    os.environ["PYTHONHASHSEED"] = str(seed)
    if _cupy is not None:
        try:
            _cupy.random.seed(seed)
        except Exception:  # noqa: BLE001 - no device present
            pass


def to_numpy(array) -> np.ndarray:
    """A NumPy copy (or view) of an array of either module."""
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return _cupy.asnumpy(array)
    return np.asarray(array)


def clear_session() -> None:
    """Reset automatic layer names (``keras.backend.clear_session``)."""
    from ember.utils.naming import clear_session as reset_names

    reset_names()
