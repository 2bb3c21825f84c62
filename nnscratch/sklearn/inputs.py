"""``X`` an estimator cannot take, refused in one line that says what to pass instead (and, refused, the
estimator left as it was: :func:`kept_if_refused`).

scikit-learn's ``validate_data`` raises the error types its users expect (a ValueError for each of
these), but some of its messages run over several lines: a 1-D ``X`` prints the whole array before
the fix, complex data prints it after, NaN adds a paragraph on other estimators, and an image batch
``(n, C, H, W)`` says only that 2 dimensions are the most it takes. :func:`one_line` keeps each
message's first words (which scikit-learn's own estimator checks match) and puts the fix on the
same line, as it does for infinity and text, whose one-line messages say what but not how.
"""

from contextlib import contextmanager

import numpy as np
from array_api_compat import is_array_api_obj
from scipy import sparse
from sklearn import get_config


@contextmanager
def kept_if_refused(estimator):
    """``estimator``'s attributes as they were, put back if the block raises. A fit refused on its ``y`` or
    ``sample_weight`` after ``validate_data`` and the classes were set left the classes and column count of
    the refused data beside the weights of the model before it (predict then failed on "output_type='binary',
    but y.shape = (3, 3)"); one refused at its early-stopping split left fresh random weights that predicted;
    a first partial_fit refused on its labels left ``classes_`` for the next call to be compared with. The
    attributes are put back as objects (the block replaces them, and changes none in place)."""
    kept = dict(estimator.__dict__)
    try:
        yield
    except BaseException:
        estimator.__dict__.clear()
        estimator.__dict__.update(kept)
        raise


def refuse_sparse(estimator, X):
    """scipy.sparse ``X`` (the network trains on dense arrays): one line with the fixes, also the
    one for a Pipeline, whose sparse step (OneHotEncoder, ColumnTransformer) the user cannot ``.toarray()``."""
    if sparse.issparse(X):
        raise TypeError(f"{type(estimator).__name__} takes dense X, got a scipy.sparse {type(X).__name__} of shape "
                        f"{X.shape}; pass X.toarray(), or in a Pipeline make the step before it dense "
                        "(OneHotEncoder(sparse_output=False), ColumnTransformer(sparse_threshold=0)).")


def refuse_dispatched(estimator, **arrays):
    """Arrays of another array library (torch, array-api-strict, CuPy) while scikit-learn's
    ``array_api_dispatch`` is on: one line with the fixes. There scikit-learn's ``validate_data`` asks
    their library for a NumPy dtype and fails ("asarray(): argument 'dtype' must be torch.dtype, not
    type"), as it does for every estimator without array API support; with dispatch off, NumPy converts
    arrays on the CPU itself. The estimator picks its own device with ``backend=``."""
    if not get_config().get("array_api_dispatch"):
        return
    for name, a in arrays.items():
        if is_array_api_obj(a) and not isinstance(a, (np.ndarray, np.generic)):
            kind = f"{type(a).__module__.split('.')[0]}.{type(a).__name__}"
            raise TypeError(f"{type(estimator).__name__} takes NumPy arrays, got {name} of type {kind} while "
                            "scikit-learn's array_api_dispatch is on (the estimator trains where its backend= "
                            f"says, from NumPy data); pass {name} as a NumPy array ({name}.cpu().numpy() for a "
                            "torch tensor), or turn dispatch off (sklearn.set_config(array_api_dispatch=False)).")


def one_line(message, X, y=None, name="The estimator"):
    """``message``, a ValueError of ``validate_data`` for ``X`` (and ``y``), as one line with the fix; None
    where it is one line already, or is scikit-learn's list of feature names (its checks match the lines)."""
    first = message.split("\n", 1)[0].strip()
    if first.startswith("Expected 2D array, got 1D array"):
        return (f"Expected 2D array, got 1D array of shape {np.shape(X)} instead. Reshape your data either using "
                "X.reshape(-1, 1) if your data has a single feature or X.reshape(1, -1) if it contains a single "
                "sample.")
    if first.startswith("Expected 2D array, got scalar array"):
        return (f"Expected 2D array, got scalar array instead (X={X!r}). Reshape your data: X of shape "
                "(n_samples, n_features), e.g. [[x]] for one sample of one feature.")
    if first.startswith("Found array with dim ") and "while dim <= 2 is required" in first:
        return (f"{first} X has shape {np.shape(X)}: pass one row of features per sample, e.g. images flattened "
                "with X.reshape(len(X), -1) (a convolutional nnscratch.Network takes them as they are).")
    if first.startswith("Complex data not supported"):
        which = "X" if np.iscomplexobj(X) else "y"
        dtype = np.asarray(X if which == "X" else y).dtype
        return f"Complex data not supported: {which} has dtype {dtype}; pass real numbers, e.g. {which}.real."
    if first.startswith("Input X contains NaN"):
        return (f"{first} {name} does not accept missing values encoded as NaN: impute them first (e.g. "
                "sklearn.impute.SimpleImputer in a Pipeline, https://scikit-learn.org/stable/modules/impute.html) "
                "or drop the samples with missing values.")
    if first.startswith("could not convert string to float"):
        if not _holds_text(X):
            return f"{first}: y holds text, but {name} predicts numbers; pass numeric targets (MLPClassifier learns labels)."
        columns = list(X.select_dtypes(exclude=["number", "bool"]).columns) if hasattr(X, "select_dtypes") else []
        where = f"X has text in the columns {columns}" if columns else "X holds text"
        return (f"{first}: {where}; encode it first, e.g. OneHotEncoder(sparse_output=False) in a ColumnTransformer, "
                "or pass numbers.")
    if first.startswith("Input X contains infinity"):
        return f"{first} Replace them with finite values (e.g. np.clip) or drop the samples that hold them."
    if first.startswith(("Input y contains NaN", "Input y contains infinity")):
        return f"{first} Drop the samples without a finite target, or fill their targets in."
    if "\n" not in message.strip() or first.startswith("The feature names should match"):
        return None
    return " ".join(line.strip() for line in message.splitlines() if line.strip())


def _holds_text(X):
    """Whether NumPy cannot read ``X`` as numbers (text in it), on the error path only."""
    try:
        np.asarray(X, dtype=float)
    except (TypeError, ValueError):
        return True
    return False
