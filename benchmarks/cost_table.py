"""The cost as the work grows: epoch time against batch size and width (MLP) and channels (CNN).

    python benchmarks/cost_table.py --json benchmarks/cost_table.json     # about 10 minutes on 2 quiet cores
    python benchmarks/cost_table.py --quick                               # a smoke run, a minute

Three tables, each timed alternating with the yardsticks in one run (``nnscratch bench``'s
machinery), on the machine's default threads:

* MLP 784-256-128-10 on 20,000 synthetic rows, batch 32 to 1024: nnscratch (NumPy), the
  hand-written NumPy loop, the plain PyTorch loop, and the epoch's matrix products alone
  (the GEMM roofline);
* MLP 784-H-H-10 at batch 128, H from 64 to 2048: the same columns;
* the default CNN with C and 2C channels (C = 8 to 64; the default is 16) at batch 128 on
  2,048 MNIST-sample digits: nnscratch (NumPy) against PyTorch, and nnscratch's own products.

Ratios are the thing to read (one run, alternating); the seconds depend on the machine.
"""

import argparse
import json

from nnscratch.bench.cnn import run_cnn_bench, thread_settings
from nnscratch.bench.runner import run_bench

CNN_SPEC = "conv{c}x3p1,maxpool2,relu,conv{c2}x3p1,maxpool2,relu,flatten,dense128,relu,dropout0.3,dense10"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: check the script runs")
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per cell (default 3)")
    parser.add_argument("--json", metavar="FILE", help="also write every timing as JSON")
    args = parser.parse_args()
    quick = args.quick
    batches = (32, 128) if quick else (32, 64, 128, 256, 512, 1024)
    widths = (64, 256) if quick else (64, 128, 256, 512, 1024, 2048)
    channels = (8,) if quick else (8, 16, 32, 64)
    samples, epochs = (2000, 1) if quick else (20000, args.epochs)
    common = dict(backends=("numpy",), reference=True, epochs=epochs, warmup=1, samples=samples,
                  dataset="synthetic", log=print)
    by_batch = run_bench(hidden=(256, 128), batch_sizes=batches, **common)["rows"]
    by_width = []
    for width in widths:
        by_width += [dict(r, width=width) for r in run_bench(hidden=(width, width), batch_sizes=(128,), **common)["rows"]]
    cores = max(thread_settings().values())
    by_channels = []
    for c in channels:
        rows = run_cnn_bench(spec=CNN_SPEC.format(c=c, c2=2 * c), samples=512 if quick else 2048, epochs=epochs,
                             settings={f"{cores} threads": cores}, count=False, log=print)
        by_channels += [dict(r, channels=c) for r in rows]
    print("\n".join(["", *mlp_table(by_batch, "batch_size", "batch"), "",
                     *mlp_table(by_width, "width", "hidden H (784-H-H-10)"), "", *cnn_table(by_channels)]))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"mlp_batch": by_batch, "mlp_width": by_width, "cnn_channels": by_channels}, f, indent=1)


def mlp_table(rows, key, label):
    """Markdown: per ``key`` value, seconds per epoch of each contender and nnscratch's ratios."""
    values = sorted({r[key] for r in rows})
    get = {(r[key], r["name"]): r for r in rows}
    lines = [f"| {label} | nnscratch s | hand-written s | PyTorch s | GEMM s | / hand | / PyTorch | x GEMM |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for v in values:
        ours, hand, torch = (get.get((v, n)) for n in ("nnscratch numpy", "numpy-reference", "torch-reference"))
        if ours is None:
            continue
        cell = lambda r: f"{r['median']:.3f}" if r else "-"  # noqa: E731
        ratio = lambda r: f"{ours['median'] / r['median']:.2f}" if r else "-"  # noqa: E731
        lines.append(f"| {v} | {cell(ours)} | {cell(hand)} | {cell(torch)} | {ours['gemm']:.3f} | {ratio(hand)} | "
                     f"{ratio(torch)} | {ours['x_gemm']:.2f} |")
    return lines


def cnn_table(rows):
    """Markdown: per channel count, nnscratch and PyTorch seconds per epoch, the ratio, GEMM time."""
    lines = ["| channels (C, 2C) | threads | nnscratch s | PyTorch s | nnscratch / PyTorch | nnscratch GEMM-only s |",
             "|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        if r["name"] == "torch cpu":
            continue
        torch = next(t for t in rows if t["name"] == "torch cpu" and t["channels"] == r["channels"]
                     and t["threads"] == r["threads"])
        lines.append(f"| {r['channels']}, {2 * r['channels']} | {r['threads']} | {r['median']:.3f} | "
                     f"{torch['median']:.3f} | {r['vs_torch']:.2f} | {r['gemm_seconds']:.3f} |")
    return lines


if __name__ == "__main__":
    main()
