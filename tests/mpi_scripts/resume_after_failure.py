"""``fit`` with a checkpoint fails on rank 1 alone, the error caught; then resumed (tests/test_mpi13.py):

    mpiexec -n 2 python resume_after_failure.py CHECKPOINT OUT MODE

MODE ``fail``: rank 1's Dense layer raises in the third of four epochs (a checkpoint was written after the
second); every rank catches what it raised, then calls ``fit(resume=CHECKPOINT)`` on the same communicator.
Each rank writes ``OUT-RANK.json``: ``{"first": ..., "second": ...}``, what each fit raised (type, message).
MODE ``resume``: a new job resumes from CHECKPOINT; rank 0 saves the model to ``OUT.npz``. As one process
(``plain``), the uninterrupted run: the reference.
"""

import json
import sys

import numpy as np

import nnscratch as nn
from nnscratch import distributed
from nnscratch.layers import dense

FAIL_AT = 2 * 8 + 3  # Dense forwards in training: 2 a step, 4 steps an epoch; this one is in epoch 3


def fails_on_rank_1(comm):
    real, calls = dense.Dense.forward, []

    def forward(self, x, training=False):
        calls.append(1) if training else None
        if comm.rank == 1 and len(calls) == FAIL_AT:
            raise ValueError("rank 1's layer failed in epoch 3")
        return real(self, x, training)

    dense.Dense.forward = forward


def raised(fn):
    try:
        fn()
        return None
    except Exception as exc:
        return [type(exc).__name__, str(exc)]


def train(ckpt, comm, resume=None):
    rng = np.random.default_rng(0)
    X = rng.random((64, 2)).astype(np.float32)
    y = (X[:, 0] > X[:, 1]).astype(int)
    net = nn.Network([nn.Dense(2, 8), nn.ReLU(), nn.Dense(8, 2), nn.Softmax()], seed=0, backend="numpy")
    net.fit(X, y, epochs=4, batch_size=16, checkpoint=ckpt, resume=resume, comm=comm, verbose=False)
    return net


if __name__ == "__main__":
    ckpt, out, mode = sys.argv[1:4]
    comm = distributed.from_environment()
    if mode == "fail":
        fails_on_rank_1(comm)
        results = {"first": raised(lambda: train(ckpt, comm)), "second": raised(lambda: train(ckpt, comm, ckpt))}
        with open(f"{out}-{comm.rank}.json", "w") as f:
            json.dump(results, f)
    else:
        net = train(ckpt if mode == "resume" else None, comm, ckpt if mode == "resume" else None)
        if comm is None or comm.rank == 0:
            net.save(f"{out}.npz")
