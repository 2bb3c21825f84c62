"""Training beside another CPU-bound program: nnscratch and PyTorch, quiet and shared.

    python benchmarks/shared_cores.py                 # MLP and CNN, 2 epochs each way (about 10 minutes)
    python benchmarks/shared_cores.py --models mlp    # only the MLP

For each model, in turn: ``nnscratch train --model M --epochs 2`` with one BLAS thread on a quiet
machine (the time per core it gets when it has one), then with one busy-looping Python process
beside it: as it chooses by itself (nnscratch/backend/threads.py), and with
``OPENBLAS_NUM_THREADS=<cores>`` (every core, what OpenBLAS does unasked); and the same network in
a plain PyTorch loop on as many images per epoch, quiet on one thread and shared on its default
threads. Each figure is the second epoch's seconds; the report divides the shared ones by the quiet
one-thread ones (goal: at most 1.5 for nnscratch). "Quiet" means only this script runs: on a busy
machine every figure is pessimistic and the ratios are what to read.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="mlp,cnn")
    parser.add_argument("--torch-worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.torch_worker:
        return torch_worker(args.torch_worker)
    for model in args.models.split(","):
        results = {
            "nnscratch quiet, 1 thread": ours(model, {"OPENBLAS_NUM_THREADS": "1"}),
            "nnscratch shared, its own choice": ours(model, {}, busy=True),
            f"nnscratch shared, {CORES} BLAS threads": ours(model, {"OPENBLAS_NUM_THREADS": str(CORES)}, busy=True),
            "PyTorch quiet, 1 thread": theirs(model, 1),
            "PyTorch shared, its default threads": theirs(model, 0, busy=True),
        }
        base = {"nnscratch": results["nnscratch quiet, 1 thread"][0], "PyTorch": results["PyTorch quiet, 1 thread"][0]}
        print(f"\n{model}, {CORES} cores, second epoch (one busy-looping process beside the shared runs):")
        for label, (seconds, note) in results.items():
            ratio = seconds / base[label.split()[0]]
            print(f"  {label:<38}{seconds:>8.2f} s  {ratio:>5.2f}x its quiet 1-thread epoch  {note}")


def ours(model, env, busy=False):
    """Second-epoch seconds of ``nnscratch train --model`` and its thread line."""
    with tempfile.TemporaryDirectory() as tmp, hog(busy):
        history = os.path.join(tmp, "history.json")
        command = [sys.executable, "-m", "nnscratch", "train", "--model", model, "--epochs", "2", "--no-save",
                   "--history", history]
        done = subprocess.run(command, capture_output=True, text=True, env=_env(env), check=True)
        with open(history, encoding="utf-8") as f:
            seconds = json.load(f)["history"]["seconds"][-1]
    first = done.stdout.splitlines()[0]
    return seconds, first[first.find("BLAS threads"):]


def theirs(model, n_threads, busy=False):
    with hog(busy):
        done = subprocess.run([sys.executable, __file__, "--torch-worker", f"{model}:{n_threads}"],
                              capture_output=True, text=True, env=_env({}), check=True)
    seconds, threads = done.stdout.split()
    return float(seconds), f"torch threads {threads}"


def torch_worker(spec):
    """Train the model in plain PyTorch for 2 epochs on as many images per epoch as ``nnscratch train``
    (the sample and 2 copies for the MLP and CNN); print the second epoch's seconds and the threads."""
    import numpy as np
    import torch

    from nnscratch.bench.cnn import torch_model
    from nnscratch.datasets import load_dataset
    from nnscratch.models.network import Network
    from nnscratch.models.spec import default_cnn_spec, layers_from_spec
    model, n_threads = spec.split(":")
    if int(n_threads):
        torch.set_num_threads(int(n_threads))
    data = load_dataset("mnist-sample", seed=0)
    X = np.concatenate([data.X_train] * 3).astype(np.float32)
    y = np.concatenate([data.y_train] * 3).astype(np.int64)
    layers = layers_from_spec(default_cnn_spec(10) if model == "cnn" else "dense256,relu,dense128,relu,dense10",
                              784, 10)
    net = torch_model(Network(layers, seed=0))
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    X, y = torch.from_numpy(X), torch.from_numpy(y)
    seconds = []
    for _ in range(2):
        start = time.perf_counter()
        order = torch.randperm(len(X))
        for s in range(0, len(X), 128):
            idx = order[s:s + 128]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(X[idx]), y[idx]).backward()
            opt.step()
        seconds.append(time.perf_counter() - start)
    print(seconds[-1], torch.get_num_threads())


class hog:
    """A busy-looping Python process while the block runs (when ``busy``)."""

    def __init__(self, busy):
        self.busy, self.process = busy, None

    def __enter__(self):
        if self.busy:
            self.process = subprocess.Popen([sys.executable, "-c", "while True: pass"])
            time.sleep(0.5)
        return self

    def __exit__(self, *exc):
        if self.process is not None:
            self.process.kill()
            self.process.wait()


def _env(extra):
    env = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    env.update(extra)
    return env


if __name__ == "__main__":
    main()
