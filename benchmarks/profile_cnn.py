"""Where a training step of the default CNN spends its time, per layer and per operation.

    python benchmarks/profile_cnn.py                  # one thread, batch 128: CPU time (robust on a busy machine)
    python benchmarks/profile_cnn.py --threads 2      # wall time with 2 BLAS/PyTorch threads (needs a quiet machine)
    python benchmarks/profile_cnn.py --pyinstrument   # also the pyinstrument call tree of 20 steps
    python benchmarks/profile_cnn.py --threads 2 --split-ab 7   # epochs with the copies and elementwise
        # work split over the threads, against the same with it in one thread (BLAS on 2 threads both)
    python benchmarks/profile_cnn.py --threads 2 --steps 3      # one training step, median of 12, for BLAS on
        # 1 and 2 threads x own work on 1 and 2, and PyTorch on 1 and 2, alternating, 3 rounds

Per layer: forward and backward of nnscratch's layer (on NumPy) and of the same torch.nn module
(autograd), on 128 MNIST-sample digits, the minimum over ``--repeats`` runs. With one thread the
clock is the process's CPU time, which other programs on the machine barely move; with more,
wall time. Per operation: nnscratch's Conv2D and MaxPool2D split into their parts by timing the
functions they call (im2col, col2im, padding, the gradient products written into their slots,
the bias sum); "the rest" of a forward is its product and bias, of a backward its input-gradient
product.
"""

import argparse
import collections
import functools
import time

import nnscratch  # noqa: F401  (first: it shortens OpenBLAS's idle spin before NumPy loads it)
import numpy as np


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--pyinstrument", action="store_true")
    parser.add_argument("--split-ab", type=int, metavar="ROUNDS", help="only time ROUNDS alternating pairs of "
                        "epochs (2,048 digits): nnscratch's own work split over --threads threads, then not")
    parser.add_argument("--steps", type=int, metavar="ROUNDS", help="only time single steps (see above)")
    args = parser.parse_args()
    if args.steps:
        return _steps(args.threads, args.steps, args.batch)
    if args.split_ab:
        return _split_ab(args.threads, args.split_ab)
    try:
        from nnscratch.backend.threads import set_threads
    except ImportError:  # nnscratch before issue 23 (to profile it too)
        from threadpoolctl import threadpool_limits

        def set_threads(n):
            threadpool_limits(limits=n, user_api="blas")
    set_threads(args.threads)
    import torch
    torch.set_num_threads(args.threads)
    clock = time.process_time if args.threads == 1 else time.perf_counter
    net, x = _network_and_batch(args.batch)
    ops = collections.defaultdict(list)
    with _timing_calls(ops, clock):
        ours = _layer_times(net, x, args.repeats, clock)
    theirs = _torch_layer_times(net, x, args.repeats, clock)
    print(f"batch {args.batch}, {args.threads} thread(s), {'CPU' if args.threads == 1 else 'wall'} ms, "
          f"min of {args.repeats}")
    print(f"{'layer':<22}{'ours fwd':>9}{'bwd':>8}{'torch fwd':>11}{'bwd':>8}")
    for (name, f, b), (tf, tb) in zip(ours, theirs):
        print(f"{name:<22}{f:>9.2f}{b:>8.2f}{tf:>11.2f}{tb:>8.2f}")
    print(f"{'sum':<22}{sum(r[1] for r in ours):>9.2f}{sum(r[2] for r in ours):>8.2f}"
          f"{sum(t[0] for t in theirs):>11.2f}{sum(t[1] for t in theirs):>8.2f}")
    print("\nper operation (ours, ms per call, min; shape: the data it works on):")
    for key, values in ops.items():
        print(f"  {key:<78}{min(values) * 1e3:>6.2f}")
    if args.pyinstrument:
        _pyinstrument(net, x)


def _split_ab(n_threads, rounds):
    """Median epoch seconds with nnscratch's copies and elementwise work on ``n_threads`` threads and
    on one (the BLAS on ``n_threads`` both), alternating, and their ratio."""
    import statistics

    from nnscratch.backend import threads
    from nnscratch.bench.cnn import OursCNN
    from nnscratch.backend.core import get_backend
    net, _ = _network_and_batch(1)
    from nnscratch.datasets import load_dataset
    data = load_dataset("mnist-sample", seed=0)
    ours = OursCNN(get_backend("numpy"), net, data.X_train[:2048], data.y_train[:2048], 128, 0.01)
    threads.set_threads(n_threads)
    times = {n_threads: [], 1: []}
    for turn in range(rounds + 1):
        for workers in ((n_threads, 1) if turn % 2 == 0 else (1, n_threads)):
            threads._workers[0] = workers
            seconds = ours.epoch()
            if turn:
                times[workers].append(seconds)
    split, single = (statistics.median(times[k]) for k in (n_threads, 1))
    print(f"BLAS {n_threads} threads; own work on {n_threads} threads: {split:.3f} s/epoch, on one: {single:.3f} "
          f"s/epoch; ratio {split / single:.2f} (median of {rounds})")


def _steps(n_threads, rounds, batch, reps=12):
    """Median wall ms of one training step: nnscratch for BLAS threads x own-work threads in
    {1, n} x {1, n}, and PyTorch on 1 and n threads, every round in turn."""
    import torch

    from nnscratch.backend import threads
    from nnscratch.bench.cnn import torch_model
    from nnscratch.optim.optimizers import SGD
    from nnscratch.training.step import Step
    net, x = _network_and_batch(batch)
    labels = np.arange(len(x)) % 10
    step, Y = Step(net, None, SGD(lr=0.01)), np.eye(10, dtype=np.float32)[labels]
    model = torch_model(net)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    tx, ty = torch.from_numpy(x), torch.from_numpy(labels)

    def torch_step():
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(tx), ty).backward()
        opt.step()

    def median(run):
        run()
        times = []
        for _ in range(reps):
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
        return float(np.median(times)) * 1e3

    configs = [(b, w) for b in (1, n_threads) for w in (1, n_threads)]
    for turn in range(rounds):
        ours = {}
        for blas, workers in (configs if turn % 2 == 0 else configs[::-1]):
            threads.set_threads(blas)
            threads._workers[0] = workers
            ours[(blas, workers)] = median(lambda: step.train_batch(x, Y))
        theirs = {}
        for n in (1, n_threads):
            torch.set_num_threads(n)
            theirs[n] = median(torch_step)
        print(" | ".join(f"BLAS {b} own {w}: {ours[(b, w)]:.1f}" for b, w in configs) + " | "
              + " ".join(f"torch {n}: {theirs[n]:.1f}" for n in theirs) + " ms", flush=True)


def _network_and_batch(batch):
    from nnscratch.datasets import load_dataset
    from nnscratch.models.network import Network
    from nnscratch.models.spec import default_cnn_spec, layers_from_spec
    data = load_dataset("mnist-sample", seed=0)
    net = Network(layers_from_spec(default_cnn_spec(10), 784, 10), seed=0, backend="numpy")
    return net, np.ascontiguousarray(data.X_train[:batch], dtype=np.float32)


def _layer_times(net, x, repeats, clock):
    """``[(name, forward ms, backward ms)]`` of every layer but the fused softmax, min over repeats."""
    layers = net.layers[:-1]
    fwd, bwd = collections.defaultdict(list), collections.defaultdict(list)
    first = next(i for i, layer in enumerate(layers) if layer.params)
    for _ in range(repeats):
        h = x
        for i, layer in enumerate(layers):
            start = clock()
            h = layer.forward(h, training=True)
            fwd[i].append(clock() - start)
        g = np.full(h.shape, 1.0 / h.shape[0], dtype=h.dtype)
        for i in range(len(layers) - 1, first - 1, -1):
            start = clock()
            g = layers[i].backward(g, need_input_grad=i > first)
            bwd[i].append(clock() - start)
    return [(f"{i} {type(layer).__name__}", min(fwd[i]) * 1e3, min(bwd[i]) * 1e3 if bwd[i] else 0.0)
            for i, layer in enumerate(layers)]


def _torch_layer_times(net, x, repeats, clock):
    """The same per layer for the torch.nn twin: each module alone, on its input, backward of ones."""
    import torch
    from nnscratch.bench import cnn
    model = torch.nn.Sequential(*[t for t in (cnn._torch_layer(torch, layer) for layer in net.layers) if t is not None])
    times = []
    h = torch.from_numpy(x)
    for module in model:
        h = h.detach().requires_grad_(True)
        fwd, bwd = [], []
        for _ in range(repeats):
            start = clock()
            out = module(h)
            fwd.append(clock() - start)
            grad = torch.full_like(out, 1.0 / out.shape[0])
            start = clock()
            out.backward(grad)
            bwd.append(clock() - start)
            h.grad = None
        times.append((min(fwd) * 1e3, min(bwd) * 1e3))
        h = module(h)
    return times


class _timing_calls:
    """Time the functions Conv2D and MaxPool2D call, into ``ops["<layer> <what>"]``."""

    def __init__(self, ops, clock):
        self.ops, self.clock, self.undo = ops, clock, []

    def __enter__(self):
        from nnscratch.backend.kernels import Kernels
        from nnscratch.layers import conv, pooling
        targets = [(conv, "im2col", "Conv2D forward: im2col (padding + stack)"),
                   (conv, "col2im", "Conv2D backward: col2im"),
                   (conv, "pad2d", "Conv2D backward: dy with zero junk columns"),  # code before 2026-12-08
                   (Kernels, "matmul_to", "Conv2D backward: weight-gradient product"),
                   (Kernels, "sum_to", "Conv2D backward: bias sum"),
                   (pooling.MaxPool2D, "forward", "MaxPool2D forward (stack the window views, max)"),
                   (pooling._Pool2D, "_back", "MaxPool2D backward: route and write into the image")]
        for owner, name, label in targets:
            original = getattr(owner, name, None)
            if original is None:  # code without it
                continue
            self.undo.append((owner, name, original))
            setattr(owner, name, self._timed(original, label))
        return self

    def _timed(self, function, label):
        ops, clock = self.ops, self.clock

        @functools.wraps(function)
        def timed(*args, **kwargs):
            start = clock()
            result = function(*args, **kwargs)
            shape = next((tuple(a.shape) for a in args if isinstance(getattr(a, "shape", None), tuple)), ())
            ops[f"{label}, on {shape}"].append(clock() - start)
            return result
        return timed

    def __exit__(self, *exc):
        for owner, name, original in reversed(self.undo):
            setattr(owner, name, original)


def _pyinstrument(net, x):
    from pyinstrument import Profiler

    from nnscratch.optim.optimizers import SGD
    from nnscratch.training.step import Step
    step = Step(net, None, SGD(lr=0.01))
    Y = np.eye(10, dtype=np.float32)[np.arange(len(x)) % 10]
    step.train_batch(x, Y)
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(20):
        step.train_batch(x, Y)
    profiler.stop()
    print(profiler.output_text(unicode=False, color=False))


if __name__ == "__main__":
    main()
