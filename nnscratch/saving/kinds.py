"""What a file on disk is, for one rule: nnscratch replaces a file only with one of the same kind.

Each kind of file nnscratch writes (a model, a checkpoint, a training history, a
picture, an ONNX model, benchmark results) has a recogniser that reads as little of
the file as it can. Saving from Python (:func:`refuse_foreign`, called by
:func:`nnscratch.saving.serialize.atomic_write`) and every command's outputs
(:mod:`nnscratch.cli.outputs`) replace a file only when it is of the kind they write. From Python,
a picture replaces a picture as ``matplotlib.savefig`` would (a photo of one's own too); the command
line asks for ``--force`` before replacing any file.
"""

import json
import os

from ..errors import ConfigError


def _read(path, n=64):
    try:
        with open(path, "rb") as f:
            return f.read(n)
    except OSError:
        return b""


def npz_header(path):
    """The JSON header of an nnscratch ``.npz`` (model or checkpoint), reading no other member; None
    where the file is not one (or cannot be read)."""
    import zipfile

    import numpy as np
    if _read(path, 4) != b"PK\x03\x04":
        return None
    try:
        with np.load(path, allow_pickle=False) as data:  # lazy: only the member asked for is read
            header = json.loads(bytes(data["__header__"]).decode("utf-8"))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, RuntimeError, EOFError):
        return None
    return header if isinstance(header, dict) else None


def _json(path):
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _is_picture(path):
    """PNG, GIF, JPEG, PDF, SVG (.svgz too), PostScript/EPS, TIFF, MP4, WebP: what matplotlib and
    Pillow write (matplotlib's headerless .raw/.rgba cannot be told from any other file)."""
    head = _read(path)
    return (head.startswith((b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"%PDF", b"<?xml", b"<svg", b"%!PS",
                             b"II*\x00", b"MM\x00*"))
            or (head.startswith(b"\x1f\x8b") and path.lower().endswith(".svgz"))
            or head[4:8] == b"ftyp" or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"))


def _is_onnx(path):
    try:
        import onnx
    except Exception:  # not installed, or broken (protobuf's TypeError "Descriptors cannot be created directly")
        return _read(path, 1) == b"\x08"  # an ONNX ModelProto opens with its ir_version field
    try:
        model = onnx.load_model(path, load_external_data=False)
    except Exception:  # protobuf's DecodeError and friends: not an ONNX file
        return False
    return bool(model.graph.node) or bool(model.graph.output)


def _is_nnscratch(path, kind):
    return (npz_header(path) or {}).get("format") == f"nnscratch-{kind}"


KINDS = {  # kind: (what it is called, how it is recognised, an example file name)
    "model": ("an nnscratch model", lambda p: _is_nnscratch(p, "model"), "model.npz"),
    "checkpoint": ("an nnscratch checkpoint", lambda p: _is_nnscratch(p, "checkpoint"), "run.ckpt"),
    "history": ("a training history", lambda p: "history" in (_json(p) or {}), "history.json"),
    "picture": ("a picture", _is_picture, "picture.png"),
    "onnx": ("an ONNX model", _is_onnx, "model.onnx"),
    "bench": ("benchmark results", lambda p: bool({"rows", "cnn", "runs"} & set(_json(p) or {})),
              "bench.json"),
}


def is_kind(path, kind):
    """Whether the file at ``path`` is one of ``kind`` (a key of :data:`KINDS`)."""
    return bool(KINDS[kind][1](os.fspath(path)))


def refuse_foreign(path, kind):
    """A ConfigError unless ``path`` can take a file of ``kind``: a file there must be of that kind
    (it is never replaced otherwise), a folder there or a missing folder above it is refused."""
    path, (name, _, example) = os.fsdecode(os.fspath(path)), KINDS[kind]  # bytes paths too, as open() takes them
    if not path:
        raise ConfigError(f"The path is empty; give a file path, e.g. {example!r}.")
    if os.path.isdir(path) or path.endswith(("/", os.sep)):  # "new/": a folder, even before it exists
        raise ConfigError(f"{path!r} {'is' if os.path.isdir(path) else 'names'} a folder; give a file path, e.g. "
                          f"{os.path.join(path, example)!r}.")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ConfigError(f"Cannot write {path!r}: the folder {folder!r} does not exist; create it first "
                          f"(os.makedirs) or choose another path.")
    if os.path.lexists(path) and not is_kind(path, kind):
        raise ConfigError(f"{path!r} exists and is not {name}; nnscratch replaces a file only with one of the "
                          "same kind: choose another path, or move that file away.")
