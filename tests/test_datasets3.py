"""Finding, downloading and reading MNIST-like datasets as a user meets it: folders that are not
there, damaged files, an unwritable cache, a bad mirror URL, an interrupted download, and
--dataset names that name no file. Small files in tmp_path; nothing is downloaded from the network."""

import functools
import hashlib
import http.server
import threading

import numpy as np
import pytest

from nnscratch import cli
from nnscratch import datasets as D
from nnscratch.datasets import download, fetch
from nnscratch.errors import DataFormatError, DatasetNotFoundError

FILES = fetch.SOURCES["mnist"].filenames


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No real cache, data directory, system datasets or network."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for name in ("NNSCRATCH_DATA", "NNSCRATCH_DATA_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NNSCRATCH_OFFLINE", "1")
    monkeypatch.setattr(fetch, "SYSTEM_DIR", tmp_path / "system")
    monkeypatch.setattr(download, "RETRIES", 0)
    return tmp_path


def write_set(directory, train_labels=None, test_shape=(5, 28, 28)):
    """Four small gzipped IDX files with the MNIST names."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    arrays = (rng.integers(0, 256, (12, 28, 28), dtype=np.uint8),
              rng.integers(0, 10, 12, dtype=np.uint8) if train_labels is None else np.asarray(train_labels, np.uint8),
              rng.integers(0, 256, test_shape, dtype=np.uint8), rng.integers(0, 10, test_shape[0], dtype=np.uint8))
    for filename, array in zip(FILES, arrays):
        D.write_idx(directory / filename, array)


def one_line(message, *parts):
    assert "\n" not in message and "Traceback" not in message
    for part in parts:
        assert part in message, message


# --- folders the user named ------------------------------------------------------

def test_a_data_dir_that_does_not_exist_is_said_not_passed_over(isolated):
    write_set(isolated / "system" / "mnist")  # found there, were the missing folder skipped
    with pytest.raises(DatasetNotFoundError) as info:
        D.load_mnist(isolated / "typo")
    one_line(str(info.value), "typo", "(--data-dir) does not exist", "t10k-labels-idx1-ubyte.gz")


def test_nnscratch_data_naming_a_file_is_said(isolated, monkeypatch):
    (isolated / "notes.txt").write_text("not a folder")
    monkeypatch.setenv("NNSCRATCH_DATA", str(isolated / "notes.txt"))
    write_set(isolated / "cache" / "nnscratch" / "mnist")
    with pytest.raises(DatasetNotFoundError) as info:
        D.load_mnist()
    one_line(str(info.value), "notes.txt (NNSCRATCH_DATA) is a file, not a folder", "unset it")


def test_cli_says_a_missing_data_dir_in_one_line(isolated, capsys):
    status = cli.main(["train", "--dataset", "fashion-mnist", "--data-dir", str(isolated / "nowhere"), "--no-save"])
    err = capsys.readouterr().err.strip()
    assert status == 2 and err.count("\n") == 0
    one_line(err, "nowhere (--data-dir) does not exist", "apt-get install dataset-fashion-mnist")


def test_not_found_says_where_to_download_from(isolated):
    with pytest.raises(DatasetNotFoundError) as info:
        D.load_mnist()
    one_line(str(info.value), "NNSCRATCH_OFFLINE", fetch.SOURCES["mnist"].mirrors[0], "NNSCRATCH_DATA_URL",
             "--data-dir")


# --- damaged files ---------------------------------------------------------------

def test_a_damaged_cached_file_says_to_delete_the_cache(isolated):
    cache = isolated / "cache" / "nnscratch" / "mnist"
    write_set(cache)
    data = (cache / FILES[0]).read_bytes()
    (cache / FILES[0]).write_bytes(data[:len(data) // 2])
    with pytest.raises(DataFormatError) as info:
        D.load_mnist()
    one_line(str(info.value), FILES[0], "truncated or corrupt", f"delete the folder {cache}")


def test_a_damaged_file_of_the_user_says_to_replace_it(isolated):
    write_set(isolated / "d")
    (isolated / "d" / FILES[3]).write_bytes(b"\0\0\x08\x01\0\0\0\x05\1\2")  # 2 of 5 labels
    with pytest.raises(DataFormatError) as info:
        D.load_mnist(isolated / "d")
    one_line(str(info.value), FILES[3], "truncated or corrupt", "replace the files in", "ossci-datasets")


def test_a_system_copy_is_reinstalled(isolated):
    folder = isolated / "system" / "fashion-mnist"
    write_set(folder)
    (folder / FILES[1]).write_bytes(b"garbage")
    with pytest.raises(DataFormatError) as info:
        D.load_fashion_mnist()
    one_line(str(info.value), "not an IDX file", "apt-get install --reinstall dataset-fashion-mnist")


def test_labels_beyond_the_classes_are_refused_at_loading(isolated):
    write_set(isolated / "d", train_labels=[0] * 11 + [200])
    with pytest.raises(DataFormatError) as info:
        D.load_mnist(isolated / "d")
    one_line(str(info.value), FILES[1], "label 200", "0 to 9")


def test_train_and_test_images_of_other_sizes_are_refused(isolated):
    write_set(isolated / "d", test_shape=(5, 32, 32))
    with pytest.raises(DataFormatError) as info:
        D.load_mnist(isolated / "d")
    one_line(str(info.value), "28x28", "32x32", "different datasets")


def test_no_images_is_refused(isolated):
    write_set(isolated / "d", test_shape=(0, 28, 28))
    with pytest.raises(DataFormatError, match="holds no images"):
        D.load_mnist(isolated / "d")


# --- downloading -----------------------------------------------------------------

def test_an_unwritable_cache_is_said_not_blamed_on_the_mirror(isolated, monkeypatch):
    (isolated / "file").write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(isolated / "file"))
    monkeypatch.delenv("NNSCRATCH_OFFLINE")
    with pytest.raises(DatasetNotFoundError) as info:
        D.load_mnist(base_url="http://127.0.0.1:9/")
    one_line(str(info.value), "the cache folder", "cannot be written", "XDG_CACHE_HOME")
    assert "127.0.0.1" not in str(info.value)


def test_a_data_url_that_is_not_a_url_is_said(isolated, monkeypatch):
    monkeypatch.delenv("NNSCRATCH_OFFLINE")
    monkeypatch.setenv("NNSCRATCH_DATA_URL", "data/mnist")
    with pytest.raises(DatasetNotFoundError) as info:
        D.load_mnist()
    one_line(str(info.value), "'data/mnist' (NNSCRATCH_DATA_URL or base_url) is not an http://", "NNSCRATCH_DATA")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path, monkeypatch):
    """An HTTP server on 127.0.0.1 serving tmp_path/www (small MNIST files whose SHA-256 are pinned)."""
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")
    root = tmp_path / "www"
    write_set(root)
    sha = {f: hashlib.sha256((root / f).read_bytes()).hexdigest() for f in FILES}
    monkeypatch.setitem(fetch.SOURCES, "mnist", fetch.Source("MNIST", ("http://127.0.0.1:9/",), sha))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(root)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


def test_an_interrupted_download_leaves_nothing_a_later_run_reads(isolated, server, monkeypatch):
    import pooch
    real = pooch.HTTPDownloader.__call__

    def half_then_ctrl_c(self, url, output_file, pooch_, check_only=False):
        real(self, url, output_file, pooch_)
        data = open(output_file, "rb").read()
        open(output_file, "wb").write(data[:len(data) // 2])
        raise KeyboardInterrupt

    monkeypatch.delenv("NNSCRATCH_OFFLINE")
    monkeypatch.setattr(pooch.HTTPDownloader, "__call__", half_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        D.load_mnist(base_url=server)
    cache = isolated / "cache" / "nnscratch" / "mnist"
    assert not [p for p in cache.iterdir() if p.is_file()]
    monkeypatch.setattr(pooch.HTTPDownloader, "__call__", real)
    assert len(D.load_mnist(base_url=server).X_train) == 12


# --- names that name no file -------------------------------------------------------

@pytest.mark.parametrize("spec", ["npz:", "csv:", "npy:,"])
def test_a_file_kind_without_a_path_is_said(isolated, spec):
    with pytest.raises(DataFormatError) as info:
        D.load_dataset(spec)
    one_line(str(info.value), f"dataset {spec!r} names no file")


def test_a_folder_as_the_dataset_says_what_to_pass(isolated, monkeypatch):
    write_set(isolated / "digits")
    monkeypatch.chdir(isolated)
    with pytest.raises(DataFormatError) as info:
        D.load_dataset("digits")
    one_line(str(info.value), "'digits' is a folder", "--dataset mnist --data-dir digits")


# --- arrays of the wrong shape ----------------------------------------------------

@pytest.mark.parametrize("X, y, words", [
    (np.float64(3.0), np.arange(6) % 2, "X is a single value, shape ()"),
    (np.ones((6, 2)), np.int64(1), "y has shape ()"),
    (np.ones((6, 2)), np.zeros((6, 2, 2)), "y has shape (6, 2, 2)"),
    (np.ones((6, 2)), np.array([0.0, 1.0, np.nan, 1.0, 0.0, 1.0]), "y row 2 is nan (missing or infinite)"),
])
def test_arrays_of_no_sample_axis_or_missing_targets_are_one_line(tmp_path, X, y, words):
    np.savez(tmp_path / "data.npz", X=X, y=y)
    with pytest.raises(DataFormatError) as info:
        D.load_dataset(f"npz:{tmp_path / 'data.npz'}")
    one_line(str(info.value), "data.npz", words)


@pytest.mark.parametrize("setting", ["false", "No", "off", "0"])
def test_nnscratch_offline_false_leaves_downloading_on(isolated, server, monkeypatch, setting):
    monkeypatch.setenv("NNSCRATCH_OFFLINE", setting)
    assert len(D.load_mnist(base_url=server).X_train) == 12


# --- the Python API names what is missing as the command line does ---------------

def test_read_idx_of_a_missing_file_or_a_folder_is_dataset_not_found(tmp_path):
    for path, words in ((tmp_path / "none.gz", "does not exist"), (tmp_path, "is a folder")):
        with pytest.raises(DatasetNotFoundError) as info:
            D.read_idx(path)
        one_line(str(info.value), str(path), words)


def test_load_npz_of_a_folder_says_it_is_a_folder(tmp_path):
    with pytest.raises(DatasetNotFoundError) as info:
        D.load_npz(tmp_path)
    one_line(str(info.value), f"{tmp_path} is a folder")


def test_a_folder_with_some_of_the_files_says_which_are_missing(isolated):
    write_set(isolated / "d")
    (isolated / "d" / FILES[3]).unlink()
    with pytest.raises(DatasetNotFoundError) as info:
        D.load_mnist(isolated / "d")
    one_line(str(info.value), f"{isolated / 'd'} lacks {FILES[3]})")


def test_one_hot_reads_whole_float_labels_and_a_column_of_labels():
    expected = [[0, 1, 0], [0, 0, 1], [1, 0, 0]]
    np.testing.assert_array_equal(D.one_hot(np.array([1.0, 2.0, 0.0])), expected)
    np.testing.assert_array_equal(D.one_hot(np.array([[1], [2], [0]])), expected)
    with pytest.raises(ValueError, match="whole-number labels"):
        D.one_hot(np.array([0.5, 1.0]))


@pytest.mark.parametrize("seed", range(4))
def test_train_val_split_stratifies_string_labels(seed):
    y = np.array(["cat"] * 95 + ["dog"] * 5)
    *_, y_val = D.train_val_split(np.arange(100)[:, None], y, 0.2, seed=seed)
    assert len(y_val) == 20 and (y_val == "dog").sum() == 1


def test_a_failing_download_is_said_once_not_per_retry(isolated, server, monkeypatch, tmp_path, capfd):
    (tmp_path / "www" / FILES[3]).unlink()
    monkeypatch.setattr(download, "RETRIES", 1)
    monkeypatch.setattr("time.sleep", lambda seconds: None)  # pooch waits between tries
    monkeypatch.delenv("NNSCRATCH_OFFLINE")
    with pytest.raises(DatasetNotFoundError, match="HTTP 404"):
        D.load_mnist(base_url=server)
    assert "Will attempt the download again" not in capfd.readouterr().err


# --- images of more than 8 bits ----------------------------------------------------

@pytest.mark.parametrize("deep", ["16-bit png", "float tiff"])
def test_a_16_bit_or_float_image_reads_as_its_8_bit_copy(tmp_path, deep):
    Image = pytest.importorskip("PIL.Image")
    from nnscratch.datasets.images import load_digit_image
    digit = D.load_mnist_sample(raw=True).X_test[0].reshape(28, 28)
    Image.fromarray(digit).save(tmp_path / "digit.png")
    if deep == "16-bit png":
        Image.fromarray(digit.astype(np.uint16) * 257).save(tmp_path / "deep.png")
    else:
        Image.fromarray(digit.astype(np.float32) / 255).save(tmp_path / "deep.tiff")
    plain, _ = load_digit_image(tmp_path / "digit.png")
    pixels, _ = load_digit_image(next(tmp_path.glob("deep.*")))
    np.testing.assert_allclose(pixels, plain, atol=1e-6)


def test_the_files_of_the_other_dataset_are_refused(isolated, monkeypatch):
    """MNIST and Fashion-MNIST share file names: a folder of Fashion-MNIST set as $NNSCRATCH_DATA is found
    for --dataset mnist too, and must not be trained on as digits."""
    write_set(isolated / "clothes", train_labels=[9, 0, 0, 3, 0, 2, 7, 2, 5, 5, 0, 9])  # as Fashion-MNIST's begin
    monkeypatch.setenv("NNSCRATCH_DATA", str(isolated / "clothes"))
    assert D.load_fashion_mnist().class_names[9] == "Ankle boot"
    with pytest.raises(DataFormatError) as info:
        D.load_mnist()
    one_line(str(info.value), "holds Fashion-MNIST, not MNIST", "--dataset fashion-mnist")
    write_set(isolated / "d")  # labels of no published set: read as asked
    assert len(D.load_mnist(isolated / "d").X_train) == 12
