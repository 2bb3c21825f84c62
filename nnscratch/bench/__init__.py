"""``nnscratch bench``: how fast training runs per backend and batch size, and how close
the epoch comes to the time its matrix products take alone (the GEMM roofline).

>>> from nnscratch.bench import run_bench, render
>>> result = run_bench(backends=("numpy", "torch:cpu"), batch_sizes=(128,), reference=True)
>>> print(render(result))

``run_bench`` takes the options of ``nnscratch bench`` as keywords (``backends``, ``hidden``,
``batch_sizes``, ``dtype``, ``epochs``, ``warmup``, ``repeats``, ``samples``, ``features``,
``dataset``, ``reference``, ``lr``, ``seed``) and returns a JSON-ready dict; ``render``,
``table`` and ``headline`` print it, ``write_json`` and ``plot`` save it.

Inside: ``device`` says what ran, ``roofline`` times the products, ``contenders`` wraps
nnscratch and the hand-written loops of ``reference/`` (NumPy and PyTorch), ``runner``
alternates them, ``counting`` counts the array operations of a training step, ``report``
prints, saves and plots; ``cnn`` is ``--model cnn`` and ``mpi`` is ``--ranks``.
"""

from .report import headline, plot, render, table, write_json
from .runner import run_bench

__all__ = ["headline", "plot", "render", "run_bench", "table", "write_json"]
