"""Downloading a catalogue data set (studio/data/download.py) from a tiny HTTP server on 127.0.0.1 that the
test starts, serving small gzipped IDX files the test makes: checksum, cache, a second run with the server
gone, a wrong file, a connection dropped half-way, and no server at all. No real network is used."""
import gzip
import hashlib
import io
import socket
import struct
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from studio.data import catalogue, download, sources
from studio.data.catalogue import IDX_FILES, REMOTE
from studio.errors import DataError
from studio.progress import DownloadLine


def idx_gz(array: np.ndarray) -> bytes:
    """Gzipped IDX bytes of a uint8 array (magic 0 0 8 ndim, then big-endian sizes)."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">I", n) for n in array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes(), mtime=0)


def tiny_set(n_train: int = 40, n_test: int = 10) -> dict[str, bytes]:
    rng = np.random.default_rng(1)
    arrays = (rng.integers(0, 256, (n_train, 28, 28)), np.arange(n_train) % 10,
              rng.integers(0, 256, (n_test, 28, 28)), np.arange(n_test) % 10)
    return {name: idx_gz(np.asarray(a)) for name, a in zip(IDX_FILES, arrays)}


class Mirror:
    """A web server on 127.0.0.1 serving `files` (URL path -> bytes). With `half` set it announces a file's
    whole length but sends half of it and drops the connection."""

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.half = False
        self.requests: list[str] = []
        mirror = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                mirror.requests.append(self.path)
                body = mirror.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2] if mirror.half else body)
                self.close_connection = mirror.half

            def log_message(self, *args):  # keep the test output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def serve(self, key: str, files: dict[str, bytes]) -> None:
        self.files.update({f"/{key}/{name}": body for name, body in files.items()})

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv(download.CACHE_ENV, str(folder))
    monkeypatch.delenv(download.MIRROR_ENV, raising=False)
    for var in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)  # 127.0.0.1 must be reached directly
    return folder


@pytest.fixture
def mirror():
    m = Mirror()
    yield m
    m.stop()


@pytest.fixture
def tiny(monkeypatch):
    """The test's files, and MNIST's catalogue entry made to expect their md5s."""
    files = tiny_set()
    spec = replace(REMOTE["mnist"], md5=tuple(hashlib.md5(files[n]).hexdigest() for n in IDX_FILES))
    monkeypatch.setitem(REMOTE, "mnist", spec)
    return spec, files


def closed_port_url() -> str:
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def kept(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_download_checks_caches_and_then_needs_no_server(cache, mirror, tiny, monkeypatch):
    spec, files = tiny
    mirror.serve("mnist", files)
    monkeypatch.setenv(download.MIRROR_ENV, mirror.url)  # the key path, with the mirror from the environment
    heard = []
    data = sources.load_source("mnist", progress=lambda *a: heard.append(a))
    assert data.images.shape == (40, 28, 28) and data.name == "MNIST (train)"
    assert sorted(mirror.requests) == sorted(f"/mnist/{n}" for n in IDX_FILES)
    folder = download.set_folder(spec)
    assert folder == cache / "datasets" / "mnist" and kept(folder) == sorted(IDX_FILES)
    for name in IDX_FILES:
        assert (folder / name).read_bytes() == files[name]
        ends = [a for a in heard if a[0] == f"MNIST {name}" and a[1] == a[2]]
        assert ends == [(f"MNIST {name}", len(files[name]), len(files[name]))]  # each file's end, once
    assert download.is_cached(spec) and "downloaded" in dict(sources.available_sources())["mnist"]

    mirror.stop()                                   # the second run: no server at all
    again = sources.load_source("mnist", "test")
    assert again.images.shape == (10, 28, 28) and len(mirror.requests) == 4


def test_wrong_checksum_is_refused_and_nothing_kept(cache, mirror, tiny):
    spec, files = tiny
    mirror.serve("mnist", {**files, IDX_FILES[0]: idx_gz(np.zeros((40, 28, 28)))})  # not the published file
    with pytest.raises(DataError) as err:
        download.fetch(spec, mirror=mirror.url)
    message = str(err.value)
    assert "MNIST" in message and IDX_FILES[0] in message and "checksum" in message and "\n" not in message
    assert kept(download.set_folder(spec)) == []     # no file, no temporary left behind


def test_dropped_connection_leaves_nothing_the_next_run_trusts(cache, mirror, tiny):
    spec, files = tiny
    mirror.serve("mnist", files)
    mirror.half = True
    with pytest.raises(DataError) as err:
        download.fetch(spec, mirror=mirror.url)
    assert "MNIST" in str(err.value) and "cut off" in str(err.value) and "\n" not in str(err.value)
    folder = download.set_folder(spec)
    assert kept(folder) == []
    # A file cut short under the real name (left by hand, say) is not trusted either: fetched again.
    folder.mkdir(parents=True, exist_ok=True)
    (folder / IDX_FILES[0]).write_bytes(files[IDX_FILES[0]][:100])
    mirror.half = False
    assert sources.load_remote(spec, mirror=mirror.url).images.shape == (40, 28, 28)
    assert (folder / IDX_FILES[0]).read_bytes() == files[IDX_FILES[0]]
    assert mirror.requests.count(f"/mnist/{IDX_FILES[0]}") == 2


def test_no_network_names_the_set_and_the_folder_to_fill_by_hand(cache, tiny):
    spec, _ = tiny
    with pytest.raises(DataError) as err:
        sources.load_source("mnist", mirror=closed_port_url())
    message = str(err.value)
    folder = cache / "datasets" / "mnist"
    assert "MNIST" in message and str(folder) in message and "by hand" in message and "\n" not in message
    assert kept(folder) == []
    # Files put there by hand are used, with no network.
    for name, body in tiny_set().items():
        (folder / name).write_bytes(body)
    assert len(sources.load_source("mnist", mirror=closed_port_url())) == 40


def test_a_missing_file_on_the_server_is_one_line(cache, mirror, tiny):
    spec, files = tiny
    mirror.serve("mnist", {IDX_FILES[0]: files[IDX_FILES[0]]})
    with pytest.raises(DataError) as err:
        download.fetch(spec, mirror=mirror.url)
    assert "404" in str(err.value) and IDX_FILES[1] in str(err.value) and "\n" not in str(err.value)


def test_installed_package_folder_is_used_without_a_download(cache, tmp_path, monkeypatch):
    installed = tmp_path / "usr-share-datasets-fashion-mnist"
    installed.mkdir()
    for name, body in tiny_set(30, 5).items():
        (installed / name).write_bytes(body)
    monkeypatch.setitem(REMOTE, "fashion-mnist", replace(REMOTE["fashion-mnist"], installed=(installed,)))
    data = sources.load_source("fashion-mnist", mirror=closed_port_url())   # would fail if it downloaded
    assert len(data) == 30 and data.classes[0] == "T-shirt/top" and data.name == "Fashion-MNIST (train)"
    assert "installed" in dict(sources.available_sources())["fashion-mnist"]
    assert not (cache / "datasets").exists()


def test_cli_shows_the_download_and_trains(cache, mirror, tiny, tmp_path, monkeypatch, capsys):
    from studio.cli import main
    spec, files = tiny
    mirror.serve("mnist", files)
    monkeypatch.setenv(download.MIRROR_ENV, mirror.url)
    out = tmp_path / "run.h5"
    code = main(["train", "gan", "--steps", "2", "--data", "mnist", "--device", "cpu", "--out", str(out),
                 "--z-dim", "8", "--g-width", "4", "--d-width", "4", "--batch-size", "8"])
    err = capsys.readouterr().err
    assert code == 0, err
    for name in IDX_FILES:
        assert f"downloaded MNIST {name}" in err
    assert out.exists()


def test_download_line_redraws_on_a_terminal_and_logs_plainly():
    class Tty(io.StringIO):
        def isatty(self):
            return True
    log, tty = io.StringIO(), Tty()
    for stream in (log, tty):
        line = DownloadLine(stream, every=0.0)
        line("MNIST a.gz", 1_000_000, 4_000_000)
        line("MNIST a.gz", 4_000_000, 4_000_000)
        line("X b.gz", 2_500_000, 0)  # a server that gave no size
    assert log.getvalue().splitlines() == ["downloading MNIST a.gz  1.0 / 4.0 MB  25%",
                                           "downloaded MNIST a.gz  4.0 / 4.0 MB 100%", "downloading X b.gz  2.5 MB"]
    assert tty.getvalue().count("\r") == 3 and tty.getvalue().count("\n") == 1


def test_catalogue_facts(monkeypatch):
    monkeypatch.delenv(download.MIRROR_ENV, raising=False)
    assert catalogue.KEYS == ("mnist-5k", "mnist", "fashion-mnist", "kmnist")
    for spec in REMOTE.values():
        assert len(spec.md5) == 4 and all(len(h) == 32 and int(h, 16) >= 0 for h in spec.md5)
        assert spec.url.endswith("/") and len(spec.classes) == 10
    assert download.file_url(REMOTE["kmnist"], IDX_FILES[0]) == \
        "http://codh.rois.ac.jp/kmnist/dataset/kmnist/train-images-idx3-ubyte.gz"
    assert download.file_url(REMOTE["kmnist"], IDX_FILES[0], "http://127.0.0.1:9/m/") == \
        "http://127.0.0.1:9/m/kmnist/train-images-idx3-ubyte.gz"
