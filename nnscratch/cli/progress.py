"""What ``nnscratch train`` shows while it runs: a progress bar per epoch and one line per epoch."""

import contextlib
import signal
import sys
import threading

from . import stopping


def progress(n_batches, epochs, show):
    """A Callback: a tqdm bar over each epoch's batches and one line per epoch. It is an
    :class:`~nnscratch.training.epochs.EpochLogger`, which ``fit`` calls after the other callbacks: the line
    shows what they add to the epoch's logs."""
    from ..training.epochs import EpochLogger

    class Progress(EpochLogger):
        bar = None
        epoch = 0  # the epoch running (0-based), for the Ctrl-C message
        batches = 0  # batches done in it, for the SIGTERM and Ctrl-C messages
        pressed = None  # the KeyboardInterrupt (Terminated) class ctrl_c's handler raised: again at the batch's end

        def on_epoch_begin(self, epoch, network):
            self.epoch, self.batches = epoch, 0
            if show:
                self.bar = _bar(n_batches, f"epoch {epoch + 1}/{epochs}")

        def on_batch_end(self, batch, network):
            if self.pressed:
                raise self.pressed
            self.batches += 1
            if self.bar is not None:
                self.bar.update(1)

        def on_epoch_end(self, epoch, logs, network):
            if self.pressed:
                raise self.pressed
            if self.bar is not None:
                self.bar.close()
            if show:
                print(self.line(epoch, logs), flush=True)

        def line(self, epoch, logs):
            return epoch_line(epoch, epochs, logs)

    return Progress()


@contextlib.contextmanager
def ctrl_c(bar, comm=None):
    """Ctrl-C (and SIGTERM and SIGHUP, which the command line raises as Ctrl-C: :mod:`.stopping`) stops training even
    when it lands in a finaliser: Python runs ``__del__`` methods (tqdm's, for one) whenever an object goes,
    and a KeyboardInterrupt raised inside one is printed as "Exception ignored" and dropped, so training
    carried on. The handler remembers the signal and ``bar`` (:func:`progress`) raises it again at the end
    of the batch. Each is left alone where it is not Python's to handle (Ctrl-C ignored in a background
    job, SIGTERM outside the command line, another handler installed). Under mpiexec (``comm``) rank 0 alone
    stops the job (``mpiexec`` passes Ctrl-C and SIGTERM on to every rank): every other rank relays each signal
    sent to it to rank 0 (:func:`~nnscratch.distributed.relay.relaying`), as long as training lasts."""
    from ..distributed.relay import relaying
    handle = comm is None or comm.rank == 0
    ours = {signal.SIGINT: signal.default_int_handler, **dict.fromkeys(stopping.STOPS, stopping.raise_stop)}
    if threading.current_thread() is not threading.main_thread():
        ours = {}

    def pressed(signum, frame):
        exc = stopping.stop(signum)
        bar.pressed = type(exc)
        raise exc

    handler = pressed if handle else signal.SIG_IGN
    with relaying(comm):  # first: each signal it relays is left to it below
        previous = {signum: signal.signal(signum, handler) for signum, default in ours.items()
                    if signal.getsignal(signum) is default}
        try:
            yield
        finally:
            for signum, handled in previous.items():
                if signal.getsignal(signum) is handler:  # not SIGTERM, ignored from the first on (stopping.stop)
                    signal.signal(signum, handled)


def _bar(total, desc):
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc=desc, unit="batch", leave=False, disable=None, file=sys.stderr)


LABELS = {"r2": "R^2", "mae": "MAE"}
"""How the epoch line names a regression's figures (as the test line does: ``test RMSE ..., MAE ..., R^2 ...``)."""


def epoch_line(epoch, epochs, logs):
    """``epoch  3/12  loss 0.1234  accuracy 96.51%  val_accuracy 95.80%  1.9 s``; a regression shows
    R^2 and MAE where a classification shows accuracy: ``loss 0.1234  R^2 0.9312  MAE 0.2104  val_loss ...``
    (``val_R^2 undefined`` of a single validation row, whose R^2 is NaN as scikit-learn's)."""
    from ..training.epochs import shown
    parts = [f"epoch {epoch + 1:>{len(str(epochs))}}/{epochs}"]
    for key, value in logs.items():
        if key != "seconds":
            prefix, name = ("val_", key[4:]) if key.startswith("val_") else ("", key)
            figure = "undefined" if name == "r2" and value != value else shown(key, value, ".4f")  # NaN: one row
            parts.append(f"{key} {shown(key, value, '.2%')}" if key.endswith("accuracy")
                         else f"{prefix}{LABELS.get(name, name)} {figure}")
    parts.append(f"{logs.get('seconds', 0.0):.1f} s")
    return "  ".join(parts)
