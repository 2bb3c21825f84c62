"""How the ``nnscratch`` command stops on Ctrl-C (SIGINT), SIGTERM and SIGHUP.

SIGTERM is what ``timeout``, ``kill``, systemd, ``docker stop`` and cluster schedulers send (SLURM,
when a job reaches its time limit or is preempted, some seconds before SIGKILL). Python's default
ends the process on the spot: no message, an empty folder the command created left behind. The
command line (not the library: its users keep Python's default) turns it into :class:`Terminated`,
a ``KeyboardInterrupt``, so that it takes Ctrl-C's path: every cleanup runs, training stops within
the batch and says where its last checkpoint is; only the words and the exit status differ: 143
(128 + 15, what a shell reports for a process SIGTERM ended) where Ctrl-C gives 130. As a container's
process 1 the command now stops at all: the kernel never delivers it a signal it has no handler for, so
``docker stop`` waited its 10 s and sent SIGKILL. Under ``mpiexec`` (MPICH's hydra passes SIGTERM on to
every rank, as it does Ctrl-C) rank 0 says it once and ends the job with 143 (:func:`every_rank_ends`).

SIGHUP (the terminal closed, an ssh session dropped) is handled as SIGTERM is, as :class:`HungUp`: exit
status 129 (128 + 1), the same line, the created folders removed. The line may have nowhere to go (the
terminal is gone): :func:`say` then sends what is left of the command's output to ``os.devnull``
instead of failing (``nohup`` ignores SIGHUP, and a command started so is left alone). Under ``mpiexec``, Ctrl-C,
SIGTERM and SIGHUP sent to one rank alone are relayed to rank 0, which stops the job with the signal's status;
SIGHUP sent to ``mpiexec`` itself (the terminal closed) ends it at once and the ranks with SIGKILL, beyond any
handler's reach (:mod:`..distributed.relay`): start a long run with ``nohup``, in ``tmux`` or as a batch job.
"""

import contextlib
import signal
import threading


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised as Ctrl-C raises ``KeyboardInterrupt`` so that every cleanup for Ctrl-C runs."""

    status = 128 + signal.SIGTERM
    words = "stopped by SIGTERM (a time limit, kill or timeout)"


class HungUp(KeyboardInterrupt):
    """SIGHUP (the terminal closed, an ssh session dropped), raised as Ctrl-C is, as :class:`Terminated`."""

    status = 128 + signal.SIGHUP
    words = "stopped by SIGHUP (the terminal closed or the ssh session dropped)"


STOPS = {signal.SIGTERM: Terminated, signal.SIGHUP: HungUp}
"""The signals the command line raises as Ctrl-C, with what each raises (Ctrl-C itself is Python's own)."""


def status(exc):
    """The exit status for ``exc`` (a ``KeyboardInterrupt``): 143 after SIGTERM, 129 after SIGHUP, 130 after
    Ctrl-C."""
    return getattr(exc, "status", 128 + signal.SIGINT)


def words(exc):
    """What stopped the command, as its last line says it: ``interrupted`` (Ctrl-C), ``stopped by SIGTERM (...)``."""
    return getattr(exc, "words", "interrupted")


def stop(signum):
    """The exception that the signal ``signum`` raises: :class:`Terminated` for SIGTERM (:class:`HungUp` for
    SIGHUP), ``KeyboardInterrupt`` for Ctrl-C; after any of them SIGTERM and SIGHUP are ignored (the command is
    stopping; a second one, as a scheduler signals every process and ``mpiexec`` passes its own on too, would
    break off the cleanup; under mpiexec rank 0 then knows that a signal another rank relays is the same one:
    :mod:`..distributed.relay`). A second Ctrl-C still raises, as Python's does."""
    for other in STOPS:
        if callable(signal.getsignal(other)):  # the command's handler; one left at the default or ignored stays so
            signal.signal(other, signal.SIG_IGN)
    return STOPS.get(signum, KeyboardInterrupt)()


def raise_stop(signum, frame):
    """The command line's SIGTERM and SIGHUP handler (:func:`sigterm_as_ctrl_c`)."""
    raise stop(signum)


@contextlib.contextmanager
def sigterm_as_ctrl_c():
    """Inside, SIGTERM raises :class:`Terminated` and SIGHUP :class:`HungUp`; Python's handling (the default:
    end at once) is put back after. Each is left alone where it is not Python's default (ignored by the
    parent, as ``nohup`` ignores SIGHUP, or another handler installed) or outside the main thread, where no
    handler can be set."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, raise_stop) for signum in STOPS
                if signal.getsignal(signum) is signal.SIG_DFL}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def say(*lines):
    """Print ``lines`` on stderr; where that fails (the terminal is gone after SIGHUP), send stdout and stderr to
    ``os.devnull`` from here on, so that nothing later (the exit's flush) fails for want of a terminal."""
    import sys
    from .streams import to_null
    try:
        sys.stdout.flush()
        print(*lines, sep="\n", file=sys.stderr, flush=True)
    except OSError:
        for stream in (sys.stdout, sys.stderr):
            to_null(stream)


@contextlib.contextmanager
def every_rank_ends():
    """Under mpiexec, Ctrl-C, SIGTERM or SIGHUP in training is rank 0's alone (:func:`.progress.ctrl_c`: the others
    relay theirs to it, waiting for it in a collective: :mod:`..distributed.relay`): rank 0 says where the run stopped and raises it again marked
    with its ``comm``, and when it leaves this block (the cleanups inside done: before, ``MPI_Abort`` came
    first and left the folders the command created) every rank is ended with its status."""
    try:
        yield
    except KeyboardInterrupt as exc:
        comm = getattr(exc, "comm", None)
        if comm is None:
            raise  # one process, or every rank met it: said by the command line
        from ..distributed.comm import abort
        abort(comm, status(exc))
        raise SystemExit(status(exc)) from None  # (a communicator whose abort returns)
