"""One call of ``fit`` from its first epoch to its last: the epoch loop.

:func:`nnscratch.training.loop.fit` checks its arguments, places the data and restores a checkpoint;
:class:`Run` then trains the epochs: per epoch the callbacks' hooks, one epoch on the device
(:func:`~nnscratch.training.step.run_epoch`), its figures read back in one transfer, the divergence
guard, and the checkpoint. The printed line (:func:`format_logs`) is an :class:`EpochLogger`'s, which ``fit``
calls after every other callback, so it shows what they add to the epoch's logs.
"""

from __future__ import annotations

import contextlib
import math
import time
import warnings
from typing import TYPE_CHECKING

from ..errors import DivergenceError
from ..saving import checkpoint as checkpoints
from .evaluation import read_figures
from .guard import nonfinite_flag
from .history import Callback, as_figure
from .step import evaluate_sums, run_epoch

if TYPE_CHECKING:
    from ..models.network import Network


class Run:
    """One call of :func:`fit`: the epoch loop and what it reads once per epoch."""

    def __init__(self, net, step, streamed, verbose, parallel=None):
        self.net, self.step, self.streamed, self.parallel = net, step, streamed, parallel
        self.root = parallel is None or parallel.is_root  # only rank 0 prints and writes
        self.verbose = verbose and self.root
        self.shard = (lambda data: data) if parallel is None else parallel.shard
        self.prepare = None  # with fit(augment=...): makes each later epoch's data
        self.place_augmented = False  # with fit(augment=...) and no ``stream``: decide on the first epoch's data
        if streamed:
            self._say_streaming()

    def _say_streaming(self):
        if self.verbose:
            print(f"streaming batches from host memory ({self.net.backend} free memory: "
                  f"{_megabytes(self.net.backend.memory_info())})", flush=True)

    def stream_from_now(self, history):
        """Keep each epoch's data in host memory from now on (an augmented epoch that does not fit)."""
        self.streamed = history.params["streamed"] = True
        self._say_streaming()

    def epoch(self, data, val, batch_size, shuffle, per_batch):
        """Train one epoch; return its figures (device scalars, nothing read yet)."""
        sums = run_epoch(self.net, self.step, data, batch_size or data.n, shuffle, per_batch,
                         stoppable=self.parallel is None)  # ranks agree on a stop once per epoch
        if val is not None:
            sums.update(evaluate_sums(self.step, val, "val_"))
        return sums

    def loop(self, data, val, epoch_range, epochs, batch_size, shuffle, callbacks, history, guard, ckpt):
        net = self.net
        # under MPI one callback that raises an error of one rank's callbacks on every rank
        hooks = callbacks if self.parallel is None else [self.parallel.together(callbacks)]
        per_batch = [c for c in hooks if type(c).on_batch_end is not Callback.on_batch_end]
        net.stop_training = False
        for c in callbacks:  # the run's settings, as Keras: is_root tells rank 0 (which alone prints) apart
            c.set_params(history.params)
        for c in hooks:
            c.on_train_begin(net)
        epoch = epoch_range.start - 1
        for epoch in epoch_range:
            start = time.perf_counter()  # an epoch's time includes making its augmented data
            if self.prepare is not None:
                data = self.prepare()  # this epoch's augmented data, drawn from the network's RNG
            for c in hooks:
                c.on_epoch_begin(epoch, net)
            with _quiet_float_warnings():  # the guard below reports NaN/inf once, clearly
                sums = self.epoch(data, val, batch_size, shuffle, per_batch)
                sums["nonfinite"] = nonfinite_flag(net)
                logs = read_figures(net, sums, data, val, self.parallel)
            nonfinite = logs.pop("nonfinite")
            logs["seconds"] = time.perf_counter() - start
            _record_timing(history, epoch == epoch_range.start, logs["seconds"])
            try:
                guard.check(epoch, epochs, _guarded(logs), nonfinite)
            except DivergenceError as exc:
                history.on_epoch_end(epoch, logs, net)
                if self.verbose:  # the callbacks do not run: the diverged epoch's line, then the error
                    print(format_logs(epoch, epochs, logs), flush=True)
                exc.history = history
                if self.parallel is not None:  # the figures are summed over ranks: every rank raises it here
                    exc.collective = True
                raise
            for c in hooks:
                c.on_epoch_end(epoch, logs, net)
            if self.parallel is not None:  # a callback of one rank (a time budget) stops every rank
                net.stop_training = self.parallel.any_rank(net.stop_training)
            last = net.stop_training or epoch == epochs - 1
            if ckpt[0] is not None and ((epoch + 1) % ckpt[1] == 0 or last):
                self.save_checkpoint(ckpt[0], epoch, history, guard, callbacks)
            if net.stop_training:
                break
        best = guard.finish()
        if best is not None:
            history.params["best_epoch"] = best
        for c in hooks:
            c.on_train_end(net)

    def save_checkpoint(self, path, epoch, history, guard, callbacks):
        """Write the checkpoint after ``epoch``. In a parallel run rank 0 alone writes it and every
        rank waits for the outcome (:func:`~nnscratch.distributed.from_root`): a write the system
        refuses (a full disk) is raised on every rank together, marked ``collective``, so the command
        line says it once and every rank ends as one process does, none left waiting in the next
        all-reduce. One process writes it directly, at no extra cost."""
        def save():
            return checkpoints.save(path, self.net, epoch=epoch, history=history, guard=guard,
                                    callbacks=callbacks, stopped=self.net.stop_training)

        if self.parallel is None:
            save()
        else:
            self.parallel.from_root(save)


def _guarded(logs):
    """The figures the divergence guard checks: every one but ``seconds``, and but an R^2 that is NaN beside a
    finite loss (of a single sample: undefined, as scikit-learn's, not a diverged run)."""
    def undefined(key, value):
        return key.endswith("r2") and math.isnan(value) and math.isfinite(logs.get(key[:-2] + "loss", math.nan))
    return {k: v for k, v in logs.items() if k != "seconds" and not undefined(k, v)}


def _record_timing(history, first, seconds):
    """Keep this call's first (cold) epoch apart from the steady-state ones."""
    if first:
        history.params["first_epoch_seconds"], history.params["steady_epoch_seconds"] = seconds, []
    else:
        history.params["steady_epoch_seconds"].append(seconds)


@contextlib.contextmanager
def _quiet_float_warnings():
    """Silence NumPy's per-operation overflow/invalid warnings while an epoch runs."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", r"(overflow|invalid value|divide by zero) encountered",
                                RuntimeWarning)
        yield


def _megabytes(info):
    return "unknown" if info is None else f"{info[0] / 2**20:.0f} MB"


def format_logs(epoch, epochs, logs):
    """``epoch  3/10  loss 0.1234  accuracy 0.9650  val_loss ...  1.23 s`` (a regression: ``r2 0.9312  mae ...``)."""
    parts = [f"epoch {epoch + 1:>{len(str(epochs))}}/{epochs}"]
    parts += [f"{k} {shown(k, v, '.4f')}" for k, v in logs.items() if k != "seconds"]
    parts.append(f"{logs.get('seconds', 0.0):.2f} s")
    return "  ".join(parts)


def shown(key, value, spec):
    """A figure of ``logs`` as an epoch line shows it: a number (a device scalar a callback logged included) in
    the format ``spec``, anything else a callback logs (a string, None, a flag) as it is."""
    value = as_figure(key, value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return format(value, spec)
    return str(value)


class EpochLogger(Callback):
    """Prints one line per epoch: ``fit(verbose=True)`` adds one. ``fit`` calls its ``on_epoch_end`` after every
    other callback's and the :class:`~nnscratch.training.history.History`'s, as Keras runs its ProgbarLogger
    last, so the line shows the figures the callbacks add to ``logs`` (a learning rate, an F1) and comes after
    their own messages about the epoch (``ReduceLROnPlateau(verbose=True)``'s). Under ``mpiexec`` rank 0 alone
    prints. Override :meth:`line` for another layout (``nnscratch train`` shows accuracies as percentages)."""

    def on_epoch_end(self, epoch: int, logs: dict[str, float], network: Network) -> None:
        if self.is_root:
            print(self.line(epoch, logs), flush=True)

    def line(self, epoch: int, logs: dict[str, float]) -> str:
        """The epoch's line: :func:`format_logs` by default.

        Parameters
        ----------
        epoch : int
            The epoch just ended, counting from 0.
        logs : dict of str to float
            The epoch's figures, with what the other callbacks added.
        """
        return format_logs(epoch, self.params.get("epochs", epoch + 1), logs)


def in_order(callbacks, history):
    """``callbacks`` as ``fit`` calls them: in the order given, then ``history``, then the :class:`EpochLogger`
    ones (which print what the others logged)."""
    loggers = [c for c in callbacks if isinstance(c, EpochLogger)]
    return [c for c in callbacks if not isinstance(c, EpochLogger)] + [history] + loggers
