"""A callback that raises on one rank alone (tests/test_mpi_crossings3.py):

    mpiexec -n N python callback_fails.py OUT_PREFIX CASE...

CASE: ``epoch_end_rank0`` (an OSError from a file written on rank 0 alone), ``batch_end_rank1``,
``odd_rank1`` (an exception that does not survive pickling), ``every_rank`` (each its own message),
``early`` (EarlyStopping, nothing raised), ``save_every_rank`` (each rank saves the model to the same
file every epoch), ``uncaught`` (nothing catches it: the excepthook's path, and the last case).
Each rank writes OUT_PREFIX-RANK.json: per case, what ``fit`` raised there, the epochs trained and
the logs its callback saw.
"""

import json
import sys

import numpy as np

import nnscratch as nn
from nnscratch import distributed


class Odd(Exception):
    def __init__(self, code, detail):  # unpickles only with both arguments: pickle gives it one
        super().__init__(f"odd failure {code}: {detail}")


class Fails(nn.Callback):
    def __init__(self, case, rank):
        self.case, self.rank, self.logs = case, rank, []

    def on_batch_end(self, batch, network):
        if self.case == "batch_end_rank1" and self.rank == 1 and batch == 2 and len(self.logs) == 1:
            raise ValueError("rank 1's per-batch hook failed")

    def on_epoch_end(self, epoch, logs, network):
        self.logs.append(dict(logs))
        if epoch != 1:
            return
        if self.case in ("epoch_end_rank0", "uncaught") and self.rank == 0:
            open("missing-folder/log.txt", "w")  # rank 0 alone writes the log, and fails
        if self.case == "odd_rank1" and self.rank == 1:
            raise Odd(7, "on rank 1")
        if self.case == "every_rank":
            raise RuntimeError(f"every rank fails, this is rank {self.rank}")


class SaveEveryEpoch(nn.Callback):
    def on_epoch_end(self, epoch, logs, network):
        network.save("every-epoch.npz")  # on every rank, the same file


def run(case, comm):
    rank = 0 if comm is None else comm.rank
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 4)).astype(np.float32)
    y = (X[:, 0] + 0.3 * rng.normal(size=90) > 0).astype(int)
    net = nn.Network.from_sizes(4, 8, 2, seed=0, backend="numpy")
    callbacks = [Fails(case, rank)]
    if case == "early":
        callbacks.append(nn.EarlyStopping(patience=2, monitor="val_loss", min_delta=1e-3))
    if case == "save_every_rank":
        callbacks.append(SaveEveryEpoch())
    options = dict(epochs=50 if case == "early" else 6, batch_size=20, validation_split=0.2, callbacks=callbacks,
                   comm=comm, optimizer=nn.Adam(lr=0.05))
    if case == "uncaught":
        net.fit(X, y, **options)
    try:
        history, raised = net.fit(X, y, **options), None
    except Exception as exc:
        history, raised = None, [type(exc).__name__, str(exc), getattr(exc, "collective", False)]
    return {"raised": raised, "epochs": None if history is None else len(history.epoch), "logs": callbacks[0].logs}


if __name__ == "__main__":
    comm = distributed.from_environment()
    results = {case: run(case, comm) for case in sys.argv[2:]}
    with open(f"{sys.argv[1]}-{0 if comm is None else comm.rank}.json", "w") as f:
        json.dump(results, f)
