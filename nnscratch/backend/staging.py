"""Staging: moving streamed batches from host memory to the device.

One :meth:`Stager.put` per batch and array is the only host -> device traffic
of a streamed epoch. On a CUDA device the rows are gathered straight into one
of two page-locked (pinned) host buffers and copied asynchronously
(``non_blocking=True`` on torch, ``ndarray.set(..., stream=...)`` on CuPy) on a
side stream, which the compute stream waits for through an event, so the copy
of the next batch overlaps the step on this one; before a buffer is refilled,
the host waits for the event of its last copy (that copy, not the whole device). Elsewhere (NumPy, torch on the CPU, array-api-strict) the
gathered rows go through :meth:`Backend.asarray` once.
"""

import numpy as np


def stager_for(backend):
    """The :class:`Stager` that suits ``backend``'s library and device."""
    if backend.name == "cupy":
        return CupyStager(backend)
    if backend.name == "torch" and backend.device.type == "cuda":
        return TorchStager(backend)
    return Stager(backend)


def gather(source, rows, out=None):
    """Host rows ``source[rows]`` (a slice or an index array), into ``out`` if given."""
    if out is None:
        return source[rows]
    if isinstance(rows, slice):
        np.copyto(out, source[rows])
    else:
        np.take(source, rows, axis=0, out=out)
    return out


def _count(rows, n):
    return len(range(*rows.indices(n))) if isinstance(rows, slice) else len(rows)


class Stager:
    """Gather the rows on the host and move them with one :meth:`Backend.asarray`."""

    def __init__(self, backend):
        self.backend = backend

    def put(self, source, rows, dtype=None):
        """``source[rows]`` on the device, converted there to ``dtype`` (an ``xp`` dtype) if given."""
        return self.backend.asarray(gather(source, rows), dtype=dtype)


class PinnedStager(Stager):
    """Double-buffered pinned staging; subclasses say how to allocate and copy."""

    def __init__(self, backend):
        super().__init__(backend)
        self._buffers, self._events, self._next = [None, None], [None, None], 0

    def put(self, source, rows, dtype=None):
        slot, self._next = self._next, 1 - self._next
        if self._events[slot] is not None:
            self._events[slot].synchronize()  # the copy that last read this buffer has finished
        n = _count(rows, source.shape[0])
        pinned = self._buffer(slot, (n,) + source.shape[1:], source.dtype.newbyteorder("="))  # swapped as gathered
        gather(source, rows, out=pinned.host[:n])
        device, self._events[slot] = self.copy(pinned, n)
        return device if dtype is None or device.dtype == dtype else self.backend.xp.astype(device, dtype)

    def _buffer(self, slot, shape, dtype):
        pinned = self._buffers[slot]
        if pinned is None or pinned.host.dtype != dtype or pinned.host.shape[1:] != shape[1:] \
                or pinned.host.shape[0] < shape[0]:
            pinned = self._buffers[slot] = self.allocate(shape, dtype)
        return pinned

    def allocate(self, shape, dtype):
        """A :class:`Pinned` buffer of ``shape`` and NumPy ``dtype``."""
        raise NotImplementedError

    def copy(self, pinned, n):
        """Start copying the first ``n`` rows to the device: ``(device_array, event)``."""
        raise NotImplementedError


class Pinned:
    """A page-locked host buffer: ``host`` (a NumPy view) and the library's own handle."""

    def __init__(self, host, handle=None):
        self.host, self.handle = host, handle


class TorchStager(PinnedStager):
    """torch on CUDA: ``pin_memory=True`` buffers, copied with ``non_blocking=True`` on a
    side stream that the compute stream waits for (an event, not a host sync)."""

    def __init__(self, backend):
        super().__init__(backend)
        self._stream = backend._lib.cuda.Stream(device=backend.device)

    def allocate(self, shape, dtype):
        torch = self.backend._lib
        tensor = torch.empty(shape, dtype=torch.from_numpy(np.empty(0, dtype)).dtype, pin_memory=True)
        return Pinned(tensor.numpy(), tensor)

    def copy(self, pinned, n):
        torch, device = self.backend._lib, self.backend.device
        host = pinned.handle[:n]
        target = torch.empty(host.shape, dtype=host.dtype, device=device)  # allocated for the compute stream
        with torch.cuda.stream(self._stream):
            target.copy_(host, non_blocking=True)
            event = torch.cuda.Event()
            event.record(self._stream)
        torch.cuda.current_stream(device).wait_event(event)
        return target, event


class CupyStager(PinnedStager):
    """CuPy: ``cupyx.empty_pinned`` buffers, copied with ``ndarray.set(host, stream=side)``
    on a side stream that the current stream waits for."""

    def __init__(self, backend):
        super().__init__(backend)
        self._stream = backend._lib.cuda.Stream(non_blocking=True)

    def allocate(self, shape, dtype):
        import cupyx
        return Pinned(cupyx.empty_pinned(shape, dtype=dtype))

    def copy(self, pinned, n):
        cupy = self.backend._lib
        host = pinned.host[:n]
        target = cupy.empty(host.shape, dtype=host.dtype)  # allocated for the current stream
        target.set(host, stream=self._stream)
        event = cupy.cuda.Event(disable_timing=True)
        event.record(self._stream)
        cupy.cuda.get_current_stream().wait_event(event)
        return target, event
