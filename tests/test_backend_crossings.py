"""Where the array backends meet the rest of nnscratch: data of one library given to a model of
another, a model trained on one backend and used on another."""

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
    with pytest.raises(DataError, match="X must hold numbers"):
        net.predict(pd.DataFrame({"a": ["x", "y"], "b": [1.0, 2.0]}))
