"""Every file a command writes, checked before any work starts (what git, pip or rsync would do).

For each output (``--out``, ``--checkpoint``, ``--history``, ``--plot``, ``--live``,
export's OUTPUT, plot's ``--out``, bench's ``--json``/``--plot``):

- a file that is not what the option writes (a CSV where a history goes, a model
  where an ONNX file goes) is never replaced, not even with ``--force``;
- a file of the kind the option writes is replaced only with ``--force``;
- a name whose suffix is another format's (``--out model.onnx``) is refused (:mod:`.suffixes`);
- a folder where a file goes (or a file where a folder goes) is refused;
- two options naming one file, or an output naming an input, are refused;
- a missing folder is created (and said, on stderr) once every check has passed,
  before the work starts; one that cannot be created (a file in the way, no
  permission) is refused;
- every folder, existing or just created, is tried by creating (and removing) a temporary
  file there, so a folder the system will not write in (``/sys`` or ``/proc`` as root, a
  read-only disk) and a name too long for it are refused before the work, not after it;
- inside :func:`tidy`, a folder the command created is removed again if it is still empty
  when the command ends (it failed or was interrupted first); a folder that was there is never.

A write the system refuses once the work is done (a full disk, a folder removed meanwhile)
is said by :func:`writing` in one line naming the option; the file that was there is kept.
What the work made (a trained model, its history, the animation) is not lost with it: see
:mod:`nnscratch.cli.kept`.

Every refusal is one line that names the option and the fix. What a file is comes from
:mod:`nnscratch.saving.kinds`, the rule the Python API keeps too.
"""

import contextlib
import dataclasses
import errno
import os
import shlex
import sys
import tempfile

from ..errors import ConfigError
from ..saving.kinds import KINDS
from .suffixes import refuse_other_format


@dataclasses.dataclass(frozen=True)
class Output:
    """``option`` (as the user typed it) writes ``path``, a file of ``kind`` (a key of :data:`KINDS`);
    ``folder``: the path is a folder of such files; ``own``: the file is this run's own (a checkpoint
    being resumed) and may be rewritten without ``--force``; ``resuming``: the checkpoint this run resumes
    when it writes its own checkpoints elsewhere."""

    option: str
    path: str
    kind: str
    folder: bool = False
    own: bool = False
    resuming: str | None = None


def check(outputs, force=False, inputs=()):
    """Raise a ConfigError for the first output that must not be written; return the folders to create.

    ``inputs``: ``(option, path)`` pairs the command reads (an output must not name one of them).
    """
    outputs = [o for o in outputs if o.path]
    _distinct(outputs, [(option, path) for option, path in inputs if path])
    folders = {}
    for out in outputs:
        folder = _check_folder(out) if out.folder else _check_file(out, force)
        if folder:
            folders.setdefault(folder[0], folder[1])
    return list(folders.items())


def make_folders(folders, say=True):
    """Create ``folders`` (``(folder, option)`` pairs, with their parents) and try writing in each; say so on
    stderr, one line each. A folder refused here is removed again, and so, at the end of :func:`tidy`, is one
    still empty."""
    made = []
    try:
        for folder, option in dict(folders).items():
            missing = _missing(folder)
            try:
                os.makedirs(folder, exist_ok=True)
            except OSError as exc:  # what access() allowed and the system refuses (/sys as root)
                raise ConfigError(f"{option}: cannot create the folder {folder} ({exc.strerror or exc}); choose a "
                                  "folder you can write to.") from None
            finally:
                made += [path for path in missing if os.path.isdir(path)]
            _try_writing(f"{option}: cannot write in the folder {_shown(folder)}{os.sep} created for it", folder)
            if say:
                print(f"note: created folder {_shown(folder)}{os.sep} for {option}", file=sys.stderr)
    except ConfigError:
        _remove_empty(made)
        raise
    _MADE.extend(made)


_MADE: list = []  # the folders make_folders created in this process, parents first (for tidy)


def _missing(folder):
    """``folder`` and each missing folder above it, the outermost first."""
    missing = []
    while folder and not os.path.exists(folder) and folder != os.path.dirname(folder):
        missing.insert(0, folder)
        folder = os.path.dirname(folder)
    return missing


def _remove_empty(folders):
    for folder in reversed(folders):  # the innermost first; one holding anything stays, and so do those above it
        if not any(os.path.join(spared, "").startswith(os.path.join(folder, "")) for spared in _SPARED):
            with contextlib.suppress(OSError):
                os.rmdir(folder)


_SPARED: set = set()  # folders that stay, empty or not: where a kept file is to be moved


def spare(path):
    """Keep the folder of ``path`` (and those above it) when :func:`tidy` ends."""
    _SPARED.add(os.path.dirname(os.path.abspath(path)))


@contextlib.contextmanager
def tidy():
    """Inside, the folders :func:`make_folders` creates are removed when it ends while they are empty (the
    command failed or was interrupted before writing in them): no empty ``runs/`` is left behind. A folder
    that was there before is never removed, nor one holding anything."""
    start = len(_MADE)
    try:
        yield
    finally:
        made = _MADE[start:]
        del _MADE[start:]
        _remove_empty(made)
        _SPARED.clear()


def prepare(outputs, force=False, inputs=(), say=True):
    """:func:`check`, then :func:`make_folders`: what a command calls before its work starts."""
    make_folders(check(outputs, force, inputs), say)


@contextlib.contextmanager
def writing(outputs):
    """Inside, an OSError in writing the file of one of ``outputs`` (a full disk, a folder removed
    during the work) is one line naming its option, not the system's message about a path.
    ``outputs``: a list of :class:`Output`, or a function returning it (paths a command settles as it runs)."""
    try:
        yield
    except OSError as exc:
        out = _written(exc.filename, outputs() if callable(outputs) else outputs)
        if out is None:
            raise
        raise refused(out, exc) from None


def refused(out, exc, instead=None):
    """The ConfigError saying that the system refused ``exc`` in writing ``out``; ``instead``: what became
    of the work (:func:`nnscratch.cli.kept.save_all`), said in place of the fix."""
    path = os.fspath(exc.filename) if out.folder else out.path
    said = [instead or fix(exc)]
    if out.kind == "checkpoint" and KINDS["checkpoint"][1](path):
        said.append(f"the checkpoint written before is kept: pass --resume {path} to continue from it")
    error = ConfigError(f"{out.option} {path}: cannot write it ({exc.strerror or exc}); {'; '.join(said)}.")
    if getattr(exc, "collective", False):  # raised on every rank together (a checkpoint under mpiexec)
        error.collective = True  # said once, by rank 0 (distributed.report_error)
    return error


def fix(exc):
    """What to do about a write the system refused with ``exc``."""
    return {errno.ENOSPC: "free some space there or choose another folder", errno.EEXIST: "move what is there away",
            errno.EDQUOT: "free some space there or choose another folder", errno.EISDIR: "move what is there away",
            }.get(exc.errno, "choose a folder you can write to")


def _written(filename, outputs):
    """The output that ``filename`` is (or, for a folder output, lies in), or None."""
    if filename is None or not isinstance(filename, (str, bytes, os.PathLike)):
        return None
    key, folder = _same(filename), _same(os.path.dirname(os.path.abspath(os.fspath(filename))))
    return next((o for o in outputs if o.path and _same(o.path) in ((folder,) if o.folder else (key,))), None)


def _distinct(outputs, inputs):
    seen = {}
    for option, path in inputs:
        seen.setdefault(_same(path), ("input", option))
    for out in outputs:
        key = _same(out.path)
        if key in seen:
            role, other = seen[key]
            if role == "input":
                raise ConfigError(f"{out.option} {out.path} is also the input {other}, which this command reads; "
                                  f"write to another file, e.g. {out.option} {shlex.quote(_example(out))}.")
            raise ConfigError(f"{other} and {out.option} both name {out.path}; give each its own file.")
        seen[key] = ("output", out.option)


def _shown(path):
    """``path`` relative to the current folder where it lies below it, else as it is."""
    shown = os.path.relpath(path)
    return path if shown.startswith(os.pardir) else shown


def _same(path):
    return os.path.normcase(os.path.realpath(os.fspath(path)))


def _example(out):
    return os.path.join(os.path.dirname(os.fspath(out.path)), KINDS[out.kind][2])


def _check_file(out, force):
    name, recognise, _ = KINDS[out.kind]
    path = os.fspath(out.path)
    if os.path.isdir(path) or path.endswith((os.sep, "/")):  # newdir/: a folder, even before it exists
        raise ConfigError(f"{out.option} {path} {'is' if os.path.isdir(path) else 'names'} a folder; give a file "
                          f"path, e.g. {out.option} {shlex.quote(os.path.join(path, KINDS[out.kind][2]))}.")
    if os.path.lexists(path) and not recognise(path):
        raise ConfigError(f"{out.option} {path} exists and is not {name}, what {out.option} writes; it is "
                          f"never replaced, not even with --force: choose another {_another(out)} or move "
                          "that file away.")
    refuse_other_format(out, path)
    if os.path.lexists(path):
        if not (force or out.own) and out.resuming:
            raise ConfigError(f"{out.option} {path} already holds {name} of another run than --resume "
                              f"{out.resuming}; leave {out.option} out to keep writing to {out.resuming}, pass --force "
                              f"to replace {path}, or choose another {_another(out)}.")
        if not (force or out.own) and out.kind == "checkpoint":
            raise ConfigError(f"{out.option} {path} already holds {name}; pass --resume to continue that run, "
                              f"--force to start over and replace it, or choose another {_another(out)}.")
        if not (force or out.own):
            raise ConfigError(f"{out.option} {path} already holds {name}; pass --force to replace it, or "
                              f"choose another {_another(out)}.")
    return _creatable(out, os.path.dirname(os.path.abspath(path)), os.path.basename(path))


def _another(out):
    return f"{out.option} PATH" if out.option.startswith("--") else out.option


def _check_folder(out):
    path = os.fspath(out.path)
    if os.path.lexists(path) and not os.path.isdir(path):
        raise ConfigError(f"{out.option} {path} is a file, not a folder; {out.option} names a folder for the "
                          f"files it writes (e.g. {out.option} pictures{os.sep}).")
    return _creatable(out, os.path.abspath(path))


def _creatable(out, folder, name=None):
    """None when ``folder`` exists and a file ``name`` can be written there; ``(folder, option)`` when it
    can be created; else refuse."""
    existing = folder
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise ConfigError(f"{out.option} {out.path}: {existing} is a file, so the folder {folder} cannot be "
                          f"created; choose another {out.option}.")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"{out.option} {out.path}: cannot write in {existing} (permission denied); choose a "
                          f"folder you can write to.")
    if name is not None:
        _fits(out, existing, name)
    if existing == folder:
        _try_writing(f"{out.option} {out.path}: cannot write it", folder, name or "picture.png")
    return None if existing == folder else (folder, out.option)


def _fits(out, folder, name):
    """Refuse a file name longer than the file system takes (255 bytes on most)."""
    try:
        longest = os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):  # Windows has no pathconf
        longest = 255
    if len(os.fsencode(name)) > longest:
        raise ConfigError(f"{out.option} {out.path}: the file name is {len(os.fsencode(name))} bytes long and "
                          f"{folder} takes at most {longest}; choose a shorter name.")


def _try_writing(refusal, folder, name="picture.png"):
    """Create and remove a temporary file in ``folder`` as the writers do (they write one, then rename
    it); where the system will not, whatever access() said, refuse: ``refusal`` and the system's reason."""
    from ..saving.serialize import TEMPORARY, name_tail
    try:
        fd, tmp = tempfile.mkstemp(prefix=TEMPORARY, suffix=name_tail(name), dir=folder)
    except OSError as exc:
        raise ConfigError(f"{refusal} ({exc.strerror or exc}); choose a folder you can write to.") from None
    os.close(fd)
    os.unlink(tmp)
