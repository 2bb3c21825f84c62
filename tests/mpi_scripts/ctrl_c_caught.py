"""Ctrl-C during the Python API's data-parallel ``fit``, caught by the user's code on every rank.

``python ctrl_c_caught.py WHERE [again]``: rank 1 stops in a callback (1 s, so that rank 0 is surely waiting
for it: ``batch``, in the next step's gradient sum; ``epoch``, in the exchange that ends the epoch's hooks),
then sends SIGINT to both ranks, as mpiexec passes on Ctrl-C (``outside``: every rank raises it in a callback,
outside any collective; ``rank_1``: rank 1 alone does, while rank 0 waits for it). Each rank catches the
KeyboardInterrupt and prints ``rank R caught Ctrl-C``. Rank 0, inside one of MPI's blocking collectives, never
saw the signal and waited for ever. A rank that another's Ctrl-C left waiting prints ``rank R first: Type:
message``. With ``again``, every rank then fits once more on the same communicator
and prints ``rank R again: Type: message`` (``None`` when it trained): a collective left pending must not be
matched with the second fit's."""

import os
import signal
import sys
import time

import numpy as np

import nnscratch as nn
from nnscratch import distributed
from nnscratch.training.history import Callback

comm = distributed.from_environment()
pids = comm.allgather(os.getpid())


def stop():
    time.sleep(1.0)
    os.kill(pids[0], signal.SIGINT)
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(1.0)  # the signal is raised here, in Python


class CtrlC(Callback):
    def on_batch_end(self, batch, network):
        if comm.rank == 1 and batch == 3 and sys.argv[1] == "batch":
            stop()

    def on_epoch_end(self, epoch, logs, network):
        if comm.rank == 1 and sys.argv[1] == "epoch":
            stop()
        if sys.argv[1] == "outside" or (sys.argv[1] == "rank_1" and comm.rank == 1):  # outside any collective
            raise KeyboardInterrupt


rng = np.random.default_rng(0)
X = rng.random((256, 4)).astype(np.float32)
y = (X[:, 0] > 0.5).astype(int)
net = nn.Network.from_sizes(4, 8, 2, seed=0)
try:
    net.fit(X, y, epochs=3, batch_size=16, callbacks=[CtrlC()], comm=comm, verbose=False)
except Exception as exc:  # a rank another one's Ctrl-C left waiting
    print(f"rank {comm.rank} first: {type(exc).__name__}: {exc}", flush=True)
except KeyboardInterrupt:
    print(f"rank {comm.rank} caught Ctrl-C", flush=True)
if sys.argv[2:] == ["again"]:
    try:
        net.fit(X, y, epochs=1, batch_size=16, comm=comm, verbose=False)
        print(f"rank {comm.rank} again: None", flush=True)
    except Exception as exc:
        print(f"rank {comm.rank} again: {type(exc).__name__}: {exc}", flush=True)
