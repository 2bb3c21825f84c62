"""Reading a model file for a command (evaluate, predict, plot, export): one path for all of them.

:func:`read_model` says, in the command line's words, what a file is when it is no model (a folder,
a checkpoint, a training history, a NumPy archive of data, no archive at all), lets the library's own
message through where it says more (an ONNX export, a damaged archive), and reads metadata of one's
own under a key the command line keeps as absent (:func:`set_aside_metadata_of_ones_own`).
Commands shown for the user to paste quote their paths (:func:`shlex.quote`).
"""

import pathlib
import shlex
import sys

# The metadata keys `nnscratch train` writes and the commands read: the kind of value it keeps there.
KEPT_METADATA = {"dataset": (dict, "a dict (spec, seed, class names)"), "target": (str, "a column name"),
                 "features": ((list, tuple), "a list of column names"), "task": (str, "a task name"),
                 "training": (dict, "a dict (validation, augment, elastic, plateau, class_weight)")}


def read_model(path, backend=None, dtype=None, command=None):
    """The network saved at ``path`` (:meth:`Network.load`); a file that is no model is refused in one line
    (:func:`refuse_no_model`; data by its suffix, in the words of ``command``: :func:`refuse_data`), and odd
    metadata is set aside with one warning line."""
    from ..models.network import Network
    from .options import check_backend
    if command is not None and pathlib.Path(path).is_file():
        refuse_data(path, command)
    refuse_no_model(path)
    check_backend(backend)  # first: a mistyped $NNSCRATCH_BACKEND is not a damaged model file
    net = Network.load(path, backend=backend, dtype=dtype)
    set_aside_metadata_of_ones_own(net, path)
    return net


WHAT_EACH_TAKES = {
    "evaluate": "evaluate scores a model file (.npz, from `nnscratch train --out`) on a dataset",
    "predict": "predict takes a model file (.npz, from `nnscratch train --out`) first, then the inputs",
    "plot": "plot draws a model file (.npz, from `nnscratch train --out`) or a training history (.json, from "
            "`nnscratch train --history`)",
    "export": "export converts a model file (.npz, from `nnscratch train --out`) to ONNX",
}


def data_kind(path):
    """What a data file is, as a message says it: ``an image file``, ``a CSV table``, ``a NumPy array``; None for
    another file (by its suffix)."""
    from ..datasets.images import IMAGE_SUFFIXES
    suffix = pathlib.Path(path).suffix.lower()
    return ("an image file" if suffix in IMAGE_SUFFIXES else "a CSV table" if suffix in (".csv", ".tsv")
            else "a NumPy array (.npy)" if suffix == ".npy" else None)


def refuse_data(path, command):
    """`nnscratch evaluate data.csv`, `predict digit.png`, `plot a.png`: data given where the model goes, said
    as what it is (an image, a table, an array), what the command takes there, and the command to run."""
    from ..errors import ConfigError
    from ..saving.kinds import npz_header
    given = data_kind(path)
    if given is None or npz_header(path):
        return
    q, image = shlex.quote(path), given == "an image file"
    dataset = shlex.quote(f"csv:{path}" if given == "a CSV table" else f"npy:{path},y.npy")
    ask = f"to ask a model about this image: `nnscratch predict MODEL.npz {q}`"
    fix = {"evaluate": ask if image else f"to score a model on it: `nnscratch evaluate MODEL.npz --dataset {dataset}`",
           "predict": f"give the model first: `nnscratch predict MODEL.npz {q}`",
           "plot": "give one (`nnscratch plot MODEL.npz`), or " + (ask if image else "with these data for the model's "
                                                                    f"pictures: `nnscratch plot MODEL.npz --what "
                                                                    f"confusion --dataset {dataset}`"),
           "export": "give one: `nnscratch export MODEL.npz OUTPUT.onnx`"}[command]
    raise ConfigError(f"{path} is {given}, not a model: {WHAT_EACH_TAKES[command]}; {fix}.")


def refuse_no_model(path):
    """Raise where ``path`` is missing, a folder, a checkpoint, a history, a NumPy archive of data or no
    archive at all; an ONNX export or a damaged archive (it opens as a zip) is left to :meth:`Network.load`,
    whose message names what it is."""
    from ..errors import ConfigError
    from ..saving.kinds import KINDS, npz_header
    where = pathlib.Path(path)
    if where.is_dir():
        inside = sorted(where.glob("*.npz"))
        raise ConfigError(f"model {path} is a folder; pass the model file itself, e.g. "
                          f"{inside[0] if inside else where / 'model.npz'}.")
    if not where.exists():
        fix = near_name(path) or "train one with `nnscratch train --out MODEL.npz`."
        raise FileNotFoundError(f"model file {path} does not exist; {fix}")
    header, arrays, q = npz_header(str(path)), numpy_arrays(path), shlex.quote(str(path))
    if (header or {}).get("format") == "nnscratch-checkpoint":
        raise ConfigError(f"{path} is a checkpoint of `nnscratch train --checkpoint`, not a model; the same train "
                          f"command with --resume {q} finishes that run and saves its model at --out "
                          "(default model.npz).")
    if arrays:
        npz = shlex.quote(f"npz:{path}")
        raise ConfigError(f"{path} is a NumPy archive of data (arrays {', '.join(arrays[:4])}), not an nnscratch "
                          f"model; train one on it with `nnscratch train --dataset {npz}`, or score a model on "
                          f"it with `nnscratch evaluate MODEL.npz --dataset {npz}`.")
    if header is None and KINDS["history"][1](str(path)):
        raise ConfigError(f"{path} is a training history (`nnscratch train --history`), not a model; "
                          f"`nnscratch plot {q}` draws it. Pass the model file that run saved (--out).")
    if header is None and not _opens_as_zip(path) and not KINDS["onnx"][1](str(path)):
        raise ConfigError(f"{path} is not an nnscratch model: it is not an .npz archive at all; pass the model file "
                          "that `nnscratch train --out` (or Network.save) wrote.")


def near_name(path):
    """What a missing ``path`` was meant to be: ``did you mean digits.npz?`` for the file beside it of the same
    name but its suffix (``digits.np``, ``three.npz`` for three.npy, ``H.CSV``), ``no file matches this pattern``
    for one the shell passed on unexpanded (``*.png``); else ``""``."""
    where = pathlib.Path(path)
    if any(c in where.name for c in "*?["):
        return "no file matches this pattern (the shell passes one that matches nothing on as it is)."
    try:
        names = sorted(e.name for e in (where.parent if where.parent.name else pathlib.Path(".")).iterdir()
                       if e.is_file())
    except OSError:
        return ""
    name, stem = where.name.lower(), where.stem.lower()
    alike = (lambda n: n.lower() == name, lambda n: n.lower().startswith(name),  # H.CSV, digits.np
             lambda n: pathlib.Path(n).stem.lower() == stem)  # three.npz for three.npy
    near = next((n for same in alike for n in names if same(n)), None)
    return f"did you mean {where.parent / near}?" if near else ""


def _opens_as_zip(path):
    """True where ``path`` begins as a zip archive (a whole one, or one cut short in copying)."""
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"PK\x03\x04"
    except OSError:
        return False


def numpy_arrays(path):
    """The array names of a NumPy ``.npz`` that is no nnscratch file (``numpy.savez(path, X=..., y=...)``);
    an empty list for anything else (an nnscratch model or checkpoint, a damaged archive, another file)."""
    import zipfile
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.namelist()
    except (OSError, zipfile.BadZipFile, ValueError):
        return []
    names = [m.removesuffix(".npy") for m in members]
    return names if members and all(m.endswith(".npy") for m in members) and "__header__" not in names else []


def set_aside_metadata_of_ones_own(net, model):
    """Metadata of one's own under a key the command line keeps (``Network(metadata={"dataset": "iris"})``
    in Python) is read as absent in this run, with one warning line; the file is not changed."""
    odd = [k for k, (kind, _) in KEPT_METADATA.items() if net.metadata.get(k) is not None
           and not isinstance(net.metadata[k], kind)]
    if odd:
        said = "; ".join(f"metadata[{k!r}] is {net.metadata.pop(k)!r}, where `nnscratch train` keeps "
                         f"{KEPT_METADATA[k][1]}" for k in odd)
        print(f"warning: {model}: {said}; this command reads {'them' if odd[1:] else 'it'} as absent (another "
              "key in Network(metadata=...) keeps one's own apart from nnscratch's).", file=sys.stderr)
