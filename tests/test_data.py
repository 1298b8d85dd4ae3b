"""descent.data: where Fashion-MNIST is found, how it is checked, and what the errors say.

Most tests use tiny synthetic IDX files and patch the table of checksums to theirs; the
downloads come from a local HTTP server. One test loads the real files of the Debian
package, which binder/apt.txt installs.
"""

from __future__ import annotations

import doctest
import gzip
import hashlib
import http.server
import os
import socket
import struct
import threading
from pathlib import Path

import numpy as np
import pytest
import requests

from descent import data

REAL_DEBIAN_DIR = data.DEBIAN_DIR
TRAIN_IMAGES, TRAIN_LABELS = data.SPLITS["train"]
TEST_IMAGES, TEST_LABELS = data.SPLITS["test"]


def idx_gz(array: np.ndarray) -> bytes:
    """A gzip-compressed IDX file of uint8 holding ``array``."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes(), mtime=0)


def checksums(gz: bytes) -> data.Checksums:
    decompressed = gzip.decompress(gz)
    return data.Checksums(hashlib.md5(gz).hexdigest(), hashlib.sha256(decompressed).hexdigest())


def closed_port_url() -> str:
    """The URL of a port on 127.0.0.1 that nothing listens on: a connection is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No Debian package, an empty cache in tmp_path, downloads that cannot leave the machine."""
    for name in ("DESCENT_DATA_DIR", "DESCENT_FASHION_MNIST_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DESCENT_CACHE_DIR", str(tmp_path / "cache-root"))
    monkeypatch.setenv("DESCENT_FASHION_MNIST_URL", closed_port_url())
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setattr(data, "DEBIAN_DIR", tmp_path / "no-debian-package")
    data._decode.cache_clear()
    yield
    data._decode.cache_clear()


@pytest.fixture
def synthetic(monkeypatch) -> dict[str, bytes]:
    """The four files, with 6 training and 4 test examples, and FILES patched to their checksums."""
    rng = np.random.default_rng(0)
    arrays = {
        TRAIN_IMAGES: rng.integers(0, 256, (6, 28, 28)), TRAIN_LABELS: np.array([9, 0, 0, 3, 0, 2]),
        TEST_IMAGES: rng.integers(0, 256, (4, 28, 28)), TEST_LABELS: np.array([9, 2, 1, 1]),
    }
    files = {name: idx_gz(array) for name, array in arrays.items()}
    monkeypatch.setattr(data, "FILES", {name: checksums(gz) for name, gz in files.items()})
    return files


def write(folder: Path, files: dict[str, bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return folder


def assert_is(dataset: data.Dataset, files: dict[str, bytes], split: str) -> None:
    """``dataset`` holds exactly the arrays written into the two files of ``split``."""
    images, labels = (np.frombuffer(gzip.decompress(files[name]), np.uint8)
                      for name in data.SPLITS[split])
    assert dataset.images.dtype == dataset.labels.dtype == np.uint8
    assert dataset.images.shape == (len(labels) - 8, 28, 28)
    np.testing.assert_array_equal(dataset.images.ravel(), images[16:])
    np.testing.assert_array_equal(dataset.labels, labels[8:])


class FileServer:
    """An HTTP server on 127.0.0.1 that serves ``files`` and records the paths asked for."""

    def __init__(self, files: dict[str, bytes]):
        self.files, self.requests = dict(files), []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path.lstrip("/"))
                body = server.files.get(self.path.lstrip("/"))
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(synthetic):
    server = FileServer(synthetic)
    yield server
    server.close()


# The real data.

def test_real_files_of_the_debian_package(monkeypatch):
    if not (REAL_DEBIAN_DIR / TRAIN_IMAGES).is_file():
        message = f"no {REAL_DEBIAN_DIR}: sudo apt install dataset-fashion-mnist (it is in binder/apt.txt)"
        if Path("/etc/debian_version").exists():
            pytest.fail(message)
        pytest.skip(message)
    monkeypatch.setattr(data, "DEBIAN_DIR", REAL_DEBIAN_DIR)
    for split, n in (("train", 60_000), ("test", 10_000)):
        dataset = data.load_fashion_mnist(split, download=False)
        assert dataset.images.shape == (n, 28, 28) and dataset.labels.shape == (n,)
        assert dataset.images.dtype == dataset.labels.dtype == np.uint8
        assert dataset.images.min() == 0 and dataset.images.max() == 255
        counts = np.bincount(dataset.labels, minlength=11)  # labels 0..9, none above
        np.testing.assert_array_equal(counts, [n // 10] * 10 + [0])
    assert len(data.CLASS_NAMES) == 10 and data.CLASS_NAMES[9] == "Ankle boot"
    # The examples in the docstrings run and print what they say.
    result = doctest.testmod(data, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 7 and result.failed == 0, result


# Where the files are looked for.

def test_data_dir_env_var_wins_over_debian(tmp_path, monkeypatch, synthetic):
    write(data.DEBIAN_DIR, synthetic)
    mine = write(tmp_path / "mine", synthetic)
    monkeypatch.setenv("DESCENT_DATA_DIR", str(mine))
    assert data.find_fashion_mnist("train") == mine
    assert_is(data.load_fashion_mnist("train"), synthetic, "train")


def test_data_dir_argument_wins_over_env_var(tmp_path, monkeypatch, synthetic):
    monkeypatch.setenv("DESCENT_DATA_DIR", str(tmp_path / "empty"))
    (tmp_path / "empty").mkdir()
    mine = write(tmp_path / "mine", synthetic)
    assert data.find_fashion_mnist("test", data_dir=mine) == mine
    assert_is(data.load_fashion_mnist("test", data_dir=str(mine)), synthetic, "test")


def test_env_var_to_an_empty_folder_is_an_error_not_a_fallback(tmp_path, monkeypatch, synthetic):
    write(data.DEBIAN_DIR, synthetic)  # would be found, but the reader asked for another folder
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("DESCENT_DATA_DIR", str(tmp_path / "empty"))
    with pytest.raises(data.DatasetNotFoundError) as error:
        data.load_fashion_mnist("train")
    message = str(error.value)
    assert "DESCENT_DATA_DIR" in message and str(tmp_path / "empty") in message
    assert TRAIN_IMAGES in message and TRAIN_LABELS in message
    assert isinstance(error.value, FileNotFoundError)


def test_debian_package_is_used_when_no_folder_is_given(synthetic):
    write(data.DEBIAN_DIR, synthetic)
    assert data.find_fashion_mnist("train") == data.DEBIAN_DIR
    assert_is(data.load_fashion_mnist("train", download=False), synthetic, "train")
    assert not data.cache_dir().exists()


def test_cache_is_used_when_there_is_no_debian_package(synthetic):
    cache = write(data.cache_dir(), synthetic)
    assert cache == Path(os.environ["DESCENT_CACHE_DIR"]) / "fashion-mnist"
    assert data.find_fashion_mnist("test") == cache  # the download URL is a closed port
    assert_is(data.load_fashion_mnist("test"), synthetic, "test")


def test_files_of_one_split_are_enough_for_it(synthetic):
    write(data.DEBIAN_DIR, {name: synthetic[name] for name in data.SPLITS["test"]})
    assert data.find_fashion_mnist("test", download=False) == data.DEBIAN_DIR
    with pytest.raises(data.DatasetNotFoundError, match="download=False"):
        data.find_fashion_mnist("train", download=False)


# Downloads.

def test_download_lands_in_the_cache_and_happens_once(server, capsys):
    dataset = data.load_fashion_mnist("train", base_url=server.url, progressbar=True)
    assert_is(dataset, server.files, "train")
    assert sorted(server.requests) == sorted(data.SPLITS["train"])
    for name in data.SPLITS["train"]:
        assert (data.cache_dir() / name).read_bytes() == server.files[name]
    assert "100%" in capsys.readouterr().err  # tqdm's progress bar
    again = data.load_fashion_mnist("train", base_url=server.url)
    assert again.images is dataset.images  # from memory, at once
    data._decode.cache_clear()
    from_disk = data.load_fashion_mnist("train", base_url=server.url)
    assert_is(from_disk, server.files, "train")
    assert len(server.requests) == 2


def test_download_url_from_env_var_and_the_argument_wins(server, monkeypatch):
    monkeypatch.setenv("DESCENT_FASHION_MNIST_URL", server.url)
    data.load_fashion_mnist("test", progressbar=False)
    assert sorted(server.requests) == sorted(data.SPLITS["test"])
    monkeypatch.setenv("DESCENT_FASHION_MNIST_URL", closed_port_url())
    data._decode.cache_clear()
    for path in data.cache_dir().iterdir():
        path.unlink()
    data.load_fashion_mnist("test", base_url=server.url, progressbar=False)
    assert len(server.requests) == 4


def test_corrupt_download_is_an_error_naming_the_file_and_is_not_kept(server):
    server.files[TRAIN_IMAGES] = server.files[TRAIN_IMAGES][:-100]
    with pytest.raises(data.CorruptDatasetError) as error:
        data.load_fashion_mnist("train", base_url=server.url, progressbar=False)
    assert str(data.cache_dir() / TRAIN_IMAGES) in str(error.value)
    assert "MD5" in str(error.value) and "DESCENT_DATA_DIR" in str(error.value)
    assert not (data.cache_dir() / TRAIN_IMAGES).exists()


def test_download_that_passes_md5_but_not_sha256_is_an_error(server, monkeypatch):
    # A mirror serving MNIST's files, say, if the MD5 table were wrong too.
    wrong = idx_gz(np.zeros((6, 28, 28)))
    server.files[TRAIN_IMAGES] = wrong
    passes_md5 = data.FILES[TRAIN_IMAGES]._replace(gz_md5=checksums(wrong).gz_md5)
    monkeypatch.setitem(data.FILES, TRAIN_IMAGES, passes_md5)
    with pytest.raises(data.CorruptDatasetError, match="SHA-256") as error:
        data.find_fashion_mnist("train", base_url=server.url, progressbar=False)
    assert str(data.cache_dir() / TRAIN_IMAGES) in str(error.value)


@pytest.mark.parametrize("how", ["closed port", "download=False"])
def test_offline_and_nowhere_is_one_error_with_the_three_fixes(synthetic, how):
    kwargs = {"base_url": closed_port_url()} if how == "closed port" else {"download": False}
    with pytest.raises(data.DatasetNotFoundError) as error:
        data.load_fashion_mnist("train", progressbar=False, **kwargs)
    message = str(error.value)
    assert "DESCENT_DATA_DIR" in message
    assert "apt install dataset-fashion-mnist" in message
    assert str(data.cache_dir()) in message
    if how == "closed port":
        assert "ConnectionError: [Errno" in message and "Connection refused" in message
        assert isinstance(error.value.__cause__, requests.ConnectionError)
    else:
        assert "download=False" in message


def test_not_found_on_the_server_is_the_same_error(server):
    del server.files[TRAIN_LABELS]
    with pytest.raises(data.DatasetNotFoundError, match="404") as error:
        data.load_fashion_mnist("train", base_url=server.url, progressbar=False)
    assert "dataset-fashion-mnist" in str(error.value)


def test_damaged_file_in_the_cache_is_downloaded_again_once(server):
    path = write(data.cache_dir(), {TEST_IMAGES: server.files[TEST_IMAGES][:50]}) / TEST_IMAGES
    dataset = data.load_fashion_mnist("test", base_url=server.url, progressbar=False)
    assert_is(dataset, server.files, "test")
    assert sorted(server.requests) == sorted(data.SPLITS["test"])
    assert path.read_bytes() == server.files[TEST_IMAGES]


def test_damaged_file_in_the_cache_without_downloads_is_an_error(synthetic):
    damaged = synthetic[TEST_IMAGES][:50]
    path = write(data.cache_dir(), {**synthetic, TEST_IMAGES: damaged}) / TEST_IMAGES
    with pytest.raises(data.CorruptDatasetError) as error:
        data.load_fashion_mnist("test", download=False)
    assert str(path) in str(error.value) and "Delete it" in str(error.value)
    with pytest.raises(data.CorruptDatasetError, match="Downloading it again just now") as error:
        data.load_fashion_mnist("test", progressbar=False)  # the URL is a closed port
    assert str(path) in str(error.value)
    assert path.read_bytes() == damaged  # kept: nothing better came


# Damaged files.

def damaged_versions(files: dict[str, bytes]) -> dict[str, bytes]:
    images = files[TRAIN_IMAGES]
    raw = bytearray(gzip.decompress(images))
    raw[-1] ^= 0xFF
    return {
        "truncated gzip": images[: len(images) // 2],
        "not gzip": gzip.decompress(images),
        "bad gzip CRC": images[:-8] + bytes(4) + images[-4:],
        "wrong checksum": gzip.compress(bytes(raw)),
        "labels magic": gzip.compress(b"\0\0\x08\x01" + bytes(raw[4:])),
        "wrong image size": gzip.compress(raw[:8] + struct.pack(">2I", 27, 29) + raw[16:]),
        "truncated IDX": gzip.compress(bytes(raw[:-28])),
    }


@pytest.mark.parametrize("damage, says", [
    ("truncated gzip", "gzip"), ("not gzip", "gzip"), ("bad gzip CRC", "gzip"),
    ("wrong checksum", "SHA-256"), ("labels magic", "magic 0x00000803"),
    ("wrong image size", "(27, 29)"), ("truncated IDX", "promises 6 examples"),
])
def test_damaged_file_is_an_error_naming_it(tmp_path, synthetic, damage, says):
    damaged = damaged_versions(synthetic)[damage]
    folder = write(tmp_path / "mine", {**synthetic, TRAIN_IMAGES: damaged})
    with pytest.raises(data.CorruptDatasetError, match=says) as error:
        data.load_fashion_mnist("train", data_dir=folder)
    assert str(folder / TRAIN_IMAGES) in str(error.value)
    assert isinstance(error.value, ValueError)


def test_damaged_debian_file_says_reinstall(synthetic):
    write(data.DEBIAN_DIR, {**synthetic, TEST_LABELS: synthetic[TEST_LABELS][:-3]})
    reinstall = "apt install --reinstall dataset-fashion-mnist"
    with pytest.raises(data.CorruptDatasetError, match=reinstall) as error:
        data.load_fashion_mnist("test")
    assert str(data.DEBIAN_DIR / TEST_LABELS) in str(error.value)


@pytest.mark.parametrize("where", ["data_dir", "DESCENT_DATA_DIR", "Debian package"])
@pytest.mark.parametrize("damage, says", [("truncated gzip", "gzip"),
                                          ("wrong checksum", "SHA-256")])
def test_find_checks_the_folder_it_returns(tmp_path, monkeypatch, synthetic, where, damage, says):
    # find_fashion_mnist alone, not load_fashion_mnist: it must not return a folder it
    # has not checked, even though load would catch the damage later.
    files = {**synthetic, TRAIN_IMAGES: damaged_versions(synthetic)[damage]}
    folder = write(data.DEBIAN_DIR if where == "Debian package" else tmp_path / "mine", files)
    kwargs = {"data_dir": folder} if where == "data_dir" else {}
    if where == "DESCENT_DATA_DIR":
        monkeypatch.setenv("DESCENT_DATA_DIR", str(folder))
    with pytest.raises(data.CorruptDatasetError, match=says) as error:
        data.find_fashion_mnist("train", download=False, **kwargs)
    message = str(error.value)
    assert message.startswith(f"{folder / TRAIN_IMAGES} is damaged: ")
    if where == "Debian package":
        assert "apt install --reinstall dataset-fashion-mnist" in message
    else:
        assert "Replace it with a good copy of the official file" in message
    assert data.find_fashion_mnist("test", download=False, **kwargs) == folder  # Undamaged.


def test_images_and_labels_of_different_lengths_are_an_error(tmp_path, synthetic, monkeypatch):
    labels = idx_gz(np.array([1, 2, 3]))
    monkeypatch.setitem(data.FILES, TEST_LABELS, checksums(labels))
    folder = write(tmp_path / "mine", {**synthetic, TEST_LABELS: labels})
    with pytest.raises(data.CorruptDatasetError, match="4 images but .* has 3 labels"):
        data.load_fashion_mnist("test", data_dir=folder)


# The in-memory cache.

def test_arrays_are_read_only_and_a_changed_file_is_read_again(tmp_path, synthetic):
    folder = write(tmp_path / "mine", synthetic)
    dataset = data.load_fashion_mnist("train", data_dir=folder)
    for array in dataset:
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 0
        with pytest.raises(ValueError):
            array.flags.writeable = True
    copy = np.array(dataset.images)
    copy[0] = 0  # a copy is the reader's own
    assert_is(data.load_fashion_mnist("train", data_dir=folder), synthetic, "train")
    (folder / TRAIN_LABELS).write_bytes(synthetic[TRAIN_LABELS][:-5])
    with pytest.raises(data.CorruptDatasetError):  # not the stale arrays kept in memory
        data.load_fashion_mnist("train", data_dir=folder)


# Arguments.

@pytest.mark.parametrize("split", ["validation", "Train", "", None])
def test_bad_split_is_a_value_error_naming_the_choices(split):
    for function in (data.load_fashion_mnist, data.find_fashion_mnist):
        with pytest.raises(ValueError, match=r"split must be one of 'train', 'test'; got"):
            function(split)
