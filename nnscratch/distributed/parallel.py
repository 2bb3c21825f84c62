"""What ``fit`` needs from a communicator: sharded global batches, the gradient sum,
per-epoch figures summed over ranks, and the checks and broadcasts at the start."""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ConfigError
from ..training.streaming import HostData
from .._typing import Array, Rng
from .hooks import Together, portable, together
from .sync import ShardContext

if TYPE_CHECKING:
    from ..models.network import Network
    from ..training.step import Step
    from .comm import MPIComm


def shard(start: int, stop: int, rank: int, size: int) -> tuple[int, int]:
    """Rows ``(a, b)`` of batch ``start:stop`` that ``rank`` of ``size`` trains on (contiguous,
    sizes differing by at most one, the larger ones first)."""
    base, extra = divmod(stop - start, size)
    a = start + rank * base + min(rank, extra)
    return a, a + base + (1 if rank < extra else 0)


def from_root(comm: MPIComm, fn: Callable[[], Any], poll: float | None = None) -> Any:
    """``fn()`` run on rank 0 and broadcast: its result, or its error raised on every rank.

    ``poll``: seconds between the other ranks' looks at whether rank 0 is done, for an ``fn`` that
    may take long (a download): they sleep meanwhile (``comm.barrier(poll)``) instead of spinning
    in the broadcast, as MPI implementations wait."""
    result: Any = None
    failure: Exception | None = None
    if comm.rank == 0:
        try:
            result = fn()
        except Exception as exc:  # raised again below, on every rank
            failure = exc
    if poll is not None and hasattr(comm, "barrier"):
        comm.barrier(poll=poll if comm.rank else None)
    ok, value = comm.bcast((True, result) if failure is None else (False, portable(failure)))
    if not ok:
        error: BaseException = failure if failure is not None else value  # rank 0 raises its own, with its traceback
        error.collective = True  # type: ignore[attr-defined]
        raise error
    return result if comm.rank == 0 else value


class CollectiveError(ConfigError):
    """An error every rank raises together (the command line prints it once, from rank 0)."""

    collective = True


def setup(comm: MPIComm | None, net: Network, step: Step, X: Array, validation_data: Sequence[Array] | None,
          settings: dict[str, Any]) -> DataParallel | None:
    """A :class:`DataParallel` for ``fit`` (None with no communicator or one process):
    checks that every rank has the same settings, network and data, and installs the
    gradient sum in ``step``."""
    if comm is None or comm.size < 2:
        return None
    parallel = DataParallel(comm, net)
    config = net.get_config()
    parallel.check_same(dict(settings, seed=net.seed, network=config["layers"], dtype=config.get("dtype"),
                             loss=step.loss.name, optimizer=net.optimizer.get_config(),  # type: ignore[union-attr]
                             data=_fingerprint(X, net.backend),
                             validation=None if validation_data is None else
                             [_fingerprint(a, net.backend) for a in validation_data]))
    problem = too_few_rows(comm.size, _rows(X), settings.get("batch_size"),
                           None if validation_data is None else _rows(validation_data[0]))
    if problem:
        raise CollectiveError(problem)
    step.reduce_gradients = parallel.reduce_gradients  # type: ignore[method-assign]
    step.training = parallel.context  # what BatchNorm and Dropout need of the global batch
    return parallel


def too_few_rows(size: int, n: int, batch_size: int | None, val: int | None = None) -> str | None:
    """Why ``size`` processes cannot share batches of ``batch_size`` of ``n`` training rows (and
    ``val`` validation rows) one row each at least, with what to change; None when they can."""
    start = f"Data-parallel training over {size} processes needs at least {size} "
    fewer = lambda k: f"at most {k} process{'es' * (k != 1)}"  # noqa: E731
    if n < size:
        return f"{start}training rows (one per process); got {n}. Use {fewer(n)}, or more data."
    if batch_size is not None and batch_size < size:
        return (f"{start}rows per batch (one per process); got batch_size={batch_size}. Use a batch_size "
                f"(--batch-size) of at least {size}, or {fewer(batch_size)}.")
    if val is not None and val < size:
        return (f"{start}validation rows (one per process); got {val}. Hold out more rows for validation "
                f"(--validation), or use {fewer(val)}.")
    return None


class DataParallel:
    """What one ``fit`` call needs from the communicator: consistency checks and
    broadcasts at the start, sharded data, the gradient sum (installed as
    ``Step.reduce_gradients``) and the per-epoch figures summed over ranks."""

    _layout: list[tuple[tuple[int, ...], int]] | None

    def __init__(self, comm: MPIComm, net: Network) -> None:
        self.comm, self.net, self.backend = comm, net, net.backend
        self.is_root = comm.rank == 0
        self.weight = 1.0  # this rank's share of the current batch, set by ShardedData.batch
        self.context = ShardContext(self)  # the layers' ``training`` flag: row offset, synchronised statistics
        self._layout = None

    def check_same(self, settings: dict[str, Any]) -> None:
        """Refuse (on every rank alike) settings that differ between ranks."""
        everyone = self.comm.allgather(settings)
        for key, value in everyone[0].items():
            odd = [r for r, s in enumerate(everyone) if s.get(key) != value]
            if odd:
                raise CollectiveError(
                    f"Data-parallel training needs the same {key} on every rank; rank 0 has "
                    f"{_short(value)} but rank {odd[0]} has {_short(everyone[odd[0]].get(key))}. Launch every "
                    f"rank with the same options, data and seed.")

    def from_root(self, fn: Callable[[], Any]) -> Any:
        return from_root(self.comm, fn)

    def broadcast_state(self, net: Network) -> None:
        """Give every rank rank 0's weights, buffers (BatchNorm's running statistics),
        optimizer state (the step counts, the lr scale ReduceLROnPlateau lowers, the moments) and RNG state."""
        state = self.from_root(lambda: _host_state(net))
        if not self.is_root:
            net.set_weights(state["weights"])
            net.set_buffers(state["buffers"])
            asarray = lambda a: net.backend.asarray(a, dtype=net.dtype)  # noqa: E731
            net.optimizer.load_state_dict(state["optimizer"], asarray=asarray)  # type: ignore[union-attr]
            net.rng.bit_generator.state = state["rng"]

    def shard(self, data: Any) -> ShardedData:
        return ShardedData(data, self)

    def reduce_gradients(self, params: Sequence[Any]) -> None:
        """Replace every ``p.grad`` by the sum over ranks of ``weight * p.grad``:
        one flat buffer, one all-reduce (the Step calls this between backward and update)."""
        xp = self.net.xp
        if self._layout is None:
            self._layout = [(tuple(p.value.shape), math.prod(p.value.shape)) for p in params]
        # ``[parameter_buffer]``: its gradients are one flat array already
        flat = params[0].grad if len(params) == 1 else xp.concat([xp.reshape(p.grad, (-1,)) for p in params])
        flat = self.comm.sum_gradients(flat, self.backend, self.weight)
        offset = 0
        for p, (shape, count) in zip(params, self._layout):
            p.grad = xp.reshape(flat[offset:offset + count], shape)
            offset += count

    def together(self, callbacks: Sequence[Any]) -> Together:
        """The one callback through which ``fit`` calls ``callbacks`` on this rank: an error one rank's
        callback raises is raised on every rank (:mod:`nnscratch.distributed.hooks`)."""
        return together(list(callbacks), self.comm)

    def any_rank(self, flag: bool) -> bool:
        """Whether ``flag`` is true on any rank (the same answer everywhere)."""
        return any(self.comm.allgather(bool(flag)))

    def sum_figures(self, values: Array) -> np.ndarray:
        """Per-epoch sums (a host vector) added over ranks, in rank order: the same bits everywhere."""
        gathered = self.comm.allgather(np.asarray(values, dtype=np.float64))
        return np.sum(np.stack(gathered), axis=0)


class ShardedData:
    """A data source (DeviceData or HostData) seen by one rank: the global batches,
    of which this rank trains and evaluates only its shard.

    ``n`` stays the global row count, so the epoch loop walks the global batches and
    the per-epoch means divide the rank-summed figures by the global count.
    """

    rows: list[tuple[int, int]]

    def __init__(self, data: Any, parallel: DataParallel) -> None:
        self.data, self.parallel = data, parallel
        self.n, self.mode = data.n, data.mode
        self.rows = []  # this rank's (a, b) since the last all_targets(), in order

    def permutation(self, rng: Rng) -> Array:
        return self.data.permutation(rng)

    def _mine(self, start, stop):
        a, b = shard(start, stop, self.parallel.comm.rank, self.parallel.comm.size)
        self.rows.append((a, b))
        return a, b

    def batch(self, order: Array | None, start: int, stop: int) -> Any:
        a, b = self._mine(start, stop)
        self.parallel.weight = self.parallel.context.weight = (b - a) / (stop - start)
        self.parallel.context.row_offset = a - start
        if isinstance(self.data, HostData):  # the copy it starts ahead: this rank's rows of the next batch
            return self.data.batch(order, a, b, self._next(start, stop))
        return self.data.batch(order, a, b)

    def inputs(self, start: int, stop: int) -> Array:
        a, b = self._mine(start, stop)
        if isinstance(self.data, HostData):
            return self.data.inputs(a, b, following=self._next(start, stop))
        return self.data.inputs(a, b)

    def _next(self, start: int, stop: int) -> tuple[int, int]:
        """This rank's rows of the global batch after ``start:stop`` (none after the last)."""
        return shard(stop, min(stop + (stop - start), self.n), self.parallel.comm.rank, self.parallel.comm.size)

    def all_targets(self, order: Array | None = None) -> Any:
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
    return {"weights": [to_numpy(p.value) for p in net.parameters()], "buffers": net.get_buffers(),
            "rng": net.rng.bit_generator.state,
            "optimizer": {"t": state["t"], "state_t": state["state_t"], "lr_scale": state["lr_scale"],
                          "state": {name: {k: to_numpy(v) for k, v in slots.items()}
                                    for name, slots in state["state"].items()}}}


def _rows(a):
    return int(a.shape[0]) if hasattr(a, "shape") else len(a)


def _fingerprint(a, backend):
    """Shape, dtype and a checksum of up to 64 evenly spaced rows (cheap for any size)."""
    shape = tuple(int(s) for s in getattr(a, "shape", (len(a),)))
    rows = a[:: max(1, shape[0] // 64)] if shape and shape[0] else a
    try:
        host = np.ascontiguousarray(rows if isinstance(rows, (np.ndarray, list)) else backend.to_numpy(rows))
    except Exception:  # an array of another library: compare the shapes alone
        return {"shape": shape}
    return {"shape": shape, "dtype": str(host.dtype), "crc32": zlib.crc32(host.tobytes())}


def _short(value, limit=120):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
