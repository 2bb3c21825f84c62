"""Each rank's share of the machine: the GPU of its local rank, and the command line's options on ranks
other than 0 (no output, no files)."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

    from ..backend.core import Backend
    from .comm import MPIComm


def local_device(spec: str | Backend | None, local_rank: int, count: int | None = None) -> str | Backend | None:
    """The backend ``spec`` on the GPU of this local rank: ``cupy`` -> ``cupy:{r}``,
    ``torch:cuda`` -> ``torch:cuda:{r}``, with ``r`` the local rank modulo the node's ``count``
    GPUs (asked of the library when not given), so more ranks than GPUs share them in turn;
    names with a device index, and CPU backends, unchanged.

    Parameters
    ----------
    spec : str, Backend or None
        The backend asked for (``cupy``, ``torch:cuda``, ...).
    local_rank : int
        This process's rank among those on its node.
    count : int, optional
        GPUs on the node; default: asked of CuPy or PyTorch.
    """
    text = str(spec or "").strip()
    if text == "cupy" or text == "torch:cuda":
        count = _gpu_count(text) if count is None else count
        return f"{text}:{local_rank % count if count else local_rank}"
    return spec


def _gpu_count(name: str) -> int:
    """How many GPUs CuPy or PyTorch sees (0 when it cannot tell: the backend then says why)."""
    try:
        if name == "cupy":
            import cupy
            return int(cupy.cuda.runtime.getDeviceCount())
        import torch
        return int(torch.cuda.device_count())
    except Exception:  # not installed, no driver: selecting the backend reports the reason
        return 0


def command_line_rank(args: argparse.Namespace, comm: MPIComm) -> None:
    """Adjust ``nnscratch train`` options for this rank: the GPU of its local rank
    (unless a device was named); on ranks other than 0, no output and no files.

    Parameters
    ----------
    args : argparse.Namespace
        ``nnscratch train``'s parsed options, changed in place.
    comm : MPIComm
        The job's communicator (its rank and local rank).
    """
    spec = args.backend or os.environ.get("NNSCRATCH_BACKEND", "").strip() or None  # blank: unset, as the library reads it
    if spec in (None, "auto"):
        from ..backend.core import get_backend
        spec = "cupy" if get_backend(spec).name == "cupy" else spec
    args.backend = local_device(spec, comm.local_rank)
    if comm.rank != 0:
        args.quiet, args.json, args.no_save, args.show = True, False, True, False
        args.history = args.plot = args.live = None
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (for the life of the process)
