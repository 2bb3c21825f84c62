"""What ``fit`` needs from a communicator: the checks and broadcasts at the start, the gradient sum
and per-epoch figures summed over ranks (each rank's share of the batches: :mod:`.sharding`)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ConfigError
from .._typing import Array
from .agree import backend_kind, differs, fingerprint, too_few_rows
from .hooks import Together, portable, together
from .sharding import ShardedData
from .sync import ShardContext

if TYPE_CHECKING:
    from ..models.network import Network
    from ..training.step import Step
    from .comm import MPIComm


def from_root(comm: MPIComm, fn: Callable[[], Any], poll: float | None = None) -> Any:
    """``fn()`` run on rank 0 and broadcast: its result, or its error raised on every rank.

    ``poll``: seconds between the other ranks' looks at whether rank 0 is done, for an ``fn`` that
    may take long (a download): they sleep meanwhile (``comm.barrier(poll)``) instead of spinning
    in the broadcast, as MPI implementations wait.

    Parameters
    ----------
    comm : MPIComm
        The job's communicator.
    fn : callable
        Run on rank 0 alone, without arguments.
    poll : float, optional
        Seconds the other ranks sleep between looks (see above).
    """
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
    gradient sum in ``step``.

    Parameters
    ----------
    comm : MPIComm or None
        ``fit``'s ``comm=``.
    net : Network
        The network being trained.
    step : Step
        Its training step, which gets the gradient sum.
    X : array
        The training inputs (every rank holds all of them).
    validation_data : (X, y) or None
        ``fit``'s validation data.
    settings : dict
        ``fit``'s options that every rank must share (epochs, batch size, ...).
    """
    if comm is None or comm.size < 2:
        return None
    parallel = DataParallel(comm, net)
    config = net.get_config()
    parallel.check_same(dict(settings, seed=net.seed, network=config["layers"], backend=backend_kind(net.backend),
                             dtype=config.get("dtype"),
                             loss=step.loss.name, optimizer=net.optimizer.get_config(),  # type: ignore[union-attr]
                             data=fingerprint(X, net.backend),
                             validation=None if validation_data is None else
                             [fingerprint(a, net.backend) for a in validation_data]))
    problem = too_few_rows(comm.size, _rows(X), settings.get("batch_size"),
                           None if validation_data is None else _rows(validation_data[0]))
    if problem:
        raise CollectiveError(problem)
    step.reduce_gradients = parallel.reduce_gradients  # type: ignore[method-assign]
    step.training = parallel.context  # what BatchNorm and Dropout need of the global batch
    return parallel


class DataParallel:
    """What one ``fit`` call needs from the communicator: consistency checks and
    broadcasts at the start, sharded data, the gradient sum (installed as
    ``Step.reduce_gradients``) and the per-epoch figures summed over ranks.

    Parameters
    ----------
    comm : MPIComm
        The job's communicator.
    net : Network
        The network ``fit`` trains.
    """

    _layout: list[tuple[tuple[int, ...], int]] | None

    def __init__(self, comm: MPIComm, net: Network) -> None:
        self.comm, self.net, self.backend = comm, net, net.backend
        self.is_root = comm.rank == 0
        self.weight = 1.0  # this rank's share of the current batch, set by ShardedData.batch
        self.context = ShardContext(self)  # the layers' ``training`` flag: row offset, synchronised statistics
        self._layout = None

    def check_same(self, settings: dict[str, Any]) -> None:
        """Refuse (on every rank alike) settings that differ between ranks.

        Parameters
        ----------
        settings : dict
            This rank's settings, compared with every other rank's.
        """
        everyone = self.comm.allgather(settings)
        for key, value in everyone[0].items():
            odd = next((r for r, s in enumerate(everyone) if s.get(key) != value), None)
            if odd is not None:
                raise CollectiveError(differs(key, value, everyone[odd].get(key), odd))

    def from_root(self, fn: Callable[[], Any]) -> Any:
        return from_root(self.comm, fn)

    def broadcast_state(self, net: Network) -> None:
        """Give every rank rank 0's weights, buffers (BatchNorm's running statistics),
        optimizer state (the step counts, the lr scale ReduceLROnPlateau lowers, the moments) and RNG state.

        Parameters
        ----------
        net : Network
            Set, on the other ranks, to rank 0's state.
        """
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
        one flat buffer, one all-reduce (the Step calls this between backward and update).

        Parameters
        ----------
        params : sequence of Parameter
            The parameters, or ``[parameter_buffer]``.
        """
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
        callback raises is raised on every rank (:mod:`nnscratch.distributed.hooks`).

        Parameters
        ----------
        callbacks : sequence of Callback
            ``fit``'s callbacks on this rank.
        """
        return together(list(callbacks), self.comm)

    def any_rank(self, flag: bool) -> bool:
        """Whether ``flag`` is true on any rank (the same answer everywhere).

        Parameters
        ----------
        flag : bool
            This rank's answer.
        """
        return any(self.comm.allgather(bool(flag)))

    def sum_figures(self, values: Array) -> np.ndarray:
        """Per-epoch sums (a host vector) added over ranks, in rank order: the same bits everywhere.

        Parameters
        ----------
        values : array
            This rank's per-epoch sums (a vector).
        """
        gathered = self.comm.allgather(np.asarray(values, dtype=np.float64))
        return np.sum(np.stack(gathered), axis=0)


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
