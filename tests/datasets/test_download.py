"""Downloading, caching and verifying IDX data sets against a local HTTP server.

The server serves small synthetic IDX files; the mirrors and expected checksums of the data
set modules are pointed at them, and EMBER_DATA_DIR / EMBER_HOME at a temporary folder.
"""

import gzip
import hashlib
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from ember.datasets import _files, fashion_mnist, mnist

NAMES = _files.IDX_FILES


def make_idx(array: np.ndarray) -> bytes:
    codes = {"u1": 0x08, "i1": 0x09, "i2": 0x0B, "i4": 0x0C, "f4": 0x0D, "f8": 0x0E}
    code = codes[array.dtype.str[1:]]
    header = bytes([0, 0, code, array.ndim])
    header += b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


@pytest.fixture
def synthetic():
    """The four files of a tiny MNIST-like data set: name -> (array, raw IDX, gzip)."""
    rng = np.random.default_rng(0)
    arrays = [
        rng.integers(0, 256, (6, 4, 4), dtype=np.uint8),
        rng.integers(0, 10, 6, dtype=np.uint8),
        rng.integers(0, 256, (3, 4, 4), dtype=np.uint8),
        rng.integers(0, 10, 3, dtype=np.uint8),
    ]
    files = {}
    for name, array in zip(NAMES, arrays, strict=True):
        raw = make_idx(array)
        files[name] = (array, raw, gzip.compress(raw, mtime=0))
    return files


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.requests.append(self.path)
        body = self.server.routes.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.path in self.server.truncated:
            self.wfile.write(body[: len(body) // 2])  # then the connection closes
        else:
            self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.routes, httpd.requests, httpd.truncated = {}, [], set()
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def serve(server, mirror, files, which="gz"):
    for name, (_, raw, gz) in files.items():
        server.routes[f"/{mirror}/{name}.gz"] = gz if which == "gz" else which(raw)


@pytest.fixture
def env(tmp_path, monkeypatch, synthetic):
    """Point every folder at tmp_path and the MNIST checksums at the synthetic files."""
    monkeypatch.setenv("EMBER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("EMBER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("EMBER_MNIST_MIRROR", raising=False)
    monkeypatch.delenv("EMBER_FASHION_MNIST_MIRROR", raising=False)
    monkeypatch.setattr(_files, "_verified", set())
    monkeypatch.setattr(_files, "TIMEOUT", 5.0)
    monkeypatch.setattr(mnist, "CHECKSUMS", {n: md5(raw) for n, (_, raw, _) in synthetic.items()})
    return tmp_path


def check_arrays(result, synthetic):
    (x_train, y_train), (x_test, y_test) = result
    for array, name in zip((x_train, y_train, x_test, y_test), NAMES, strict=True):
        np.testing.assert_array_equal(array, synthetic[name][0])
        assert array.dtype == np.uint8


def listing(folder):
    return sorted(os.listdir(folder)) if folder.exists() else []


GZ_NAMES = sorted(name + ".gz" for name in NAMES)


def test_download_then_load_from_cache(env, server, synthetic, monkeypatch):
    serve(server, "m1", synthetic)
    monkeypatch.setattr(mnist, "MIRRORS", [server.url + "/m1/"])
    check_arrays(mnist.load_data(), synthetic)
    assert sorted(server.requests) == sorted(f"/m1/{name}.gz" for name in NAMES)
    folder = env / "data" / "mnist"
    assert listing(folder) == GZ_NAMES
    for name in NAMES:
        assert (folder / (name + ".gz")).read_bytes() == synthetic[name][2]
    check_arrays(mnist.load_data(), synthetic)
    assert len(server.requests) == 4  # the second load did not touch the server


def test_default_folder_is_under_ember_home(env, server, synthetic, monkeypatch):
    monkeypatch.delenv("EMBER_DATA_DIR")
    serve(server, "m1", synthetic)
    monkeypatch.setattr(mnist, "MIRRORS", [server.url + "/m1"])  # no trailing slash
    check_arrays(mnist.load_data(), synthetic)
    assert listing(env / "home" / "datasets" / "mnist") == GZ_NAMES
    assert not (env / "data").exists()


def test_only_missing_files_are_downloaded(env, server, synthetic, monkeypatch):
    folder = env / "data" / "mnist"
    folder.mkdir(parents=True)
    (folder / NAMES[0]).write_bytes(synthetic[NAMES[0]][1])  # raw, not .gz
    serve(server, "m1", synthetic)
    monkeypatch.setattr(mnist, "MIRRORS", [server.url + "/m1/"])
    check_arrays(mnist.load_data(), synthetic)
    assert sorted(server.requests) == sorted(f"/m1/{name}.gz" for name in NAMES[1:])


def test_files_land_atomically(env, server, synthetic, monkeypatch):
    serve(server, "m1", synthetic)
    monkeypatch.setattr(mnist, "MIRRORS", [server.url + "/m1/"])
    real_replace, moves = os.replace, []

    def replace(src, dst):
        src, dst = os.fspath(src), os.fspath(dst)
        assert not os.path.exists(dst)  # nothing under the final name before the move
        name = os.path.basename(dst)
        assert open(src, "rb").read() == synthetic[name[:-3]][2]  # complete and verified
        moves.append((os.path.dirname(src), os.path.basename(src), dst))
        real_replace(src, dst)

    monkeypatch.setattr(_files.os, "replace", replace)
    mnist.load_data()
    folder = str(env / "data" / "mnist")
    assert sorted(os.path.basename(dst) for _, _, dst in moves) == GZ_NAMES
    for directory, temp, _ in moves:
        assert directory == folder and temp.startswith(".") and temp.endswith(".part")


@pytest.mark.parametrize(
    "bad",
    [lambda raw: gzip.compress(raw[:-1] + b"\x07"), lambda raw: b"<html>moved</html>"],
    ids=["wrong-content", "not-gzip"],
)
def test_bad_checksum_on_first_mirror_falls_through(env, server, synthetic, monkeypatch, bad):
    serve(server, "m1", synthetic, which=bad)
    serve(server, "m2", synthetic)
    monkeypatch.setattr(mnist, "MIRRORS", [server.url + "/m1/", server.url + "/m2/"])
    check_arrays(mnist.load_data(), synthetic)
    for name in NAMES:
        assert server.requests.count(f"/m1/{name}.gz") == 1
        assert server.requests.count(f"/m2/{name}.gz") == 1
    assert listing(env / "data" / "mnist") == GZ_NAMES


def test_transfer_cut_short_falls_through(env, server, synthetic, monkeypatch):
    serve(server, "m1", synthetic)
    serve(server, "m2", synthetic)
    server.truncated.update(f"/m1/{name}.gz" for name in NAMES)
    monkeypatch.setattr(mnist, "MIRRORS", [server.url + "/m1/", server.url + "/m2/"])
    check_arrays(mnist.load_data(), synthetic)
    assert len(server.requests) == 8
    assert listing(env / "data" / "mnist") == GZ_NAMES


def test_404_everywhere_gives_the_offline_error(env, server, monkeypatch):
    mirrors = [server.url + "/m1/", server.url + "/m2/"]
    monkeypatch.setattr(mnist, "MIRRORS", mirrors)
    with pytest.raises(OSError) as info:
        mnist.load_data()
    message = str(info.value)
    folder = env / "data" / "mnist"
    assert message.startswith("mnist.load_data: could not download train-images-idx3-ubyte.gz")
    assert str(folder) in message and "EMBER_DATA_DIR" in message
    assert "EMBER_MNIST_MIRROR" in message and "404" in message
    for name in NAMES:
        assert name in message
    for mirror in mirrors:
        assert mirror + "train-images-idx3-ubyte.gz" in message
    assert listing(folder) == []  # nothing partial remains


def test_unreachable_mirror_gives_the_offline_error(env, monkeypatch):
    # A closed port on localhost refuses the connection at once, like a machine offline.
    monkeypatch.setattr(mnist, "MIRRORS", ["http://127.0.0.1:9/mnist/"])
    with pytest.raises(_files.DownloadError, match="Missing files in .*t10k-labels-idx1-ubyte"):
        mnist.load_data()
    assert listing(env / "data" / "mnist") == []


def test_checksum_mismatch_everywhere_names_file_and_md5s(env, server, synthetic, monkeypatch):
    wrong = {name: gzip.compress(raw + b"\x00") for name, (_, raw, _) in synthetic.items()}
    for mirror in ("m1", "m2"):
        server.routes.update({f"/{mirror}/{name}.gz": gz for name, gz in wrong.items()})
    monkeypatch.setattr(mnist, "MIRRORS", [server.url + "/m1/", server.url + "/m2/"])
    with pytest.raises(_files.DownloadError) as info:
        mnist.load_data()
    name = NAMES[0]
    expected, received = md5(synthetic[name][1]), md5(gzip.decompress(wrong[name]))
    message = str(info.value)
    assert f"checksum mismatch for {name}.gz: expected MD5 {expected}, received {received}" in (
        message
    )
    assert message.count(received) == 2  # both mirrors were tried
    assert listing(env / "data" / "mnist") == []


def test_truncated_everywhere_reports_it(env, server, synthetic, monkeypatch):
    serve(server, "m1", synthetic)
    server.truncated.update(server.routes)
    monkeypatch.setattr(mnist, "MIRRORS", [server.url + "/m1/"])
    with pytest.raises(_files.DownloadError, match="transfer cut short: received"):
        mnist.load_data()
    assert listing(env / "data" / "mnist") == []


def test_interrupted_download_leaves_no_file(env, monkeypatch):
    folder = env / "data" / "mnist"

    class Interrupt(BaseException):
        pass

    class Response:
        headers = {"Content-Length": "1000"}
        calls = 0

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self, n):
            Response.calls += 1
            if Response.calls == 1:
                return b"\x1f\x8b" + b"\x00" * 98
            # Mid-download: the bytes so far sit under a temporary name only.
            names = os.listdir(folder)
            assert len(names) == 1 and names[0].endswith(".part"), names
            raise Interrupt

    monkeypatch.setattr(_files.urllib.request, "urlopen", lambda *a, **k: Response())
    monkeypatch.setattr(mnist, "MIRRORS", ["http://example.invalid/"])
    with pytest.raises(Interrupt):
        mnist.load_data()
    assert Response.calls == 2
    assert listing(folder) == []


def test_env_var_overrides_mirrors(env, server, synthetic, monkeypatch):
    serve(server, "good", synthetic)
    monkeypatch.setattr(mnist, "MIRRORS", [server.url + "/unused/"])
    monkeypatch.setenv("EMBER_MNIST_MIRROR", f"{server.url}/missing/, {server.url}/good/")
    check_arrays(mnist.load_data(), synthetic)
    assert not any(path.startswith("/unused/") for path in server.requests)
    assert sum(path.startswith("/missing/") for path in server.requests) == 4


def test_fashion_mnist_verifies_the_gz_files(env, server, synthetic, monkeypatch):
    serve(server, "m1", synthetic)
    # Same content, different gzip bytes (another header mtime): wrong for a .gz checksum.
    server.routes.update(
        {f"/m0/{n}.gz": gzip.compress(raw, mtime=1) for n, (_, raw, _) in synthetic.items()}
    )
    monkeypatch.setattr(fashion_mnist, "MIRRORS", [server.url + "/m0/", server.url + "/m1/"])
    monkeypatch.setattr(
        fashion_mnist, "CHECKSUMS", {n: md5(gz) for n, (_, _, gz) in synthetic.items()}
    )
    check_arrays(fashion_mnist.load_data(), synthetic)
    assert len(server.requests) == 8
    assert listing(env / "data" / "fashion_mnist") == GZ_NAMES


def write_files(folder, synthetic, raw=False):
    folder.mkdir(parents=True, exist_ok=True)
    for name, (_, data, gz) in synthetic.items():
        (folder / (name if raw else name + ".gz")).write_bytes(data if raw else gz)


@pytest.mark.parametrize("raw", [False, True], ids=["gz", "raw"])
def test_files_on_disk_load_without_network(env, synthetic, monkeypatch, raw):
    write_files(env / "data" / "mnist", synthetic, raw=raw)
    write_files(env / "data" / "fashion_mnist", synthetic, raw=raw)
    monkeypatch.setattr(mnist, "MIRRORS", [])
    monkeypatch.setattr(fashion_mnist, "MIRRORS", [])
    monkeypatch.setattr(
        fashion_mnist, "CHECKSUMS", {n: md5(gz) for n, (_, _, gz) in synthetic.items()}
    )
    check_arrays(mnist.load_data(), synthetic)
    check_arrays(fashion_mnist.load_data(), synthetic)


def test_corrupt_file_on_disk_names_file_and_md5s(env, synthetic, monkeypatch):
    folder = env / "data" / "mnist"
    write_files(folder, synthetic)
    name = NAMES[1]
    bad = synthetic[name][1][:-1] + b"\x09"
    (folder / (name + ".gz")).write_bytes(gzip.compress(bad))
    monkeypatch.setattr(mnist, "MIRRORS", [])
    message = (
        f"mnist.load_data: checksum mismatch for {folder / (name + '.gz')}: expected MD5 "
        f"{md5(synthetic[name][1])}, received {md5(bad)}"
    )
    with pytest.raises(ValueError) as info:
        mnist.load_data()
    assert str(info.value).startswith(message)


def test_checksum_is_computed_once_per_process(env, synthetic, monkeypatch):
    folder = env / "data" / "mnist"
    write_files(folder, synthetic)
    monkeypatch.setattr(mnist, "MIRRORS", [])
    calls = []
    real_md5 = hashlib.md5

    def counting_md5(*args, **kwargs):
        calls.append(1)
        return real_md5(*args, **kwargs)

    monkeypatch.setattr(_files.hashlib, "md5", counting_md5)
    mnist.load_data()
    assert len(calls) == 4
    mnist.load_data()
    assert len(calls) == 4
    # A file that changes on disk is verified again, and caught.
    name = NAMES[3]
    (folder / (name + ".gz")).write_bytes(gzip.compress(synthetic[name][1] + b"\x00"))
    with pytest.raises(ValueError, match="checksum mismatch"):
        mnist.load_data()


def test_images_and_labels_must_match(env, synthetic, monkeypatch):
    folder = env / "data" / "mnist"
    write_files(folder, synthetic)
    labels = np.array([1, 2, 3, 4, 5], dtype=np.uint8)  # 5 labels for 6 images
    raw = make_idx(labels)
    (folder / (NAMES[1] + ".gz")).write_bytes(gzip.compress(raw))
    monkeypatch.setitem(mnist.CHECKSUMS, NAMES[1], md5(raw))
    with pytest.raises(ValueError, match="expected as many labels as images, received 6 images"):
        mnist.load_data()
    raw = make_idx(np.array([0, 1, 2, 3, 4, 10], dtype=np.uint8))
    (folder / (NAMES[1] + ".gz")).write_bytes(gzip.compress(raw))
    monkeypatch.setitem(mnist.CHECKSUMS, NAMES[1], md5(raw))
    with pytest.raises(ValueError, match=r"expected labels in \[0, 9\], received 10"):
        mnist.load_data()


def test_truncated_idx_through_load_data(env, synthetic, monkeypatch):
    folder = env / "data" / "mnist"
    write_files(folder, synthetic)
    truncated = synthetic[NAMES[2]][1][:-5]
    path = folder / (NAMES[2] + ".gz")
    path.write_bytes(gzip.compress(truncated))
    monkeypatch.setitem(mnist.CHECKSUMS, NAMES[2], md5(truncated))
    with pytest.raises(ValueError) as info:
        mnist.load_data()
    assert str(info.value) == (
        f"mnist.load_data: {path} is truncated: its header declares shape (3, 4, 4) of uint8, "
        f"so expected 64 bytes, received 59"
    )


# The IDX reader on its own.


def test_read_idx_round_trips_every_type(tmp_path):
    rng = np.random.default_rng(1)
    for dtype in (np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64):
        array = (rng.standard_normal((3, 2, 5)) * 100).astype(dtype)
        path = tmp_path / f"a-{np.dtype(dtype).name}"
        path.write_bytes(make_idx(array))
        loaded = _files.read_idx(path, ndim=3)
        np.testing.assert_array_equal(loaded, array)
        assert loaded.dtype == dtype and loaded.dtype.isnative and loaded.flags.writeable


def test_read_idx_truncated(tmp_path, synthetic):
    path = tmp_path / "t10k-images-idx3-ubyte"
    path.write_bytes(synthetic[NAMES[2]][1][:-1])
    with pytest.raises(ValueError) as info:
        _files.read_idx(path)
    assert str(info.value) == (
        f"read_idx: {path} is truncated: its header declares shape (3, 4, 4) of uint8, "
        "so expected 64 bytes, received 63"
    )
    path.write_bytes(synthetic[NAMES[2]][1][:10])
    with pytest.raises(ValueError, match="is truncated: expected a header of 16 bytes, received"):
        _files.read_idx(path)


def test_read_idx_trailing_bytes(tmp_path, synthetic):
    path = tmp_path / "labels"
    path.write_bytes(synthetic[NAMES[1]][1] + b"\x00")
    with pytest.raises(
        ValueError, match=r"corrupt \(trailing bytes\).*expected 14 bytes, received 15"
    ):
        _files.read_idx(path)


def test_read_idx_bad_magic(tmp_path):
    path = tmp_path / "page.html"
    path.write_bytes(b"<html>")
    with pytest.raises(ValueError, match=r"page.html is not an IDX file: expected a magic number"):
        _files.read_idx(path)
    path.write_bytes(bytes([0, 0, 0x07, 1, 0, 0, 0, 0]))  # unknown type code
    with pytest.raises(ValueError, match="received 0x00000701"):
        _files.read_idx(path)


def test_read_idx_wrong_dimensions(tmp_path, synthetic):
    path = tmp_path / "labels"
    path.write_bytes(synthetic[NAMES[1]][1])
    with pytest.raises(ValueError, match="expected an IDX file of 3 dimensions, received 1"):
        _files.read_idx(path, ndim=3)


def test_read_idx_truncated_gzip(tmp_path, synthetic):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(synthetic[NAMES[0]][2][:-10])
    with pytest.raises(ValueError, match=f"{path.name} is not a valid gzip file"):
        _files.read_idx(path)
