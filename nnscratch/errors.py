"""The errors nnscratch raises for things a user can cause.

Every message says what was expected, what was received, and how to fix it.
Each class also derives from the built-in exception that fits, so code that
catches ``ValueError`` or ``OSError`` keeps working.
"""

import difflib


class NNScratchError(Exception):
    """Base of every error nnscratch raises on purpose."""


class UsageError(Exception):
    """A command-line mistake (an unknown option, a bad value): printed as one line, exit status 2."""


def exit_status(exc: BaseException | None) -> int:
    """The command line's exit status for ``exc``, alone and under ``mpiexec``: 2 for a user's mistake (an
    error of this module, a :class:`UsageError`, an ``OSError`` such as a missing file, an ``ImportError``: a
    package not installed), 1 for anything else: a crash, a bug nnscratch did not foresee (a bare
    ``ValueError``, ``KeyError`` ...)."""
    return 2 if isinstance(exc, (NNScratchError, UsageError, OSError, ImportError)) else 1


class ConfigError(NNScratchError, ValueError):
    """An unknown name or an invalid option (activation, loss, lr, epochs...)."""


class DataError(NNScratchError, ValueError):
    """Inputs or targets that cannot be used: wrong shape, NaN, empty..."""


class ShapeError(DataError):
    """Arrays whose shapes do not fit the network or each other."""


class BackendUnavailableError(NNScratchError, RuntimeError):
    """A backend that is not installed or cannot run on this machine."""


class BackendMismatchError(NNScratchError, TypeError):
    """An array from another library or device than the model's."""


class ModelFileError(NNScratchError, ValueError):
    """A model or checkpoint file that is not a valid nnscratch file."""


class ModelNotFoundError(NNScratchError, FileNotFoundError):
    """A model or checkpoint path that does not exist."""


class DatasetNotFoundError(NNScratchError, FileNotFoundError):
    """A dataset that is neither on disk nor downloadable."""


class DataFormatError(NNScratchError, ValueError):
    """A data file (IDX, CSV, image) whose contents are malformed."""


class DivergenceError(NNScratchError, FloatingPointError):
    """Training produced NaN or infinity."""


class DataWarning(UserWarning):
    """Data that trains, but probably not as meant (unscaled integers, a tiny split...)."""


class UndefinedMetricWarning(DataWarning):
    """A score the data cannot define, returned as NaN: R^2 of fewer than two samples (scikit-learn's
    ``sklearn.exceptions.UndefinedMetricWarning``, with its words). Silence it alone with
    ``warnings.simplefilter("ignore", nnscratch.errors.UndefinedMetricWarning)``."""


def closest(word, candidates):
    """The candidate closest to a mistyped ``word`` (difflib, ratio 0.6 or more), or None: every
    "did you mean" of the library and the command line asks this."""
    close = difflib.get_close_matches(str(word), [str(c) for c in candidates], n=1, cutoff=0.6)
    return close[0] if close else None


def unknown_name(kind, name, choices):
    """A ConfigError for an unknown ``name`` among ``choices``, with a "did you mean"."""
    options = ", ".join(sorted(str(c) for c in choices))
    close = closest(str(name).lower(), choices)
    hint = f" Did you mean {close!r}?" if close else ""
    return ConfigError(f"Unknown {kind} {name!r}; expected one of: {options}.{hint}")


__all__ = ["BackendMismatchError", "BackendUnavailableError", "ConfigError", "DataError", "DataFormatError",
           "DataWarning", "DatasetNotFoundError", "DivergenceError", "ModelFileError", "ModelNotFoundError",
           "NNScratchError", "ShapeError", "UndefinedMetricWarning"]
