"""Weight files: ``save_weights`` / ``load_weights`` as ``.weights.safetensors`` or ``.npz``.

Weights are matched by their path (``"dense/kernel"``), never by position, and a mismatch
raises one error that lists every missing, unexpected or misshapen weight. Files are written
to a temporary name and renamed into place, so a crash never leaves half a file.
"""

from __future__ import annotations

import io
import os
import tempfile

import numpy as np


def weight_dict(model) -> dict:
    """``{path: array}`` of every weight, paths made unique within the model."""
    out = {}
    for v in model.weights:
        key = v.path
        n = 1
        while key in out:
            key = f"{v.path}_{n}"
            n += 1
        out[key] = v
    return out


def save_weights(model, filepath: str) -> None:
    """Write the weights of ``model`` to ``filepath`` (``.weights.safetensors`` or ``.npz``)."""
    _check_built(model, "save_weights")
    data = encode(host_arrays(weight_dict(model)), _format(filepath, "save_weights"))
    atomic_write(filepath, data)


def load_weights(model, filepath: str) -> None:
    """Read weights saved by ``save_weights`` into ``model``, matching them by path."""
    _check_built(model, "load_weights")
    with open(filepath, "rb") as f:
        arrays = decode(f.read(), _format(filepath, "load_weights"), filepath)
    assign_by_name(weight_dict(model), arrays, f"load_weights('{filepath}')")


def host_arrays(variables: dict) -> dict:
    """``{key: C-contiguous NumPy array}`` of ``{key: Variable}``. Not
    ``np.ascontiguousarray``: it turns 0-d weights (a Swish's beta, a step counter) into
    1-d ones."""
    return {k: np.require(v.numpy(), requirements="C") for k, v in variables.items()}


def assign_by_name(variables: dict, arrays: dict, where: str) -> None:
    """Assign ``arrays`` to ``variables`` (both keyed by path) after checking they match."""
    missing = sorted(set(variables) - set(arrays))
    unexpected = sorted(set(arrays) - set(variables))
    shapes = [f"{k}: model {tuple(variables[k].shape)} vs file {arrays[k].shape}"
              for k in sorted(set(variables) & set(arrays))
              if tuple(variables[k].shape) != arrays[k].shape]
    if missing or unexpected or shapes:
        lines = [f"{where}: the weights do not match the model."]
        if missing:
            lines.append(f"  missing from the file: {missing}")
        if unexpected:
            lines.append(f"  in the file but not in the model: {unexpected}")
        if shapes:
            lines.append("  shape mismatches: " + "; ".join(shapes))
        raise ValueError("\n".join(lines))
    for k, v in variables.items():
        v.assign(arrays[k])


def encode(arrays: dict, fmt: str) -> bytes:
    """``arrays`` as the bytes of a safetensors or npz file."""
    if fmt == "safetensors":
        from safetensors.numpy import save

        return save(arrays) if arrays else save({})
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def decode(data: bytes, fmt: str, name: str) -> dict:
    """The arrays of a safetensors or npz file's bytes; a corrupt file raises ValueError."""
    try:
        if fmt == "safetensors":
            from safetensors.numpy import load

            return dict(load(data))
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files}
    except ImportError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parse failure means a corrupt file
        raise ValueError(f"'{name}' is not a valid {fmt} weights file ({exc})") from None


def atomic_write(filepath: str, data: bytes) -> None:
    """Write ``data`` to ``filepath`` through a temporary file and a rename."""
    folder = os.path.dirname(os.path.abspath(filepath))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=os.path.basename(filepath))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        # mkstemp makes owner-only files; give the final file the usual umask permissions.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, filepath)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _format(filepath: str, caller: str) -> str:
    name = str(filepath)
    if name.endswith(".safetensors"):
        return "safetensors"
    if name.endswith(".npz"):
        return "npz"
    raise ValueError(
        f"{caller}: expected a file name ending in '.weights.safetensors' or '.npz', "
        f"received '{name}'"
    )


def _check_built(model, caller: str) -> None:
    if not model.built or not model.weights and not _has_layers(model):
        raise ValueError(
            f"{caller}: model '{model.name}' has no weights yet; build it (call it on data or "
            "give it an Input) first"
        )


def _has_layers(model) -> bool:
    return bool(getattr(model, "layers", None))
