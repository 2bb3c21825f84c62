"""Every bad input named in issue 6 gets one clear error: its type and its words."""

import json
import zipfile

import numpy as np
import pytest

import nnscratch
from nnscratch import Network
from nnscratch import errors as E


@pytest.fixture
def net():
    return Network.from_sizes(4, 8, 3, seed=0, backend="numpy")


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.random((12, 4)), np.arange(12) % 3


def raises(cls, *words):
    """``pytest.raises(cls)`` whose message holds every word (case-insensitive) on one line, an NNScratchError."""
    class _Check:
        def __enter__(self):
            self.ctx = pytest.raises(cls)
            self.info = self.ctx.__enter__()
            return self.info

        def __exit__(self, *exc):
            handled = self.ctx.__exit__(*exc)
            message = str(self.info.value)
            assert "\n" not in message, message
            for word in words:
                assert word.lower() in message.lower(), f"{word!r} not in {message!r}"
            assert isinstance(self.info.value, E.NNScratchError)
            return handled
    return _Check()


# ---------------------------------------------------------------- data
def test_features_do_not_match_input_layer(net, data):
    with raises(E.ShapeError, "5 features", "expects 4", "build the network with 5 inputs"):
        net.fit(np.ones((12, 5)), data[1])
    with raises(E.ShapeError, "2-D", "reshape(1, -1)"):
        net.predict(np.ones(4))


def test_labels_out_of_range(net, data):
    with raises(E.DataError, "labels from 5 to 7", "3 units", "8 outputs"):
        net.fit(data[0], data[1] + 5)
    with raises(E.DataError, "-1", "count from 0", "map them to 0..2", "y - y.min()"):
        net.evaluate(data[0], data[1] - 1)
    two = Network.from_sizes(4, 2, seed=0, backend="numpy")  # two softmax units, not one sigmoid unit
    with raises(E.DataError, "labels from 5 to", "2 units (labels 0..1)", "outputs or fix the labels"):
        two.fit(data[0], data[1] % 2 + 5)


def test_labels_of_the_wrong_kind_for_the_loss(data):
    binary = Network.from_sizes(4, 1, output="sigmoid", seed=0, backend="numpy")
    with raises(E.DataError, "labels from 0 to 11", "1 unit", "0 or 1"):
        binary.fit(data[0], np.arange(12))
    softmax = Network.from_sizes(4, 3, seed=0, backend="numpy")
    with raises(E.DataError, "cross_entropy", "[0, 1]", "loss='mse'"):
        softmax.fit(data[0], np.full((12, 3), 5.0))
    with raises(E.ShapeError, "shape (12,) of fractional values", "3 outputs", "integer class labels"):
        softmax.fit(data[0], data[1] + 0.5)
    # whole numbers held as floats (what np.loadtxt gives) are class labels, as integers are
    as_floats = Network.from_sizes(4, 3, seed=0, backend="numpy")
    as_floats.fit(data[0], data[1].astype(float), epochs=2)
    softmax.fit(data[0], data[1], epochs=2)
    np.testing.assert_array_equal(as_floats.get_weights()[0], softmax.get_weights()[0])
    with raises(E.DataError, "must hold numbers", "np.unique(y, return_inverse=True)", "MLPClassifier"):
        softmax.fit(data[0], np.array(["cat"] * 12))  # class names: numbered, not cast to float
    with raises(E.DataError, "must hold numbers", "X.astype('float32')"):
        softmax.fit(data[0].astype(str), data[1])
    with raises(E.ConfigError, "needs a Sigmoid or Identity output", "Change the output activation"):
        softmax.fit(data[0], data[1], loss="binary_cross_entropy")


def test_integer_regression_targets_are_not_labels(data):
    reg = Network.from_sizes(4, 1, output=None, seed=0, backend="numpy")
    reg.fit(data[0], np.arange(12) * 3, epochs=1)  # no error: regression, not classes


@pytest.mark.parametrize("where", ["X", "y"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_infinity(net, data, where, bad):
    X, Y = data[0].copy(), np.eye(3)[data[1]]
    (X if where == "X" else Y)[3, 1] = bad
    with raises(E.DataError, f"{where} contains NaN or infinity", "clean or impute"):
        net.fit(X, Y)


def test_nan_in_validation_and_predict(net, data):
    X = data[0].copy()
    X[0, 0] = np.nan
    with raises(E.DataError, "X_val contains NaN"):
        net.fit(data[0], data[1], validation_data=(X, data[1]))
    with raises(E.DataError, "NaN"):
        net.predict(X)


@pytest.mark.parametrize("X, y", [(np.empty((0, 4)), np.empty(0, int)), ([], []), (np.empty((5, 0)), [0] * 5)])
def test_empty_data(net, X, y):
    with raises(E.DataError, "empty", "at least one sample"):
        net.fit(X, y)


def test_length_mismatch(net, data):
    with raises(E.ShapeError, "12 samples", "y has 5", "one target per sample"):
        net.fit(data[0], data[1][:5])
    with raises(E.ShapeError, "y_val has 3"):
        net.fit(data[0], data[1], validation_data=(data[0], data[1][:3]))


def test_validation_data_must_be_a_pair(net, data):
    with raises(E.ConfigError, "validation_data must be a pair", "(X_val, y_val)"):
        net.fit(data[0], data[1], validation_data=data[0])


@pytest.mark.parametrize("kwargs, words", [
    ({"epochs": 0}, ["epochs must be a positive integer", "got 0", "epochs=10"]),
    ({"epochs": -3}, ["epochs", "-3"]),
    ({"epochs": 2.5}, ["epochs", "2.5"]),
    ({"batch_size": 0}, ["batch_size must be a positive integer", "batch_size=32"]),
    ({"batch_size": -1}, ["batch_size", "-1"]),
    ({"checkpoint_every": 0}, ["checkpoint_every", "got 0"]),
])
def test_non_positive_epochs_and_batch_size(net, data, kwargs, words):
    with raises(E.ConfigError, *words):
        net.fit(*data, **kwargs)


@pytest.mark.parametrize("make", [lambda: nnscratch.SGD(lr=0), lambda: nnscratch.Adam(lr=-1e-3),
                                  lambda: nnscratch.get_optimizer("momentum", lr=float("nan"))])
def test_non_positive_learning_rate(make):
    with raises(E.ConfigError, "lr", "positive"):
        make()


@pytest.mark.parametrize("build, words", [
    (lambda: Network.from_sizes(2, 3, 2, hidden="rellu"), ["activation", "'rellu'", "Did you mean 'relu'"]),
    (lambda: Network.from_sizes(2, 3, init="kaiming"), ["initializer", "'kaiming'", "glorot, he"]),
    (lambda: Network.from_sizes(2, 3, backend="jax"), ["backend", "'jax'", "numpy"]),
    (lambda: Network.from_sizes(2, 3, backend="numpy", dtype="float16"), ["dtype", "float32, float64"]),
    (lambda: nnscratch.get_optimizer("adamw"), ["optimizer", "'adamw'", "Did you mean 'adam'"]),
])
def test_unknown_names(build, words):
    with raises(E.ConfigError, "Unknown", *words):
        build()


def test_unknown_loss(net, data):
    with raises(E.ConfigError, "Unknown loss", "crossentropyy", "Did you mean 'cross_entropy'"):
        net.fit(*data, loss="crossentropyy")


# ---------------------------------------------------------------- backends
def test_array_from_another_backend(backend, data):
    net = Network.from_sizes(4, 8, 3, seed=0, backend=backend)
    other = "numpy" if backend.name != "numpy" else "array_api_strict"
    foreign = nnscratch.get_backend(other).asarray(data[0])
    if backend.name == "numpy":
        with raises(E.BackendMismatchError, "array_api_strict", "the model lives on numpy", "asarray"):
            net.predict(foreign)
    else:  # NumPy data is host data: moved for you
        assert net.predict(data[0]).shape == (12,)
    if backend.name == "array_api_strict" and backend.device_name is None:
        on_device1 = nnscratch.get_backend("array_api_strict:device1").asarray(data[0])
        with raises(E.BackendMismatchError, "array_api_strict:device1", "lives on array_api_strict"):
            net.fit(on_device1, data[1])


def test_torch_tensor_on_numpy_model(net, data):
    torch = pytest.importorskip("torch")
    with raises(E.BackendMismatchError, "X is an array of torch:cpu", "lives on numpy", "move it with"):
        net.fit(torch.as_tensor(data[0]), data[1])
    with pytest.raises(TypeError):  # also a TypeError, for code that catches the built-in
        net.predict(torch.as_tensor(data[0]))


# ---------------------------------------------------------------- model files
def test_model_file_missing(tmp_path):
    with raises(E.ModelNotFoundError, "No such model file", "check the path"):
        Network.load(tmp_path / "nope.npz")
    with pytest.raises(FileNotFoundError):
        Network.load(tmp_path / "nope.npz")


def test_model_file_truncated(net, tmp_path):
    path = net.save(tmp_path / "m.npz")
    blob = open(path, "rb").read()
    open(path, "wb").write(blob[: len(blob) // 2])
    with raises(E.ModelFileError, "not a readable nnscratch file", "truncated"):
        Network.load(path)


def test_not_an_nnscratch_file(tmp_path):
    text = tmp_path / "notes.npz"
    text.write_text("hello")
    with raises(E.ModelFileError, "is not an nnscratch file: it is not an .npz archive", "Network.save"):
        Network.load(text)
    plain = tmp_path / "plain.npz"
    np.savez(plain, x=np.ones(3))
    with raises(E.ModelFileError, "not a readable nnscratch file", "__header__"):
        Network.load(plain)
    npy = tmp_path / "array.npy"
    np.save(npy, np.ones(3))
    with raises(E.ModelFileError, "not an .npz archive"):
        Network.load(npy)


def _rewrite_header(path, change):
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    header = json.loads(bytes(arrays["__header__"]).decode())
    change(header)
    arrays["__header__"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    np.savez(path, **arrays)


def test_model_file_of_another_kind_or_newer_version(net, tmp_path):
    path = net.save(tmp_path / "m.npz")
    _rewrite_header(path, lambda h: h.update(format="somebody-else"))
    with raises(E.ModelFileError, "not an nnscratch model file", "somebody-else", "Network.save"):
        Network.load(path)
    with raises(E.ConfigError, "exists and is not an nnscratch model", "replaces a file only with one of the same kind"):
        net.save(path)  # a file of another program's is never replaced
    path = net.save(tmp_path / "m2.npz")
    _rewrite_header(path, lambda h: h.update(version=99))
    with raises(E.ModelFileError, "newer nnscratch", "version 99", "upgrade"):
        Network.load(path)


def test_model_file_arrays_do_not_match_config(net, tmp_path):
    path = net.save(tmp_path / "m.npz")
    _rewrite_header(path, lambda h: (h["config"]["layers"][0].update(n_out=9),
                                     h["config"]["layers"][2].update(n_in=9)))
    with raises(E.ModelFileError, "do not match", "0.weight", "(4, 9)", "damaged"):
        Network.load(path)
    path = net.save(tmp_path / "m.npz")
    with zipfile.ZipFile(path) as z:
        kept = {n: z.read(n) for n in z.namelist() if "2.bias" not in n}
    with zipfile.ZipFile(path, "w") as z:
        for name, blob in kept.items():
            z.writestr(name, blob)
    with raises(E.ModelFileError, "2.bias"):
        Network.load(path)


# ---------------------------------------------------------------- data files
def test_idx_and_csv_errors_are_in_the_hierarchy(tmp_path):
    from nnscratch.datasets import load_digits_csv, read_idx
    bad = tmp_path / "x.idx"
    bad.write_bytes(b"\x01\x02\x03\x04" + b"\x00" * 8)
    with pytest.raises(E.DataFormatError) as info:
        read_idx(bad)
    assert "magic" in str(info.value) and isinstance(info.value, (E.NNScratchError, ValueError))
    short = tmp_path / "short.idx"
    short.write_bytes(b"\x00\x00\x08\x01" + (100).to_bytes(4, "big") + b"\x00" * 10)
    with pytest.raises(E.DataFormatError, match="100"):
        read_idx(short)
    csv = tmp_path / "digits.csv"
    csv.write_text("label,p0\n1,abc\n")
    with pytest.raises(E.DataFormatError):
        load_digits_csv(csv)
    with pytest.raises(E.DatasetNotFoundError):
        load_digits_csv(tmp_path / "missing.csv")
