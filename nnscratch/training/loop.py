"""Training: ``fit``, its arguments checked, the data placed, a checkpoint restored; the epoch
loop itself is :class:`nnscratch.training.epochs.Run`.

Data moves to the device once per ``fit``. Inside an epoch nothing is read
back: the loss and the number of correct predictions (a regression: the
sums R^2 and MAE are made of) are summed on the device and read once,
together, at the end of the epoch. A pass that trains
nothing (``evaluate``, ``compute_gradients``) is :mod:`nnscratch.training.evaluation`.
"""

from types import SimpleNamespace

from ..saving import checkpoint as checkpoints
from .resume import checkpoint_to_resume, continue_history, resolve_optimizer
from .memory import row_count
from .schedule_span import batches_per_epoch, warn_cosine_ends, warn_long_warmup
from .. import distributed, validation
from ..validation import is_device_array
from . import streaming
from ..options import check_pair, check_positive_int, check_shuffle, hold_out
from .._keywords import keywords
from ..backend.core import on_device
from ..errors import ConfigError, DataError
from ..layers.checks import refuse_one_value_per_channel
from ..models.task import kept_task
from .epochs import EpochLogger, Run as _Run, format_logs, in_order  # noqa: F401 (format_logs reachable here as before; tests patch _Run)
from .history import History
from .evaluation import checked_data
from .weights import checked_sample_weight, rows_of
from .guard import Guard
from .threaded import make_step


@keywords("fit")
@on_device
@distributed.tells_on_failure  # an error of this rank alone, anywhere in fit: the other ranks are told
def fit(net, X, y, *, epochs=1, batch_size=32, loss=None, optimizer=None, validation_data=None,
        validation_split=None, shuffle=True, callbacks=None, verbose=False, restore_best=False, checkpoint=None,
        checkpoint_every=1, resume=None, stream=None, augment=None, comm=None, sample_weight=None, class_weight=None):
    """Train ``net`` on ``(X, y)`` and return a :class:`History`.

    Each epoch logs ``loss`` (with ``sample_weight`` or ``class_weight``: the weighted loss, as Keras reports
    it) and ``accuracy`` (a "multilabel" task: the subset accuracy, rows whose every
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
    validation_data : (X_val, y_val) or (X_val, y_val, w_val), optional
        With ``w_val``, ``val_loss`` is weighted by it, as Keras takes it.
    validation_split : float, optional
        Hold out the last fraction of the rows of ``X`` and ``y`` as validation data
        instead, as Keras does: before shuffling, so shuffle ordered data first.
    shuffle : bool
        Reshuffle the rows every epoch with the network's seeded host RNG (True or
        False only: there is no Keras-style "batch" mode).
    callbacks : list of Callback
        Called in this order, then the History (as Keras): a figure a callback adds to ``logs``
        is recorded, and the callbacks after it may monitor it (see :class:`Callback`). An
        :class:`~nnscratch.training.epochs.EpochLogger` (the printed line) is called after all of them.
    verbose : bool
        Print one line per epoch (an :class:`~nnscratch.training.epochs.EpochLogger`'s), after the callbacks'
        ``on_epoch_end``, with the figures they add to ``logs``.
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
    sample_weight : array (n_samples,), optional
        A weight >= 0 per row of ``X`` (finite, not all zero), as Keras' ``fit(sample_weight=)``: each
        row's loss, and so its gradient, is multiplied by its weight, and a batch of ``n`` rows
        reduces as Keras 3's default ``"sum_over_batch_size"`` does, ``L = sum_i w_i l_i / n`` (``n``,
        not ``sum(w)``: a weight of 2 counts the row twice in a batch that keeps its ``n``). The
        weights follow their rows through shuffling, streaming and data-parallel shards;
        ``validation_split`` holds out the last rows' weights with them, and ``val_loss`` is weighted
        by those. The logged ``loss`` (and ``val_loss``) is the weighted one; ``accuracy``, ``r2``
        and ``mae`` are not weighted (Keras weighs only ``weighted_metrics``). With ``augment``, f
        must return as many rows as it was given, in their order (the weights follow the positions).
        Resuming from a checkpoint needs the same weights passed again, as ``X`` and ``y`` are.
    class_weight : dict or "balanced", optional
        ``{class label: weight}`` for classification (integer labels as ``fit`` takes them; classes
        not named weigh 1), or ``"balanced"``: scikit-learn's ``n_samples / (n_classes * count_c)``
        over the labels trained on (the training part of ``validation_split``, every rank's rows
        alike): each row's weight is its class's, times its ``sample_weight`` if given.
        With ``augment``, taken from each epoch's labels. Validation rows are not class-weighted.

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
    val_weight = None
    if isinstance(validation_data, (tuple, list)) and len(validation_data) == 3:  # Keras' (X_val, y_val, w_val)
        validation_data, val_weight = tuple(validation_data[:2]), validation_data[2]
    if validation_data is not None:
        validation_data = check_pair("validation_data", validation_data)
    if validation_split:  # the rows held out are the caller's X and y: name those in an error
        for data, name in ((X, "X"), (y, "y")):
            validation.check_library(net, data, name)
    sample_weight = None if sample_weight is None else checked_sample_weight(sample_weight, row_count(X))
    X, y, validation_data = hold_out(X, y, validation_split, validation_data)
    weights = (rows_of(sample_weight, 0, row_count(X)), class_weight,
               rows_of(sample_weight, row_count(X), None) if validation_split else val_weight)  # train, classes, val
    source, saved = checkpoint_to_resume(resume, checkpoint, comm)  # and the checkpoint's path checked
    if loss is None and saved is not None:
        loss = (saved[0].get("config") or {}).get("loss")  # the run's loss, as its optimizer
    previous = net._task
    loss = net._fix_loss(loss, y)
    net._task = kept_task(previous, net._task, net.layers[-1], loss, y)  # a multilabel net's 0/1 rows stay labels
    batches = None if augment is not None else batches_per_epoch(row_count(X), batch_size)  # None: not known yet
    given, optimizer = optimizer, resolve_optimizer(net, optimizer, saved, epochs, batches, source, comm)
    warn_long_warmup(optimizer, saved and saved[0], epochs, batches)
    if saved is None or given is not None:  # resuming the checkpoint's own schedule: said as it is stretched
        warn_cosine_ends(optimizer, saved and saved[0], epochs, batches)
    net.optimizer = optimizer
    step = make_step(net, loss, net.optimizer, comm)  # a convolutional network's batches split over the cores
    streamed = streaming.should_stream(net, X, y, validation_data, stream, batch_size)
    dp = distributed.setup(comm, net, step, X, validation_data, dict(
        epochs=epochs, batch_size=batch_size, shuffle=shuffle, augment=augment is not None,
        restore_best=restore_best))
    options = SimpleNamespace(epochs=epochs, batch_size=batch_size, shuffle=shuffle, augment=augment, stream=stream,
                              verbose=bool(verbose),
                              restore_best=restore_best, checkpoint=(checkpoint, checkpoint_every), weights=weights)
    return _train(_Run(net, step, streamed, verbose, dp), X, y, validation_data, (source, saved), callbacks, options)


def _train(run, X, y, validation_data, resumed, callbacks, o):
    """The rest of :func:`fit`, after its data-parallel setup (``resumed``: ``(source, saved)``; ``o``: fit's
    options): the data checked and placed, rank 0's state on every rank, the checkpoint restored, the epochs."""
    net, step, dp, (source, saved) = run.net, run.step, run.parallel, resumed
    if run.streamed and run.root:  # a budget below one batch: said once, in the command line's words
        streaming.warn_budget(net, X, o.batch_size)

    def prepare():
        epoch_X, epoch_y = (X, y) if o.augment is None else _augmented(o.augment, X, y, net.rng, o.weights[0])
        if run.place_augmented:  # once, on the first epoch's data (later, the last epoch's is still held)
            run.place_augmented = False
            if streaming.should_stream(net, epoch_X, epoch_y, validation_data, None, o.batch_size):
                run.stream_from_now(history)  # the augmented rows do not fit where X alone did
        try:
            data = checked_data(net, step, epoch_X, epoch_y, host=run.streamed, sample_weight=o.weights[0],
                                class_weight=o.weights[1])
        except DataError as exc:  # X and y as augment made them: say where they came from
            if o.augment is None:
                raise
            name = getattr(o.augment, "__name__", "f")
            raise type(exc)(f"{exc} (X and y here are the epoch's pair that fit(augment={name}) returned "
                            "from the X and y given to fit.)") from None
        refuse_one_value_per_channel(net.layers, data.x.shape[1:], data.n, o.batch_size)
        return run.shard(data)

    run.prepare = None if o.augment is None else prepare
    run.place_augmented = o.augment is not None and o.stream is None and not run.streamed
    val = None if validation_data is None else run.shard(checked_data(  # validation data on the device stays there
        net, step, *validation_data, "validation", run.streamed and not any(map(is_device_array, validation_data)),
        sample_weight=o.weights[2]))
    if dp is not None:
        dp.broadcast_state(net)
    history = History(params={"epochs": o.epochs, "batch_size": o.batch_size, "loss": step.loss.name,
                              "optimizer": net.optimizer.get_config(), "backend": str(net.backend),
                              "streamed": run.streamed, "rank": 0 if dp is None else dp.comm.rank,
                              "processes": 1 if dp is None else dp.comm.size})
    # the History after the callbacks, as Keras: it records what they add to logs; the epoch line after it
    callbacks = in_order(list(callbacks or []) + ([EpochLogger()] if o.verbose else []), history)
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


def _augmented(augment, X, y, rng, sample_weight=None):
    """``augment(X, y, rng)``, which must return the epoch's pair ``(X_epoch, y_epoch)``, of as many rows
    as ``X`` where rows are weighted (``sample_weight``: the weights follow the rows' positions)."""
    pair = augment(X, y, rng)
    if not isinstance(pair, (tuple, list)) or len(pair) != 2:
        got = f"a {type(pair).__name__}" + (f" of length {len(pair)}" if isinstance(pair, (tuple, list)) else
                                            f" of shape {tuple(pair.shape)}" if hasattr(pair, "shape") else "")
        raise ConfigError(f"fit(augment=f): f(X, y, rng) must return the epoch's pair (X_epoch, y_epoch); "
                          f"{getattr(augment, '__name__', 'f')} returned {got}. End it with 'return X_epoch, y_epoch'.")
    if sample_weight is not None and row_count(pair[0]) != sample_weight.shape[0]:
        raise ConfigError(f"fit(augment=f, sample_weight=...): the weights follow the rows, so f must return as many "
                          f"rows as it is given, in their order; {getattr(augment, '__name__', 'f')} returned "
                          f"{row_count(pair[0])} from {sample_weight.shape[0]}. Drop sample_weight (class_weight "
                          "follows each epoch's labels), or add the copies to X and their weights before fit.")
    return pair
