"""Targets cross-entropy cannot train on, constant table columns, long non-Latin file names.

- Cross-entropy's step takes the gradient ``(p - y) / n``, true only for target rows that sum to 1.
  Multi-hot rows and all-zero rows trained before with a wrong gradient; ``fit`` (and the CLI)
  now refuse them once, in one line that points to loss="bce" or one-hot rows.
- A constant float column's float64 std is 1e-17, not 0: ``Standardizer`` divided by it, and a
  later row a hair off the constant became 1e10.
- Temporary file names kept the last 200 characters of the file's name: 200 non-Latin
  characters take up to 800 bytes, more than the 255 a file name may take.
"""

import os

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import cli
from nnscratch.errors import DataError
from nnscratch.saving import serialize
from nnscratch.saving.standardizer import Standardizer
from test_validation import raises


def _data(n=12, k=3):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 4)).astype(np.float32), np.eye(k, dtype=np.float32)[np.arange(n) % k]


def _softmax(backend):
    return nn.Network.from_sizes(4, 3, seed=0, backend=backend)


@pytest.mark.parametrize("row, shown", [([1.0, 1.0, 0.0], "row 5 sums to 2"), ([0.0, 0.0, 0.0], "row 5 sums to 0")])
def test_cross_entropy_refuses_rows_that_do_not_sum_to_one_on_every_backend(backend, row, shown):
    """Before: multi-hot and all-zero rows trained, with the gradient (p - y)/n of another loss."""
    X, Y = _data()
    Y[5] = row
    net = _softmax(backend)
    before = [np.array(w) for w in net.get_weights()]
    for targets in (Y, backend.asarray(Y)):  # host data and the model's own arrays alike
        with raises(DataError, "each row of y to sum to 1", "one-hot", shown, "Sigmoid", "loss='bce'"):
            net.fit(X, targets, epochs=1)
    for w, was in zip(net.get_weights(), before):
        np.testing.assert_array_equal(w, was)  # refused before any step


def test_cross_entropy_takes_smoothed_and_soft_rows_and_labels(backend):
    """Rows that sum to 1 within float32 rounding train as before: label smoothing, softmax outputs."""
    X, Y = _data(n=30, k=3)
    smooth = (Y * 0.9 + 0.1 / 3).astype(np.float32)
    logits = np.random.default_rng(1).normal(size=(30, 3)).astype(np.float32)
    soft = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    for targets in (smooth, soft, backend.asarray(soft), np.arange(30) % 3):
        assert np.isfinite(_softmax(backend).fit(X, targets, epochs=1).history["loss"][-1])


def test_multi_hot_rows_train_with_binary_cross_entropy():
    """The fix the message names works: sigmoid outputs with loss='bce' take several labels a row."""
    X, Y = _data()
    Y[:, 0] = 1.0
    net = nn.Network.from_sizes(4, 3, output="sigmoid", seed=0, backend="numpy")
    assert np.isfinite(net.fit(X, Y, loss="bce", epochs=1).history["loss"][-1])
    with raises(DataError, "each row of y_val to sum to 1", "sums to 2"):
        _softmax("numpy").fit(X, _data()[1], validation_data=(X, Y), epochs=1)


@pytest.mark.parametrize("task", [[], ["--task", "classification"]])
def test_the_cli_does_not_train_cross_entropy_on_multi_hot_targets(capsys, task):
    """The CLI reads 0/1 rows that are not one-hot as a multilabel classification (cross-entropy refused:
    binary cross-entropy learns them) and, told it is a classification, refuses rows that are not
    one-hot: it never reaches fit with them."""
    X, Y = _data(n=40)
    Y[:, 0] = 1.0
    np.savez("multi.npz", X=X, y=Y)
    status = cli.main(["train", "--dataset", "npz:multi.npz", "--loss", "cross_entropy", *task, "--epochs", "1",
                       "--backend", "numpy", "--quiet", "--out", "m.npz"])
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error: ")]
    assert status == 2 and len(err) == 1, err
    assert ("not one-hot" if task else "multilabel") in err[0], err
    assert not os.path.exists("m.npz")


def test_a_constant_float_column_keeps_std_one():
    """Before: std 1.4e-17 for a column of 0.1, so 0.1000001 standardised to about 7e9."""
    X = np.column_stack([np.full(8, 0.1), np.arange(8.0)])
    scaler = Standardizer().fit(X)
    assert scaler.std[0] == 1.0
    z = scaler.transform(np.array([[0.1000001, 3.5]]))
    assert abs(z[0, 0]) < 1e-5 and abs(z[0, 1]) < 1e-6
    assert Standardizer.from_metadata({"standardize": scaler.to_metadata()}) is not None


LONG = "模型" * 40  # 80 characters, 240 bytes: a name the file system takes, not 200 characters of it again


def test_a_long_non_latin_output_name_is_written(capsys):
    """Before: 'cannot write it (File name too long)': the temporary name took 200 characters, 600 bytes."""
    name = LONG + ".npz"
    assert len(os.fsencode(name)) <= 255
    status = cli.main(["train", "--dataset", "xor", "--epochs", "1", "--backend", "numpy", "--quiet", "--out", name])
    assert status == 0, capsys.readouterr().err
    assert nn.Network.load(name).n_inputs == 2
    assert not [n for n in os.listdir(".") if n.startswith(serialize.TEMPORARY)]


def test_an_mp4_of_a_long_non_latin_name_is_written(monkeypatch):
    """Before: OSError 'File name too long' from the temporary file, before ffmpeg ran."""
    plt = pytest.importorskip("matplotlib.pyplot")
    import matplotlib.animation
    from nnscratch.viz import _anim

    class Writer:  # ffmpeg's part: write the frames to the (temporary) file named
        def __init__(self, fps):
            self.frames = 0

        def saving(self, fig, path, dpi):
            import contextlib

            @contextlib.contextmanager
            def opened():
                yield
                with open(path, "wb") as f:
                    f.write(b"%d frames" % self.frames)
            return opened()

        def grab_frame(self, **kwargs):
            self.frames += 1

    monkeypatch.setattr(_anim, "can_write_mp4", lambda: True)
    monkeypatch.setattr(matplotlib.animation, "FFMpegWriter", Writer)
    fig = plt.figure()
    try:
        path = _anim.save_animation(fig, lambda k: None, 3, LONG + ".mp4")
    finally:
        plt.close(fig)
    with open(path, "rb") as f:
        assert f.read() == b"3 frames"
    assert not [n for n in os.listdir(".") if n.startswith(serialize.TEMPORARY)]
