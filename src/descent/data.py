"""Fashion-MNIST: 70 000 grey 28×28 pictures of clothes in 10 classes, as numpy arrays.

The data are four gzip-compressed files in the IDX format of LeCun's MNIST. They are
looked for in these places, in this order, and the first that holds them wins:

1. the folder given as ``data_dir=``, or else in the environment variable
   ``DESCENT_DATA_DIR`` (if one is given, it must hold the files: it is an error if not);
2. the folder of the Debian/Ubuntu package ``dataset-fashion-mnist``, :data:`DEBIAN_DIR`;
3. the cache folder, :func:`cache_dir` (``$DESCENT_CACHE_DIR/fashion-mnist`` if set);
4. otherwise the files are downloaded from :data:`BASE_URL` (or ``base_url=``, or the
   environment variable ``DESCENT_FASHION_MNIST_URL``) into the cache folder.

Every file, wherever it comes from, is checked before use: its IDX header, then the
SHA-256 of its decompressed bytes (the compressed bytes differ between sources: Debian
recompressed them). A download is also checked against the MD5 that Zalando publishes.
Decoded arrays stay in memory, so loading again is instant (``keep=False`` lets them go:
:func:`descent.problems.mlp_classifier` keeps only its float32 copy); they are
read-only, so no caller can change what the next one gets.

>>> from descent.data import CLASS_NAMES, load_fashion_mnist
>>> train = load_fashion_mnist("train")
>>> train.images.shape, train.images.dtype
((60000, 28, 28), dtype('uint8'))
>>> CLASS_NAMES[train.labels[0]]
'Ankle boot'

Reference: H. Xiao, K. Rasul and R. Vollgraf, "Fashion-MNIST: a Novel Image Dataset for
Benchmarking Machine Learning Algorithms", arXiv:1708.07747, 2017.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
import re
import struct
import zlib
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pooch
import requests

__all__ = [
    "BASE_URL",
    "CLASS_NAMES",
    "DEBIAN_DIR",
    "FILES",
    "SPLITS",
    "Checksums",
    "CorruptDatasetError",
    "Dataset",
    "DatasetNotFoundError",
    "cache_dir",
    "find_fashion_mnist",
    "load_fashion_mnist",
]

CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)

DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")  # from `apt install dataset-fashion-mnist`
BASE_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"  # the official one


class Checksums(NamedTuple):
    gz_md5: str  # MD5 of the official .gz file, as published by Zalando: checks a download.
    sha256: str  # SHA-256 of the decompressed file, the same from every source.


FILES: dict[str, Checksums] = {
    "train-images-idx3-ubyte.gz": Checksums(
        gz_md5="8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        sha256="c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
    "train-labels-idx1-ubyte.gz": Checksums(
        gz_md5="25c81989df183df01b3e8a0aad5dffbe",
        sha256="bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
    "t10k-images-idx3-ubyte.gz": Checksums(
        gz_md5="bef4ecab320f06d8554ea6380940ec79",
        sha256="5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
    "t10k-labels-idx1-ubyte.gz": Checksums(
        gz_md5="bb300cfdad3c16e7a12a480ee83cd310",
        sha256="0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
}
SPLITS = {  # split -> (images file, labels file)
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


class Dataset(NamedTuple):
    images: np.ndarray  # uint8, shape (N, 28, 28), 0 is the background, 255 the darkest ink.
    labels: np.ndarray  # uint8, shape (N,), an index into CLASS_NAMES.


class DatasetNotFoundError(FileNotFoundError):
    """The files are in none of the places looked in, and could not be downloaded."""


class CorruptDatasetError(ValueError):
    """A file is there but damaged, truncated, or not the Fashion-MNIST file of that name."""


def cache_dir() -> Path:
    """The folder downloads go to: ``$DESCENT_CACHE_DIR/fashion-mnist``, or the user's cache."""
    root = os.environ.get("DESCENT_CACHE_DIR") or pooch.os_cache("descent")
    return Path(root) / "fashion-mnist"


def load_fashion_mnist(
    split: str = "train",
    *,
    data_dir: str | os.PathLike | None = None,
    download: bool = True,
    base_url: str | None = None,
    progressbar: bool = True,
    keep: bool = True,
) -> Dataset:
    """The ``"train"`` (60 000 examples) or ``"test"`` (10 000) split of Fashion-MNIST.

    Args:
      split: ``"train"`` or ``"test"``.
      data_dir: a folder holding the files; it wins over ``$DESCENT_DATA_DIR``.
      download: whether the files may be downloaded into :func:`cache_dir` if they are in
        none of the places of the module's docstring.
      base_url: where to download from (default ``$DESCENT_FASHION_MNIST_URL``, else
        :data:`BASE_URL`).
      progressbar: show a tqdm progress bar while downloading.
      keep: keep the decoded arrays in memory, so that loading again is instant. With
        ``keep=False`` this module keeps none of Fashion-MNIST once the call returns (the
        47 MB of the training images are held only by the caller, and freed with its copy);
        a later load decodes the files again.

    Returns:
      A :class:`Dataset` of read-only arrays (``np.array(dataset.images)`` is a copy you
      may change). Loading the same files again returns the arrays kept in memory.

    Raises:
      ValueError: ``split`` is neither ``"train"`` nor ``"test"``.
      DatasetNotFoundError: the files are nowhere and could not be downloaded; the message
        says the three ways to get them.
      CorruptDatasetError: a file is damaged; the message names it and what to do. A file
        in the cache that fails the checks is downloaded again, once, when ``download`` is
        true; the new copy replaces it only if it matches the published MD5.

    >>> test = load_fashion_mnist("test", progressbar=False)
    >>> len(test.labels), [CLASS_NAMES[k] for k in test.labels[:3]]
    (10000, ['Ankle boot', 'Pullover', 'Trouser'])
    """
    folder = find_fashion_mnist(
        split, data_dir=data_dir, download=download, base_url=base_url, progressbar=progressbar)
    images_file, labels_file = SPLITS[split]
    images, labels = _read(folder / images_file), _read(folder / labels_file)
    if not keep:
        _decode.cache_clear()
    if len(images) != len(labels):
        raise CorruptDatasetError(
            f"{folder / images_file} has {len(images)} images but {folder / labels_file} has "
            f"{len(labels)} labels: the two files do not belong together. {_remedy(folder)}")
    return Dataset(images, labels)


def find_fashion_mnist(
    split: str = "train",
    *,
    data_dir: str | os.PathLike | None = None,
    download: bool = True,
    base_url: str | None = None,
    progressbar: bool = True,
) -> Path:
    """The folder holding the two checked files of ``split``, downloading them if need be.

    Takes the arguments of :func:`load_fashion_mnist`, and raises the same errors.

    >>> (find_fashion_mnist("test") / "t10k-labels-idx1-ubyte.gz").is_file()
    True
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(map(repr, SPLITS))}; got {split!r}")
    names = SPLITS[split]
    chosen = data_dir if data_dir is not None else os.environ.get("DESCENT_DATA_DIR")
    if chosen:  # The reader asked for this folder: use it or say why not.
        folder = Path(chosen).expanduser()
        missing = [name for name in names if not (folder / name).is_file()]
        if missing:
            where, undo = (("data_dir", "leave out data_dir") if data_dir is not None
                           else ("DESCENT_DATA_DIR", "unset DESCENT_DATA_DIR"))
            raise DatasetNotFoundError(
                f"{where} is {str(folder)!r}, but it has no {' and no '.join(missing)}. Put the "
                f"four Fashion-MNIST files there ({', '.join(FILES)}), or {undo} to use the "
                f"Debian package or the download cache.")
    elif all((DEBIAN_DIR / name).is_file() for name in names):
        folder = DEBIAN_DIR
    else:
        return _from_cache(split, download, base_url, progressbar)
    for name in names:
        _read(folder / name)
    return folder


def _from_cache(split: str, download: bool, base_url: str | None, progressbar: bool) -> Path:
    """The cache folder, once it holds the checked files of ``split``."""
    folder = cache_dir()
    for name in SPLITS[split]:
        path, damaged = folder / name, None
        if path.is_file():
            try:
                _read(path)
                continue
            except CorruptDatasetError as error:
                if not download:
                    raise
                damaged = error
        elif not download:
            raise DatasetNotFoundError(_not_found(split, "downloads are off (download=False)"))
        _download(split, name, base_url, progressbar, damaged)
        _read(path)  # Passing the MD5 check, it still fails here if it is not Fashion-MNIST.
    return folder


def _download(split: str, name: str, base_url: str | None, progressbar: bool,
              damaged: CorruptDatasetError | None) -> None:
    """Download ``name`` into the cache; pooch checks its MD5 before it moves it in place."""
    base = base_url or os.environ.get("DESCENT_FASHION_MNIST_URL") or BASE_URL
    url, path = base.rstrip("/") + "/" + name, cache_dir() / name
    try:
        pooch.retrieve(url, known_hash=f"md5:{FILES[name].gz_md5}", fname=name, path=path.parent,
                       downloader=pooch.HTTPDownloader(progressbar=progressbar))
    except ValueError as error:  # pooch's hash mismatch; it deleted the download.
        raise CorruptDatasetError(
            f"The download of {url} to {path} was corrupted: its MD5 is not the published one, "
            f"so it was not saved. Try again; if it keeps failing, set DESCENT_DATA_DIR to a "
            f"folder holding the files, or sudo apt install dataset-fashion-mnist.") from error
    except requests.RequestException as error:
        reason = _brief(error)
        if damaged is not None:
            message = f"{damaged} (Downloading it again just now failed: {reason}.)"
            raise CorruptDatasetError(message) from error
        message = _not_found(split, f"downloading {url} failed ({reason})")
        raise DatasetNotFoundError(message) from error


def _brief(error: Exception) -> str:
    """The gist of a requests error, "[Errno 111] Connection refused", not three nested reprs."""
    errno = re.search(r"\[Errno [^\]]*\] [^'\")]*", str(error))
    return f"{type(error).__name__}: {errno.group() if errno else error}"


def _not_found(split: str, reason: str) -> str:
    return (
        f"Fashion-MNIST ({split}) is not on this computer, and {reason}.\n"
        f"Any one of these fixes it:\n"
        f"  - set DESCENT_DATA_DIR to a folder holding the four files {', '.join(FILES)};\n"
        f"  - install the Debian/Ubuntu package: sudo apt install dataset-fashion-mnist;\n"
        f"  - connect to the internet, so that they download into {cache_dir()} "
        f"(or put the files there yourself).")


def _remedy(folder: Path) -> str:
    if folder == DEBIAN_DIR:
        return "Reinstall it: sudo apt install --reinstall dataset-fashion-mnist."
    if folder == cache_dir():
        return "Delete it: it is downloaded again on the next load."
    return "Replace it with a good copy of the official file."


def _read(path: Path) -> np.ndarray:
    """The checked, read-only array in the IDX file ``path``, kept in memory until it changes."""
    stat = path.stat()
    return _decode(path, stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=4)  # The four files of Fashion-MNIST, 55 MB in all.
def _decode(path: Path, size: int, mtime_ns: int) -> np.ndarray:
    """The array in ``path``; ``size`` and ``mtime_ns`` key the cache, so a changed file is read."""
    def corrupt(problem: str) -> CorruptDatasetError:
        return CorruptDatasetError(f"{path} is damaged: {problem}. {_remedy(path.parent)}")

    try:
        data = gzip.decompress(path.read_bytes())
    except (OSError, EOFError, zlib.error) as error:  # Not gzip, a bad CRC, or cut short.
        raise corrupt(f"it is not a whole gzip file ({type(error).__name__}: {error})") from error
    # IDX header: two zero bytes, 0x08 for uint8, the number of dimensions, then each size
    # as a big-endian uint32. Images are (N, 28, 28), labels (N,).
    shape_wanted = (28, 28) if "images" in path.name else ()
    ndim = 1 + len(shape_wanted)
    header = 4 + 4 * ndim
    if len(data) < header or data[:4] != bytes([0, 0, 0x08, ndim]):
        raise corrupt(f"it does not start as an IDX file of uint8 with {ndim} dimension(s) "
                      f"(magic 0x{0x800 + ndim:08x}), but with {data[:4].hex()}")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    if shape[1:] != shape_wanted:
        raise corrupt(f"its examples have shape {shape[1:]}, not {shape_wanted}")
    length = header + int(np.prod(shape))
    if len(data) != length:
        raise corrupt(f"its header promises {shape[0]} examples, {length} bytes in all, but it has "
                      f"{len(data)} bytes once decompressed")
    sha256 = hashlib.sha256(data).hexdigest()
    if sha256 != FILES[path.name].sha256:
        raise corrupt(f"the SHA-256 of its contents is {sha256}, not {FILES[path.name].sha256} "
                      f"(is it the MNIST file of the same name?)")
    return np.frombuffer(data, np.uint8, offset=header).reshape(shape)  # Read-only: data is bytes.
