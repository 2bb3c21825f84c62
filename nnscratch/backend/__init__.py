"""Backends: which array library and device the math runs on.

- ``core``: ``get_backend``/``use_backend`` (a ContextVar), ``selected_block``; re-exports the names below.
- ``base``: :class:`Backend` (a library, a dtype, a device), ``backend_of`` an array, ``namespace``.
- ``names``: the backend strings (``"torch:cuda"``, ``"cupy:1"``) and dtype names, parsed and checked.
- ``randomness``: the host random generator every backend draws its weights and shuffles from.
- ``discovery``: ``available_backends``: which libraries are installed and usable here, on which devices.
- ``adapters``: the few things each array library (NumPy, CuPy, PyTorch, array-api-strict) does differently.
- ``cuda``: why CuPy cannot run here (the probe of a device, a missing driver or toolkit library), in one line.
- ``kernels``: the hot path's few in-place writes the array API cannot express.
- ``staging``: moving streamed batches from host memory to the device.
- ``threads``: how many BLAS threads run (the user's variables win; ranks on a node share its cores).
"""
