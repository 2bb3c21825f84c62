"""The work is not lost with a file the system refuses to write after it (a full disk, a folder removed).

``nnscratch train`` can run for hours; the model it trained lives only in memory until ``--out`` is
written. Where that write is refused, :func:`save_all` writes the model (or the history, or the
animation) into a new ``nnscratch-kept-*`` folder in the current folder, else in the system's temporary
one, and the one error line says what failed, where the work went and how to move or use it::

    error: --out full/m.npz: cannot write it (No space left on device); the trained model is kept in
    nnscratch-kept-a1b2/m.npz instead: free some space there or choose another folder, then mv
    nnscratch-kept-a1b2/m.npz full/m.npz, or use it where it is: nnscratch evaluate nnscratch-kept-a1b2/m.npz.

The command still ends with exit status 2: what was asked for was not done. The writes after a refused
one are still tried (:class:`Later`): a refused ``--out`` does not cost the ``--live`` animation. The
error names every file kept (:func:`kept`, for ``train --json``); Ctrl-C after a refusal still says it.
"""

import contextlib
import errno
import os
import shlex
import tempfile

from ..errors import ConfigError
from ..saving.kinds import KINDS, is_kind
from .outputs import _same, _shown, _written, fix, refused, spare

WHAT = {"model": "the trained model", "history": "the history", "bench": "the file of timings",
        "--live": "the animation", "--plot": "the plot"}  # by the output's kind, else its option (pictures)
KEPT = "nnscratch-kept-"  # the folder a refused output is kept in starts with this


def save_all(jobs):
    """``save(out.path)`` for each ``(out, save)`` of ``jobs`` (:class:`~nnscratch.cli.outputs.Output`,
    function); the results, None for one refused. Where the system refuses one, the others are still
    written, the refused ones are kept elsewhere (:func:`keep`, in one folder), and then one ConfigError
    says so."""
    results, failed, folders = [], [], {}
    for out, save in jobs:
        try:
            results.append(save(out.path))
        except (OSError, ConfigError) as exc:
            reason = _in_the_way(out) if isinstance(exc, ConfigError) else exc
            if reason is None or _written(reason.filename, [out]) is None:  # not the write of out.path
                raise
            failed.append((out, reason, keep(out, save, folders)))
            results.append(None)
    if failed:
        first, reason, _ = failed[0]
        error = refused(first, reason, "; ".join(said(out, where, None if n else fix(reason))
                                                 for n, (out, _, where) in enumerate(failed)))
        error.kept = {out.option: _shown(where) for out, _, where in failed if isinstance(where, str)}
        raise error
    return results


def kept(error):
    """``{option: path}`` of every output ``error`` (raised by :func:`save_all`, or held by :class:`Later`)
    says was kept elsewhere; empty for None or any other error."""
    return dict(getattr(error, "kept", None) or {})


class Later:
    """``with later:`` around each write: a ConfigError (a refused write, its work kept) is held until
    :meth:`done`, so that the writes after it are still tried; every one held is said in one error.
    Ctrl-C inside, with an error held, carries it (``held``) for the command line to say before
    "interrupted": the user still learns where the kept work is."""

    error = None

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, traceback):
        if isinstance(exc, KeyboardInterrupt) and self.error is not None:
            exc.held = joined(self.error, getattr(exc, "held", None))  # an inner Later's refusal came after
        if exc is None or not isinstance(exc, Exception) or (self.error is None and not isinstance(exc, ConfigError)):
            return False  # Ctrl-C, or a failure with nothing held: raised as it is
        self.error = joined(self.error, exc)
        return True

    def done(self):
        if self.error is not None:
            raise self.error


def joined(first, then):
    """One ConfigError saying ``first``, then ``then`` (either may be None): said once under mpiexec where
    either is (``collective``), naming every file either kept."""
    said = [error for error in (first, then) if error is not None]
    error = ConfigError(" ".join(map(str, said)))
    error.collective = any(getattr(one, "collective", False) for one in said)
    error.kept = {option: path for one in said for option, path in kept(one).items()}
    return error


def keep(out, save, folders):
    """``save`` into a new ``nnscratch-kept-*`` folder in the current folder, else in the system's
    temporary one (never in the folder that refused it): the path written, or the ``(folder, reason)``
    of each refusal. ``folders``: the kept folder made in each place so far, for the next to share."""
    refused_in = _same(os.path.dirname(os.path.abspath(out.path)))
    tried = []
    for base in dict.fromkeys([os.getcwd(), tempfile.gettempdir()]):
        if _same(base) == refused_in:
            continue
        try:
            if base not in folders:
                folders[base] = tempfile.mkdtemp(prefix=KEPT, dir=base)
            kept = os.path.join(folders[base], os.path.basename(out.path))
            save(kept)
            spare(out.path)  # the folder it is to be moved to stays, created or not
            return kept
        except Exception as exc:
            if base in folders:
                with contextlib.suppress(OSError):  # the write removed its temporary file; another may be kept there
                    os.rmdir(folders.pop(base))
            if not isinstance(exc, OSError):
                raise  # no folder of nnscratch's is left behind by a write that cannot be done anywhere
            tried.append((base, exc.strerror or str(exc)))
    return tried


def _in_the_way(out):
    """Why ``out.path`` cannot take its file now, as the OSError to say (a writer refuses each case with a
    ConfigError, :func:`~nnscratch.saving.kinds.refuse_foreign`), or None where it can."""
    path, folder = out.path, os.path.dirname(os.path.abspath(out.path))
    if not os.path.isdir(folder):
        return OSError(errno.ENOENT, f"the folder {_shown(folder)} does not exist any more", path)
    if os.path.isdir(path):
        return OSError(errno.EISDIR, "a folder has taken its place", path)
    if os.path.lexists(path) and not is_kind(path, out.kind):
        return OSError(errno.EEXIST, f"a file that is not {KINDS[out.kind][0]} has taken its place", path)
    return None


def said(out, where, fixed):
    """What became of ``out``'s work, refused at ``out.path``: kept at ``where`` (a path), or lost
    (``where``: the refusals of :func:`keep`); ``fixed``: what to do about the refusal (None: said before)."""
    what = WHAT.get(out.kind) or WHAT.get(out.option, f"the file of {out.option}")
    if isinstance(where, str):
        shown = shlex.quote(_shown(where))
        use = f", or use it where it is: nnscratch evaluate {shown}" if out.kind == "model" else ""
        move = f"instead: {fixed}, then mv" if fixed else "too: mv"
        return f"{what} is kept in {shown} {move} {shown} {shlex.quote(out.path)}{use}"
    failed = ", ".join(f"in {_shown(base)} ({reason})" for base, reason in where) or \
        "(the current and the temporary folder are the folder refused)"
    lost = "; --checkpoint PATH keeps each epoch's state on disk as it trains" if out.kind == "model" else ""
    return f"{fixed + '; ' if fixed else ''}keeping {what} elsewhere failed too, {failed}: it is lost{lost}"
