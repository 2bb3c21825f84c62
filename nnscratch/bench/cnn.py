"""``nnscratch bench --model cnn``: an epoch of the default CNN against PyTorch on the CPU.

Both train the same network (``nnscratch.models.spec.DEFAULT_CNN``) with plain SGD
on the same images, one epoch each in turn (the order alternating), in two
settings timed in the same run: every usable core (PyTorch on that many threads;
nnscratch's ``fit`` splits each batch over that many threads, one BLAS thread
each, :mod:`nnscratch.training.threaded`) and one thread each (``nnscratch.backend.threads.set_threads``:
threadpoolctl for the BLAS, ``torch.set_num_threads`` for PyTorch). Reported per
setting and contender: the median seconds per epoch, the ratio to PyTorch,
GFLOP/s of the convolution and dense products, and the GEMM roofline (nnscratch's
own matrix products of one epoch, at the im2col shapes, timed alone); and per contender the array operations of one training step
(:mod:`nnscratch.bench.counting`): kernel launches on a GPU, where PyTorch's
views launch nothing.
"""

import contextlib
import statistics
import time

import numpy as np

from ..backend import threads
from ..backend.core import get_backend
from ..models.network import Network
from ..models.spec import default_cnn_spec, layers_from_spec
from ..optim.optimizers import SGD
from . import device
from .runner import check_counts, load_data


def gemm_shapes(net, m):
    """``(rows, inner, cols)`` of every product in one training step of ``net`` on ``m`` images."""
    from ..layers import Conv2D, Dense
    shapes, shape, first = [], net.input_shape, True
    for layer in net.layers:
        out = layer.output_shape(shape)
        if isinstance(layer, Conv2D):
            k = layer.kernel_size[0] * layer.kernel_size[1]
            c, o = layer.in_channels, layer.out_channels
            cols = m * out[1] * out[2]
            shapes += [(o, c * k, cols), (o, cols, c * k)]  # forward, weight gradient
            if not first:
                shapes.append((c * k, o, cols))  # input gradient, before col2im
            first = False
        elif isinstance(layer, Dense):
            shapes += [(m, layer.n_in, layer.n_out), (layer.n_in, m, layer.n_out)]
            if not first:
                shapes.append((m, layer.n_out, layer.n_in))
            first = False
        shape = out
    return shapes


def roofline_epoch(backend, net, n, batch_size, repeats=3):
    """Seconds of one epoch's products alone (best of ``repeats``), and their FLOPs."""
    dtype = backend.dtype
    rng = np.random.default_rng(0)
    batches = [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])
    best, cache = float("inf"), {}
    for m in set(batches):
        cache[m] = [(backend.asarray(rng.random((r, i)), dtype=dtype), backend.asarray(rng.random((i, c)), dtype=dtype))
                    for r, i, c in gemm_shapes(net, m)]
    flops = sum(2 * r * i * c for m in batches for r, i, c in gemm_shapes(net, m))
    for _ in range(repeats):
        backend.synchronize()
        start = time.perf_counter()
        for m in batches:
            for a, b in cache[m]:
                a @ b
        backend.synchronize()
        best = min(best, time.perf_counter() - start)
    return best, flops


class TorchCNN:
    """The same network in torch.nn, trained with torch.optim.SGD."""

    def __init__(self, net, X, y, batch_size, lr, seed):
        import torch
        self.torch = torch
        torch.manual_seed(seed)
        self.model = torch_model(net)
        self.opt = torch.optim.SGD(self.model.parameters(), lr=lr)
        self.X, self.y, self.batch_size = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64)), batch_size
        self.gen = np.random.default_rng(seed)

    def epoch(self):
        F = self.torch.nn.functional
        start = time.perf_counter()
        order = self.torch.from_numpy(self.gen.permutation(len(self.X)))
        self.model.train()
        for s in range(0, len(self.X), self.batch_size):
            idx = order[s:s + self.batch_size]
            self.opt.zero_grad()
            F.cross_entropy(self.model(self.X[idx]), self.y[idx]).backward()
            self.opt.step()
        return time.perf_counter() - start


def torch_model(net):
    """``net``'s layers as a ``torch.nn.Sequential`` (fresh torch initialisation; softmax left to the loss)."""
    import torch
    layers = [_torch_layer(torch, layer) for layer in net.layers]
    return torch.nn.Sequential(*[t for t in layers if t is not None])


def _torch_layer(torch, layer):
    from ..layers import AvgPool2D, BatchNorm, Conv2D, Dense, Dropout, Flatten, MaxPool2D, ReLU, Reshape, Softmax
    nn = torch.nn
    if isinstance(layer, Reshape):
        return nn.Unflatten(1, tuple(layer.shape))
    if isinstance(layer, Conv2D):
        pad = layer.padding if layer.padding == "same" else tuple(layer.padding)
        return nn.Conv2d(layer.in_channels, layer.out_channels, tuple(layer.kernel_size), tuple(layer.stride), pad)
    if isinstance(layer, (MaxPool2D, AvgPool2D)):
        kind = nn.MaxPool2d if isinstance(layer, MaxPool2D) else nn.AvgPool2d
        return kind(tuple(layer.kernel_size), tuple(layer.stride))
    if isinstance(layer, Dense):
        return nn.Linear(layer.n_in, layer.n_out)
    if isinstance(layer, Dropout):
        return nn.Dropout(layer.rate)
    if isinstance(layer, BatchNorm):
        return nn.BatchNorm2d(layer.n_features)
    if isinstance(layer, Softmax):
        return None  # fused into the loss on both sides
    return {ReLU: nn.ReLU, Flatten: nn.Flatten}[type(layer)]()


class OursCNN:
    def __init__(self, backend, net, X, y, batch_size, lr):
        self.net, self.batch_size, self.opt = net, batch_size, SGD(lr=lr)
        self.X, self.y = backend.asarray(X, dtype=backend.dtype), backend.asarray(y)

    def epoch(self):
        history = self.net.fit(self.X, self.y, epochs=1, batch_size=self.batch_size, optimizer=self.opt)
        return history.history["seconds"][-1]


def thread_settings(cores=None):
    """``{label: threads}`` timed by the bench: every usable core, and one thread each."""
    cores = threads.usable_cores() if cores is None else cores
    return {f"{cores} threads": cores, "1 thread": 1} if cores > 1 else {"1 thread": 1}


def run_cnn_bench(backends=("numpy",), batch_size=128, samples=10000, dataset="mnist-sample", epochs=3,
                  warmup=1, lr=0.01, seed=0, log=print, spec=None, settings=None, count=True):
    """Time nnscratch (each backend) and PyTorch CPU on the default CNN (or layer ``spec``) in each
    thread setting (default :func:`thread_settings`); returns result rows, one per setting and contender,
    each with the operations per step (``count=False``: not counted)."""
    check_counts(epochs=epochs, warmup=warmup)
    _need_torch()
    notes = []  # said once the data are known to be images
    X, y, n_classes = load_data(dataset, samples, 784, seed, notes.append)
    X, y = np.ascontiguousarray(X, dtype=np.float32), np.asarray(y)
    spec = _images(spec or default_cnn_spec(n_classes), dataset, X, n_classes)
    for note in notes:
        log(note)
    contenders = {}
    for name in backends:
        backend = get_backend(name)
        net = Network(layers_from_spec(spec, X.shape[1], n_classes), seed=seed, backend=backend)
        contenders[f"nnscratch {backend}"] = (OursCNN(backend, net, X, y, batch_size, lr), backend, net)
    first_net = next(iter(contenders.values()))[2]
    contenders["torch cpu"] = (TorchCNN(first_net, X, y, batch_size, lr, seed), None, first_net)
    counts = count_operations(first_net, spec, X.shape[1], n_classes, batch_size) if count else {}
    rows = []
    for label, n_threads in (settings or thread_settings()).items():
        threads.set_threads(n_threads)
        times = _alternate(contenders, warmup, epochs, lambda line: log(f"{label}: {line}"))
        rows += _rows(contenders, times, counts, dict(spec=spec, batch_size=batch_size, samples=len(X),
                                                      threads=n_threads, setting=label))
    return rows


def _need_torch():
    """The CNN bench times nnscratch against PyTorch: without PyTorch, one line saying so."""
    from ..errors import BackendUnavailableError
    try:
        import torch  # noqa: F401
    except ImportError:
        raise BackendUnavailableError("--model cnn times nnscratch against PyTorch on the CPU, and PyTorch is not "
                                      "installed: pip install 'nnscratch[torch]', or drop --model cnn to time the "
                                      "MLP.") from None
    except (OSError, RuntimeError) as exc:  # a broken install (a missing shared library): one line, not its traceback
        raise BackendUnavailableError(f"--model cnn times nnscratch against PyTorch on the CPU, and PyTorch is "
                                      f"installed but cannot be imported ({type(exc).__name__}: {exc}); reinstall "
                                      "it (pip install --force-reinstall torch), or drop --model cnn.") from None


def _images(spec, dataset, X, n_classes):
    """``spec``, once its layers are known to take ``X``'s rows (square images): a dataset of other rows
    (moons, a table) is said in the bench's words, not in ``--layers``' (which --model cnn does not take)."""
    from ..errors import ShapeError
    try:
        layers_from_spec(spec, X.shape[1], n_classes)
    except ShapeError:
        raise ShapeError(f"--model cnn trains a CNN on images, but --dataset {dataset} has {X.shape[1]} features "
                         "per sample, not a square image; use --dataset synthetic, mnist-sample, mnist or "
                         "fashion-mnist, or drop --model cnn to time the MLP.") from None
    return spec


def _alternate(contenders, warmup, epochs, log):
    """``{name: [seconds]}``: every contender one epoch per round, the order reversed every other round."""
    times, names = {name: [] for name in contenders}, list(contenders)
    for turn in range(warmup + epochs):
        for name in (names if turn % 2 == 0 else names[::-1]):
            seconds = contenders[name][0].epoch()
            if turn >= warmup:
                times[name].append(seconds)
        done = ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items() if v) if turn >= warmup else "warm-up"
        log(f"round {turn + 1}/{warmup + epochs}: {done}")
    return times


def _rows(contenders, times, counts, common):
    torch_median = statistics.median(times["torch cpu"])
    rows = []
    for name, (contender, backend, net) in contenders.items():
        median = statistics.median(times[name])
        row = {"name": name, **common, "median": median, "times": times[name], "vs_torch": median / torch_median,
               "ops_per_step": counts}
        if backend is not None:
            gemm, flops = roofline_epoch(backend, net, common["samples"], common["batch_size"])
            row.update(gemm_seconds=gemm, gflops=flops / median / 1e9, gemm_gflops=flops / gemm / 1e9)
        rows.append(row)
    return rows


def count_operations(net, spec, n_features, n_classes, batch_size):
    """Array operations per training step (and, on PyTorch, kernel launches: operations less views):
    nnscratch's code counted on PyTorch's dispatcher and on array-api-strict (NumPy runs the same code),
    and the plain PyTorch loop on the dispatcher. ``{label: {"ops", "launches"}}``; what cannot be counted
    here is left out."""
    from .counting import count_step, count_torch_loop
    jobs = {"nnscratch on torch:cpu": lambda: count_step("torch:cpu", (n_features, n_classes), batch_size,
                                                         "sgd", batches=2, spec=spec),
            "nnscratch on array_api_strict": lambda: count_step("array_api_strict", (n_features, n_classes),
                                                                batch_size, "sgd", batches=2, spec=spec),
            "plain PyTorch loop": lambda: count_torch_loop(torch_model(net), batch_size, n_features, n_classes)}
    counts = {}
    for label, job in jobs.items():
        with contextlib.suppress(Exception):
            got = job()
            counts[label] = {"ops": got["ops"], "launches": got["launches"]}
    return counts


def render_cnn(rows):
    """The bench's report: one table per thread setting, then the operations per step."""
    first = rows[0]
    lines = [f"CNN {first['spec']}, batch {first['batch_size']}, {first['samples']} images, plain SGD; "
             f"{device.cpu_model()}, {device.numpy_blas()}; epochs alternating, median"]
    width = max(24, *(len(r["name"]) + 2 for r in rows))  # the contender column fits the longest name
    for setting in dict.fromkeys(r["setting"] for r in rows):
        lines += ["", f"{setting} (BLAS and PyTorch):",
                  f"{'contender':<{width}}{'s/epoch':>9}{'vs torch':>10}{'GFLOP/s':>9}{'GEMM-only s':>13}"
                  f"{'GEMM GFLOP/s':>14}"]
        for r in (r for r in rows if r["setting"] == setting):
            extra = (f"{r['gflops']:>9.1f}{r['gemm_seconds']:>13.2f}{r['gemm_gflops']:>14.1f}" if "gflops" in r
                     else "")
            lines.append(f"{r['name']:<{width}}{r['median']:>9.2f}{r['vs_torch']:>9.2f}x{extra}")
    lines += _scaling(rows)
    counted = first.get("ops_per_step") or {}
    if counted:
        lines += ["", f"operations per training step, batch {first['batch_size']} (NumPy runs the code counted on "
                      "array_api_strict; on PyTorch, launches = operations less views, one GPU kernel each):"]
        for name, c in counted.items():
            launches = f", {c['launches']:.0f} launches" if "torch" in name.lower() else ""
            lines.append(f"  {name:<31}{c['ops']:>5.0f} operations{launches}")
    return "\n".join(lines)


def _scaling(rows):
    """What the cores buy: each contender's epoch from one thread to the most timed, and whether
    nnscratch's ratio to PyTorch improves with them (the bench's goal) or worsens."""
    counts = sorted({r["threads"] for r in rows})
    if len(counts) < 2 or counts[0] != 1:
        return []
    most, by = counts[-1], {(r["threads"], r["name"]): r for r in rows}
    names = list(dict.fromkeys(r["name"] for r in rows))
    gains = ", ".join(f"{n} {by[1, n]['median'] / by[most, n]['median']:.2f}x" for n in names)
    lines = ["", f"from 1 thread to {most}, an epoch goes faster by: {gains}"]
    for name in (n for n in names if n != "torch cpu"):
        one, many = by[1, name]["vs_torch"], by[most, name]["vs_torch"]
        verdict = "better" if many < one else "worse" if many > one else "no different"
        lines.append(f"  {name} against PyTorch: {one:.2f}x on 1 thread, {many:.2f}x on {most}: "
                     f"{verdict} with more cores")
    return lines
