"""What every rank of a data-parallel ``fit`` must agree on, and the one line that refuses what differs:
the settings, network, optimizer, backend (the library and kind of device: the ranks' kernels must round
alike) and dtype, and a fingerprint of the data (:func:`~.parallel.setup` gathers them from every rank);
and enough rows for every rank."""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np


def too_few_rows(size: int, n: int, batch_size: int | None, val: int | None = None) -> str | None:
    """Why ``size`` processes cannot share batches of ``batch_size`` of ``n`` training rows (and
    ``val`` validation rows) one row each at least, with what to change; None when they can."""
    start = f"Data-parallel training over {size} processes needs at least {size} "
    fewer = lambda k: f"at most {k} process{'es' * (k != 1)}"  # noqa: E731
    if n < size:
        return f"{start}training rows (one per process); got {n}. Use {fewer(n)}, or more data."
    if batch_size is not None and batch_size < size:
        return (f"{start}rows per batch (one per process); got batch_size={batch_size}. Use a batch_size "
                f"(--batch-size) of at least {size}, or {fewer(batch_size)}.")
    if val is not None and val < size:
        return (f"{start}validation rows (one per process); got {val}. Hold out more rows for validation "
                f"(--validation), or use {fewer(val)}.")
    return None


def backend_kind(backend: Any) -> str:
    """The array library and the kind of device of ``backend`` (``torch:cuda``, ``cupy``, ``numpy``): what every
    rank must share (the ranks' kernels round alike), not the device index (each rank its own GPU)."""
    kind = str(backend.device_name or "").split(":")[0]
    return backend.name if not kind or kind.isdigit() else f"{backend.name}:{kind}"


HOW = {"backend": "Select the same backend on every rank (--backend or $NNSCRATCH_BACKEND, Network(backend=...))",
       "dtype": "Use the same dtype on every rank (--dtype, Network(dtype=...))"}


def differs(key: str, ours: Any, theirs: Any, rank: int) -> str:
    """The one line refusing setting ``key``, ``ours`` on rank 0 and ``theirs`` on ``rank``: naming the first
    entry that differs in a network's layers, an optimizer's options or the data's fingerprint."""
    path, ours, theirs = _first_difference(ours, theirs)
    names = [f"layer {p}" if key == "network" and i == 0 else ("inputs", "targets")[p] if key == "validation"
             and i == 0 else f"entry {p}" if isinstance(p, int) else str(p) for i, p in enumerate(path)]
    where = f"{' of '.join(reversed(names))} differs: " if names else ""
    how = HOW.get(key, "Launch every rank with the same options, data and seed")
    return (f"Data-parallel training needs the same {key} on every rank; {where}"
            f"rank 0 has {_short(ours)} but rank {rank} has {_short(theirs)}. {how}.")


class _Nothing:
    """What a shorter list has where a longer one goes on."""

    def __repr__(self) -> str:
        return "nothing"


def _first_difference(a: Any, b: Any, path: tuple[Any, ...] = ()) -> tuple[tuple[Any, ...], Any, Any]:
    """``(path, a_part, b_part)``: where nested dicts and lists ``a`` and ``b`` first differ (``()``: as wholes);
    lists of different lengths at their first differing entry (``nothing`` past the end of the shorter)."""
    if isinstance(a, dict) and isinstance(b, dict) and list(a) == list(b):
        key = next((k for k in a if a[k] != b[k]), None)
    elif isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        key = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), None)
        if len(a) != len(b):  # an entry left out or put in: said whole
            key = min(len(a), len(b)) if key is None else key
            ours, theirs = (v[key] if key < len(v) else _Nothing() for v in (a, b))
            return path + (key,), ours, theirs
    else:
        key = None
    if key is None:  # not both dicts with the same keys nor lists; or equal entry by entry (a list and a tuple)
        return path, a, b
    return _first_difference(a[key], b[key], path + (key,))


def fingerprint(a: Any, backend: Any) -> dict[str, Any]:
    """Shape, dtype and a checksum of up to 64 evenly spaced rows (cheap for any size)."""
    shape = tuple(int(s) for s in getattr(a, "shape", (len(a),)))
    rows = a[:: max(1, shape[0] // 64)] if shape and shape[0] else a
    try:
        host = np.ascontiguousarray(rows if isinstance(rows, (np.ndarray, list)) else backend.to_numpy(rows))
    except Exception:  # an array of another library: compare the shapes alone
        return {"shape": shape}
    return {"shape": shape, "dtype": str(host.dtype), "checksum": zlib.crc32(host.tobytes())}


def _short(value, limit=120):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
