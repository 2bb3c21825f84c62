"""Where the array backends meet the rest of nnscratch: data of one library given to a model of
another, a model trained on one backend and used on another."""

import warnings

import numpy as np
import pytest

import nnscratch as nn
from nnscratch.errors import DataError


def _spirals(n=64):
    X, y = nn.datasets.spirals(n_per_class=n // 3 + 1, seed=0)
    return X[:n].astype("float32"), y[:n]


def test_pandas_nullable_columns_are_numbers_on_every_backend(backend):
    """A DataFrame of pandas' nullable dtypes (Float32, Int64, boolean: what ``convert_dtypes()`` and
    ``read_csv(dtype_backend="numpy_nullable")`` give) trains as its NumPy values do; np.asarray
    alone makes objects of them."""
    pd = pytest.importorskip("pandas")
    X, y = _spirals()
    a = nn.Network.from_sizes(2, 8, 3, seed=0, backend=backend)
    b = nn.Network.from_sizes(2, 8, 3, seed=0, backend=backend)
    a.fit(X, y, epochs=1, batch_size=16)
    b.fit(pd.DataFrame(X).astype("Float32"), pd.DataFrame({"y": y}).astype("Int64"), epochs=1, batch_size=16)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    mixed = pd.DataFrame({"x0": pd.array(X[:, 0], dtype="Float64"), "x1": X[:, 1]})
    np.testing.assert_array_equal(a.backend.to_numpy(a.predict(mixed)), a.backend.to_numpy(a.predict(X)))
    assert a.evaluate(pd.DataFrame(X).convert_dtypes(), pd.Series(y, dtype="Int64")) == a.evaluate(X, y)


def test_pandas_missing_values_are_one_clear_error():
    pd = pytest.importorskip("pandas")
    X, _ = _spirals()
    net = nn.Network.from_sizes(2, 8, 3, seed=0, backend="numpy")
    for frame in (pd.DataFrame(X).astype("Float32"), pd.DataFrame({"a": [1, 2, 3], "b": [0, 1, 0]}).astype("Int64")):
        frame.iloc[1, 1] = pd.NA
        with pytest.raises(DataError, match="X contains NaN"):
            net.predict(frame)
    with pytest.raises(DataError, match="X contains NaN"):
        net.predict(pd.DataFrame({"a": [1.0, 2.0], "b": [0.0, 1.0]}).assign(b=pd.Series([True, None], dtype="boolean")))
    with pytest.raises(DataError, match="X must hold numbers"):
        net.predict(pd.DataFrame({"a": ["x", "y"], "b": [1.0, 2.0]}))


def test_sklearn_float64_data_trains_in_float32_on_a_device_without_float64():
    """scikit-learn's data is float64; on a device without it (torch:mps; here array-api-strict's
    no_float64) the estimator computes in float32, as scikit-learn's array API support does,
    instead of asking for a dtype= it does not take. Also after set_params(backend=...)."""
    pytest.importorskip("sklearn")
    from nnscratch.sklearn import MLPClassifier, MLPRegressor
    X, y = _spirals(48)
    X64 = X.astype(np.float64)
    options = dict(hidden_layer_sizes=(6,), max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter reached
        ref = MLPClassifier(**options).fit(X, y)  # float32 data on the host
        clf = MLPClassifier(**options, backend="array_api_strict:no_float64").fit(X64, y)
        reg = MLPRegressor(**options, backend="array_api_strict:no_float64").fit(X64, X64[:, 0])
        moved = MLPClassifier(**options, backend="numpy").fit(X64, y)
    assert clf.coefs_[0].dtype == np.float32
    np.testing.assert_array_equal(clf.predict_proba(X64), ref.predict_proba(X))
    assert reg.predict(X64).shape == (48,)
    expected = moved.predict_proba(X64)
    moved.set_params(backend="array_api_strict:no_float64")
    np.testing.assert_allclose(moved.predict_proba(X64), expected, rtol=1e-5, atol=1e-6)
    assert moved.partial_fit(X64, y).coefs_[0].dtype == np.float32


def test_cli_resume_keeps_the_checkpoint_dtype_on_another_backend(tmp_path, capsys):
    """`train --dtype float64 --checkpoint C`, then `train --resume C` on another backend without
    --dtype goes on in float64 (as evaluate/predict/plot keep a model's dtype) and ends where the
    uninterrupted run ends; a backend without float64 goes on in float32; --dtype given wins."""
    from nnscratch import cli
    common = ["train", "--dataset", "spirals", "--layers", "2,8,3", "--validation", "0", "--quiet"]

    def train(*argv):
        assert cli.main([*common, *map(str, argv)]) == 0, capsys.readouterr().err
        return nn.Network.load(argv[argv.index("--out") + 1])

    whole = train("--epochs", "4", "--dtype", "float64", "--backend", "numpy", "--out", tmp_path / "whole.npz")
    assert cli.main([*common, "--epochs", "2", "--dtype", "float64", "--backend", "numpy", "--no-save",
                     "--checkpoint", str(tmp_path / "half.ckpt")]) == 0
    for backend, out, dtype in (("array_api_strict", "strict.npz", "float64"),
                                ("array_api_strict:no_float64", "no64.npz", "float32")):
        ckpt = tmp_path / f"{out}.ckpt"
        ckpt.write_bytes((tmp_path / "half.ckpt").read_bytes())
        resumed = train("--epochs", "4", "--resume", ckpt, "--backend", backend, "--out", tmp_path / out)
        assert resumed.backend.dtype_name == dtype
        for a, b in zip(whole.get_weights(), resumed.get_weights()):
            np.testing.assert_allclose(b, a, rtol=1e-12 if dtype == "float64" else 1e-4, atol=1e-12 if dtype ==
                                       "float64" else 1e-5)
    ckpt = tmp_path / "f32.ckpt"
    ckpt.write_bytes((tmp_path / "half.ckpt").read_bytes())
    given = train("--epochs", "4", "--resume", ckpt, "--dtype", "float32", "--backend", "numpy",
                  "--out", tmp_path / "f32.npz")
    assert given.backend.dtype_name == "float32"


def test_cli_float64_on_a_backend_without_it_says_the_option(capsys):
    from nnscratch import cli
    status = cli.main(["train", "--dataset", "xor", "--epochs", "1", "--no-save", "--backend",
                       "array_api_strict:no_float64", "--dtype", "float64"])
    err = capsys.readouterr().err.strip()
    assert status == 2 and len(err.splitlines()) == 1 and "--dtype float32" in err, err


def test_a_copy_on_another_backend_shares_no_metadata(backend):
    """``to()`` (and get_config / from_config) copy the metadata: editing the copy's class names or
    dataset facts leaves the original's as they were."""
    metadata = {"classes": ["a", "b", "c"], "dataset": {"name": "spirals"}}
    net = nn.Network.from_sizes(2, 4, 3, seed=0, backend="numpy", metadata=metadata)
    for copy in (net.to(backend), nn.Network.from_config(net.get_config(), backend=backend)):
        copy.metadata["classes"].append("d")
        copy.metadata["dataset"]["name"] = "changed"
        assert net.metadata == metadata == {"classes": ["a", "b", "c"], "dataset": {"name": "spirals"}}


def test_set_buffers_takes_arrays_of_any_backend_as_set_weights_does(backend):
    """``set_buffers`` copies its arrays as ``set_weights`` does: a device array that refuses host
    conversion (array-api-strict's device1, as CuPy's), a torch tensor that requires grad."""
    from nnscratch.layers import BatchNorm, Dense, ReLU, Softmax
    X, y = _spirals()
    layers = lambda: [Dense(2, 4), BatchNorm(4), ReLU(), Dense(4, 3), Softmax()]  # noqa: E731
    source = nn.Network(layers(), seed=0, backend="array_api_strict:device1")
    source.fit(X, y, epochs=1, batch_size=16)
    target = nn.Network(layers(), seed=1, backend=backend)
    target.set_weights([p.value for p in source.parameters()])
    target.set_buffers({b.name: b.value for b in source.buffers()})
    for name, value in source.get_buffers().items():
        np.testing.assert_array_equal(target.get_buffers()[name], value)
    torch = pytest.importorskip("torch")
    tracked = {b.name: torch.ones(4, requires_grad=True) for b in source.buffers()}
    target.set_buffers(tracked)
    assert all((v == 1).all() for v in target.get_buffers().values())


def test_a_missing_class_label_is_the_nan_error_on_every_backend(backend):
    """A NaN among class labels (a pandas Int64 column with NA) says so, not 'fractional values'."""
    pd = pytest.importorskip("pandas")
    X, y = _spirals(8)
    net = nn.Network.from_sizes(2, 4, 3, seed=0, backend=backend)
    labels = pd.Series(y, dtype="Int64")
    labels.iloc[2] = pd.NA
    for given in (labels, np.where(np.arange(8) == 2, np.nan, y)):
        with pytest.raises(DataError, match="y contains NaN"):
            net.fit(X, given, epochs=1)
