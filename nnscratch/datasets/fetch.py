"""Find MNIST and Fashion-MNIST on disk, or download them once through pooch.

Search order for the four IDX files (``.gz`` or not):

1. the ``path`` argument (the CLI's ``--data-dir``), and ``path/<name>``;
2. ``$NNSCRATCH_DATA/<name>`` and ``$NNSCRATCH_DATA`` (either of these two, when given, must be a folder);
3. the cache, ``~/.cache/nnscratch/<name>`` (``$XDG_CACHE_HOME`` is honoured);
4. ``/usr/share/datasets/<name>``, where Debian's ``dataset-*`` packages install them.

Otherwise the files are downloaded into the cache from the mirrors below (or
``base_url``, or ``$NNSCRATCH_DATA_URL`` where ``{name}`` is replaced by the
dataset name), each checked against its pinned SHA-256.  Set
``NNSCRATCH_OFFLINE=1`` (or pass ``download=False``) to never download (``0``, ``false``, ``no``
and ``off`` leave downloading on).
"""

from __future__ import annotations

import os
import pathlib
from dataclasses import dataclass

from ..errors import DataFormatError, DatasetNotFoundError
from .base import DIGITS, Dataset, labels, pixels
from .idx import read_idx_pair
from .._typing import PathLike

ROLES = ("train_images", "train_labels", "test_images", "test_labels")
SYSTEM_DIR = pathlib.Path("/usr/share/datasets")


@dataclass(frozen=True)
class Source:
    title: str
    mirrors: tuple
    sha256: dict  # file name -> SHA-256 of the .gz file
    apt: str = ""
    class_names: tuple = DIGITS
    first_labels: tuple = ()  # the first training labels of the published files: which dataset a folder holds

    @property
    def filenames(self):
        return tuple(self.sha256)


SOURCES = {
    "mnist": Source(
        "MNIST",
        ("https://ossci-datasets.s3.amazonaws.com/mnist/",
         "https://storage.googleapis.com/cvdf-datasets/mnist/"),
        {"train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
         "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
         "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
         "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"},
        first_labels=(5, 0, 4, 1, 9, 2, 1, 3, 1, 4)),
    "fashion-mnist": Source(
        "Fashion-MNIST",
        ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
         "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"),
        {"train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
         "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
         "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
         "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"},
        apt="dataset-fashion-mnist",
        class_names=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                     "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
        first_labels=(9, 0, 0, 3, 0, 2, 7, 2, 5, 5)),
}


def cache_dir(name):
    """``~/.cache/nnscratch/<name>`` (under ``$XDG_CACHE_HOME`` when set)."""
    root = os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache"
    return pathlib.Path(root) / "nnscratch" / name


def search_dirs(name, path=None):
    """The directories searched for dataset ``name``, in order."""
    dirs = []
    for base in (path, os.environ.get("NNSCRATCH_DATA")):
        if base:
            dirs += [pathlib.Path(base).expanduser(), pathlib.Path(base).expanduser() / name]
    return list(dict.fromkeys(dirs + [cache_dir(name), SYSTEM_DIR / name]))  # each once: --data-dir may be one


def _variants(gz_name):
    """Names a file goes by: ``x-idx3-ubyte.gz``, ``x-idx3-ubyte``, ``x.idx3-ubyte``."""
    plain = gz_name[:-3]
    return (gz_name, plain, plain.replace("-idx", ".idx"))


def _file_in(directory, filename):
    """The path of ``filename`` (under any of its names) in ``directory``, or None."""
    return next((directory / v for v in _variants(filename) if (directory / v).is_file()), None)


def find_in(directory, source):
    """The four files in ``directory`` (paths in ROLES order), or None if any is missing."""
    found = [_file_in(directory, filename) for filename in source.filenames]
    return None if None in found else found


def _incomplete(dirs, source):
    """``; DIR lacks FILES`` for the first folder that holds some of the files but not all, else ""."""
    for directory in dirs:
        missing = [f for f in source.filenames if _file_in(directory, f) is None]
        if 0 < len(missing) < len(source.filenames):
            return f"; {directory} lacks {', '.join(missing)}"
    return ""


def offline_setting():
    """``$NNSCRATCH_OFFLINE`` where it turns downloading off, else None (unset, empty, 0, false, no, off)."""
    setting = os.environ.get("NNSCRATCH_OFFLINE", "").strip()
    return None if setting.lower() in ("", "0", "false", "no", "off") else setting


def locate(name, path=None, download=True, base_url=None):
    """Paths of the four IDX files of ``name``, downloading them when needed. A data folder the user
    named (``path``, ``$NNSCRATCH_DATA``) that is not a folder is an error, not skipped in silence."""
    source = SOURCES[name]
    _check_given_folders(source, path)
    dirs = search_dirs(name, path)
    for directory in dirs:
        files = find_in(directory, source)
        if files:
            return files
    setting = offline_setting()
    offline = setting is not None
    problem = (f"downloading is off (NNSCRATCH_OFFLINE={setting}; unset it to download)" if offline else
               "downloading is off (download=False)")
    if download and not offline:
        from .download import fetch_all
        files, problem = fetch_all(name, source, cache_dir(name), base_url)
        if files:
            return files
    raise _not_found(name, source, dirs, problem)


def folder_state(base):
    """Why the data folder ``base`` (``--data-dir``, ``$NNSCRATCH_DATA``) cannot be searched: ``"is a file, not a
    folder"`` or ``"does not exist"``; None for a folder, or none given."""
    folder = pathlib.Path(base).expanduser() if base else None
    if folder is None or folder.is_dir():
        return None
    return "is a file, not a folder" if folder.exists() else "does not exist"


def _check_given_folders(source, path):
    """Refuse ``path`` (``--data-dir``) or ``$NNSCRATCH_DATA`` when it is missing or a file."""
    given = ((path, "--data-dir", "pass --data-dir", "drop it"),
             (os.environ.get("NNSCRATCH_DATA"), "NNSCRATCH_DATA", "set NNSCRATCH_DATA to", "unset it"))
    for base, what, name_it, drop_it in given:
        state = folder_state(base)
        if state is None:
            continue
        folder = pathlib.Path(base).expanduser()
        apt = f" (`apt-get install {source.apt}`)" if source.apt else ""
        files = ", ".join(source.filenames)
        raise DatasetNotFoundError(f"{source.title} not found: the data folder {folder} ({what}) {state}. Fix: "
                                   f"{name_it} the folder that holds the four IDX files ({files}), "
                                   f"or {drop_it} to use the cache, {SYSTEM_DIR}{apt} or a download.")


def _how_to_get(source):
    """How to get the files: apt (where Debian packages them), a mirror, the folder options."""
    apt = f"`apt-get install {source.apt}`, or " if source.apt else ""
    return (f"{apt}download the four files ({', '.join(source.filenames)}) from {source.mirrors[0]} into a "
            "folder and pass --data-dir DIR (or set NNSCRATCH_DATA=DIR; NNSCRATCH_DATA_URL names another mirror).")


def _not_found(name, source, dirs, problem):
    looked = ", ".join(str(d) for d in dirs) + _incomplete(dirs, source)
    return DatasetNotFoundError(f"{source.title} not found (looked in {looked}) and {problem}. "
                                f"Fix: {_how_to_get(source)}")


def load_idx_dataset(name, path=None, *, raw=False, download=True, base_url=None):
    """Load a four-file IDX dataset (``"mnist"`` or ``"fashion-mnist"``) as a Dataset; a damaged
    file is a DataFormatError that says how to get a good copy."""
    source = SOURCES[name]
    files = locate(name, path, download=download, base_url=base_url)
    try:
        x_train, y_train = read_idx_pair(files[0], files[1])
        x_test, y_test = read_idx_pair(files[2], files[3])
        _check_contents(source, files, x_train, y_train, x_test, y_test)
    except DataFormatError as exc:
        raise DataFormatError(f"{exc} Fix: {_replace_hint(name, source, files[0].parent)}") from None
    _check_which(name, files, y_train)
    return Dataset(pixels(x_train, raw), labels(y_train), pixels(x_test, raw), labels(y_test),
                   name=name, class_names=source.class_names)


def _check_contents(source, files, x_train, y_train, x_test, y_test):
    """Images in both splits, of one size, and labels that name one of the dataset's classes."""
    n_classes = len(source.class_names)
    for images, labels_path, x, y in ((files[0], files[1], x_train, y_train), (files[2], files[3], x_test, y_test)):
        if len(x) == 0:
            raise DataFormatError(f"{images} holds no images.")
        if y.max() >= n_classes:
            raise DataFormatError(f"{labels_path} holds the label {int(y.max())}, but {source.title}'s labels are "
                                  f"0 to {n_classes - 1}; the file is damaged or of another dataset.")
    if x_train.shape[1:] != x_test.shape[1:]:
        raise DataFormatError(f"{files[0]} holds {'x'.join(map(str, x_train.shape[1:]))} images but {files[2]} "
                              f"{'x'.join(map(str, x_test.shape[1:]))}; the files are of different datasets.")


def _check_which(name, files, y_train):
    """Refuse the files of another dataset (MNIST and Fashion-MNIST share file names, so a folder of one,
    as $NNSCRATCH_DATA, is found for both), told by the first training labels of the published files."""
    first = tuple(int(v) for v in y_train[:10])
    other = next((k for k, s in SOURCES.items() if k != name and s.first_labels and first == s.first_labels), None)
    if other is None or first == SOURCES[name].first_labels:
        return
    this, that = SOURCES[name].title, SOURCES[other].title
    raise DataFormatError(f"{files[1].parent} holds {that}, not {this} (its training labels begin as {that}'s do). "
                          f"Fix: --dataset {other}, or keep each data set in a folder of its name (DIR/{name}, "
                          f"DIR/{other}) and pass --data-dir DIR (or set NNSCRATCH_DATA=DIR).")


def _replace_hint(name, source, folder):
    """How to replace a damaged file in ``folder``: the cache is downloaded again, a system copy reinstalled."""
    if folder == cache_dir(name):
        return f"delete the folder {folder}; nnscratch downloads the files again when next used."
    if folder.parent == SYSTEM_DIR and source.apt:
        return f"`apt-get install --reinstall {source.apt}`."
    return f"replace the files in {folder} with good copies from {source.mirrors[0]}."


def load_mnist(path: PathLike | None = None, *, raw: bool = False, download: bool = True,
               base_url: str | None = None) -> Dataset:
    """The full MNIST: 60,000 training and 10,000 test digits, 28x28.

    See the module docstring for where the files are looked for. Returns a
    Dataset of float32 images in [0, 1] with shape (n, 784) (uint8 with ``raw``).
    Raises DatasetNotFoundError when the files are neither found nor downloadable, and
    DataFormatError (naming the file and how to replace it) when one is damaged.

    Parameters
    ----------
    path : str or Path, optional
        The folder of the four IDX files, searched first; then ``$NNSCRATCH_DATA``, the cache, ``/usr/share/datasets``.
    raw : bool, default False
        Keep the pixels as uint8 0..255 instead of float32 in [0, 1].
    download : bool, default True
        Download the files once into the cache when they are not found; False never downloads.
    base_url : str, optional
        A mirror to download from instead of the built-in ones (or ``$NNSCRATCH_DATA_URL``).
    """
    return load_idx_dataset("mnist", path, raw=raw, download=download, base_url=base_url)


def load_fashion_mnist(path: PathLike | None = None, *, raw: bool = False, download: bool = True,
                       base_url: str | None = None) -> Dataset:
    """Fashion-MNIST (Zalando, MIT): 60,000 + 10,000 28x28 clothing images, 10 classes.

    Same search order and return value as :func:`load_mnist`; on Debian
    ``apt-get install dataset-fashion-mnist`` provides the files offline.

    Parameters
    ----------
    path : str or Path, optional
        The folder of the four IDX files, searched first; then ``$NNSCRATCH_DATA``, the cache, ``/usr/share/datasets``.
    raw : bool, default False
        Keep the pixels as uint8 0..255 instead of float32 in [0, 1].
    download : bool, default True
        Download the files once into the cache when they are not found; False never downloads.
    base_url : str, optional
        A mirror to download from instead of the built-in ones (or ``$NNSCRATCH_DATA_URL``).
    """
    return load_idx_dataset("fashion-mnist", path, raw=raw, download=download, base_url=base_url)
