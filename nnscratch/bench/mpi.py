"""``nnscratch bench --ranks N``: data-parallel training against one process, same cores.

N MPI processes with one BLAS thread each train the same global batches as one
process with N BLAS threads. The two take turns (one fresh launch each per
round, so a slow phase of a noisy machine hits both), each timing its epochs
after a warm-up one; the MPI runs also report the time per step spent summing
gradients (pack + all-reduce + unpack) and inside the MPI call alone (which
includes waiting for the slower rank).

The worker side runs as ``[mpiexec -n N] python -m nnscratch.bench.mpi ...``
with the thread count fixed in its environment before NumPy loads.
"""

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from ..training.history import Callback

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def mpiexec():
    """The ``mpiexec`` next to this Python (the mpich wheel's), else the one on PATH, else None."""
    beside = Path(sys.executable).parent / "mpiexec"
    return str(beside) if os.access(beside, os.X_OK) else shutil.which("mpiexec")


def _worker_command(ranks, options):
    command = [sys.executable, "-m", "nnscratch.bench.mpi"] + [
        f"--{k.replace('_', '-')}={v}" for k, v in options.items()]
    return ([mpiexec(), "-n", str(ranks)] if ranks > 1 else []) + command


def _launch(ranks, threads, options):
    env = dict(os.environ, **{name: str(threads) for name in THREAD_VARIABLES})
    done = subprocess.run(_worker_command(ranks, options), env=env, capture_output=True, text=True, timeout=3600)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    said = [line for line in done.stderr.splitlines() if line.startswith(("error: ", "[rank"))]
    if done.returncode != 0 and said:  # the worker's own one-line error (a dataset not found, ...)
        from ..errors import ConfigError
        raise ConfigError(f"bench --ranks: the {ranks}-process run failed: {said[-1].split('error: ', 1)[-1]}")
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"the {ranks}-process benchmark failed (exit {done.returncode}): "
                           f"{done.stderr.strip()[-800:]}")
    return json.loads(lines[-1])


def compare(ranks, *, dataset="fashion-mnist", hidden=(256, 128), batch_size=128, epochs=3, rounds=3,
            samples=None, lr=0.01, seed=0, log=print):
    """Alternate ``ranks`` processes x 1 thread with 1 process x ``ranks`` threads (and, for
    reference, 1 process x 1 thread); return the runs."""
    from .runner import check_counts
    check_counts(epochs=epochs)  # before any launch: 0 timed epochs left nothing to take the median of
    if mpiexec() is None:
        raise RuntimeError('bench --ranks needs mpiexec: pip install "nnscratch[mpi]".')
    if batch_size < ranks:
        from ..errors import ConfigError
        raise ConfigError(f"--ranks {ranks} shares each batch among {ranks} processes, one row each at least; got "
                          f"--batch-sizes {batch_size}. Use a batch size of at least {ranks}.")
    options = dict(dataset=dataset, hidden=",".join(map(str, hidden)), batch_size=batch_size, epochs=epochs,
                   samples=samples or 0, lr=lr, seed=seed)
    runs = {"parallel": [], "single": [], "single_1thread": []}
    for turn in range(rounds):
        order = [("parallel", ranks, 1), ("single", 1, ranks), ("single_1thread", 1, 1)]
        for name, n, threads in order if turn % 2 == 0 else order[::-1]:
            runs[name].append(_launch(n, threads, options))
            log(f"round {turn + 1}/{rounds}: {name} {runs[name][-1]['epoch_seconds']}")
    return {"ranks": ranks, "options": options, "runs": runs}


def render(result):
    """The comparison as text: median seconds per epoch, the ratio, the all-reduce's share."""
    ranks = result["ranks"]
    single, parallel, one = ([s for run in result["runs"][name] for s in run["epoch_seconds"]]
                             for name in ("single", "parallel", "single_1thread"))
    first = result["runs"]["parallel"][0]
    reduce_ms, mpi_ms, wait_ms = (statistics.median(run[f"{key}_ms_per_step"] for run in result["runs"]["parallel"])
                                  for key in ("reduce", "mpi", "wait"))
    step_ms = 1000 * statistics.median(parallel) / first["steps_per_epoch"]
    o = result["options"]
    return "\n".join([
        f"{o['dataset']} {first['layers']}, global batch {o['batch_size']}, SGD, "
        f"{len(single)} timed epoch{'s' * (len(single) != 1)} each (median, min-max)",
        f"  1 process  x 1 BLAS thread  : {_spread(one)} s/epoch (for reference)",
        f"  1 process  x {ranks} BLAS threads: {_spread(single)} s/epoch",
        f"  {ranks} processes x 1 BLAS thread : {_spread(parallel)} s/epoch  "
        f"= {statistics.median(parallel) / statistics.median(single):.2f}x the one-process time",
        f"  gradient sum per step ({first['buffer_bytes'] / 1e6:.2f} MB float32 buffer): {reduce_ms:.3f} ms "
        f"of a {step_ms:.2f} ms step ({100 * reduce_ms / step_ms:.0f}%): waiting for the slower rank "
        f"{wait_ms:.3f} ms, MPI_Allreduce {mpi_ms - wait_ms:.3f} ms, packing {reduce_ms - mpi_ms:.3f} ms"])


def _spread(values):
    return f"{statistics.median(values):.3f} ({min(values):.3f}-{max(values):.3f})"


# ------------------------------------------------------------------ the worker (one launch)

def worker(argv=None):
    """Train ``1 + epochs`` epochs (the first untimed) and print one JSON line from rank 0."""
    p = argparse.ArgumentParser(prog="python -m nnscratch.bench.mpi")
    for name, kind in (("dataset", str), ("hidden", str), ("batch-size", int), ("epochs", int),
                       ("samples", int), ("lr", float), ("seed", int)):
        p.add_argument(f"--{name}", type=kind, required=True)
    args = p.parse_args(argv)
    import nnscratch as nn
    from .. import distributed

    from .runner import load_data
    comm = distributed.from_environment()
    X, y, classes = load_data(args.dataset, args.samples or 60000, 784, seed=args.seed)
    sizes = (X.shape[1], *map(int, args.hidden.split(",")), classes)
    net = nn.Network.from_sizes(*sizes, seed=args.seed, backend="numpy")
    if comm is not None:
        comm.measure_wait = True  # a barrier before each all-reduce: waiting apart from moving
    marks = _Marks(comm)
    history = net.fit(X, y, epochs=1 + args.epochs, batch_size=args.batch_size, optimizer=nn.SGD(lr=args.lr),
                      callbacks=[marks], comm=comm)
    steps = math.ceil(len(X) / args.batch_size)
    result = {"ranks": 1 if comm is None else comm.size, "layers": "-".join(map(str, sizes)),
              "epoch_seconds": history.history["seconds"][1:], "steps_per_epoch": steps,
              "buffer_bytes": 4 * sum(math.prod(p.value.shape) for p in net.parameters()),
              "reduce_ms_per_step": 0.0, "mpi_ms_per_step": 0.0, "wait_ms_per_step": 0.0}
    if comm is not None:
        timed_steps = steps * args.epochs
        mine = [now - then for now, then in zip(_counters(comm), marks.counters)]
        means = [statistics.mean(column) for column in zip(*comm.allgather(mine))]
        for key, value in zip(("reduce", "mpi", "wait"), means):
            result[f"{key}_ms_per_step"] = 1000 * value / timed_steps
    if comm is None or comm.rank == 0:
        print(json.dumps(result), flush=True)


def _counters(comm):
    return comm.seconds, comm.mpi_seconds, comm.wait_seconds


class _Marks(Callback):
    """Remembers the communicator's counters after the warm-up epoch."""

    def __init__(self, comm):
        self.comm, self.counters = comm, (0.0, 0.0, 0.0)

    def on_epoch_end(self, epoch, logs, network):
        if epoch == 0 and self.comm is not None:
            self.counters = _counters(self.comm)


def main(argv=None):
    """:func:`worker`; an error it can explain is one line on stderr (said once over the ranks), status 2."""
    from ..errors import NNScratchError
    try:
        worker(argv)
    except (NNScratchError, OSError) as exc:  # a dataset not found, too few rows for the ranks, ...
        from ..distributed import report_error
        report_error(f"error: {' '.join(str(exc).split())}", exc)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
