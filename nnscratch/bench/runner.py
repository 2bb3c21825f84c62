"""Run the benchmark: contenders x batch sizes, timed alternately with the GEMM roofline.

Per batch size every contender and every backend's GEMM-only epoch run one
untimed warm-up, then take turns (the order rotating) for the timed epochs,
so slow phases of a noisy machine hit them all alike.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

import numpy as np

from ..backend.core import get_backend
from .._keywords import KeywordError, unknown_keyword
from ..errors import BackendUnavailableError, ConfigError
from . import counting, device, roofline
from .contenders import NNScratch, make_reference, reference_specs

DEFAULTS = {"backends": ("numpy",), "hidden": (256, 128), "batch_sizes": (32, 128, 1024), "dtype": "float32",
            "epochs": 5, "warmup": 1, "repeats": 1, "samples": 60000, "features": 784,
            "dataset": "synthetic", "reference": False, "lr": 0.01, "seed": 0}


def load_data(dataset, samples, features, seed=0, log=None):
    """Host ``(X, y, n_classes)``: synthetic (learnable labels) or a named image dataset, whose first
    ``samples`` training rows are taken (all of them where it has fewer, said to ``log``)."""
    if dataset == "synthetic":
        rng = np.random.default_rng(seed)
        X = rng.random((samples, features), dtype=np.float32)
        y = np.argmax(X @ rng.standard_normal((features, 10)).astype(np.float32), axis=1)
        return X, y, 10
    from ..datasets import load_dataset
    data = load_dataset(dataset, seed=seed)
    n = min(samples or len(data.X_train), len(data.X_train))
    if log and samples and samples > n:
        log(f"{dataset} has {n:,} training samples, fewer than --samples {samples:,}: timing all {n:,}")
    return data.X_train[:n], data.y_train[:n], data.n_classes


def usable(backends, dtype="float32"):
    """``(the backends that run here, {backend: why not} for the others)``, each backend once (a second
    name for one already listed, e.g. ``torch`` after ``torch:cpu``, is skipped); a BackendUnavailableError
    saying why each was skipped when none is left."""
    if not backends:
        raise ConfigError("--backends names no backend; pass e.g. --backends numpy (`nnscratch info` lists "
                          "the usable ones).")
    specs, skipped, seen = [], {}, {}
    for spec in backends:
        try:
            name = str(get_backend(spec, dtype=dtype))
        except BackendUnavailableError as exc:
            skipped[spec] = " ".join(str(exc).split())
            continue
        if name in seen:
            skipped[spec] = "named twice in --backends, timed once" if spec == seen[name] else \
                f"the same backend as {seen[name]}, timed once"
        else:
            seen[name] = spec
            specs.append(spec)
    if not specs:
        reasons = "; ".join(f"{name}: {why}" for name, why in skipped.items())
        raise BackendUnavailableError(f"none of --backends {','.join(backends)} can run here ({reasons}); "
                                      "`nnscratch info` lists the usable ones, e.g. --backends numpy.")
    return specs, skipped


def plan(options):
    """Contender specs ``(kind, label, spec)`` and the skipped ones ``{name: reason}``."""
    backends, skipped = usable(options["backends"], options["dtype"])  # refuses when none can run
    specs = [("nnscratch", f"nnscratch {b}", b) for b in backends]
    for label, spec in reference_specs(options["backends"]) if options["reference"] else ():
        if options["dtype"] != "float32":
            skipped[label] = f"{label} is written for float32 only."
            continue
        try:
            get_backend(spec, dtype=options["dtype"])
            specs.append(("reference", label, spec))
        except BackendUnavailableError as exc:
            skipped[f"{label} {spec}"] = str(exc)
    return specs, skipped


def _build(kind, label, spec, X, y, sizes, batch_size, options):
    backend = get_backend(spec, dtype=options["dtype"])
    with backend.activate():
        return _make_contender(kind, label, spec, backend, X, y, sizes, batch_size, options)


def _make_contender(kind, label, spec, backend, X, y, sizes, batch_size, options):
    if kind == "nnscratch":
        return NNScratch(backend, X, y, sizes, batch_size, lr=options["lr"], seed=options["seed"], name=label)
    if options["dtype"] != "float32":
        raise BackendUnavailableError(f"{label} is written for float32 only.")
    return make_reference(label, spec, X, y, sizes, batch_size, lr=options["lr"], seed=options["seed"])


def time_round(contenders, epochs, warmup):
    """Warm every contender up, then time ``epochs`` epochs each, alternating (rotating the order)."""
    if not contenders:
        raise BackendUnavailableError("no contender could be built here; `nnscratch info` lists the usable "
                                      "backends, e.g. --backends numpy.")
    for c in contenders:
        for _ in range(warmup):
            with c.backend.activate():
                c.epoch()
    seconds = {c.name: [] for c in contenders}
    for e in range(epochs):
        shift = e % len(contenders)
        for c in contenders[shift:] + contenders[:shift]:
            with c.backend.activate():
                seconds[c.name].append(c.epoch())
    return seconds


def run_batch_size(specs, skipped, X, y, sizes, batch_size, options):
    """Rows for one batch size: every contender's epoch times and its backend's roofline."""
    contenders = []
    for kind, label, spec in specs:
        try:
            contenders.append(_build(kind, label, spec, X, y, sizes, batch_size, options))
        except BackendUnavailableError as exc:
            skipped[label] = str(exc)
    gemms = {}
    for c in contenders:
        if str(c.backend) not in gemms:
            with c.backend.activate():
                gemms[str(c.backend)] = roofline.GemmEpoch(c.backend, sizes, len(X), batch_size,
                                                           options["repeats"], options["seed"])
    seconds = time_round(contenders + list(gemms.values()), options["epochs"], options["warmup"])
    flops = roofline.epoch_flops(sizes, len(X), batch_size)
    return [_row(c, batch_size, seconds[c.name], seconds[gemms[str(c.backend)].name], flops, len(X))
            for c in contenders]


def _row(contender, batch_size, seconds, gemm, flops, n):
    median, floor = statistics.median(seconds), statistics.median(gemm)
    return {"name": contender.name, "backend": str(contender.backend), "batch_size": batch_size,
            "median": median, "min": min(seconds), "max": max(seconds), "seconds": seconds,
            "samples_per_s": n / median, "gemm": floor, "gemm_seconds": gemm,
            "x_gemm": median / floor, "gflops": flops / median / 1e9, "gemm_gflops": flops / floor / 1e9}


def run_bench(log: Callable[[str], Any] | None = None, **overrides: Any) -> dict[str, Any]:
    """Run the benchmark; return a JSON-ready dict (see :mod:`nnscratch.bench.report`).

    ``log`` (e.g. ``print``) receives one progress line per batch size.

    Parameters
    ----------
    log : callable, optional
        Called with one progress line per batch size (``print`` shows them); default: silent.
    **overrides
        The options of the table in the reference (``backends=``, ``batch_sizes=``, ``epochs=``, ...).
    """
    unknown = [key for key in overrides if key not in DEFAULTS]
    if unknown:  # a typo such as batch_size= would otherwise run with the defaults
        raise KeywordError(unknown_keyword("run_bench", unknown[0], list(DEFAULTS), {}))
    options = {**DEFAULTS, **overrides}
    _check_counts(options)
    specs, skipped = plan(options)
    if log:
        for name, reason in skipped.items():
            log(f"skipping {name}: {reason}")
    _check_warmup(specs, options)
    X, y, n_classes = load_data(options["dataset"], options["samples"], options["features"], options["seed"], log)
    sizes = (X.shape[1], *options["hidden"], n_classes)
    _match_threads(specs)
    rows = []
    for batch_size in options["batch_sizes"]:
        if log:
            log(f"batch {batch_size}: timing {', '.join(label for _, label, _ in specs)} ...")
        rows += run_batch_size(specs, skipped, X, y, sizes, batch_size, options)
    _add_comparisons(rows)
    backends = [get_backend(spec, dtype=options["dtype"]) for _, _, spec in specs]
    devices = {str(b): device.device_info(b) for b in backends}
    counts = counting.bench_counts([spec for kind, _, spec in specs if kind == "nnscratch"], sizes,
                                   min(options["batch_sizes"]), options["dtype"])
    return {"options": {k: list(v) if isinstance(v, tuple) else v for k, v in options.items()},
            "sizes": list(sizes), "samples": len(X), "rows": rows, "skipped": skipped,
            "devices": devices, "versions": device.versions(), "counts": counts}


COUNTS = {"epochs": 1, "warmup": 0, "repeats": 1}  # the least of each


def _check_counts(options):
    check_counts(**{name: options[name] for name in COUNTS})


def check_counts(**counts):
    """``epochs``, ``warmup``, ``repeats``: whole numbers of at least :data:`COUNTS`' (a ConfigError
    naming the option otherwise), checked before anything is timed."""
    for name, value in counts.items():
        low = COUNTS[name]
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ConfigError(f"--{name} must be an integer of at least {low}; got {value!r}. "
                              f"Pass e.g. --{name} {max(low, DEFAULTS[name])}.")


def _check_warmup(specs, options):
    """A GPU's first epoch compiles kernels and starts cuBLAS: never time it as training."""
    gpus = [spec for _, _, spec in specs if device.is_gpu(get_backend(spec, dtype=options["dtype"]))]
    if gpus and options["warmup"] < 1:
        raise ConfigError(f"--warmup {options['warmup']} on a GPU backend ({', '.join(gpus)}) would time kernel "
                          "compilation and cuBLAS start-up as if they were training; use --warmup 1 or more.")


def _match_threads(specs):
    """PyTorch on the CPU uses as many threads as NumPy's BLAS, so the rows compare like with like."""
    if any(spec.startswith("torch") for _, _, spec in specs):
        import torch
        torch.set_num_threads(device.blas_threads())


def _add_comparisons(rows):
    """Speedup against nnscratch on NumPy, and ratios against the references, per batch size."""
    by = {(r["name"], r["batch_size"]): r["median"] for r in rows}
    for r in rows:
        for key, name in (("speedup_vs_numpy", "nnscratch numpy"),):
            base = by.get((name, r["batch_size"]))
            r[key] = base / r["median"] if base else None
        for key, name in (("vs_numpy_reference", "numpy-reference"), ("vs_torch_reference", "torch-reference")):
            base = by.get((name, r["batch_size"]))
            r[key] = r["median"] / base if base else None
