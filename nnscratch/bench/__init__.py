"""``nnscratch bench``: how fast training runs per backend and batch size, and how close
the epoch comes to the time its matrix products take alone (the GEMM roofline).

>>> from nnscratch.bench import run_bench, render
>>> result = run_bench(backends=("numpy", "torch:cpu"), batch_sizes=(128,), reference=True)
>>> print(render(result))

``device`` says what ran, ``roofline`` times the products, ``contenders`` wraps
nnscratch and the hand-written loops of ``benchmarks/``, ``runner`` alternates
them, ``report`` prints, saves and plots.
"""

from .report import headline, plot, render, table, write_json
from .runner import run_bench

__all__ = ["headline", "plot", "render", "run_bench", "table", "write_json"]
