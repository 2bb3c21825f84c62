"""The hand-written training loops ``nnscratch bench --reference`` times next to nnscratch.

They ship inside the package, so ``--reference`` works after a plain ``pip install``:

- :mod:`.numpy_reference`: the tightest NumPy loop we know (the floor);
- :mod:`.torch_reference`: the ordinary PyTorch loop (imports torch only when loaded).

Run either alone: ``python -m nnscratch.bench.reference.numpy_reference --batch-size 128``.
"""
