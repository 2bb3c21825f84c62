"""User data read into NumPy: arrays, lists and tables (pandas or polars, with no dependency on
either; pandas' nullable columns too), or one clear error for data that holds no numbers.
The host side of :mod:`nnscratch.validation`'s checks."""

import numpy as np

from .errors import DataError


def to_host(data, name):
    """``data`` (an array, a list, a pandas or polars table) as a NumPy array of numbers, or one
    DataError naming ``name`` and the fix."""
    refuse_sparse(data, name)
    if hasattr(data, "to_numpy") and not hasattr(data, "__array__"):
        data = data.to_numpy()  # table types (pandas, polars ...) without pandas as a dependency
    try:
        host = np.asarray(data)
        if host.dtype == object and (numbers := _nullable_dtype(data)) is not None:
            host = _nullable_to_numpy(data, numbers)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must be a numeric array; could not convert it ({exc}). "
                        f"Pass a NumPy array of numbers.") from None
    if host.dtype.kind not in "biuf":
        raise not_numbers(name, host.dtype, text=host.dtype.kind in "USO")
    return host


def refuse_sparse(data, name):
    """A DataError for a sparse matrix (SciPy's) or tensor (torch's): nnscratch's layers take dense arrays."""
    if hasattr(data, "toarray") and hasattr(data, "nnz"):
        raise DataError(f"{name} is a sparse matrix ({type(data).__name__}); nnscratch trains on dense arrays: "
                        f"pass {name}.toarray().")
    layout = getattr(data, "layout", None)
    if layout is not None and "sparse" in str(layout):
        raise DataError(f"{name} is a sparse tensor ({layout}); nnscratch trains on dense arrays: "
                        f"pass {name}.to_dense().")


def not_numbers(name, dtype, text=False, device=False):
    """The DataError for ``name`` holding ``dtype`` (text, complex, objects: no real numbers), with the fix
    (``device``: an array of a backend, a complex one: it has no ``astype``)."""
    fix = (f"number the classes first: names, {name} = np.unique({name}, return_inverse=True) (or use "
           "nnscratch.sklearn.MLPClassifier, which takes labels of any kind)") if text and name.startswith("y") \
        else f"convert it to real numbers first: abs({name}), or its real part" if device \
        else f"convert it first, e.g. {name}.astype('float32')"
    return DataError(f"{name} must hold numbers (int or float); got an array of dtype {dtype}; {fix}.")


def _nullable_dtype(table):
    """The NumPy dtype of a table whose columns are numbers, pandas' nullable ones (Int64, Float32,
    boolean) among them, which ``np.asarray`` makes objects of; else None."""
    dtypes = getattr(table, "dtypes", None)
    if dtypes is None or not hasattr(table, "to_numpy"):
        return None
    if not hasattr(dtypes, "__iter__"):  # a Series: one dtype
        dtypes = [dtypes]
    numpy = [getattr(d, "numpy_dtype", d) for d in dtypes]
    if not numpy or not all(isinstance(d, np.dtype) and d.kind in "biuf" for d in numpy):
        return None
    return np.result_type(*numpy)


def _nullable_to_numpy(table, dtype):
    """``table`` as a NumPy array of ``dtype``; missing values (pd.NA) become NaN in float64,
    which the finite check then refuses with its own message."""
    try:
        return table.to_numpy(dtype=dtype)
    except (TypeError, ValueError):  # pd.NA has no integer or float32 value
        return table.to_numpy(dtype=np.float64, na_value=np.nan)


def zero_one_rows(y):
    """What a matrix ``y`` (any backend's array, or a host sequence) of two columns or more, holding only
    0s and 1s (floats, ints or bools), says of its rows: "one-hot" where each holds one 1 (class labels
    written one-hot, as Nielsen's book trains 784-30-10 sigmoids), "multi-hot" where some row holds no 1
    or several (scikit-learn's multilabel indicator rows); None for any other ``y``."""
    import array_api_compat
    if not array_api_compat.is_array_api_obj(y):
        try:
            y = np.asarray(y)
        except (TypeError, ValueError):
            return None
    xp = array_api_compat.array_namespace(y)
    if y.ndim != 2 or y.shape[1] < 2 or not xp.isdtype(y.dtype, ("real floating", "integral", "bool")):
        return None
    y = xp.astype(y, xp.int32) if xp.isdtype(y.dtype, "bool") else y
    ones, zeros = xp.sum(xp.astype(y == 1, xp.int32), axis=1), xp.sum(xp.astype(y == 0, xp.int32), axis=1)
    if not bool(xp.all(ones + zeros == y.shape[1])):
        return None
    return "one-hot" if bool(xp.all(ones == 1)) else "multi-hot"
