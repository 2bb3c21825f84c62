"""The benchmark's outputs: the text table, the headline, the JSON file and the plot."""

from __future__ import annotations

import json
from typing import Any

from .counting import count_lines
from .._typing import PathLike

COLUMNS = (  # header, row key, format
    ("contender", "name", "{}"), ("batch", "batch_size", "{}"), ("median s", "median", "{:.3f}"),
    ("min s", "min", "{:.3f}"), ("max s", "max", "{:.3f}"), ("samples/s", "samples_per_s", "{:,.0f}"),
    ("GEMM s", "gemm", "{:.3f}"), ("x GEMM", "x_gemm", "{:.2f}"), ("GFLOP/s", "gflops", "{:.1f}"),
    ("vs numpy", "speedup_vs_numpy", "{:.2f}x"), ("/hand", "vs_numpy_reference", "{:.2f}"),
    ("/torch", "vs_torch_reference", "{:.2f}"),
)


def _cell(row, key, fmt):
    value = row.get(key)
    return "-" if value is None else fmt.format(value)


def table(result: dict[str, Any]) -> str:
    """The rows as a fixed-width text table (Markdown-compatible).

    Parameters
    ----------
    result : dict
        What :func:`run_bench` returned (or :func:`write_json` saved, read back with ``json.load``).
    """
    header = [h for h, _, _ in COLUMNS]
    cells = [[_cell(r, k, f) for _, k, f in COLUMNS] for r in result["rows"]]
    widths = [max(len(x) for x in column) for column in zip(header, *cells)]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths)))
              + " |" for row in cells]
    return "\n".join(lines)


def context(result):
    """Lines describing what ran: network, data, dtype, timing policy, devices, versions, skips."""
    o = result["options"]
    lines = [f"network {'-'.join(map(str, result['sizes']))} (ReLU, softmax cross-entropy), plain SGD "
             f"lr={o['lr']}, {o['dtype']}, {o['dataset']} data {result['samples']:,} x {result['sizes'][0]}",
             f"{o['warmup']} untimed warm-up epoch{'s' * (o['warmup'] != 1)}, then {o['epochs']} timed "
             f"epoch{'s' * (o['epochs'] != 1)} per row, contenders "
             f"alternating with GEMM (the epoch's matrix products alone, best of {o['repeats']} per turn)",
             "columns: x GEMM = median / GEMM; GFLOP/s counts the matrix products only; vs numpy = speedup "
             "over nnscratch on NumPy; /hand, /torch = median / numpy-reference, / torch-reference"]
    lines += [f"device {spec}: {info['label']}" for spec, info in result["devices"].items()]
    lines.append("versions: " + ", ".join(f"{k} {v}" for k, v in result["versions"].items()))
    lines += [f"skipped {name}: {reason}" for name, reason in result["skipped"].items()]
    lines += count_lines(result.get("counts") or {}, min(o["batch_sizes"]))
    return lines


def headline(result: dict[str, Any]) -> list[str]:
    """One line per batch size: nnscratch on NumPy against the hand-written loop and PyTorch.

    Parameters
    ----------
    result : dict
        What :func:`run_bench` returned (or :func:`write_json` saved, read back with ``json.load``).
    """
    lines = []
    for r in result["rows"]:
        if r["name"] == "nnscratch numpy" and (r.get("vs_numpy_reference") or r.get("vs_torch_reference")):
            parts = [f"{r[k]:.2f}x {label}" for k, label in (("vs_numpy_reference", "the hand-written NumPy loop"),
                                                              ("vs_torch_reference", "PyTorch CPU")) if r.get(k)]
            lines.append(f"batch {r['batch_size']}: nnscratch (NumPy) epoch = " + ", ".join(parts))
    return lines


def render(result: dict[str, Any]) -> str:
    """Everything printed by ``nnscratch bench``.

    Parameters
    ----------
    result : dict
        What :func:`run_bench` returned (or :func:`write_json` saved, read back with ``json.load``).
    """
    return "\n".join([table(result), "", *context(result), *headline(result)])


def write_json(result: dict[str, Any], path: PathLike) -> None:
    """Every raw timing, for later comparison.

    Parameters
    ----------
    result : dict
        What :func:`run_bench` returned (or :func:`write_json` saved, read back with ``json.load``).
    path : str or Path
        The JSON file to write (replaced whole, never half-written).
    """
    from ..saving.serialize import atomic_write_text
    atomic_write_text(path, json.dumps(result, indent=1), "bench")  # all or nothing: a full disk keeps the old file


def plot(result: dict[str, Any], path: PathLike) -> PathLike:
    """Samples/s against batch size per contender, log axes; marks where a GPU overtakes the CPU.

    Parameters
    ----------
    result : dict
        What :func:`run_bench` returned (or :func:`write_json` saved, read back with ``json.load``).
    path : str or Path
        The picture to write; its suffix (``.png``, ``.svg``, ``.pdf``) picks the format.
    """
    try:
        from matplotlib.figure import Figure  # headless: no pyplot, no display needed
    except ImportError:
        raise ImportError("--plot needs matplotlib; install it with pip install 'nnscratch[viz]'.") from None
    fig = Figure(figsize=(7, 4.5))
    ax = fig.add_subplot()
    for name in dict.fromkeys(r["name"] for r in result["rows"]):
        rows = sorted((r for r in result["rows"] if r["name"] == name), key=lambda r: r["batch_size"])
        ax.plot([r["batch_size"] for r in rows], [r["samples_per_s"] for r in rows], "o-", label=name)
    crossing = gpu_crossover(result)
    if crossing is not None:
        ax.axvline(crossing, color="grey", ls=":", label=f"GPU overtakes CPU (batch {crossing})")
    ax.set(xscale="log", yscale="log", xlabel="batch size", ylabel="training samples / s",
           title=f"nnscratch bench, network {'-'.join(map(str, result['sizes']))}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    from ..saving.serialize import atomic_write
    atomic_write(path, lambda f: fig.savefig(f, format=str(path).rsplit(".", 1)[-1].lower(), dpi=120))
    return path


def gpu_crossover(result):
    """The smallest batch size at which some GPU row beats every CPU row, or None."""
    gpu = {spec for spec, info in result["devices"].items() if info.get("kind") == "gpu"}
    for batch in sorted({r["batch_size"] for r in result["rows"]}):
        rows = [r for r in result["rows"] if r["batch_size"] == batch]
        best_cpu = max((r["samples_per_s"] for r in rows if r["backend"] not in gpu), default=None)
        best_gpu = max((r["samples_per_s"] for r in rows if r["backend"] in gpu), default=None)
        if best_cpu and best_gpu and best_gpu > best_cpu:
            return batch
    return None
