"""Would a second *process* split the default CNN's batch better than a second thread does?

    python benchmarks/process_shards.py            # 3 rounds, alternating, 40 steps each (a quiet machine)

``fit`` splits each batch of a convolutional network over threads
(:mod:`nnscratch.training.threaded`). Threads share Python's GIL, which every NumPy call gives up and
takes back. This prototype runs the second half of each batch of 128 in a forked worker process
instead, with the weights, the gradients and the batch in shared memory, one pipe message each way
a step, and compares one training step (forward and backward, no update) with the threaded step
and with the whole batch on one thread, alternating. It is an experiment, not a feature: the twelfth
session measured 17.7-20.9 ms a step for the process against 19.0-21.3 ms for the threads and
34.3-35.0 ms unsplit (benchmarks/README.md), too little to pay for processes' costs (start-up,
signals, layers of one's own that must pickle).
"""

import multiprocessing as mp
import sys
import time
from pathlib import Path

import nnscratch  # noqa: F401  (first: it shortens OpenBLAS's idle spin before NumPy loads it)
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from profile_cnn import _network_and_batch  # noqa: E402

from nnscratch.backend import threads  # noqa: E402
from nnscratch.models import state  # noqa: E402
from nnscratch.training.step import Step  # noqa: E402
from nnscratch.training.threaded import make_step  # noqa: E402

net, x = _network_and_batch(128)
half = x.shape[0] // 2
Y = np.zeros((128, 10), np.float32)
Y[np.arange(128), np.arange(128) % 10] = 1


def shared(*shape):
    return np.frombuffer(mp.RawArray("f", int(np.prod(shape))), np.float32).reshape(shape)


W, G = shared(net.parameter_buffer.size), shared(net.parameter_buffer.size)
X, YY, OUT = shared(half, 784), shared(half, 10), shared(half, 10)
SAVED = dict(state.snapshot(net), optimizer=None)


def worker(conn):
    """The second shard's step, on a replica whose weights and gradients live in shared memory."""
    threads.set_threads(1)
    replica = state.rebuild(SAVED, net.backend)
    buffer = replica.parameter_buffer
    for p, (_, start, shape) in zip(buffer.params, buffer.layout):
        n = int(np.prod(shape))
        p.bind(W[start:start + n].reshape(shape), G[start:start + n].reshape(shape))
    buffer.values, buffer.grads = W, G
    step = Step(replica)
    while conn.recv_bytes() != b"quit":
        OUT[...] = step.backward(X, YY)
        conn.send_bytes(b"done")


def main(rounds=3, steps=40):
    ours, theirs = mp.get_context("fork").Pipe()
    process = mp.get_context("fork").Process(target=worker, args=(theirs,))
    process.start()
    alone, threaded = Step(net), make_step(net)

    def process_step():
        W[...] = net.parameter_buffer.values
        X[...], YY[...] = x[half:], Y[half:]
        ours.send_bytes(b"go")
        first = alone.backward(x[:half], Y[:half])
        ours.recv_bytes()
        grads = net.parameter_buffer.grads
        grads *= 0.5
        grads += 0.5 * G
        return np.concatenate([first, OUT])

    with threads.limited(1):
        for r in range(rounds):
            for name, one in [("process", process_step), ("threads", lambda: threaded.backward(x, Y)),
                              ("one thread, unsplit", lambda: alone.backward(x, Y))]:
                for _ in range(5):
                    one()
                times = []
                for _ in range(steps):
                    start = time.perf_counter()
                    one()
                    times.append(time.perf_counter() - start)
                print(f"round {r}: {name:20s} {np.median(times) * 1e3:.2f} ms a step (median of {steps})")
    ours.send_bytes(b"quit")
    process.join()


if __name__ == "__main__":
    main()
