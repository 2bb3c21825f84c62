"""Model files: one ``.npz`` of arrays plus a JSON config inside it.

No pickle anywhere: files are read with ``allow_pickle=False``, so opening a
model cannot run code. Every write is atomic: a temporary file in the same
directory, flushed and fsynced, then ``os.replace``; a crash while writing
leaves the previous file intact.
"""

import json
import os
import shlex
import tempfile
import struct
import zipfile
import zlib

import numpy as np

from ..errors import ConfigError, ModelFileError, ModelNotFoundError
from .kinds import is_kind, refuse_foreign
from .jsonvalues import json_value, not_json
from ..backend.core import get_backend

FORMAT = "nnscratch-model"
FORMAT_VERSION = 1


def atomic_write(path, write, kind=None):
    """Call ``write(fileobj)`` on a temporary file, then move it onto ``path``; with ``kind`` (a key of
    :data:`nnscratch.saving.kinds.KINDS`), only where ``path`` can take such a file
    (:func:`~nnscratch.saving.kinds.refuse_foreign`: a file of another kind is never replaced).

    A write the system refuses (no permission, a full disk, a name too long) removes the temporary
    file and raises the same kind of OSError naming ``path``, never the hidden temporary file.

    A symbolic link at ``path`` (``latest.npz -> runs/run7.npz``) stays: the file it names is replaced,
    as ``open(path, "wb")`` and ``numpy.save`` would write it, with the temporary file beside that one."""
    path = os.fsdecode(os.fspath(path))  # bytes paths too, as open() takes them
    if kind is not None:
        refuse_foreign(path, kind)
    real = path if path.endswith(("/", os.sep)) else os.path.realpath(path)  # "m.npz/" stays a folder's name
    directory = os.path.dirname(real)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=TEMPORARY, suffix=name_tail(os.path.basename(real)), dir=directory)
        with os.fdopen(fd, "wb") as f:
            os.chmod(tmp, _file_mode(real))  # mkstemp makes 0600; a saved model is an ordinary file
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, real)
    except BaseException as exc:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(exc, OSError) and exc.errno is not None:
            raise OSError(exc.errno, exc.strerror or os.strerror(exc.errno), path) from None
        raise
    _fsync_directory(directory)
    return path


TEMPORARY = ".tmp-"  # what a temporary file's name starts with (the tail of the file's own name follows)


def name_tail(name, limit=200):
    """The end of ``name`` that takes at most ``limit`` bytes on disk: a temporary file's name (the prefix,
    8 random characters, this tail) stays within the 255 bytes a file name may take, in any script."""
    while len(os.fsencode(name)) > limit:
        name = name[1:]
    return name


def _file_mode(path):
    """The existing file's permissions, else what ``open()`` would give (0666 less the umask)."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def atomic_write_text(path, text, kind=None):
    return atomic_write(path, lambda f: f.write(text.encode("utf-8")), kind)


def _fsync_directory(directory):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def save_arrays(path, header, arrays, compress=True):
    """Write ``header`` (JSON-able dict) and named host arrays to one ``.npz``, atomically."""
    try:
        text = json.dumps(header, default=json_value)
    except (TypeError, ValueError):
        raise ConfigError(f"Cannot save {os.fspath(path)!r}: {not_json(header)}") from None
    payload = {"__header__": np.frombuffer(text.encode("utf-8"), dtype=np.uint8)}
    payload.update({f"a/{name}": np.asarray(a) for name, a in arrays.items()})
    savez = np.savez_compressed if compress else np.savez
    return atomic_write(path, lambda f: savez(f, **payload), header["format"].removeprefix("nnscratch-"))


def load_arrays(path, kind=FORMAT):
    """Read :func:`save_arrays` output: ``(header, {name: array})``, or a ModelFileError."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise ModelNotFoundError(f"No such model file: {path!r}; check the path (the current directory is "
                                 f"{os.getcwd()!r}).")
    if os.path.isdir(path):
        example = "run.ckpt" if kind == CHECKPOINT else "model.npz"
        raise ModelFileError(f"{path!r} is a folder; pass the {kind.removeprefix('nnscratch-')} file itself, e.g. "
                             f"{os.path.join(path, example)!r}.")
    header, arrays = _read_npz(path, kind)
    if not isinstance(header, dict) or header.get("format") != kind:
        found = header.get("format") if isinstance(header, dict) else None
        if kind == FORMAT and found == CHECKPOINT:
            raise ModelFileError(_checkpoint_not_model(path, header))
        raise ModelFileError(f"{path!r} is not an nnscratch {kind.removeprefix('nnscratch-')} file (its format is "
                             f"{found!r}); pass a "
                             f"file written by {'fit(checkpoint=...)' if 'checkpoint' in kind else 'Network.save'}.")
    version = header.get("version", 0)
    if not isinstance(version, int):
        raise ModelFileError(f"{path!r} has a damaged header (version {version!r}); save the model again.")
    if version > FORMAT_VERSION:
        raise ModelFileError(f"{path!r} was written by a newer nnscratch (format version {header['version']}, "
                             f"this one reads up to {FORMAT_VERSION}); upgrade nnscratch to load it.")
    return header, arrays


# What a damaged zip/npy/JSON can raise while being read (zip "encrypted" is a RuntimeError).
_UNREADABLE = (zipfile.BadZipFile, zlib.error, struct.error, OSError, ValueError, KeyError, EOFError,
               NotImplementedError, RuntimeError)


CHECKPOINT = "nnscratch-checkpoint"  # the format of :mod:`nnscratch.saving.checkpoint`'s files
_WRITERS = {FORMAT: "a model that Network.save or nnscratch train --out wrote",
            CHECKPOINT: "a checkpoint that fit(checkpoint=...) or nnscratch train --checkpoint wrote"}


def _checkpoint_not_model(path, header):
    """What loading a checkpoint as a model says: how to get the model out of it."""
    epochs = header.get("epoch")
    reached = f"epochs={epochs + 1}" if isinstance(epochs, int) else "the epochs it reached"
    return (f"{path!r} is a training checkpoint, not a model: Network.load reads files of Network.save. To get its "
            f"model, build the same network and call net.fit(X, y, {reached}, resume={path!r}) (it restores the "
            f"weights and trains no further), then net.save('model.npz'); or run "
            f"`nnscratch train --resume {shlex.quote(path)} --out model.npz` with the run's other options.")


def _read_npz(path, kind=FORMAT):
    try:
        with open(path, "rb") as f:
            zipped = f.read(4) == b"PK\x03\x04"
    except OSError:
        zipped = True  # unreadable: said below
    if not zipped and is_kind(path, "onnx"):
        raise ModelFileError(f"{path!r} is an ONNX model (what export_onnx and `nnscratch export` write), which "
                             f"onnxruntime runs; nnscratch reads back only the .npz it was exported from: pass "
                             f"{_WRITERS.get(kind, _WRITERS[FORMAT])}.")
    if not zipped:
        raise ModelFileError(f"{path!r} is not an nnscratch file: it is not an .npz archive at all; pass "
                             f"{_WRITERS.get(kind, _WRITERS[FORMAT])}.")
    again = "resume from another checkpoint, or start again without resume=" if kind == CHECKPOINT else \
        "save the model again"
    try:
        with np.load(path, allow_pickle=False) as data:
            header = json.loads(bytes(data["__header__"]).decode("utf-8"))
            return header, {k[2:]: data[k] for k in data.files if k.startswith("a/")}
    except _UNREADABLE as exc:
        raise ModelFileError(f"{path!r} is not a readable nnscratch file ({type(exc).__name__}: {exc}); "
                             f"it may be truncated or another kind of file: {again}.") from None


def check_names(net, path):
    """A ConfigError where two of ``net``'s parameters or buffers share a name: a file keeps each array by
    its name, so one would replace the other (and the loaded model predict other values). One parameter
    in two layers (tied weights) is one array: fine."""
    seen = {}
    for index, layer in enumerate(net.layers):
        for p in [*layer.params, *getattr(layer, "buffers", ())]:
            first, other = seen.setdefault(p.name, (index, p))
            if other is not p:
                raise ConfigError(f"Cannot save {os.fspath(path)!r}: layers {first} and {index} "
                                  f"({type(layer).__name__}) both name a parameter {p.name!r}, and a file keeps each "
                                  f"by its name; name it after the index build() receives, e.g. "
                                  f"Parameter(f\"{{index}}.{p.name}\", ...).")


def save(net, path):
    """Save ``net``'s config and weights to ``path`` (an ``.npz``)."""
    check_names(net, path)
    header = {"format": FORMAT, "version": FORMAT_VERSION, "config": net.get_config()}
    arrays = {p.name: w for p, w in zip(net.parameters(), net.get_weights())}
    arrays.update(net.get_buffers())  # BatchNorm running statistics
    return save_arrays(path, header, arrays)


def load(cls, path, backend=None, dtype=None):
    """Rebuild a network saved by :func:`save` on ``backend`` (a name or a Backend; None: the selected one,
    ``$NNSCRATCH_BACKEND`` included), in the file's dtype unless ``dtype`` is given: a Backend's own dtype
    does not cast the model, as a name does not (see :meth:`nnscratch.Network.load`)."""
    target = get_backend(backend, dtype=dtype)  # an unknown or missing backend (or dtype) is the caller's mistake
    header, arrays = load_arrays(path)
    _refuse_missing_dtype(path, header, target, dtype)
    _refuse_unregistered(path, header)
    try:
        net = cls.from_config(header["config"], backend=target, dtype=dtype)
        weights = [arrays[p.name] for p in net.parameters()]
        net.set_weights(weights)
        net.set_buffers(arrays)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"{os.fspath(path)!r} has a config or arrays that do not match "
                             f"({type(exc).__name__}: {exc}); the file is damaged.") from None
    return net


def _refuse_unregistered(path, header):
    """A layer class of one's own that this program has not registered is said as such (naming the
    class and :func:`~nnscratch.layers.register`), not blamed on the file, which is fine; so is one whose
    saved settings do not rebuild it (its ``get_config`` leaves out an ``__init__`` argument)."""
    from ..layers import LAYERS
    config = header.get("config")
    layers = config.get("layers") if isinstance(config, dict) else None
    for index, c in enumerate(layers if isinstance(layers, list) else []):
        kind = c.get("type") if isinstance(c, dict) else None
        if not isinstance(kind, str) or not kind:
            continue
        if kind not in LAYERS:
            raise ModelFileError(f"{os.fspath(path)!r} holds a layer of class {kind!r}, which this program has not "
                                 f"registered: import or define the class, then nnscratch.layers.register({kind}) "
                                 f"(or @register above its definition) before loading; the command line loads "
                                 f"nnscratch's own layers only.")
        if not LAYERS[kind].__module__.startswith("nnscratch."):
            _refuse_unbuildable(path, index, LAYERS[kind], {k: v for k, v in c.items() if k != "type"})


def _refuse_unbuildable(path, index, kind, options):
    """A layer class of one's own that its saved settings ``options`` do not rebuild, said as its
    ``get_config``'s doing (the file holds what that returned)."""
    try:
        kind(**options)
    except Exception as exc:
        name = kind.__name__
        raise ModelFileError(f"{os.fspath(path)!r} holds layer {index} of your class {name}, which its saved settings "
                             f"{options} do not rebuild ({type(exc).__name__}: {exc}); make {name}.get_config() "
                             f"return its __init__ arguments with 'type', then save the model again.") from None


def _refuse_missing_dtype(path, header, backend, dtype):
    """A float64 file loaded onto a backend without float64 is the caller's choice of backend,
    said as such, not blamed on the file."""
    config = header.get("config")
    if dtype is None and isinstance(config, dict) and config.get("dtype") == "float64":
        target = get_backend(backend)
        if not target.has_float64:
            raise ConfigError(f"{os.fspath(path)!r} holds a float64 model, but backend {target} has no float64; "
                              f"load it as float32: Network.load(path, backend={str(target)!r}, dtype='float32') in Python, "
                              "--dtype float32 on the command line.")
