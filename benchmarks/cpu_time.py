"""Epoch ratios in CPU time on one thread: what a busy machine leaves honest.

    python benchmarks/cpu_time.py mlp 32,128,1024     # nnscratch (NumPy) against the hand-written NumPy loop
    python benchmarks/cpu_time.py cnn 128             # the default CNN against the same network in PyTorch

One BLAS thread and one PyTorch thread; epochs alternate (the order flipping every round) and each
is timed with ``time.process_time``, the CPU time of this process, which other programs on the
machine move far less than wall time (they still share its caches and memory bandwidth). Prints the
median and the lowest of each and their ratios. On a quiet machine use ``nnscratch bench`` instead,
which times the wall clock and, for the CNN, every core too.
"""

import argparse
import time

import nnscratch  # noqa: F401  (first: it shortens OpenBLAS's idle spin before NumPy loads it)
import numpy as np


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", choices=("mlp", "cnn"))
    parser.add_argument("batch_sizes", nargs="?", default="32,128,1024")
    parser.add_argument("--rounds", type=int, default=9, help="alternating rounds, the first one untimed")
    parser.add_argument("--samples", type=int, default=None, help="rows (MLP: 20,000 synthetic; CNN: 2,048 digits)")
    args = parser.parse_args()
    from nnscratch.backend.threads import set_threads
    set_threads(1)
    for batch in (int(b) for b in args.batch_sizes.split(",")):
        ours, theirs, label = (_mlp if args.model == "mlp" else _cnn)(batch, args.samples)
        a, b = _alternate(ours, theirs, args.rounds)
        print(f"batch {batch}: nnscratch {np.median(a):.3f} s, {label} {np.median(b):.3f} s CPU per epoch; "
              f"ratio {np.median(a) / np.median(b):.3f} (medians), {a.min() / b.min():.3f} (lowest)", flush=True)


def _mlp(batch, samples):
    from nnscratch.backend.core import get_backend
    from nnscratch.bench.contenders import NNScratch
    from nnscratch.bench.reference.numpy_reference import NumpyReference
    rng = np.random.default_rng(0)
    n = samples or 20000
    X, y = rng.random((n, 784), dtype=np.float32), rng.integers(0, 10, n)
    sizes = (784, 256, 128, 10)
    return NNScratch(get_backend("numpy"), X, y, sizes, batch).epoch, NumpyReference(X, y, sizes, batch).epoch, \
        "hand-written loop"


def _cnn(batch, samples):
    import torch
    torch.set_num_threads(1)
    from nnscratch.backend.core import get_backend
    from nnscratch.bench.cnn import OursCNN, TorchCNN
    from nnscratch.bench.runner import load_data
    from nnscratch.models.network import Network
    from nnscratch.models.spec import default_cnn_spec, layers_from_spec
    X, y, k = load_data("mnist-sample", samples or 2048, 784, 0)
    X = np.ascontiguousarray(X, dtype=np.float32)
    net = Network(layers_from_spec(default_cnn_spec(k), 784, k), seed=0, backend="numpy")
    return OursCNN(get_backend("numpy"), net, X, y, batch, 0.01).epoch, TorchCNN(net, X, y, batch, 0.01, 0).epoch, \
        "PyTorch"


def _alternate(ours, theirs, rounds):
    a, b = [], []
    for turn in range(rounds):
        for epoch, times in ((ours, a), (theirs, b)) if turn % 2 == 0 else ((theirs, b), (ours, a)):
            start = time.process_time()
            epoch()
            times.append(time.process_time() - start)
    return np.array(a[1:]), np.array(b[1:])


if __name__ == "__main__":
    main()
