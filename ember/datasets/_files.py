"""Where data set files live, how they are downloaded and verified, and how IDX files are read.

A data set ``name`` is looked for in ``$EMBER_DATA_DIR/<name>/`` when that variable is set,
else in ``$EMBER_HOME/datasets/<name>/`` (``EMBER_HOME`` defaults to ``~/.ember``). A missing
file is downloaded into that folder from mirrors tried in order: it is streamed to a temporary
file beside its final name, verified by MD5, and only then moved into place with
``os.replace``, so an interrupted or corrupt download never appears under the final name.

IDX is the format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/): a magic
number ``0x0000TTNN`` (``TT`` the element type, ``NN`` the number of dimensions), ``NN``
big-endian uint32 sizes, then the elements, big-endian, in C order.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import http.client
import math
import os
import sys
import tempfile
import urllib.request
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

IDX_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
TIMEOUT = 30.0  # seconds a mirror may stay silent before the next one is tried

_CHUNK = 1 << 16
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
# Files whose MD5 matched in this process, keyed by (path, size, mtime, expected MD5): a file
# is hashed once per process, not on every load.
_verified: set[tuple[str, int, int, str]] = set()


class DownloadError(OSError):
    """No mirror delivered a file with the expected checksum (offline, 404, corrupt copy)."""


def load_idx_dataset(
    who: str,
    name: str,
    path: str | os.PathLike | None,
    mirrors: Sequence[str],
    checksums: Mapping[str, str],
    md5_of: str,
    num_classes: int = 10,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load the four IDX files of an MNIST-like data set, downloading the missing ones.

    ``checksums`` maps each name of ``IDX_FILES`` to its MD5, taken of the decompressed file
    when ``md5_of == "raw"`` and of the ``.gz`` file when ``md5_of == "gz"``. ``who`` prefixes
    error messages (``"mnist.load_data"``).
    """
    folder = Path(path).expanduser() if path is not None else dataset_dir(name)
    found = {base: _find(folder, base) for base in IDX_FILES}
    if path is not None:
        fix = "pass a folder that holds them"
    else:
        fix = f"set EMBER_DATA_DIR to a folder whose {name}/ subfolder holds them"
    for base in IDX_FILES:
        if found[base] is None:
            found[base] = download(
                who,
                folder,
                base + ".gz",
                mirror_urls(name, mirrors),
                checksums[base],
                md5_of,
                missing=[b for b in IDX_FILES if found[b] is None],
                fix=fix,
                env_var=mirror_env_var(name),
            )
    paths = [found[base] for base in IDX_FILES]
    x_train, y_train, x_test, y_test = (
        _load_verified(who, file, checksums[base], md5_of, ndim=3 if "images" in base else 1)
        for base, file in zip(IDX_FILES, paths, strict=True)
    )
    _check_pair(who, x_train, y_train, paths[0], paths[1], num_classes)
    _check_pair(who, x_test, y_test, paths[2], paths[3], num_classes)
    return (x_train, y_train), (x_test, y_test)


def dataset_dir(name: str) -> Path:
    """The folder of data set ``name``: ``$EMBER_DATA_DIR/<name>`` or the cache folder."""
    root = os.environ.get("EMBER_DATA_DIR")
    if root:
        return Path(root).expanduser() / name
    home = os.environ.get("EMBER_HOME") or os.path.join("~", ".ember")
    return Path(home).expanduser() / "datasets" / name


def mirror_env_var(name: str) -> str:
    """The environment variable that overrides the mirrors of ``name``: ``EMBER_MNIST_MIRROR``."""
    return f"EMBER_{name.upper()}_MIRROR"


def mirror_urls(name: str, mirrors: Sequence[str]) -> list[str]:
    """The mirrors to try: those in ``$EMBER_<NAME>_MIRROR`` (comma-separated), else ``mirrors``."""
    override = os.environ.get(mirror_env_var(name), "")
    urls = [url.strip() for url in override.split(",") if url.strip()]
    return urls or list(mirrors)


def download(
    who: str,
    folder: Path,
    filename: str,
    mirrors: Sequence[str],
    md5: str,
    md5_of: str,
    missing: Sequence[str] = (),
    fix: str = "",
    env_var: str = "",
) -> Path:
    """Download ``filename`` from the first mirror that delivers it with MD5 ``md5``.

    A failed attempt (network error, HTTP error, short transfer, checksum mismatch) deletes
    its temporary file and moves on to the next mirror; when all fail, ``DownloadError`` lists
    every attempt, the ``missing`` files, the folder and how to fix it.
    """
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / filename
    failures = []
    for base in mirrors:
        url = base.rstrip("/") + "/" + filename
        print(f"Downloading {url} to {folder}", file=sys.stderr)
        try:
            _fetch(url, dest, md5, md5_of)
        except (OSError, ValueError, http.client.HTTPException, _BadDownload) as exc:
            failures.append(f"  {url}: {exc}")
            continue
        return dest
    tried = "\n".join(failures) if failures else "  (no mirrors configured)"
    files = ", ".join(f"{base}[.gz]" for base in missing) or filename
    raise DownloadError(
        f"{who}: could not download {filename} into {folder}. Attempts:\n{tried}\n"
        f"Missing files in {folder}: {files}.\n"
        f"To fix it, check the network connection, or place the files in {folder}"
        + (f", or {fix}" if fix else "")
        + (f"; other mirrors can be set in {env_var} (comma-separated)." if env_var else ".")
    )


def read_idx(path: str | os.PathLike, ndim: int | None = None, who: str = "read_idx") -> np.ndarray:
    """Read an IDX file (raw or ``.gz``) into a writable NumPy array in native byte order.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "tiny-idx1-ubyte")
        >>> _ = open(path, "wb").write(bytes([0, 0, 0x08, 1, 0, 0, 0, 3, 7, 8, 9]))
        >>> read_idx(path, ndim=1)
        array([7, 8, 9], dtype=uint8)
    """
    path = Path(path)
    return parse_idx(_decompress(who, path, path.read_bytes()), path, ndim, who)


def parse_idx(
    data: bytes, source: str | os.PathLike, ndim: int | None = None, who: str = "read_idx"
) -> np.ndarray:
    """Parse the bytes of an IDX file; ``source`` names the file in error messages."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES:
        types = "/".join(f"{code:02x}" for code in _IDX_DTYPES)
        raise ValueError(
            f"{who}: {source} is not an IDX file: expected a magic number 0x0000TTNN with "
            f"TT in {types}, received 0x{data[:4].hex()} ({len(data)} bytes in all)"
        )
    code, dims = data[2], data[3]
    if ndim is not None and dims != ndim:
        raise ValueError(
            f"{who}: {source}: expected an IDX file of {ndim} dimensions, received {dims}"
        )
    header = 4 + 4 * dims
    if len(data) < header:
        raise ValueError(
            f"{who}: {source} is truncated: expected a header of {header} bytes, "
            f"received {len(data)} bytes"
        )
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims))
    dtype = np.dtype(_IDX_DTYPES[code])
    expected = header + math.prod(shape) * dtype.itemsize
    if len(data) != expected:
        state = "truncated" if len(data) < expected else "corrupt (trailing bytes)"
        raise ValueError(
            f"{who}: {source} is {state}: its header declares shape {shape} of "
            f"{dtype.name}, so expected {expected} bytes, received {len(data)}"
        )
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=True)


class _BadDownload(Exception):
    """A mirror answered, but with something other than the expected file."""


def _find(folder: Path, base: str) -> Path | None:
    for candidate in (folder / (base + ".gz"), folder / base):
        if candidate.is_file():
            return candidate
    return None


def _fetch(url: str, dest: Path, md5: str, md5_of: str) -> None:
    """Stream ``url`` to a temporary file beside ``dest``, verify it, then move it into place."""
    request = urllib.request.Request(url, headers={"User-Agent": "ember-datasets"})
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=TIMEOUT) as r:
            announced = r.headers.get("Content-Length")
            received = 0
            while chunk := r.read(_CHUNK):
                out.write(chunk)
                received += len(chunk)
        # http.client does not raise when a connection closes early: check the length here.
        if announced is not None and received != int(announced):
            raise _BadDownload(f"transfer cut short: received {received} of {announced} bytes")
        got = _md5_file(Path(tmp), md5_of)
        if got != md5:
            raise _BadDownload(
                f"checksum mismatch for {dest.name}: expected MD5 {md5}, received {got}"
            )
        os.replace(tmp, dest)
        stat = dest.stat()
        _verified.add((str(dest), stat.st_size, stat.st_mtime_ns, md5))
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _md5_file(path: Path, md5_of: str) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    try:
        with gzip.open(path, "rb") if md5_of == "raw" else open(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                digest.update(chunk)
    except (OSError, EOFError, zlib.error) as exc:
        raise _BadDownload(f"received a file that is not valid gzip ({exc})") from None
    return digest.hexdigest()


def _load_verified(who: str, path: Path, md5: str, md5_of: str, ndim: int) -> np.ndarray:
    """Read ``path``, check its MD5 (once per process) and parse it as IDX."""
    stored = path.read_bytes()
    data = _decompress(who, path, stored)
    # MD5s of .gz files say nothing about a decompressed copy: such a copy is only parsed.
    hashed = stored if md5_of == "gz" else data
    if md5_of == "raw" or path.suffix == ".gz":
        stat = path.stat()
        key = (str(path), stat.st_size, stat.st_mtime_ns, md5)
        if key not in _verified:
            got = hashlib.md5(hashed, usedforsecurity=False).hexdigest()
            if got != md5:
                raise ValueError(
                    f"{who}: checksum mismatch for {path}: expected MD5 {md5}, received "
                    f"{got}. The file is corrupt or another version; delete it to download "
                    "it again."
                )
            _verified.add(key)
    return parse_idx(data, path, ndim=ndim, who=who)


def _decompress(who: str, path: Path, stored: bytes) -> bytes:
    if path.suffix != ".gz":
        return stored
    try:
        return gzip.decompress(stored)
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(
            f"{who}: {path} is not a valid gzip file ({exc}); delete it to download it again"
        ) from None


def _check_pair(
    who: str, x: np.ndarray, y: np.ndarray, x_path: Path, y_path: Path, num_classes: int
) -> None:
    for array, path in ((x, x_path), (y, y_path)):
        if array.dtype != np.uint8:
            raise ValueError(f"{who}: {path}: expected uint8 elements, received {array.dtype}")
    if len(x) != len(y):
        raise ValueError(
            f"{who}: expected as many labels as images, received {len(x)} images in {x_path} "
            f"and {len(y)} labels in {y_path}"
        )
    if y.size and int(y.max()) >= num_classes:
        raise ValueError(
            f"{who}: {y_path}: expected labels in [0, {num_classes - 1}], received {int(y.max())}"
        )
