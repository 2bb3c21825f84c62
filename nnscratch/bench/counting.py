"""Array operations and host transfers per training step, counted rather than timed.

On a GPU a small-batch step is bound by kernel launches (a few microseconds
each), so the number of array operations per step predicts GPU time where a
CPU timing cannot. Two counters:

* PyTorch: a ``TorchDispatchMode`` sees every aten operation the dispatcher
  runs (on CUDA each is one kernel launch, or a view at no launch cost), and
  the host traffic among them: ``lift_fresh``/``scalar_tensor`` (a tensor made
  from host data), ``_local_scalar_dense`` (a read to the host) and
  ``_to_copy`` between devices.
* array-api-strict: every namespace function and every array operator
  (arithmetic, in-place, indexing), outermost calls only, plus host reads
  (``float()``, ``bool()``, ``__array__``...). NumPy and CuPy run exactly the
  same code through array-api-compat, so their operation count is this one.

:func:`count_step` trains one epoch of ``k`` batches and one of ``2k``; the
difference over ``k`` is the cost of one extra batch, without the per-fit and
per-epoch work.
"""

import contextlib
from collections import Counter

import numpy as np

HOST_MADE = ("lift_fresh", "lift_fresh_copy", "scalar_tensor")
HOST_READ = ("_local_scalar_dense",)
STRICT_READS = ("__float__", "__bool__", "__int__", "__index__", "__array__", "to_device")
STRICT_OPERATORS = ("__add__", "__sub__", "__mul__", "__truediv__", "__matmul__", "__pow__", "__neg__",
                    "__radd__", "__rsub__", "__rmul__", "__rtruediv__", "__iadd__", "__isub__", "__imul__",
                    "__itruediv__", "__gt__", "__ge__", "__lt__", "__le__", "__eq__", "__ne__", "__getitem__",
                    "__setitem__", "__abs__")
STRICT_PROPERTIES = ("T", "mT")


def torch_counter():
    """A context manager whose ``.ops`` counts aten ops by name and ``.transfers``
    host-made tensors, host reads and cross-device copies (PyTorch)."""
    from torch.utils._python_dispatch import TorchDispatchMode

    class Counting(TorchDispatchMode):
        def __init__(self):
            super().__init__()
            self.ops, self.transfers = Counter(), Counter()

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            name = func.overloadpacket.__name__
            self.ops[name] += 1
            if name in HOST_MADE or name in HOST_READ or _crosses_devices(name, args, kwargs):
                self.transfers[name] += 1
            return func(*args, **kwargs)

    return Counting()


def _crosses_devices(name, args, kwargs):
    if name not in ("_to_copy", "copy_", "_copy_from"):
        return False
    target = kwargs.get("device")
    devices = {str(a.device) for a in args if hasattr(a, "device")}
    return (target is not None and {str(target)} != devices) or len(devices) > 1


class StrictCounter:
    """Counts array-api-strict namespace calls and array operators (outermost only)
    in ``.ops`` and host reads in ``.transfers``, while active."""

    def __init__(self):
        self.ops, self.transfers, self._depth, self._undo = Counter(), Counter(), 0, []

    def _wrap(self, owner, name, kind):
        original = owner.__dict__[name]
        counter = self

        if isinstance(original, property):
            def getter(obj):
                return counter._call(name, kind, original.fget, obj)
            replacement = property(getter, original.fset)
        else:
            def replacement(*args, **kwargs):
                return counter._call(name, kind, original, *args, **kwargs)
        setattr(owner, name, replacement)
        self._undo.append((owner, name, original))

    def _call(self, name, kind, function, *args, **kwargs):
        if self._depth == 0:
            (self.transfers if kind == "read" else self.ops)[name] += 1
        self._depth += 1
        try:
            return function(*args, **kwargs)
        finally:
            self._depth -= 1

    def __enter__(self):
        import array_api_strict as xp

        array_type = type(xp.zeros(1))
        for name in dir(xp):
            if not name.startswith("_") and callable(getattr(xp, name)) and name not in ("Array",) \
                    and not isinstance(getattr(xp, name), type) and name in xp.__dict__:
                self._wrap(xp, name, "op")
        for name in STRICT_OPERATORS + STRICT_PROPERTIES:
            if name in array_type.__dict__:
                self._wrap(array_type, name, "op")
        for name in STRICT_READS:
            if name in array_type.__dict__:
                self._wrap(array_type, name, "read")
        return self

    def __exit__(self, *exc):
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)
        self._undo.clear()


def counter_for(backend):
    """The counter that fits ``backend`` (a Backend), or None when it cannot be counted here."""
    if backend.name == "torch":
        return torch_counter()
    if backend.name == "array_api_strict":
        return StrictCounter()
    return None


# aten operations that only make a view (no kernel launch on a GPU)
TORCH_VIEWS = frozenset(("slice", "view", "permute", "select", "_unsafe_view", "t", "transpose", "expand",
                         "as_strided", "unsqueeze", "squeeze", "alias", "reshape", "unflatten", "flatten",
                         "detach", "_reshape_alias", "unbind", "split", "chunk", "unfold", "narrow"))


def count_step(backend, sizes=(784, 256, 128, 10), batch_size=128, optimizer="sgd", batches=10, seed=0,
               spec=None):
    """Array operations and host transfers per extra training batch on ``backend``
    (a Backend or spec): ``{"ops": float, "launches": float, "transfers": float, "by_op": {name: float}}``
    (``launches``: the PyTorch operations that are not views; on array-api-strict every operation),
    or None when the backend has no counter (NumPy and CuPy: count array-api-strict).

    The network is the MLP of ``sizes``, or the layer spec ``spec`` (e.g. the default CNN) on
    ``sizes[0]`` inputs and ``sizes[-1]`` classes. Trains one epoch of ``batches`` and one of
    ``2 * batches`` (shuffled, fresh network and optimizer each) and divides the difference by ``batches``.
    """
    from ..backend.core import get_backend
    from ..models.network import Network
    from ..models.spec import layers_from_spec
    from ..optim.optimizers import get_optimizer

    backend = get_backend(backend)
    if counter_for(backend) is None:
        return None

    def train(X, y, counter):
        net = Network.from_sizes(*sizes, seed=seed, backend=backend) if spec is None else \
            Network(layers_from_spec(spec, sizes[0], sizes[-1]), seed=seed, backend=backend)
        x, labels = backend.asarray(X, dtype=backend.dtype), backend.asarray(y)
        with counter:
            net.fit(x, labels, epochs=1, batch_size=batch_size, optimizer=get_optimizer(optimizer))
    return _per_extra_batch(lambda: counter_for(backend), train, sizes, batch_size, batches, seed,
                            views=TORCH_VIEWS if backend.name == "torch" else ())


def count_torch_loop(model, batch_size=128, n_features=784, n_classes=10, batches=4, seed=0, lr=0.01):
    """The same figures for a plain PyTorch loop: ``model`` (a ``torch.nn.Module`` on the CPU,
    taking ``(n, n_features)`` rows) trained with ``torch.optim.SGD`` and ``cross_entropy``."""
    import torch

    def train(X, y, counter):
        opt = torch.optim.SGD(model.parameters(), lr=lr)
        X, y = torch.from_numpy(X), torch.from_numpy(y)
        with counter:
            for s in range(0, len(X), batch_size):
                opt.zero_grad()
                torch.nn.functional.cross_entropy(model(X[s:s + batch_size]), y[s:s + batch_size]).backward()
                opt.step()
    return _per_extra_batch(torch_counter, train, (n_features, n_classes), batch_size, batches, seed, TORCH_VIEWS)


def _per_extra_batch(make_counter, train, sizes, batch_size, batches, seed, views=()):
    """Run ``train(X, y, counter)`` on ``batches`` and ``2 * batches`` batches; the difference per batch."""
    counts = []
    for k in (batches, 2 * batches):
        rng = np.random.default_rng(seed)
        X = rng.standard_normal((k * batch_size, sizes[0])).astype(np.float32)
        y = rng.integers(0, sizes[-1], k * batch_size)
        counter = make_counter()
        train(X, y, counter)
        counts.append(counter)
    small, large = counts
    by_op = {k: (large.ops[k] - small.ops[k]) / batches for k in set(large.ops) | set(small.ops)}
    transfers = sum(large.transfers.values()) - sum(small.transfers.values())
    return {"ops": sum(by_op.values()), "launches": sum(v for k, v in by_op.items() if k not in views),
            "transfers": transfers / batches,
            "by_op": {k: v for k, v in sorted(by_op.items(), key=lambda kv: -kv[1]) if v}}


LAUNCH_US = (5.0, 10.0)  # typical CUDA kernel-launch cost per operation, microseconds


def bench_counts(specs, sizes, batch_size, dtype="float32", optimizers=("sgd", "adam"), batches=5):
    """``{spec: {"counted_on": spec, optimizer: {"ops", "transfers"}}}`` for ``nnscratch bench``:
    PyTorch counted by its dispatcher, the others on array-api-strict (the same code)."""
    from ..backend.core import get_backend

    counts, strict = {}, None
    for spec in specs:
        backend = get_backend(spec, dtype=dtype)
        target = backend if counter_for(backend) is not None else None
        if target is None:
            with contextlib.suppress(Exception):
                strict = strict or get_backend("array_api_strict", dtype=dtype)
            target = strict
        if target is None:
            continue
        entry = {"counted_on": str(target)}
        for name in optimizers:
            with contextlib.suppress(Exception):
                got = count_step(target, sizes, batch_size, name, batches)
                entry[name] = {"ops": got["ops"], "transfers": got["transfers"]}
        counts[spec] = entry
    return counts


def count_lines(counts, batch_size):
    """Report lines: operations and host transfers per step, and the launch-bound GPU estimate."""
    lines = []
    for spec, entry in counts.items():
        parts = [f"{name} {c['ops']:.0f} ops, {c['transfers']:.0f} host transfers"
                 for name, c in entry.items() if name != "counted_on"]
        where = "" if entry["counted_on"] == spec else f" (counted on {entry['counted_on']}: same code)"
        lines.append(f"per training step, batch {batch_size}, {spec}{where}: " + "; ".join(parts))
    sgd = [entry["sgd"]["ops"] for entry in counts.values() if "sgd" in entry]
    if sgd:
        low, high = (min(sgd) * us / 1000 for us in LAUNCH_US)
        lines.append(f"estimate, not a measurement: at {LAUNCH_US[0]:.0f}-{LAUNCH_US[1]:.0f} us per kernel launch "
                     f"a GPU step of {min(sgd):.0f} operations costs at least {low:.2f}-{high:.2f} ms in launches")
    return lines
