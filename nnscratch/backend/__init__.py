"""Backends: which array library and device the math runs on.

- ``core``: :class:`Backend`, ``get_backend``/``use_backend`` (a ContextVar), ``backend_of``.
- ``discovery``: ``available_backends``: which libraries are installed and usable here, on which devices.
- ``adapters``: the few things each array library (NumPy, CuPy, PyTorch, array-api-strict) does differently.
- ``cuda``: why CuPy cannot run here (the probe of a device, a missing driver or toolkit library), in one line.
- ``kernels``: the hot path's few in-place writes the array API cannot express.
- ``staging``: moving streamed batches from host memory to the device.
- ``threads``: how many BLAS threads run (the user's variables win; ranks on a node share its cores).
"""
