"""What a Keras, PyTorch or scikit-learn user types first: options spelled their way,
label columns, ``shuffle="batch"``. Each works, or says in one line what nnscratch calls it."""

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import errors as E
from test_validation import raises  # one line, every word, an NNScratchError


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(24, 4)).astype(np.float32), np.arange(24) % 3


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


# ---------------------------------------------------------------- options spelled the Keras / PyTorch way
def _fit(**options):
    rng = np.random.default_rng(0)
    return nn.Network.from_sizes(4, 3, seed=0, backend="numpy").fit(rng.random((6, 4)), np.arange(6) % 3, **options)


FOREIGN = [
    (lambda: nn.Adam(betas=(0.9, 0.999)), ("Adam()", "'betas'", "beta1=0.9, beta2=0.999")),
    (lambda: nn.get_optimizer("adam", beta_1=0.8), ("Adam()", "beta1=")),
    (lambda: nn.Adam(epsilon=1e-7), ("eps=",)),
    (lambda: nn.SGD(learning_rate=0.1, momentum=0.9), ("SGD()", "lr=")),
    (lambda: nn.RMSProp(alpha=0.99), ("RMSProp()", "rho=")),
    (lambda: nn.get_optimizer("sgd", clipnorm=1.0), ("clip_norm=1.0",)),
    (lambda: nn.EarlyStopping(restore_best_weights=True), ("EarlyStopping()", "restore_best=")),
    (lambda: nn.ReduceLROnPlateau(mode="min"), ("ReduceLROnPlateau()", "direction from monitor")),
    (lambda: nn.Cosine(0.1, T_max=100), ("Cosine()", "total=")),
    (lambda: nn.Network.from_sizes(4, 3, random_state=0), ("Network()", "seed=")),
    (lambda: _fit(nb_epoch=2), ("fit()", "'nb_epoch'", "epochs=")),
    (lambda: _fit(restore_best_weights=True), ("fit()", "restore_best=")),
    (lambda: _fit(lr=0.1), ("fit()", "optimizer=nn.Adam(lr=")),
    (lambda: _fit(epoch=2), ("fit()", "did you mean epochs=?")),          # a typo: the closest option
    (lambda: _fit(frobnicate=2), ("fit()", "its options are", "validation_split")),
    (lambda: nn.Network.from_sizes(4, 3, seed=0).predict(np.ones((2, 4)), verbose=0), ("predict()", "drop verbose=")),
]


@pytest.mark.parametrize("call, words", FOREIGN, ids=[w[-1] for _, w in FOREIGN])
def test_a_foreign_option_name_says_what_nnscratch_calls_it(call, words):
    with raises(E.ConfigError, "unexpected keyword argument", *words) as info:
        call()
    assert isinstance(info.value, TypeError)  # still what Python raises for an unknown keyword


def test_schedules_by_name_pass_the_hint_on():
    from nnscratch.optim.schedules import get_schedule
    with raises(E.ConfigError, "Cosine()", "'eta_min'", "min_lr="):
        get_schedule("cosine", lr=0.1, total=10, eta_min=0.0)


def test_the_names_nnscratch_uses_still_work():
    sgd = nn.SGD(0.1, momentum=0.9, nesterov=True, weight_decay=1e-4)
    assert (sgd.lr, sgd.momentum, sgd.nesterov, sgd.weight_decay) == (0.1, 0.9, True, 1e-4)
    assert nn.Adam(lr=0.01, beta1=0.8, beta2=0.99, eps=1e-7).get_config()["beta1"] == 0.8
    assert nn.EarlyStopping(patience=2, restore_best=True).restore_best
    assert len(_fit(epochs=2, verbose=False).history["loss"]) == 2


# ---------------------------------------------------------------- fit(validation_split=...)
@pytest.mark.parametrize("spec", ["numpy", "array_api_strict"])
def test_validation_split_holds_out_the_last_rows_as_keras_does(data, spec):
    X, y = data
    kept = X.copy(), y.copy()
    if spec != "numpy":
        X = nn.get_backend(spec).asarray(X)
    split = nn.Network.from_sizes(4, 8, 3, seed=0, backend=spec).fit(X, y, epochs=2, batch_size=4,
                                                                    validation_split=0.25)
    held = nn.Network.from_sizes(4, 8, 3, seed=0, backend=spec).fit(X[:18, ...], y[:18], epochs=2, batch_size=4,
                                                                   validation_data=(X[18:, ...], y[18:]))
    assert figures(split) == figures(held) and "val_loss" in figures(split)  # floor(24 * 0.75) = 18 rows train
    assert np.array_equal(kept[0], np.asarray(X)) and np.array_equal(kept[1], y)


def test_validation_split_refuses_what_it_cannot_do(data):
    X, y = data
    net = nn.Network.from_sizes(4, 8, 3, seed=0, backend="numpy")
    with raises(E.ConfigError, "validation_data=(X_val, y_val) or validation_split=, not both"):
        net.fit(X, y, validation_split=0.2, validation_data=(X, y))
    for bad in (1.0, -0.1, "0.1", float("nan")):  # 0, Keras's default, holds nothing out
        with raises(E.ConfigError, "validation_split must be a fraction from 0 (none held out) to below 1"):
            net.fit(X, y, validation_split=bad)
    assert "val_loss" in net.fit(X, y, validation_split=0.01).history  # floor(24 * 0.99) = 23: one row validates
    with raises(E.DataError, "leaves 0 for training and 1"):
        net.fit(X[:1], y[:1], validation_split=0.5)
    with raises(E.ShapeError, "X has 24 samples but y has 23"):
        net.fit(X, y[:23], validation_split=0.5)


def test_validation_split_takes_the_last_rows_of_a_table_by_position(data):
    pd = pytest.importorskip("pandas")
    X, y = data
    index = np.arange(100, 124)  # labels that are not positions
    run = lambda X, y: figures(nn.Network.from_sizes(4, 8, 3, seed=0, backend="numpy").fit(  # noqa: E731
        X, y, epochs=1, batch_size=4, validation_split=0.25))
    assert run(pd.DataFrame(X, index=index), pd.Series(y, index=index)) == run(X, y)
