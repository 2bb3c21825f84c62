"""The tightest hand-written NumPy training loop we know, as the yardstick.

A ReLU MLP with a softmax cross-entropy output, trained with plain SGD:
every buffer preallocated, every update in place (``out=``), the learning
rate and the ``1/n`` folded into the output delta, no gradient for the input
layer, the shuffled batch gathered with ``np.take(..., out=)``. No loss and
no accuracy are computed: this is the floor, not a library.

``nnscratch bench --reference`` times it next to nnscratch (same data, same
sizes, same batch order policy), alternating epochs. Run it alone with::

    python -m nnscratch.bench.reference.numpy_reference --batch-size 128 --epochs 5
"""

import argparse
import time

import numpy as np


class NumpyReference:
    """One epoch at a time of plain SGD on ``(X, y)`` with layer ``sizes``."""

    name = "numpy-reference"

    def __init__(self, X, y, sizes, batch_size, lr=0.01, seed=0):
        self.X = np.ascontiguousarray(X, dtype=np.float32)
        dtype, n_out = self.X.dtype, sizes[-1]
        self.Y = np.eye(n_out, dtype=dtype)[np.asarray(y)]
        rng = np.random.default_rng(seed)
        self.W = [(rng.standard_normal((a, b)) * np.sqrt(2.0 / a)).astype(dtype) for a, b in zip(sizes, sizes[1:])]
        self.b = [np.zeros(b, dtype=dtype) for b in sizes[1:]]
        self.rng, self.batch_size, self.lr = rng, batch_size, lr
        self.buffers = {m: self._buffers(m, sizes, dtype) for m in {batch_size, len(X) % batch_size} if m}

    @staticmethod
    def _buffers(m, sizes, dtype):
        acts = [np.empty((m, k), dtype) for k in sizes]            # x, h1, h2, ..., logits
        deltas = [np.empty((m, k), dtype) for k in sizes[1:]]      # dL/dz per layer (scaled by lr)
        grads = [np.empty((a, b), dtype) for a, b in zip(sizes, sizes[1:])]
        masks = [np.empty((m, k), bool) for k in sizes]            # where each ReLU was active
        return acts, deltas, grads, masks, np.empty((m, 1), dtype)

    def epoch(self):
        order = self.rng.permutation(len(self.X))
        for start in range(0, len(order), self.batch_size):
            self.step(order[start:start + self.batch_size])

    def step(self, idx):
        acts, deltas, grads, masks, col = self.buffers[len(idx)]
        W, b, last = self.W, self.b, len(self.W) - 1
        np.take(self.X, idx, axis=0, out=acts[0])
        for i in range(last + 1):                                  # forward
            np.matmul(acts[i], W[i], out=acts[i + 1])
            acts[i + 1] += b[i]
            if i < last:
                np.maximum(acts[i + 1], 0, out=acts[i + 1])
        z, d = acts[-1], deltas[-1]                                # softmax - onehot, times lr/m
        np.max(z, axis=1, keepdims=True, out=col)
        np.subtract(z, col, out=d)
        np.exp(d, out=d)
        np.sum(d, axis=1, keepdims=True, out=col)
        col *= len(idx) / self.lr
        d /= col
        d -= np.take(self.Y, idx, axis=0) * (self.lr / len(idx))
        for i in range(last, -1, -1):                              # backward + in-place update
            np.matmul(acts[i].T, deltas[i], out=grads[i])
            b[i] -= deltas[i].sum(axis=0)
            if i:
                np.matmul(deltas[i], W[i].T, out=deltas[i - 1])
                np.greater(acts[i], 0, out=masks[i])
                deltas[i - 1] *= masks[i]
            W[i] -= grads[i]

    def sync(self):
        """Nothing to wait for on the CPU."""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--samples", type=int, default=60000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    X = rng.random((args.samples, 784), dtype=np.float32)
    y = rng.integers(0, 10, args.samples)
    ref = NumpyReference(X, y, (784, 256, 128, 10), args.batch_size)
    for epoch in range(args.epochs):
        start = time.perf_counter()
        ref.epoch()
        print(f"epoch {epoch + 1}: {time.perf_counter() - start:.3f} s")


if __name__ == "__main__":
    main()
