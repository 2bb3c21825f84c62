"""Rank 1 raises in its third epoch while rank 0 trains on (tests/test_mpi.py):
the job must end promptly with rank 1's message, never hang.

    mpiexec -n 2 python fail_on_rank.py
"""

import numpy as np

import nnscratch
from nnscratch import distributed


class Fail(nnscratch.Callback):
    def __init__(self, rank):
        self.rank = rank

    def on_epoch_end(self, epoch, logs, network):
        if self.rank == 1 and epoch == 2:
            raise RuntimeError("rank 1 failed on purpose in epoch 3")


comm = distributed.from_environment()
rng = np.random.default_rng(0)
X = rng.normal(size=(200, 4)).astype(np.float32)
y = (X[:, 0] > 0).astype(int)
net = nnscratch.Network.from_sizes(4, 8, 2, seed=0)
net.fit(X, y, epochs=100000, batch_size=20, callbacks=[Fail(comm.rank)], comm=comm)
