"""Data-parallel training over the cores of one process: each thread trains a share of every batch.

A convolutional network's step is mostly copies (im2col, col2im, pooling) and
elementwise work beside its matrix products. The BLAS threads only the
products, and splitting each copy over the cores gains little: the pieces are
small and every hand-over costs (benchmarks/README.md, "Threads"). So on
NumPy, with several cores, a network with a :class:`~nnscratch.layers.Conv2D`
or pooling layer trains as ``mpiexec -n N`` would, with threads for ranks:
the batch is cut into ``N`` shards (:func:`nnscratch.distributed.sharding.shard`),
thread ``r`` runs forward and backward of its shard on replica ``r`` of the
network (its own layers, for their caches, and its own gradient buffer; the
weights are the network's own arrays, shared), each with one BLAS thread; then
the gradients are summed, weighted by the shards' sizes, and the optimizer
updates the network once. NumPy releases the GIL in its copies, ufuncs and
products, so the threads run at once.

What is exact, as under MPI (:mod:`nnscratch.distributed.sync`): Dropout keys
its masks by the row's index in the whole batch and every replica starts the
step from the network's RNG state, so the masks are those of one thread;
BatchNorm normalises with the whole batch's statistics, gathered from the
threads. The result is one thread's, up to the order of the gradient sums
(rounding: ``tests/test_threaded_step.py``). Everything else about ``fit``
(callbacks, checkpoints, validation, streaming, augmentation) is unchanged: it
sees one Step.

Dense-only networks stay on one thread of Python: their step is a few large
products that the BLAS threads better than halving the batch does (an MLP's
epoch took 1.3-1.9x longer split).
"""

from __future__ import annotations

import threading

from ..backend import threads
from ..backend.kernels import Kernels
from ..distributed.sharding import shard
from ..distributed.sync import ShardContext
from ..errors import ConfigError
from ..layers import AvgPool2D, Conv2D, MaxPool2D
from ..models import state
from .step import Step

SPLIT_LAYERS = (Conv2D, MaxPool2D, AvgPool2D)
"""Layers whose work is mostly copies the BLAS does not thread: a network with one splits its batches."""
MIN_ROWS = 16
"""Fewest rows a thread takes (a batch of 128 splits over 8 threads at most; one under 32 rows runs whole).
A shard's step costs about 0.5 ms of Python beside 0.16 ms a row of the default CNN (2-core AMD EPYC),
and the threads take turns for Python (the GIL): below 16 rows a thread, more threads would spend
more time waiting for their turn than they save."""


def thread_count(net, comm=None):
    """Threads that share each batch of ``net`` in ``fit`` (1: none split): the BLAS threads on NumPy
    (:func:`nnscratch.backend.threads.blas_threads`, which follows ``OPENBLAS_NUM_THREADS`` and the
    idle cores) for a network with a convolution or pooling layer, outside MPI."""
    if comm is not None and getattr(comm, "size", 1) > 1:
        return 1  # each rank is one process already
    if net.backend.name != "numpy" or net.parameter_buffer is None:
        return 1
    if not any(isinstance(layer, SPLIT_LAYERS) for layer in net.layers):
        return 1  # first: an MLP's fit (a partial_fit per batch) reads no thread pools
    info = threads.blas_info()
    return 1 if info is None else max(1, int(info["num_threads"]))  # no BLAS whose threads can be limited: 1


def describe(net, comm=None):
    """For the first training line: ``batches split over 2 threads (one BLAS thread each)``, or None."""
    count = thread_count(net, comm)
    return f"batches split over {count} threads (one BLAS thread each)" if count > 1 else None


def make_step(net, loss=None, optimizer=None, comm=None):
    """The Step ``fit`` trains ``net`` with: a :class:`ThreadedStep` where :func:`thread_count` is above 1
    and the network can be copied for the other threads (a layer of one's own whose ``get_config`` does
    not rebuild it cannot: such a network trains in one thread, as it would without the split)."""
    count = thread_count(net, comm)
    replicas = _replicas(net, count - 1)
    return ThreadedStep(net, loss, optimizer, replicas) if replicas else Step(net, loss, optimizer)


class ThreadedStep(Step):
    """A Step whose forward and backward run each batch in shards at once, one per thread (shard 0 on
    the network itself, the others on ``replicas``).

    While :meth:`cores` is entered (``fit`` enters it around its epochs) the BLAS and nnscratch's
    own copies run in one thread each: the shards' threads take the cores instead.
    """

    def __init__(self, net, loss, optimizer, replicas):
        super().__init__(net, loss, optimizer)
        self.shards = [Step(net, self.loss, None)] + [Step(replica, self.loss, None) for replica in replicas]
        # The layers' settings (what get_config names: Dropout's rate, ...), which a callback may change mid-fit.
        self._settings = [[(mine, theirs, name) for mine, theirs in zip(net.layers, replica.layers)
                           for name in mine.get_config() if name != "type" and name in vars(mine)]
                          for replica in replicas]
        self._groups = {}

    def cores(self):
        """While entered: one BLAS thread, and nnscratch's own work unsplit (the shards split instead)."""
        return threads.limited(1)

    def backward(self, x, Y, scale=1.0, w=None):
        count = min(len(self.shards), x.shape[0] // MIN_ROWS)
        if count < 2:
            return super().backward(x, Y, scale, w)
        n, group = x.shape[0], self._group(count)
        self._follow(count)
        bounds = [shard(0, n, r, count) for r in range(count)]
        for (a, b), member in zip(bounds, group):
            member.step.training = member.context  # this group's (the shard count decides the group)
            member.context.row_offset, member.context.weight = a, (b - a) / n
        outs = group.run([lambda s=s, a=a, b=b: s.backward(x[a:b, ...], Y[a:b, ...], 1.0,
                                                           None if w is None else w[a:b, ...])
                          for s, (a, b) in zip(self.shards, bounds)])
        grads = self.buffer.grads  # shard 0 wrote the network's own; add the others', weighted by their rows
        grads *= scale * (bounds[0][1] - bounds[0][0]) / n
        for s, (a, b) in zip(self.shards[1:count], bounds[1:]):
            self.buffer.kernels.axpy(scale * (b - a) / n, s.buffer.grads, grads)  # in place, no temporary
        return self.xp.concat(outs)

    def forward(self, x, training=False):
        count = min(len(self.shards), x.shape[0] // MIN_ROWS)
        if training or count < 2:
            return super().forward(x, training)
        self._follow(count)
        bounds = [shard(0, x.shape[0], r, count) for r in range(count)]
        outs = self._group(count).run([lambda s=s, a=a, b=b: s.forward(x[a:b, ...])
                                       for s, (a, b) in zip(self.shards, bounds)])
        return self.xp.concat(outs)

    def _follow(self, count):
        """Start every replica from the network's RNG state (Dropout's masks), running statistics and
        layer settings."""
        rng = self.net.rng.bit_generator.state
        ours = self.net.buffers()
        for s, settings in zip(self.shards[1:count], self._settings):
            s.net.rng.bit_generator.state = rng
            for theirs, mine in zip(s.net.buffers(), ours):
                theirs.value = mine.value
            for mine, theirs, name in settings:
                setattr(theirs, name, getattr(mine, name))

    def _group(self, count):
        if count not in self._groups:
            self._groups[count] = _Group(self.shards[:count])
        return self._groups[count]


def _replicas(net, n):
    """``n`` copies of ``net`` whose parameters' values are ``net``'s own arrays (shared, updated by its
    optimizer) and whose gradients are their own; [] where a layer cannot be rebuilt from its
    ``get_config``. A copy is the model alone (its layers, weights, buffers, RNG), rebuilt as ``pickle``
    rebuilds it, without the optimizer or the attributes a user gave the network (which may not copy)."""
    if n < 1:
        return []
    saved = dict(state.snapshot(net), optimizer=None)
    try:
        replicas = [state.rebuild(saved, net.backend) for _ in range(n)]
    except ConfigError:
        return []
    for replica in replicas:
        for mine, theirs in zip(replica.parameters(), net.parameters()):
            mine.bind(theirs.value, mine.grad)
    return replicas


class _Group:
    """The threads of one shard count: their ShardContexts, and an all-gather among them for BatchNorm."""

    def __init__(self, steps):
        self.size = len(steps)
        self.barrier = threading.Barrier(self.size)
        self.slots = [None] * self.size
        self.members = [_Member(self, rank, step) for rank, step in enumerate(steps)]

    def __iter__(self):
        return iter(self.members)

    def run(self, tasks):
        """Results of ``tasks`` (one per member, at once); a task's error is raised here, after every
        task has ended (the others, waiting for it in an all-gather, are released)."""
        results, errors = [None] * len(tasks), [None] * len(tasks)

        def one(rank):
            try:
                results[rank] = tasks[rank]()
            except BaseException as exc:  # noqa: BLE001  (raised again below, in the caller's thread)
                errors[rank] = exc
                self.barrier.abort()

        Kernels.run([lambda rank=rank: one(rank) for rank in range(len(tasks))])
        failed = [e for e in errors if e is not None]
        if failed:
            self.barrier = threading.Barrier(self.size)
            raise next((e for e in failed if not isinstance(e, threading.BrokenBarrierError)), failed[0])
        return results


class _Member:
    """One thread of a group, as :class:`~nnscratch.distributed.sync.ShardContext` sees a rank:
    ``backend``, ``net`` and ``comm.allgather``."""

    def __init__(self, group, rank, step):
        self.group, self.rank, self.step, self.net, self.backend = group, rank, step, step.net, step.net.backend
        self.comm = self
        self.context = ShardContext(self)

    def allgather(self, value):
        group = self.group
        group.slots[self.rank] = value
        group.barrier.wait()
        gathered = list(group.slots)
        group.barrier.wait()  # nobody writes the next gather's slot before everyone has read this one
        return gathered

