"""Joining the job: the launcher's variables, the communicator (:class:`~.mpicomm.MPIComm`, mpi4py imported
only when a launcher started several processes), and ending the whole job when one rank fails."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from typing import Any

from ..errors import ConfigError, exit_status
from .mpicomm import MPIComm
from .notice import ENDING_TAG, NOTICE_TAG, ending

SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE", "PMIX_SIZE")
"""The environment variables in which MPI launchers (MPICH, Open MPI, MVAPICH, PMIx) give the number of
processes; :func:`launched_size` reads them, so a single process never imports mpi4py."""
RANK_VARIABLES = ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "MV2_COMM_WORLD_RANK", "PMIX_RANK")  # and the rank

_active: MPIComm | None = None  # the communicator from_environment() made, for the command line's error path


def launched_size(environ: Mapping[str, str] | None = None) -> int:
    """Number of processes the MPI launcher started (1 outside MPI), from the environment alone.

    Parameters
    ----------
    environ : mapping, optional
        The environment to read; default ``os.environ``.
    """
    environ = os.environ if environ is None else environ
    for name in SIZE_VARIABLES:
        if str(environ.get(name, "")).isdigit():
            return int(environ[name])
    return 1


def launched_rank(environ: Mapping[str, str] | None = None) -> int:
    """This process's rank under an MPI launcher (0 outside one), from the environment alone (no mpi4py)."""
    environ = os.environ if environ is None else environ
    return next((int(environ[name]) for name in RANK_VARIABLES if str(environ.get(name, "")).isdigit()), 0)


def active_size() -> int:
    """The number of processes of the job :func:`from_environment` joined (1 before, or outside MPI)."""
    return 1 if _active is None else _active.size


def from_environment(cuda_aware: bool | None = None) -> MPIComm | None:
    """An :class:`MPIComm` over ``COMM_WORLD`` when launched by ``mpiexec`` with
    more than one process, else None (and mpi4py stays unimported). Each rank then
    limits its BLAS threads to its share of the node's cores (as ``torchrun`` sets
    ``OMP_NUM_THREADS=1``), unless ``OPENBLAS_NUM_THREADS``/``OMP_NUM_THREADS`` are set.

    ``cuda_aware`` defaults to ``$NNSCRATCH_CUDA_AWARE_MPI == "1"``.

    Parameters
    ----------
    cuda_aware : bool, optional
        Hand device buffers to MPI directly (an MPI built with CUDA support); default
        ``$NNSCRATCH_CUDA_AWARE_MPI == "1"``, else through host memory.
    """
    global _active
    if launched_size() < 2:
        return None
    if cuda_aware is None:
        cuda_aware = os.environ.get("NNSCRATCH_CUDA_AWARE_MPI") == "1"
    _active = MPIComm(cuda_aware=cuda_aware)
    if _active.size < 2:
        return None
    sys.excepthook = _abort_on_uncaught  # as `python -m mpi4py` does: one rank's crash ends the job
    from ..backend import threads
    threads.configure(measure=False)  # each rank its share of the node's cores, unless the user set the threads
    return _active


def report_error(message: str, exc: BaseException | None, parallel: bool = True) -> None:
    """Print a command-line error (one line on stderr); in a parallel run also end the job.

    ``parallel=False``: the command runs whole in each process and never joins MPI (``nnscratch
    evaluate`` under ``mpiexec``; joining would wait forever for ranks that have ended): every rank
    meets the same error, and rank 0 alone prints it, once. An error every rank raised together
    (``exc.collective``) prints once, from rank 0, and every rank exits normally. Any other error is
    first offered to rank 0 (:func:`_every_rank_failed`): when every rank failed (a bad option, a
    missing file) rank 0 prints each distinct message once and every rank exits normally; otherwise
    the message names its rank and the job is aborted, as the others would wait for it forever, with the
    command line's status (:func:`~nnscratch.errors.exit_status`: 1 for a crash, 2 for a user's mistake). An error
    another rank's failure caused (``follows``, :mod:`.notice`) is that rank's to say: this one waits for it
    to end the job (:func:`wait_in_mpi`: ``FOLLOW_WAIT`` s for it to begin, then says its own and ends it).

    Parameters
    ----------
    message : str
        The one line to print (``error: ...``).
    exc : BaseException or None
        The error it says; its ``collective`` and ``follows`` decide who prints.
    parallel : bool, default True
        False for a command that never joins MPI (each rank runs it whole).
    """
    comm = _active
    if comm is None and not parallel:
        return _say(message) if launched_rank() == 0 else None
    if comm is None and launched_size() > 1:  # failed before training set MPI up: the others wait in it
        try:
            comm = from_environment()
        except ConfigError:  # no mpi4py: every rank fails alike, nobody waits
            comm = None
    if comm is None or comm.size < 2:
        _say(message)
    elif getattr(exc, "collective", False):
        if comm.rank == 0:
            _say(message)
    elif getattr(exc, "follows", None) is not None:
        wait_in_mpi(comm, FOLLOW_WAIT, getattr(exc, "follows"))  # the failed rank says it and ends the job meanwhile
        _say(f"[rank {comm.rank} of {comm.size}] {message}")
        abort(comm, exit_status(exc))
    else:
        ending(comm)  # a rank that follows this failure waits for this rank to say it
        if not _every_rank_failed(comm, message):
            abort(comm, exit_status(exc))


ERROR_TAG = 7177  # the tag of report_error's messages (the other point-to-point ones: notice.NOTICE_TAG, ENDING_TAG)
ROOT_WAIT, RANK_WAIT = 3.0, 5.0  # seconds rank 0 waits for the others' errors, and they for its verdict
FOLLOW_WAIT = ROOT_WAIT + RANK_WAIT + 2.0  # seconds a rank another's failure stopped waits for that one to end the job
ENDING_WAIT = 60.0  # seconds it waits once that rank said it is ending the job (its own waits: ROOT_WAIT or RANK_WAIT)


def _every_rank_failed(comm: MPIComm, message: str) -> bool:
    """Whether every rank reached a command-line error (then rank 0 has printed them, each distinct
    message once); if not, this rank's message has been printed with its rank, and the job must end.

    Each other rank sends its message to rank 0 and waits up to ``RANK_WAIT`` s for the answer;
    rank 0 collects them for up to ``ROOT_WAIT`` s. Point-to-point messages only: a rank that is
    still working, inside a collective, is never drawn into a mismatched one."""
    mpi, MPI = comm.comm, comm.MPI
    if comm.rank != 0:
        request = mpi.isend(message, dest=0, tag=ERROR_TAG)
        if _within(RANK_WAIT, lambda: mpi.iprobe(source=0, tag=ERROR_TAG)):
            mpi.recv(source=0, tag=ERROR_TAG)
            request.wait()
            return True
        _say(f"[rank {comm.rank} of {comm.size}] {message}")
        return False
    messages = {0: message}

    def everyone_said():
        status = MPI.Status()
        while mpi.iprobe(source=MPI.ANY_SOURCE, tag=ERROR_TAG, status=status):
            messages[status.Get_source()] = mpi.recv(source=status.Get_source(), tag=ERROR_TAG)
        return len(messages) == comm.size

    everyone = _within(ROOT_WAIT, everyone_said)
    said: dict[str, list[int]] = {}
    for rank in sorted(messages):
        said.setdefault(messages[rank], []).append(rank)
    for text, ranks in said.items():
        if everyone and len(said) == 1:
            _say(text)  # every rank failed alike: said as one process says it
        else:
            _say(f"[rank{'s' * (len(ranks) > 1)} {', '.join(map(str, ranks))} of {comm.size}] {text}")
    if everyone:
        for rank in range(1, comm.size):
            mpi.send(True, dest=rank, tag=ERROR_TAG)
    return everyone


def _within(seconds: float, done: Any) -> bool:
    """Poll ``done()`` until it is true (True) or ``seconds`` have passed (False)."""
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def wait_in_mpi(comm: MPIComm, seconds: float, follows: int | None = None) -> None:
    """Wait ``seconds``, asking MPI for progress without a pause (an ``Iprobe``, as a collective's wait polls),
    for another rank to end the job: MPICH's ``mpiexec`` passes on the status of that rank's ``MPI_Abort`` (130
    after Ctrl-C) when the others are inside MPI; a rank asleep outside it was reported "Killed (signal 9)",
    status 9: in about half the runs with no progress asked, and in one fresh-clone CI run with 10 ms naps.

    ``follows``: the failed rank this one waits for. Once it says it is ending the job (:func:`.notice.ending`,
    from its ``report_error`` or excepthook) this waits ``ENDING_WAIT`` s more, however long the ``seconds``
    were: a failed rank that is slow (a loaded node) but on its way to ``MPI_Abort`` says its own error, with
    its status, instead of this one giving up first (status 2, in its words). One that never says it (it died:
    ``mpiexec`` ends the job; it caught its error and ended normally) is given up on after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        comm.comm.Iprobe(source=comm.MPI.ANY_SOURCE, tag=NOTICE_TAG)  # progress only: a notice found stays there
        if follows is not None and comm.comm.Iprobe(source=follows, tag=ENDING_TAG):
            deadline, follows = time.monotonic() + ENDING_WAIT, None


def _say(line: str) -> None:
    """``line`` on stderr in one write (print's two would let another rank's line in between)."""
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _abort_on_uncaught(kind, value, tb):
    """An error raised on one rank ends the job (the others would wait for it for ever); one every rank
    raised together (``collective``: :func:`~nnscratch.distributed.from_root`, a callback's error) is
    printed once, by rank 0, and every rank ends as one process does, without ``MPI_Abort``. One that another
    rank's failure caused (``follows``, :mod:`.notice`) waits for that rank to say its own and end the job."""
    together = getattr(value, "collective", False) and _active is not None
    if getattr(value, "follows", None) is not None and _active is not None:
        wait_in_mpi(_active, FOLLOW_WAIT, value.follows)  # still here: that rank caught its error; this one is said
    elif not together and _active is not None:
        ending(_active)  # a rank that follows this failure waits for this rank to say it
    if not together or _active.rank == 0:
        sys.__excepthook__(kind, value, tb)
        sys.stderr.flush()
    if not together:
        abort(_active, 1)


def abort(comm, code):
    """End every rank, after a moment for the launcher to pass on what this rank just printed
    (MPICH's mpiexec drops output still in transit when a rank aborts: the message was lost
    once in about six runs of the whole suite, on a loaded machine). This rank has said why;
    MPI's own line about the abort (MPICH: ``Abort(130) on node 0 ...: application called
    MPI_Abort(...)``) would only repeat it in MPI's words, so its stderr goes to the null device first."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or file: nothing more to pass on there
            pass
    time.sleep(0.5)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    comm.abort(code)
