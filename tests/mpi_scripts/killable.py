"""A run slow enough to be killed mid-way (tests/test_mpi.py):

    [mpiexec -n 2] python killable.py CHECKPOINT OUT.npz MODE SECONDS_PER_EPOCH

MODE: ``plain`` (no checkpoint), ``checkpoint`` (write one every epoch) or
``resume`` (continue from CHECKPOINT). Rank 0 saves the final model to OUT.npz.
"""

import sys
import time

import numpy as np

import nnscratch
from nnscratch import distributed


class Slow(nnscratch.Callback):
    def __init__(self, delay):
        self.delay = delay

    def on_epoch_end(self, epoch, logs, network):
        time.sleep(self.delay)


def train(ckpt, mode, delay=0.0, comm=None):
    """The trained network (``mode`` and ``delay`` as on the command line)."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(250, 10)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(int)
    net = nnscratch.Network.from_sizes(10, 32, 16, 2, seed=7, backend="numpy")
    net.fit(X, y, epochs=10, batch_size=30, optimizer="adam", callbacks=[Slow(delay)], comm=comm,
            checkpoint=None if mode == "plain" else ckpt, resume=ckpt if mode == "resume" else None)
    return net


if __name__ == "__main__":
    comm = distributed.from_environment()
    net = train(sys.argv[1], sys.argv[3], float(sys.argv[4]), comm)
    if comm is None or comm.rank == 0:
        net.save(sys.argv[2])
