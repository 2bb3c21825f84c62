"""What a Keras, PyTorch or scikit-learn user types first: options spelled their way,
label columns, ``shuffle="batch"``. Each works, or says in one line what nnscratch calls it."""

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import errors as E


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(24, 4)).astype(np.float32), np.arange(24) % 3


def raises(cls, *words):
    """``pytest.raises(cls)`` whose message holds every word (case-insensitive) on one line."""
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
            return handled
    return _Check()


def figures(history):
    """A History's figures without the timings, which differ run to run."""
    return {k: v for k, v in history.history.items() if k != "seconds"}


# ---------------------------------------------------------------- shuffle
@pytest.mark.parametrize("value", ["batch", "True", 1, 0, None])
def test_shuffle_takes_only_a_bool(data, value):
    net = nn.Network.from_sizes(4, 8, 3, seed=0, backend="numpy")
    words = ("shuffle must be True or False", repr(value), "shuffle=False")
    with raises(E.ConfigError, *words + (("no Keras-style 'batch' mode",) if value == "batch" else ())):
        net.fit(*data, shuffle=value)
    assert net.optimizer is None  # refused before anything was set up


def test_shuffle_accepts_numpy_bools(data):
    runs = [nn.Network.from_sizes(4, 8, 3, seed=0, backend="numpy").fit(*data, epochs=2, batch_size=4, shuffle=flag).history["loss"]
            for flag in (True, np.bool_(True), False, np.bool_(False))]
    assert runs[0] == runs[1] and runs[2] == runs[3] and runs[0] != runs[2]


# ---------------------------------------------------------------- label columns (n, 1)
@pytest.mark.parametrize("spec", ["numpy", "array_api_strict"])
def test_integer_label_column_trains_as_labels(data, spec):
    X, y = data
    column = y.reshape(-1, 1)
    kept = column.copy()
    runs = []
    for labels in (y, column):
        net = nn.Network.from_sizes(4, 8, 3, seed=0, backend=spec)
        history = figures(net.fit(X, labels, epochs=2, validation_data=(X[:6], labels[:6])))
        runs.append((history, net.evaluate(X, labels), net.compute_gradients(X, labels)[0], net.task))
    assert runs[0] == runs[1]
    assert runs[1][3] == "multiclass" and "val_accuracy" in runs[1][0]
    assert column.shape == (24, 1) and np.array_equal(column, kept)  # the caller's array is untouched


def test_whole_number_float_column_reads_as_labels_fractions_are_refused(data):
    X, y = data
    net = nn.Network.from_sizes(4, 8, 3, seed=0, backend="numpy")
    as_floats = net.fit(X, y.reshape(-1, 1).astype(np.float64), epochs=1).history["loss"]
    assert as_floats == nn.Network.from_sizes(4, 8, 3, seed=0, backend="numpy").fit(X, y).history["loss"]
    with raises(E.ShapeError, "shape (24, 1) of fractional values", "3 outputs", "(24,)"):
        net.fit(X, y.reshape(-1, 1) + 0.5)


def test_one_sigmoid_output_takes_a_label_column_as_before(data):
    X, y = data
    binary = (y == 1).astype(np.int64)
    runs = []
    for targets in (binary, binary.reshape(-1, 1), binary.reshape(-1, 1).astype(np.float32)):
        net = nn.Network.from_sizes(4, 8, 1, seed=0, backend="numpy")  # one Sigmoid output
        runs.append((figures(net.fit(X, targets, epochs=2)), net.evaluate(X, targets), net.task))
    assert runs[0] == runs[1] == runs[2]
    assert runs[1][2] == "binary" and "accuracy" in runs[1][0]
    with raises(E.DataError, "labels from 0 to 2", "1 unit (labels 0 or 1)"):
        nn.Network.from_sizes(4, 8, 1, seed=0, backend="numpy").fit(X, y.reshape(-1, 1))


def test_one_identity_output_keeps_a_column_as_regression_targets(data):
    X, y = data
    for targets in (y.reshape(-1, 1).astype(np.float32) * 0.5, y.reshape(-1, 1)):
        net = nn.Network.from_sizes(4, 8, 1, output=None, seed=0, backend="numpy")
        history = net.fit(X, targets, epochs=1, loss="mse").history
        assert net.task == "regression" and "accuracy" not in history
        assert net.predict(X).shape == (24, 1)
