"""How many threads the BLAS runs: one policy, applied once per process.

NumPy's BLAS (OpenBLAS, MKL, ...) and PyTorch start one thread per core. That
is right for one process on an idle machine and wrong in two cases:

* several processes per node (``mpiexec -n 4``): each would start a thread per
  core, four times more threads than cores. Each process takes its share,
  ``cores // processes on this node``, at least 1 (``torchrun`` sets
  ``OMP_NUM_THREADS=1`` for the same reason);
* cores that other programs keep busy: a matrix product split over threads
  waits for its slowest thread, and a descheduled one (or OpenBLAS's threads
  busy-waiting beside the work) makes epochs many times slower. The process
  takes the cores that were idle when it started (sampled from ``/proc/stat``
  for a tenth of a second; all usable cores where that cannot be read).

The user's ``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``
always win: nothing is changed then. :func:`configure` applies the policy
(through ``threadpoolctl``, and ``torch.set_num_threads`` where PyTorch is
loaded); :func:`describe` says what runs, for ``nnscratch info`` and the first
training line.

OpenBLAS's idle threads busy-wait 2**28 clock ticks (about 0.1 s) after each
product before they sleep. Between products a training step does copies and
elementwise work, split over the same cores by nnscratch's own threads: the
spinning thread took half a core from them (a split im2col copy right after a
product ran 1.7x slower). :func:`shorten_spin`, called when nnscratch is
imported, sets ``OPENBLAS_THREAD_TIMEOUT=20`` (2**20 ticks, about 0.4 ms: long
enough to bridge the gaps between an MLP step's products) unless the user set
it; it is read once, when NumPy loads OpenBLAS, so it takes effect only where
nnscratch is imported before NumPy (the command line always is). Where the spin
stays long, :func:`own_threads` keeps nnscratch's own work in one thread.
"""

import contextlib
import os
import sys
import threading
import time
from typing import Any

USER_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
# Processes on this node, as launchers tell them: MPICH and Intel MPI (hydra), Open MPI, MVAPICH2, torchrun.
LOCAL_SIZE_VARIABLES = ("MPI_LOCALNRANKS", "OMPI_COMM_WORLD_LOCAL_SIZE", "MV2_COMM_WORLD_LOCAL_SIZE",
                        "LOCAL_WORLD_SIZE")

SPIN_VARIABLE, SPIN = "OPENBLAS_THREAD_TIMEOUT", 20  # OpenBLAS reads it as log2 of the clock ticks
SPLIT_MAX_SPIN = 22  # with a longer spin nnscratch's own work stays in one thread (own_threads says why)
_spin: dict[str, Any] = {}  # what shorten_spin() found: {"set": bool, "late": bool}
_workers = [None]  # threads for nnscratch's own NumPy work; None: not read yet
_limits: dict[str, Any] = {"entered": 0}  # limited(): how many are entered, and what ran before the first
_limits_lock = threading.Lock()
_applied: dict[str, Any] = {}  # what configure() chose: {"threads": n, "reason": text}; kept so describe() can say it


def usable_cores():
    """Cores this process may run on (its CPU affinity), else the machine's count."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def user_setting(environ=None):
    """``(name, value)`` of the first thread variable the user set to a positive number, else None."""
    environ = os.environ if environ is None else environ
    for name in USER_VARIABLES:
        value = str(environ.get(name, "")).strip()
        if value.isdigit() and int(value) > 0:
            return name, int(value)
    return None


def local_processes(environ=None):
    """Processes a launcher started on this node (1 when none says so)."""
    environ = os.environ if environ is None else environ
    for name in LOCAL_SIZE_VARIABLES:
        value = str(environ.get(name, "")).strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    return 1


def idle_cores(interval=0.1):
    """Idle cores among this process's usable ones over ``interval`` seconds (a float), from
    ``/proc/stat``; None where it cannot be read (not Linux)."""
    try:
        cpus = {f"cpu{i}" for i in os.sched_getaffinity(0)}
        before = _idle_jiffies(cpus)
        time.sleep(interval)
        after = _idle_jiffies(cpus)
    except (OSError, AttributeError, ValueError, IndexError):
        return None
    spent = sum(after[1]) - sum(before[1])
    return None if spent <= 0 else len(cpus) * (after[0] - before[0]) / spent


def _idle_jiffies(cpus):
    """(idle + iowait jiffies, [all jiffies]) summed over the ``cpus`` lines of /proc/stat."""
    idle, total = 0, []
    with open("/proc/stat", encoding="ascii") as f:
        for line in f:
            name, *fields = line.split()
            if name in cpus:
                ticks = [int(v) for v in fields[:8]]
                idle += ticks[3] + ticks[4]
                total.append(sum(ticks))
    return idle, total


def choose(environ=None, cores=None, idle=None):
    """``(threads, reason)`` under the policy above; ``threads`` is None where the user set them.

    ``cores``: usable cores (default: this process's); ``idle``: idle cores measured (None: unknown)."""
    environ = os.environ if environ is None else environ
    cores = usable_cores() if cores is None else cores
    user = user_setting(environ)
    if user is not None:
        return None, f"{user[0]}={user[1]}"
    share, local = max(1, cores // local_processes(environ)), local_processes(environ)
    if local > 1:
        return share, f"{local} processes share this node's {cores} cores"
    if idle is not None and idle < cores - 0.5:
        return max(1, int(idle + 0.5)), f"{max(idle, 0.0):.1f} of {cores} cores idle at start"
    return cores, f"{cores} cores"


def configure(environ=None, measure=True):
    """Apply the policy to NumPy's BLAS (and PyTorch's threads where it is loaded); return
    :func:`describe`. Called once by the command line before training."""
    environ = os.environ if environ is None else environ
    cores = usable_cores()
    idle = idle_cores() if measure and cores > 1 and user_setting(environ) is None \
        and local_processes(environ) == 1 else None
    threads, reason = choose(environ, cores, idle)
    if threads is not None:
        set_threads(threads)
    _applied.update(threads=threads if threads is not None else blas_threads(), reason=reason)
    return describe()


def set_threads(n):
    """Run ``n`` BLAS threads from now on (and ``n`` PyTorch threads where PyTorch is loaded, and
    threads for nnscratch's own copies and elementwise work on NumPy, :func:`workers`)."""
    _workers[0] = own_threads(n)
    limiter = _threadpoolctl()
    if limiter is not None:
        limiter.threadpool_limits(limits=n, user_api="blas")
    torch = sys.modules.get("torch")  # None where its import was blocked (sys.modules["torch"] = None)
    if torch is not None:
        torch.set_num_threads(n)


@contextlib.contextmanager
def limited(n):
    """While entered: ``n`` BLAS threads and ``n`` threads for nnscratch's own work, then what ran before
    (a training step that splits its batches over threads itself runs each piece in one). Entered from
    several threads at once (fits in threads of one's own), what ran before the first is put back when
    the last leaves, not when the first does."""
    limiter = _threadpoolctl()
    with _limits_lock:
        if not _limits["entered"]:
            _limits["saved"] = _workers[0]
            _limits["blas"] = limiter.threadpool_limits(limits=n, user_api="blas") if limiter else None
        elif limiter:
            limiter.threadpool_limits(limits=n, user_api="blas")  # set now; the first one's restores
        _limits["entered"] += 1
        _workers[0] = max(1, int(n))
    try:
        yield
    finally:
        with _limits_lock:
            _limits["entered"] -= 1
            if not _limits["entered"]:
                _workers[0] = _limits["saved"]
                if _limits["blas"] is not None:
                    _limits["blas"].restore_original_limits()


def workers():
    """Threads for nnscratch's own work on NumPy (the convolution's copies and elementwise steps):
    :func:`own_threads` of the BLAS's (set by :func:`set_threads`; until then its own count, read once)."""
    if _workers[0] is None:
        _workers[0] = own_threads(blas_threads())
    return _workers[0]


def own_threads(n):
    """Threads for nnscratch's own work beside ``n`` BLAS threads: ``n``, but 1 where OpenBLAS's idle
    threads spin longer than 2^:data:`SPLIT_MAX_SPIN` ticks (NumPy loaded before nnscratch: 2^28, or
    the user's longer value): there the spinning threads hold the cores the pieces would run on. CNN
    epochs split against not, 2 cores: 2^20 0.85-0.94x, 2^22 0.96-0.98x, 2^24 1.09-1.16x, 2^28
    1.06-1.13x (benchmarks/README.md)."""
    exponent = spin_exponent()
    return 1 if exponent is not None and exponent > SPLIT_MAX_SPIN else max(1, int(n))


def blas_threads():
    """Threads NumPy's BLAS runs now (from threadpoolctl; else the environment, else all cores)."""
    info = blas_info()
    if info is not None:
        return info["num_threads"]
    user = user_setting()
    return user[1] if user else usable_cores()


def blas_info():
    """threadpoolctl's record of the BLAS NumPy loaded (``filepath``, ``internal_api``,
    ``num_threads``, ``version``...), or None without threadpoolctl or a BLAS it knows."""
    limiter = _threadpoolctl()
    if limiter is None:
        return None
    import numpy  # noqa: F401  (threadpoolctl lists only libraries already loaded)
    found = [lib for lib in limiter.threadpool_info() if lib.get("user_api") == "blas"]
    return next((lib for lib in found if "numpy" in lib.get("filepath", "")), found[0] if found else None)


def shorten_spin(environ=None, loaded=None):
    """Set ``OPENBLAS_THREAD_TIMEOUT`` to :data:`SPIN` unless the user set it or NumPy (``loaded``:
    default, whether it is imported) has loaded its BLAS already, when it would come too late.
    Returns ``{"set": nnscratch set it, "late": NumPy came first and nothing was set}``."""
    environ = os.environ if environ is None else environ
    loaded = "numpy" in sys.modules if loaded is None else loaded
    ours = SPIN_VARIABLE not in environ and not loaded
    if ours:
        environ[SPIN_VARIABLE] = str(SPIN)
    state = dict(set=ours, late=loaded and SPIN_VARIABLE not in environ)
    if environ is os.environ:  # this process's own: describe_spin() reports it
        _spin.update(state)
    return state


def describe_spin():
    """One line for ``nnscratch info``: how long OpenBLAS's idle threads spin and who chose it;
    None where NumPy's BLAS is not OpenBLAS."""
    exponent = spin_exponent()
    if exponent is None:
        return None
    alone = "; nnscratch's copies run in one thread beside them" if exponent > SPLIT_MAX_SPIN else ""
    if _spin.get("late"):
        return (f"OpenBLAS idle threads: spin 2^28 ticks (about 0.1 s; OpenBLAS's default: NumPy was "
                f"loaded before nnscratch; set {SPIN_VARIABLE}={SPIN} before starting Python to shorten it){alone}")
    value = str(os.environ.get(SPIN_VARIABLE, "")).strip()
    who = "nnscratch's default" if _spin.get("set") else "from the environment" if value else "OpenBLAS's default"
    return f"OpenBLAS idle threads: spin 2^{exponent} ticks ({SPIN_VARIABLE}={value or 'unset'}, {who}){alone}"


def spin_exponent():
    """log2 of the clock ticks OpenBLAS's idle threads busy-wait (its default 28, clamped to 4-30 as it
    does), or None where NumPy's BLAS is not OpenBLAS."""
    info = blas_info()
    if info is None or info.get("internal_api") != "openblas":
        return None
    value = str(os.environ.get(SPIN_VARIABLE, "")).strip()
    return 28 if _spin.get("late") or not (value.isdigit() and int(value) > 0) else min(max(int(value), 4), 30)


def describe():
    """One line: how many BLAS threads run and why, e.g. ``BLAS threads: 1 (openblas 0.3.31;
    1 of 2 cores busy with other work at start)``."""
    info = blas_info()
    threads = info["num_threads"] if info else _applied.get("threads", blas_threads())
    library = f"{info['internal_api']} {info.get('version') or ''}".strip() if info else "BLAS"
    reason = _applied.get("reason") or choose(idle=None)[1]
    return f"BLAS threads: {threads} ({library}; {reason})"


def _threadpoolctl():
    try:
        import threadpoolctl
    except ImportError:
        return None
    return threadpoolctl
