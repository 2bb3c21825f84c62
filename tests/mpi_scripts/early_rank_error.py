"""``fit`` fails on one rank alone BEFORE its epochs, and user code catches the error (tests/test_loop12.py):

    mpiexec -n 2 python early_rank_error.py OUT_PREFIX CASE...

CASE: ``validation`` (rank 1's validation inputs hold a NaN in a row the ranks' data check does not sample:
its validation-data check raises, rank 0 goes on to the broadcast of the state and the first callbacks'
round), ``restore`` (rank 1's checkpoint restore raises, after the broadcast), ``checkpoint`` (the
checkpoint path holds a file of the user's on rank 0's node, where rank 0 alone looks and writes: refused on
every rank together, before the data-parallel setup; rank 1's own file of that name is never looked at, as
on a disk of its own node). Each case runs on a
communicator of its own; after the failing fit every rank fits again on the same one. Each rank writes
OUT_PREFIX-RANK.json: per case, what the first and the second ``fit`` raised there (as rank_error.py).
"""

import sys

import numpy as np

import nnscratch as nn
from nnscratch import distributed
from nnscratch.saving import checkpoint as checkpoints
from rank_error import raised  # noqa: I001 (this folder is on the path: the script's own)

ROWS = 128  # the ranks' data check (parallel._fingerprint) reads every 2nd validation row: row 1 is not read


def data(rank):
    rng = np.random.default_rng(0)
    X = rng.random((96, 4)).astype(np.float32)
    X_val = rng.random((ROWS, 4)).astype(np.float32)
    if rank == 1:
        X_val[1, 2] = np.nan
    return X, (X[:, 0] > 0.5).astype(int), X_val, (X_val[:, 0] > 0.5).astype(int)


def run(case, comm, tmp):
    net = nn.Network.from_sizes(4, 8, 2, seed=0, backend="numpy")
    X, y, X_val, y_val = data(comm.rank if case == "validation" else 0)
    options = dict(epochs=2, batch_size=16, comm=comm)
    if case == "restore":
        path = f"{tmp}-{case}.ckpt"
        net.fit(X, y, checkpoint=path, **dict(options, epochs=1))  # every rank resumes from it below
        real = checkpoints.restore

        def restore(*args):
            if comm.rank == 1:
                raise OSError(f"rank 1 could not read {path}")
            return real(*args)

        checkpoints.restore = restore
        first = raised(lambda: net.fit(X, y, checkpoint=path, resume=True, **options))
        checkpoints.restore = real
    elif case == "checkpoint":
        path = f"{tmp}-notes-{comm.rank}.txt"  # each rank's node: rank 0's is the one written
        with open(path, "w") as f:
            f.write(f"the user's notes on rank {comm.rank}'s node\n")
        first = raised(lambda: net.fit(X, y, checkpoint=path, **options))
    else:
        first = raised(lambda: net.fit(X, y, validation_data=(X_val, y_val), **options))
    second = raised(lambda: net.fit(X, y, epochs=1, batch_size=16, comm=comm))
    return {"first": first, "second": second}


if __name__ == "__main__":
    import json
    results = {case: run(case, distributed.from_environment(), sys.argv[1]) for case in sys.argv[2:]}
    with open(f"{sys.argv[1]}-{distributed.comm.launched_rank()}.json", "w") as f:
        json.dump(results, f)
