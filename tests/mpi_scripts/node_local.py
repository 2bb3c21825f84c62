"""A cluster whose scratch space is each node's own, on one machine: rank 0 runs in the folder it was started
in, every other rank first moves into its own empty folder ``SCRATCH/rank<r>``, so a relative path names a
file only rank 0 can see (run by tests/test_mpi15_node_local.py)::

    mpiexec -n 2 python node_local.py SCRATCH cli train ... --checkpoint ck/run.ckpt   # nnscratch ARGS
    mpiexec -n 2 python node_local.py SCRATCH api first CASE CKPT EPOCH    # interrupted at the start of EPOCH
    mpiexec -n 2 python node_local.py SCRATCH api resume CASE CKPT OUT     # resume=CKPT; rank 0 writes OUT
    mpiexec -n 2 python node_local.py SCRATCH api again CASE CKPT OUT      # resume=True, checkpoint=CKPT
    mpiexec -n 2 python node_local.py SCRATCH api missing CASE CKPT OUT    # each rank's error, caught, in OUT
    mpiexec -n 2 python node_local.py SCRATCH diverging train ...          # nnscratch ARGS, the loss NaN in epoch 3
    mpiexec -n 2 python node_local.py SCRATCH counting train ...           # nnscratch ARGS; SCRATCH/reads<r>: how
                                                                           # often rank r read a checkpoint whole

Each rank writes its process id to ``SCRATCH/pid<r>`` first (a test sends one rank alone a signal).

The cases are tests/test_mpi14_resume.py's (a CNN with BatchNorm and Dropout, callbacks that keep state).
"""

import os
import signal
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def enter_scratch(scratch, rank):
    """Rank ``rank``'s node-local folder: where it was started for rank 0, a new empty one for the others."""
    if rank != 0:
        folder = Path(scratch) / f"rank{rank}"
        folder.mkdir(parents=True)
        os.chdir(folder)


def api(phase, name, path, out):
    import nnscratch as nn
    from nnscratch import distributed
    import test_mpi14_resume as cases
    comm = distributed.from_environment()
    case = cases.CASES[name]
    (X, y), validation = case["data"]()
    net = nn.Network(case["layers"](), seed=3, backend="numpy", dtype="float64")
    options = dict(epochs=case["epochs"], batch_size=8, validation_data=validation, comm=comm, verbose=0,
                   checkpoint=path, callbacks=case["callbacks"]())
    if phase == "first":
        try:
            net.fit(X, y, optimizer=case["optimizer"](), **dict(options, callbacks=options["callbacks"]
                                                                + [cases.Interrupt(int(out))]))
        except KeyboardInterrupt:
            return
        raise AssertionError(f"{name} was not interrupted at epoch {out}")
    if phase == "missing":
        try:
            net.fit(X, y, resume=path, **options)
        except Exception as exc:  # raised on every rank: each says what it raised
            said = comm.allgather(f"{type(exc).__name__}: {exc}")
            if comm.rank == 0:
                np.savez(out, said=np.asarray(said))
            return
        raise AssertionError(f"fit(resume={path!r}) did not fail")
    handlers = [signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)]
    history = net.fit(X, y, resume=path if phase == "resume" else True, **options)
    assert [signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)] == handlers, \
        "fit changed a signal's handler (only the command line relays them)"
    found = cases.results(net, history, comm)
    if comm.rank == 0:
        np.savez(out, **found)


def diverge_in_epoch_3():
    """Every rank's loss becomes NaN in the third epoch (as a learning rate too high makes it, later than at once)."""
    from nnscratch.training import guard
    check = guard.Guard.check
    guard.Guard.check = lambda self, epoch, epochs, logs, flag: check(
        self, epoch, epochs, dict(logs, loss=float("nan")) if epoch == 2 else logs, flag)


def count_reads(scratch, rank):
    """Count the whole reads of a checkpoint (its arrays too) and write how many to ``SCRATCH/reads<r>`` at exit."""
    import atexit
    from nnscratch.saving import checkpoint, serialize
    reads, load = [], serialize.load_arrays
    serialize.load_arrays = lambda path, kind=serialize.FORMAT: (
        reads.append(path) if kind == checkpoint.KIND else None, load(path, kind))[1]
    said = Path(scratch).resolve() / f"reads{rank}"  # before a rank moves to its own folder
    atexit.register(lambda: said.write_text(str(len(reads))))


def main(scratch, how, *args):
    from nnscratch.distributed.comm import launched_rank
    Path(scratch).mkdir(exist_ok=True)
    (Path(scratch) / f"pid{launched_rank()}").write_text(str(os.getpid()))  # for a signal to one rank alone
    if how == "counting":
        count_reads(scratch, launched_rank())
    enter_scratch(scratch, launched_rank())
    if how == "api":
        return api(*args)
    if how == "diverging":
        diverge_in_epoch_3()
    from nnscratch.cli import main as nnscratch
    return nnscratch(list(args))


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
