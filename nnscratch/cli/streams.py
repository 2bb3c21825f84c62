"""Where a command's output goes when it is not a terminal: a reader gone, or several MPI ranks.

- ``nnscratch train | head -3`` (or quitting ``less``): the reader has gone, but a training run is
  the user's work. :func:`carry_on` turns a broken stdout or stderr to the null device and the
  command goes on quietly: it trains and writes the model as without the pipe (:data:`GO_ON`).
  A quick command (``evaluate``, ``predict``, ``info``) ends at once with status 0 (the reader has
  all it wanted), without a traceback or Python's "Exception ignored" at exit (``app.main``).
- Under ``mpiexec -n N``, the commands of :data:`ONE_RANK` run whole on every rank (no rank waits for
  another); :func:`one_rank_speaks` leaves rank 0 alone to print, so the user reads it once.
"""

import contextlib
import os
import sys

GO_ON = ("train", "bench")  # commands whose work outlasts a reader of their output gone (`| head`, quitting `less`)
ONE_RANK = ("evaluate", "predict", "info")  # commands run whole on each rank under mpiexec that rank 0 alone says
HELP = {"-h", "--help", "--version"}  # printed and done before any rank joins MPI: rank 0 alone says them too


def to_null(stream):
    """Point ``stream``'s file (stdout) at the null device: what is still buffered, and all that follows,
    goes nowhere, so neither the next write nor the flush at exit meets the closed pipe again."""
    with contextlib.suppress(OSError, ValueError, AttributeError):  # no file of its own (a test's capture)
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, stream.fileno())
        os.close(null)


class _GoingOn:
    """``sys.stdout`` (``sys.stderr``) for a command whose work must finish when the reader is gone: a
    broken pipe (`nnscratch train | head -3`, `2>&1 | head`, quitting `less`) turns the stream to the null
    device and the command goes on quietly; it trains and writes the model as without the pipe."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text):
        try:
            return self.stream.write(text)
        except BrokenPipeError:
            to_null(self.stream)
            return len(text)

    def flush(self):
        try:
            self.stream.flush()
        except BrokenPipeError:
            to_null(self.stream)
            self.stream.flush()  # what was buffered, now to the null device

    def __getattr__(self, name):
        return getattr(self.stream, name)


@contextlib.contextmanager
def carry_on(going_on=True):
    """Inside, with ``going_on``, stdout and stderr survive their reader (:class:`_GoingOn`)."""
    if not going_on:
        yield
        return
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _GoingOn(streams[0]), _GoingOn(streams[1])
    try:
        yield
    finally:  # each put back, unless the command set its own (train's ranks other than 0: the null device)
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):  # (a file the command closed)
                stream.flush()  # now, through the wrapper: not at exit, where a broken pipe is only noise
        sys.stdout = streams[0] if isinstance(sys.stdout, _GoingOn) else sys.stdout
        sys.stderr = streams[1] if isinstance(sys.stderr, _GoingOn) else sys.stderr


@contextlib.contextmanager
def one_rank_speaks(command, debug=False, argv=()):
    """Under ``mpiexec -n N``, a command of :data:`ONE_RANK` runs whole on every rank (by design: no rank
    waits for another), as do ``--help`` and ``--version`` anywhere in ``argv``; the ranks other than 0 print nothing (output, warnings and the error line go to
    the null device; ``--debug``'s traceback still shows), so the user reads it once. Each rank's exit
    status is its own: an error still ends every rank that meets it with status 2."""
    from ..distributed.comm import launched_rank
    if command not in ONE_RANK and not HELP.intersection(argv) or launched_rank() == 0:
        yield
        return
    streams = sys.stdout, sys.stderr
    with open(os.devnull, "w") as null:
        sys.stdout, sys.stderr = null, (streams[1] if debug else null)
        try:
            yield
        finally:
            sys.stdout, sys.stderr = streams
