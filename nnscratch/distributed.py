"""Data-parallel training over MPI: the communicator, and what ``fit`` needs from it.

Every rank holds the whole data set and the same seeded RNG, so every rank
draws the same shuffle (and the same augmented copies). Each global batch
``start:stop`` is cut into ``size`` contiguous shards, one per rank (sizes
differ by at most one row; the last short batch may leave a rank with none).
Every step each rank backpropagates its shard, scales its gradients by its
share of the batch (``rows / batch``), and one all-reduce of one flat buffer
sums them: the gradient of the whole batch, the same as one process computes.

Launched outside MPI, or with one process, none of this runs and mpi4py is
never imported (:func:`from_environment` reads the launcher's variables first).

A communicator needs: ``rank``, ``size``, ``local_rank``, ``sum_gradients(flat,
backend, weight)`` (the hot path: device buffer in, summed device buffer out),
``bcast(obj)``, ``allgather(obj)`` and ``abort(code)``. :class:`MPIComm` moves the
buffer through host memory (one device -> host and one host -> device copy
per step), or with ``cuda_aware=True`` hands the device buffer to MPI itself;
an NCCL communicator would override ``sum_gradients`` only.
"""

import math
import os
import sys
import time
import zlib

import numpy as np

from .errors import ConfigError
from .streaming import HostData

#: Variables by which launchers announce the number of processes (MPICH/Intel MPI/PMI, Open MPI, MVAPICH).
SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE", "PMIX_SIZE")

_active = None  # the communicator from_environment() made, for the command line's error path


def launched_size(environ=None):
    """Number of processes the MPI launcher started (1 outside MPI), from the environment alone."""
    environ = os.environ if environ is None else environ
    for name in SIZE_VARIABLES:
        if str(environ.get(name, "")).isdigit():
            return int(environ[name])
    return 1


def from_environment(cuda_aware=None):
    """An :class:`MPIComm` over ``COMM_WORLD`` when launched by ``mpiexec`` with
    more than one process, else None (and mpi4py stays unimported).

    ``cuda_aware`` defaults to ``$NNSCRATCH_CUDA_AWARE_MPI == "1"``.
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
    return _active


def report_error(message, exc):
    """Print a command-line error (one line on stderr); in a parallel run also end the job.

    An error every rank raised together (``exc.collective``) prints once, from rank 0,
    and every rank exits normally; any other error names its rank and aborts every
    rank, which would otherwise wait for this one forever.
    """
    comm = _active
    if comm is None or comm.size < 2:
        print(message, file=sys.stderr)
    elif getattr(exc, "collective", False):
        if comm.rank == 0:
            print(message, file=sys.stderr, flush=True)
    else:
        print(f"[rank {comm.rank} of {comm.size}] {message}", file=sys.stderr, flush=True)
        comm.abort(2)


def _abort_on_uncaught(kind, value, tb):
    sys.__excepthook__(kind, value, tb)
    sys.stderr.flush()
    _active.abort(1)


class MPIComm:
    """The MPI communicator (mpi4py), with a count of the time spent summing gradients.

    Parameters
    ----------
    comm : mpi4py communicator, optional
        Default ``MPI.COMM_WORLD``.
    cuda_aware : bool
        Pass device buffers to MPI directly (needs an MPI built with CUDA
        support; untested here, no GPU). Default: through host memory.
    """

    def __init__(self, comm=None, cuda_aware=False):
        try:
            from mpi4py import MPI
        except ImportError:
            raise ConfigError('Data-parallel training needs mpi4py; install it with pip install '
                              '"nnscratch[mpi]" (or pip install mpi4py against your cluster\'s MPI).') from None
        self.MPI, self.comm, self.cuda_aware = MPI, comm or MPI.COMM_WORLD, bool(cuda_aware)
        self.rank, self.size = self.comm.Get_rank(), self.comm.Get_size()
        local = self.comm.Split_type(MPI.COMM_TYPE_SHARED)
        self.local_rank = local.Get_rank()
        local.Free()
        self.steps, self.seconds, self.wait_seconds = 0, 0.0, 0.0

    def sum_gradients(self, flat, backend, weight=1.0):
        """``sum over ranks of weight * flat``, as a device array of ``backend``."""
        start = time.perf_counter()
        if self.cuda_aware and backend.name != "numpy":
            flat = flat * weight
            backend.synchronize()  # MPI reads the buffer outside the stream
            self._allreduce(flat)
        else:
            host = flat if backend.name == "numpy" else backend.to_numpy(flat)  # concat made it fresh
            if weight != 1.0:
                host *= weight
            self._allreduce(host)
            flat = host if backend.name == "numpy" else backend.asarray(host)
        self.steps += 1
        self.seconds += time.perf_counter() - start
        return flat

    def _allreduce(self, buffer):
        start = time.perf_counter()
        self.comm.Allreduce(self.MPI.IN_PLACE, buffer, op=self.MPI.SUM)
        self.wait_seconds += time.perf_counter() - start

    def bcast(self, obj, root=0):
        return self.comm.bcast(obj, root=root)

    def allgather(self, obj):
        return self.comm.allgather(obj)

    def abort(self, code=1):
        self.comm.Abort(code)

    def __repr__(self):
        return f"MPIComm(rank={self.rank}, size={self.size}, local_rank={self.local_rank}, cuda_aware={self.cuda_aware})"


def local_device(spec, local_rank):
    """The backend ``spec`` on the GPU of this local rank: ``cupy`` -> ``cupy:{r}``,
    ``torch:cuda`` -> ``torch:cuda:{r}``; names with a device index, and CPU backends, unchanged."""
    text = str(spec or "").strip()
    if text == "cupy" or text == "torch:cuda":
        return f"{text}:{local_rank}"
    return spec


def command_line_rank(args, comm):
    """Adjust ``nnscratch train`` options for this rank: the GPU of its local rank
    (unless a device was named); on ranks other than 0, no output and no files."""
    spec = args.backend or os.environ.get("NNSCRATCH_BACKEND")
    if spec in (None, "auto"):
        from .backend import get_backend
        spec = "cupy" if get_backend(spec).name == "cupy" else spec
    args.backend = local_device(spec, comm.local_rank)
    if comm.rank != 0:
        args.quiet, args.json, args.no_save, args.show = True, False, True, False
        args.history = args.plot = args.live = None
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (for the life of the process)


def shard(start, stop, rank, size):
    """Rows ``(a, b)`` of batch ``start:stop`` that ``rank`` of ``size`` trains on (contiguous,
    sizes differing by at most one, the larger ones first)."""
    base, extra = divmod(stop - start, size)
    a = start + rank * base + min(rank, extra)
    return a, a + base + (1 if rank < extra else 0)


def from_root(comm, fn):
    """``fn()`` run on rank 0 and broadcast: its result, or its error raised on every rank."""
    result = None
    if comm.rank == 0:
        try:
            result = (True, fn())
        except Exception as exc:  # raised again below, on every rank
            result = (False, exc)
    ok, value = comm.bcast(result)
    if not ok:
        value.collective = True
        raise value
    return value


class CollectiveError(ConfigError):
    """An error every rank raises together (the command line prints it once, from rank 0)."""

    collective = True


def setup(comm, net, step, X, validation_data, settings):
    """A :class:`DataParallel` for ``fit`` (None with no communicator or one process):
    checks that every rank has the same settings, network and data, and installs the
    gradient sum in ``step``."""
    if comm is None or comm.size < 2:
        return None
    parallel = DataParallel(comm, net)
    config = net.get_config()
    parallel.check_same(dict(settings, seed=net.seed, network=config["layers"], dtype=config.get("dtype"),
                             loss=step.loss.name, optimizer=net.optimizer.get_config(),
                             data=_fingerprint(X, net.backend),
                             validation=None if validation_data is None else
                             [_fingerprint(a, net.backend) for a in validation_data]))
    rows = _rows(X) if settings.get("batch_size") is None else min(settings["batch_size"], _rows(X))
    val = None if validation_data is None else _rows(validation_data[0])
    if rows < comm.size or (val is not None and val < comm.size):
        raise CollectiveError(f"Data-parallel training over {comm.size} processes needs at least {comm.size} rows "
                              f"per batch and in the validation data; got {rows} per batch"
                              f"{'' if val is None else f' and {val} for validation'}. Use a larger batch_size "
                              f"(or fewer processes).")
    step.reduce_gradients = parallel.reduce_gradients
    return parallel


class DataParallel:
    """What one ``fit`` call needs from the communicator: consistency checks and
    broadcasts at the start, sharded data, the gradient sum (installed as
    ``Step.reduce_gradients``) and the per-epoch figures summed over ranks."""

    def __init__(self, comm, net):
        self.comm, self.net, self.backend = comm, net, net.backend
        self.is_root = comm.rank == 0
        self.weight = 1.0  # this rank's share of the current batch, set by ShardedData.batch
        self._layout = None

    def check_same(self, settings):
        """Refuse (on every rank alike) settings that differ between ranks."""
        everyone = self.comm.allgather(settings)
        for key, value in everyone[0].items():
            odd = [r for r, s in enumerate(everyone) if s.get(key) != value]
            if odd:
                raise CollectiveError(
                    f"Data-parallel training needs the same {key} on every rank; rank 0 has "
                    f"{_short(value)} but rank {odd[0]} has {_short(everyone[odd[0]].get(key))}. Launch every "
                    f"rank with the same options, data and seed.")

    def from_root(self, fn):
        return from_root(self.comm, fn)

    def broadcast_state(self, net):
        """Give every rank rank 0's weights, optimizer state and RNG state."""
        state = self.from_root(lambda: _host_state(net))
        if not self.is_root:
            net.set_weights(state["weights"])
            asarray = lambda a: net.backend.asarray(a, dtype=net.dtype)  # noqa: E731
            net.optimizer.load_state_dict(state["optimizer"], asarray=asarray)
            net.rng.bit_generator.state = state["rng"]

    def shard(self, data):
        return ShardedData(data, self)

    def reduce_gradients(self, params):
        """Replace every ``p.grad`` by the sum over ranks of ``weight * p.grad``:
        one flat buffer, one all-reduce (the Step calls this between backward and update)."""
        xp = self.net.xp
        if self._layout is None:
            self._layout = [(tuple(p.value.shape), math.prod(p.value.shape)) for p in params]
        flat = xp.concat([xp.reshape(p.grad, (-1,)) for p in params])
        flat = self.comm.sum_gradients(flat, self.backend, self.weight)
        offset = 0
        for p, (shape, count) in zip(params, self._layout):
            p.grad = xp.reshape(flat[offset:offset + count], shape)
            offset += count

    def sum_figures(self, values):
        """Per-epoch sums (a host vector) added over ranks, in rank order: the same bits everywhere."""
        gathered = self.comm.allgather(np.asarray(values, dtype=np.float64))
        return np.sum(np.stack(gathered), axis=0)


class ShardedData:
    """A data source (DeviceData or HostData) seen by one rank: the global batches,
    of which this rank trains and evaluates only its shard.

    ``n`` stays the global row count, so the epoch loop walks the global batches and
    the per-epoch means divide the rank-summed figures by the global count.
    """

    def __init__(self, data, parallel):
        self.data, self.parallel = data, parallel
        self.n, self.mode = data.n, data.mode
        self.rows = []  # this rank's (a, b) since the last all_targets(), in order

    def permutation(self, rng):
        return self.data.permutation(rng)

    def _mine(self, start, stop):
        a, b = shard(start, stop, self.parallel.comm.rank, self.parallel.comm.size)
        self.rows.append((a, b))
        return a, b

    def batch(self, order, start, stop):
        a, b = self._mine(start, stop)
        self.parallel.weight = (b - a) / (stop - start)
        return self.data.batch(order, a, b)

    def inputs(self, start, stop):
        return self.data.inputs(*self._mine(start, stop))

    def all_targets(self, order=None):
        """Targets of the rows this rank used since the last call, in the order it used them."""
        idx = np.concatenate([np.arange(a, b) for a, b in self.rows])
        self.rows = []
        if isinstance(self.data, HostData) or isinstance(order, np.ndarray):
            return self.data.all_targets(idx if order is None else order[idx])
        local = self.data.backend.asarray(idx)
        return self.data.all_targets(local if order is None else self.data.xp.take(order, local, axis=0))


def _host_state(net):
    to_numpy, opt = net.backend.to_numpy, net.optimizer
    state = opt.state_dict()
    return {"weights": [to_numpy(p.value) for p in net.parameters()], "rng": net.rng.bit_generator.state,
            "optimizer": {"t": state["t"], "state": {name: {k: to_numpy(v) for k, v in slots.items()}
                                                     for name, slots in state["state"].items()}}}


def _rows(a):
    return int(a.shape[0]) if hasattr(a, "shape") else len(a)


def _fingerprint(a, backend):
    """Shape, dtype and a checksum of up to 64 evenly spaced rows (cheap for any size)."""
    shape = tuple(int(s) for s in getattr(a, "shape", (len(a),)))
    rows = a[:: max(1, shape[0] // 64)] if shape and shape[0] else a
    host = rows if isinstance(rows, (np.ndarray, list)) else backend.to_numpy(rows)
    host = np.ascontiguousarray(host)
    return {"shape": shape, "dtype": str(host.dtype), "crc32": zlib.crc32(host.tobytes())}


def _short(value, limit=120):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
