"""``fit`` fails on one rank alone, and user code catches the error (tests/test_mpi_rank_error.py):

    mpiexec -n N python rank_error.py OUT_PREFIX CASE...

CASE: ``dense`` (a layer of one's own raises on rank 1's shard in epoch 2: rank 0 waits in the gradient sum),
``batchnorm`` (the same before a BatchNorm of a CNN: rank 0 waits in its gather), ``after_last`` (rank 1 fails
after the fit's last collective, when rank 0 has left ``fit``), ``every_rank`` (the layer raises on every rank
at once), ``but_rank_0`` (on every rank but 0), ``uncaught`` (nothing catches it: the excepthook's path, and
the last case). The backend: ``$NNSCRATCH_BACKEND``, else NumPy. Each case runs on a communicator of its own;
after the failing fit every rank fits again on the same one. Each rank writes OUT_PREFIX-RANK.json: per case,
what the first and the second ``fit`` raised there (type, message, the rank it ``follows``)."""

import json
import os
import sys

import numpy as np

import nnscratch as nn
from nnscratch import distributed
from nnscratch.layers import BatchNorm, Conv2D, Dense, Flatten, Identity, MaxPool2D, ReLU, Softmax
from nnscratch.training import loop


class FailsInEpoch2(Identity):
    """Passes its input on, but raises in the second epoch where ``here`` (``epoch``: set by a callback)."""

    here, epoch = False, 0

    def forward(self, x, training=False):
        if training and self.here and self.epoch == 1:
            raise ValueError(f"a shard of {x.shape[0]} rows has a bad row")
        return super().forward(x, training)


class Epochs(nn.Callback):
    def __init__(self, layer):
        self.layer = layer

    def on_epoch_begin(self, epoch, network):
        self.layer.epoch = epoch


def network(case, fails):
    if case == "batchnorm":
        layers = [Conv2D(1, 3, 3, padding=1), fails, BatchNorm(3), ReLU(), MaxPool2D(2), Flatten(), Dense(48, 2),
                  Softmax()]
    else:
        layers = [Dense(4, 8), fails, ReLU(), Dense(8, 2), Softmax()]
    return nn.Network(layers, seed=0, backend=os.environ.get("NNSCRATCH_BACKEND", "numpy"))


def data(case):
    rng = np.random.default_rng(0)
    X = rng.random((96, 1, 8, 8) if case == "batchnorm" else (96, 4)).astype(np.float32)
    y = (X.reshape(96, -1)[:, 0] > 0.5).astype(int)
    return X, y


def raised(fn):
    try:
        fn()
        return None
    except Exception as exc:
        return [type(exc).__name__, str(exc), getattr(exc, "follows", None)]


def after_last_collective(comm):
    """``_Run.loop`` of rank 1 raises once the loop (and its last collective) is over."""
    real = loop._Run.loop

    def fails_after(self, *args, **options):
        real(self, *args, **options)
        if comm.rank == 1:
            raise MemoryError("rank 1 ran out of memory after training")

    loop._Run.loop = fails_after
    return lambda: setattr(loop._Run, "loop", real)


def run(case, comm):
    fails = FailsInEpoch2()
    fails.here = {"every_rank": True, "but_rank_0": comm.rank != 0, "after_last": False}.get(case, comm.rank == 1)
    net, (X, y) = network(case, fails), data(case)
    options = dict(epochs=3, batch_size=16, comm=comm, callbacks=[Epochs(fails)])
    if case == "uncaught":
        net.fit(X, y, **options)
    undo = after_last_collective(comm) if case == "after_last" else (lambda: None)
    first = raised(lambda: net.fit(X, y, **options))
    undo()
    fails.epoch = 0
    second = raised(lambda: net.fit(X, y, epochs=1, batch_size=16, comm=comm))
    return {"first": first, "second": second}


if __name__ == "__main__":
    results = {case: run(case, distributed.from_environment()) for case in sys.argv[2:]}
    with open(f"{sys.argv[1]}-{distributed.comm.launched_rank()}.json", "w") as f:
        json.dump(results, f)
