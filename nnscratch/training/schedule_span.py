"""The learning-rate schedule against the length of one ``fit`` run.

A schedule counts optimizer steps, one per batch (:mod:`nnscratch.optim.schedules`), and a run
is ``epochs`` times the batches of an epoch. Two things depend on both, and ``fit`` and
``nnscratch train`` treat them alike:

- :func:`stretched`: a resumed run of another length than the run that wrote the checkpoint
  stretches the checkpoint's cosine schedule (the one schedule with a ``total``) over the new
  length, in proportion, as ``nnscratch train --resume --epochs N`` does (the command line builds
  its cosine from ``--epochs``). Without it the epochs beyond the old ``total`` would all train
  at ``min_lr`` (0 by default). One warning says the run then does not end as one run of that
  length would;
- :func:`warn_long_warmup`: a warm-up longer than the run is said in one warning (the command line
  refuses ``--warmup`` longer than ``--epochs``): the rate would rise for the whole run. Not refused:
  a loop of one-epoch ``fit`` calls sharing one optimizer may warm up over several of them;
- :func:`warn_cosine_ends`: so is a cosine schedule that ends before the run does (the command line
  builds its ``total`` from ``--epochs``): its last steps would train at ``min_lr``, 0 by default.
"""

import math
import warnings

from ..validation import user_stacklevel


def batches_per_epoch(n, batch_size):
    """Optimizer steps in an epoch of ``n`` rows (``batch_size`` None: one, full-batch). Under
    ``mpiexec`` too: every process trains its share of each of the same global batches."""
    return max(1, math.ceil(n / (batch_size or n or 1)))


def stretched(header, epochs, batches, source):
    """The checkpoint ``header`` to resume for ``epochs`` of ``batches`` steps (None: unknown, as the
    checkpoint's run had them), its cosine schedule's ``total`` stretched over them where it spanned
    the run that wrote the checkpoint exactly (as the command line's does); the header itself otherwise.
    Said in one warning, and so is a cosine schedule that ends before the run does (its last steps
    train at ``min_lr``). ``source`` None: nothing is said (under ``mpiexec``, only rank 0 says it)."""
    config = header.get("optimizer")
    lr = config.get("lr") if isinstance(config, dict) else None
    before = ((header.get("history") or {}).get("params") or {}).get("epochs")
    done, taken = int(header["epoch"]) + 1, int(header.get("optimizer_t", 0))
    batches = batches or (taken // done if taken % done == 0 else None)
    if not isinstance(lr, dict) or "total" not in lr or not batches:
        return header
    end, total = taken + (epochs - done) * batches, lr["total"]  # the steps taken when this run ends
    if before and before != epochs and total == before * batches:
        stretch = epochs * batches
        said = (f"a run of {before} epochs whose cosine schedule spans its {total} steps: the schedule is stretched "
                f"to the {stretch} steps of {epochs} epochs (as nnscratch train --resume does), so the rate at the "
                f"resumed step is read off the longer curve and the run does not end as one run of {epochs} epochs would")
        header = dict(header, optimizer=dict(config, lr=dict(lr, total=stretch)))
    elif total < end:
        said = (f"whose cosine schedule ends after {total} steps, {end - total} steps before this run does: "
                f"those train at min_lr={lr.get('min_lr', 0.0):g}")
    else:
        return header
    if source is not None:
        warnings.warn(f"fit(epochs={epochs}) resumes {source}, {said}; pass optimizer= to give the schedule "
                      "yourself.", UserWarning, stacklevel=user_stacklevel())
    return header


def warn_long_warmup(optimizer, header, epochs, batches):
    """A warning when ``optimizer``'s warm-up does not end within the steps this ``fit`` call
    trains: ``epochs`` (from the checkpoint ``header``'s when resuming) of ``batches`` steps, counted
    from the steps the optimizer has taken. ``batches`` None (augmented epochs, whose rows are not
    known yet): nothing is checked."""
    warmup = getattr(getattr(optimizer, "schedule", None), "warmup", 0) or 0
    if not warmup or batches is None:
        return
    taken, left = _span(optimizer, header, epochs)
    if left and warmup > taken + left * batches:
        after = f" after the {taken} it has taken" if taken else ""
        warnings.warn(f"The learning-rate schedule warms up over {warmup} steps, longer than this run "
                      f"({left * batches} steps{after}: {left} epoch{'s' if left != 1 else ''} of {batches} batch{'es' if batches != 1 else ''}), so the rate rises "
                      f"for the whole run and does not reach lr={optimizer.lr:g}; lower warmup (it counts "
                      "optimizer steps, one per batch) or raise epochs, unless a later fit goes on with this "
                      "optimizer.", UserWarning, stacklevel=user_stacklevel())


def warn_cosine_ends(optimizer, header, epochs, batches):
    """A warning when ``optimizer``'s cosine schedule ends before this ``fit`` call does: its steps
    after ``total`` train at ``min_lr``, 0 by default, where they change nothing (``total`` counted in
    epochs rather than steps; a second ``fit`` with a spent schedule, whose loss then stays put). As
    :func:`warn_long_warmup`, counted from the steps the optimizer has taken (a resume that stretches
    the checkpoint's own schedule says it in :func:`stretched` instead)."""
    schedule = getattr(optimizer, "schedule", None)
    total = getattr(schedule, "total", None)
    if total is None or batches is None:
        return
    taken, left = _span(optimizer, header, epochs)
    steps = left * batches
    if left and total < taken + steps:
        after = min(steps, taken + steps - total)
        floor = f"min_lr={schedule.min_lr:g}" + (", where the weights do not change" if not schedule.min_lr else "")
        done = f"; the optimizer has taken {taken} already" if taken else ""
        fix = (f"pass a new optimizer to start a schedule afresh (or one of total={taken + steps} to go on)" if taken
               else f"give total in optimizer steps, one per batch: Cosine(..., total={steps}) spans this run")
        warnings.warn(f"The cosine learning-rate schedule ends after total={total} steps{done}, so {after} of this "
                      f"run's {steps} steps ({left} epoch{'s' if left != 1 else ''} of {batches} batch"
                      f"{'es' if batches != 1 else ''}) train at {floor}; {fix}.", UserWarning,
                      stacklevel=user_stacklevel())


def _span(optimizer, header, epochs):
    """``(steps taken before this fit call, epochs it trains)``: from the checkpoint ``header`` when resuming."""
    first, taken = (0, optimizer.t) if not header else (int(header["epoch"]) + 1, int(header["optimizer_t"]))
    return taken, 0 if header and header.get("stopped") else max(epochs - first, 0)
