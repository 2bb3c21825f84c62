"""Training: the epoch loop (``fit``).

Data moves to the device once per ``fit``. Inside an epoch nothing is read
back: the loss and the number of correct predictions (a regression: the
sums R^2 and MAE are made of) are summed on the device and read once,
together, at the end of the epoch. A pass that trains
nothing (``evaluate``, ``compute_gradients``) is :mod:`nnscratch.training.evaluation`.
"""

import contextlib
import time
import warnings
from types import SimpleNamespace

from ..saving import checkpoint as checkpoints
from ..saving.kinds import refuse_foreign
from .resume import checkpoint_to_resume, continue_history, resolve_optimizer
from .memory import row_count
from .schedule_span import batches_per_epoch, warn_long_warmup
from .. import distributed, validation
from ..validation import is_device_array
from . import streaming
from ..options import check_pair, check_positive_int, check_shuffle, hold_out
from .._keywords import keywords
from ..backend.core import on_device
from ..errors import ConfigError, DivergenceError
from ..layers.checks import refuse_one_value_per_channel
from .history import Callback, History
from .evaluation import checked_data, read_figures
from .guard import Guard, nonfinite_flag
from .step import evaluate_sums, run_epoch
from .threaded import make_step


@keywords("fit")
@on_device
@distributed.tells_on_failure  # an error of this rank alone, anywhere in fit: the other ranks are told
def fit(net, X, y, *, epochs=1, batch_size=32, loss=None, optimizer=None, validation_data=None,
        validation_split=None, shuffle=True, callbacks=None, verbose=False, restore_best=False, checkpoint=None,
        checkpoint_every=1, resume=None, stream=None, augment=None, comm=None):
    """Train ``net`` on ``(X, y)`` and return a :class:`History`.

    Each epoch logs ``loss`` and ``accuracy`` (a "multilabel" task: the subset accuracy, rows whose every
    label is right, as scikit-learn's ``accuracy_score``), or for a regression ``r2`` and ``mae``
    (:func:`nnscratch.metrics.r2`, :func:`~nnscratch.metrics.mae`), of the outputs each batch
    was trained from; with validation data also ``val_`` ones, of the epoch's final weights.

    Parameters
    ----------
    X : array (n_samples, n_inputs), NumPy or the model's backend, or anything
        with ``__array__`` or ``to_numpy()`` (a pandas DataFrame)
    y : integer labels (n_samples,) or (n_samples, 1), or targets (n_samples, n_outputs), likewise
        (one-hot rows, or 0/1 rows of several labels: "multilabel" with binary cross-entropy)
    epochs : int
        Total number of epochs (a resumed run continues up to this number).
    batch_size : int or None
        1 is per-sample SGD (seed 000); None is full-batch gradient descent (seed 001).
    loss : str or Loss, optional
        Default: the checkpoint's when resuming, the network's previous loss, else
        from the output layer (softmax -> cross-entropy, sigmoid -> binary
        cross-entropy, else mean squared error).
    optimizer : str or Optimizer, optional
        Default: the checkpoint's when resuming, the network's previous
        optimizer, else ``Adam(lr=1e-3)``.
    validation_data : (X_val, y_val), optional
    validation_split : float, optional
        Hold out the last fraction of the rows of ``X`` and ``y`` as validation data
        instead, as Keras does: before shuffling, so shuffle ordered data first.
    shuffle : bool
        Reshuffle the rows every epoch with the network's seeded host RNG (True or
        False only: there is no Keras-style "batch" mode).
    callbacks : list of Callback
        Called in this order, then the History (as Keras): a figure a callback adds to ``logs``
        is recorded, and the callbacks after it may monitor it (see :class:`Callback`).
    verbose : bool
        Print one line per epoch.
    restore_best : bool
        End with the weights (and BatchNorm running statistics) of the epoch with
        the lowest ``val_loss`` (``loss`` without validation data), put back before the callbacks'
        ``on_train_end``: an ``EarlyStopping(restore_best=True)`` then puts back its own best epoch's.
        ``history.params["best_epoch"]`` names the epoch whose weights the network ends with.
    checkpoint : path, optional
        Write a checkpoint (weights, optimizer, RNG, history, epoch) there
        every ``checkpoint_every`` epochs and at the end, atomically.
    resume : path or True, optional
        Continue from a checkpoint; ``True``: from ``checkpoint`` if it exists. The
        run ends as the uninterrupted one would: callbacks continue from their saved
        state, and a run a callback stopped (EarlyStopping) trains no further epochs. Without
        ``optimizer``, a cosine schedule that spanned the checkpoint's run is stretched over
        ``epochs``, as ``nnscratch train --resume`` stretches it (said in one warning).
    stream : bool, optional
        Keep the data in host memory and move one batch at a time. Default:
        only when the data would not fit comfortably in the device's free memory
        (with ``augment``: the first epoch's augmented data).
    augment : callable, optional
        ``augment(X, y, rng) -> (X_epoch, y_epoch)``, called on the host at the
        start of every epoch with the network's seeded RNG (so a resumed run
        draws what an uninterrupted one would), e.g. the images plus fresh
        distorted copies (:func:`nnscratch.datasets.augment.augment_images`).
        Each epoch's data is checked and moved to the device once.
    comm : communicator, optional
        Data-parallel training (:mod:`nnscratch.distributed`), e.g.
        ``nnscratch.distributed.from_environment()`` under ``mpiexec``: every rank
        trains its share of each global batch of ``batch_size`` rows and the
        gradients are summed, giving the model one process would train. Only
        rank 0 prints and writes the checkpoint; a write it refuses (a full
        disk) is raised on every rank, as one process raises it.

    Raises
    ------
    DivergenceError
        When the loss or a weight becomes NaN or infinite; the model keeps the
        last finite weights (checked once per epoch, on the device).
    """
    epochs = check_positive_int("epochs", epochs)
    batch_size = check_positive_int("batch_size", batch_size, allow_none=True)
    checkpoint_every = check_positive_int("checkpoint_every", checkpoint_every)
    shuffle = check_shuffle(shuffle)
    if validation_data is not None:
        validation_data = check_pair("validation_data", validation_data)
    if validation_split:  # the rows held out are the caller's X and y: name those in an error
        for data, name in ((X, "X"), (y, "y")):
            validation.check_library(net, data, name)
    X, y, validation_data = hold_out(X, y, validation_split, validation_data)
    if checkpoint is not None:  # before any training: a file that is not a checkpoint is never replaced
        refuse_foreign(checkpoint, "checkpoint")
    source, saved = checkpoint_to_resume(resume, checkpoint, comm)
    if loss is None and saved is not None:
        loss = (saved[0].get("config") or {}).get("loss")  # the run's loss, as its optimizer
    loss = net._fix_loss(loss, y)
    batches = None if augment is not None else batches_per_epoch(row_count(X), batch_size)  # None: not known yet
    optimizer = resolve_optimizer(net, optimizer, saved, epochs, batches, source, comm)
    warn_long_warmup(optimizer, saved and saved[0], epochs, batches)
    net.optimizer = optimizer
    step = make_step(net, loss, net.optimizer, comm)  # a convolutional network's batches split over the cores
    streamed = streaming.should_stream(net, X, y, validation_data, stream, batch_size)
    dp = distributed.setup(comm, net, step, X, validation_data, dict(
        epochs=epochs, batch_size=batch_size, shuffle=shuffle, augment=augment is not None,
        restore_best=restore_best))
    options = SimpleNamespace(epochs=epochs, batch_size=batch_size, shuffle=shuffle, augment=augment, stream=stream,
                              restore_best=restore_best, checkpoint=(checkpoint, checkpoint_every))
    return _train(_Run(net, step, streamed, verbose, dp), X, y, validation_data, (source, saved), callbacks, options)


def _train(run, X, y, validation_data, resumed, callbacks, o):
    """The rest of :func:`fit`, after its data-parallel setup (``resumed``: ``(source, saved)``; ``o``: fit's
    options): the data checked and placed, rank 0's state on every rank, the checkpoint restored, the epochs."""
    net, step, dp, (source, saved) = run.net, run.step, run.parallel, resumed
    if run.streamed and run.root:  # a budget below one batch: said once, in the command line's words
        streaming.warn_budget(net, X, o.batch_size)

    def prepare():
        epoch_X, epoch_y = (X, y) if o.augment is None else _augmented(o.augment, X, y, net.rng)
        if run.place_augmented:  # once, on the first epoch's data (later, the last epoch's is still held)
            run.place_augmented = False
            if streaming.should_stream(net, epoch_X, epoch_y, validation_data, None, o.batch_size):
                run.stream_from_now(history)  # the augmented rows do not fit where X alone did
        data = checked_data(net, step, epoch_X, epoch_y, host=run.streamed)
        refuse_one_value_per_channel(net.layers, data.x.shape[1:], data.n, o.batch_size)
        return run.shard(data)

    run.prepare = None if o.augment is None else prepare
    run.place_augmented = o.augment is not None and o.stream is None and not run.streamed
    val = None if validation_data is None else run.shard(checked_data(  # validation data on the device stays there
        net, step, *validation_data, "validation", run.streamed and not any(map(is_device_array, validation_data))))
    if dp is not None:
        dp.broadcast_state(net)
    history = History(params={"epochs": o.epochs, "batch_size": o.batch_size, "loss": step.loss.name,
                              "optimizer": net.optimizer.get_config(), "backend": str(net.backend),
                              "streamed": run.streamed, "rank": 0 if dp is None else dp.comm.rank,
                              "processes": 1 if dp is None else dp.comm.size})
    callbacks = list(callbacks or []) + [history]  # last, as Keras: it records what the callbacks add to logs
    guard = Guard(net, "val_loss" if val is not None else "loss", o.restore_best)
    first = 0 if saved is None else checkpoints.restore(net, source, *saved, guard, callbacks)
    if saved is not None:
        continue_history(history, saved[0], first, o.epochs, source, dp and dp.comm)
        guard.remember()
    stop = first if saved is not None and saved[0].get("stopped") else o.epochs  # a stopped run is over
    with step.cores():
        run.loop(None if o.augment is not None else prepare(), val, range(first, stop), o.epochs, o.batch_size,
                 o.shuffle, callbacks, history, guard, o.checkpoint)
    return history


def _augmented(augment, X, y, rng):
    """``augment(X, y, rng)``, which must return the epoch's pair ``(X_epoch, y_epoch)``."""
    pair = augment(X, y, rng)
    if not isinstance(pair, (tuple, list)) or len(pair) != 2:
        got = f"a {type(pair).__name__}" + (f" of length {len(pair)}" if isinstance(pair, (tuple, list)) else
                                            f" of shape {tuple(pair.shape)}" if hasattr(pair, "shape") else "")
        raise ConfigError(f"fit(augment=f): f(X, y, rng) must return the epoch's pair (X_epoch, y_epoch); "
                          f"{getattr(augment, '__name__', 'f')} returned {got}. End it with 'return X_epoch, y_epoch'.")
    return pair


class _Run:
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
        sums = run_epoch(self.net, self.step, data, batch_size or data.n, shuffle, per_batch)
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
            if self.verbose:
                print(format_logs(epoch, epochs, logs), flush=True)
            try:
                guard.check(epoch, epochs, {k: v for k, v in logs.items() if k != "seconds"}, nonfinite)
            except DivergenceError as exc:
                history.on_epoch_end(epoch, logs, net)
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
    parts += [f"{k} {v:.4f}" for k, v in logs.items() if k != "seconds"]
    parts.append(f"{logs.get('seconds', 0.0):.2f} s")
    return "  ".join(parts)
