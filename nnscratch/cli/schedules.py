"""Command-line pieces for the learning-rate schedule, clipping and the plateau rule, hooked into train.

``--schedule`` (constant, step, exponential, cosine, inverse_time), ``--warmup``,
``--step-size``, ``--gamma``, ``--min-lr``, ``--clip-norm`` and ``--plateau``:
:func:`add_schedule_options` adds them, :func:`schedule_for` turns them (epochs
become steps) into the rate or :mod:`nnscratch.optim.schedules` Schedule the
optimizer follows, refusing a flag the chosen schedule does not read, and
:func:`training_options` builds ``fit``'s one optimizer and callbacks from them.
"""

from . import values

STEP_GAMMA, EXPONENTIAL_GAMMA = 0.1, 0.9  # --gamma's defaults

SCHEDULES = ("constant", "step", "exponential", "cosine", "inverse_time")


def add_schedule_options(parser, schedule="default: constant", warmup="default: 0"):
    group = parser.add_argument_group("learning-rate schedule and clipping")
    group.add_argument("--schedule", choices=SCHEDULES, help=f"learning-rate schedule over the run ({schedule}; "
                       "--decay alone: inverse_time, lr / (1 + decay * step))")
    group.add_argument("--warmup", type=values.NONNEGATIVE, default=None, metavar="EPOCHS",
                       help=f"linear warm-up over this many epochs ({warmup}; with --schedule or --decay: 0)")
    group.add_argument("--step-size", type=values.POSITIVE, default=None, metavar="EPOCHS",
                       help="step: multiply the rate by --gamma every EPOCHS (default: a third of --epochs, so "
                       "a --resume with more --epochs steps more slowly unless it is given)")
    group.add_argument("--gamma", type=values.POSITIVE, default=None, help="step/exponential: factor per "
                       f"--step-size epochs (step, default {STEP_GAMMA:g}) or per epoch (exponential, default "
                       f"{EXPONENTIAL_GAMMA:g})")
    group.add_argument("--min-lr", type=values.NONNEGATIVE, default=0.0, help="cosine: the final rate "
                       "(default %(default)g)")
    group.add_argument("--clip-norm", type=values.POSITIVE, metavar="MAX", help="clip the gradients to this "
                       "global norm")
    group.add_argument("--plateau", type=values.POSITIVE_INT, metavar="PATIENCE", help="halve the rate when the "
                       "validation loss (training loss without validation) has not improved for PATIENCE epochs")


def schedule_for(args, lr, decay, epochs, batches):
    """The learning rate (a float) or Schedule the schedule flags ask for; epochs become steps."""
    from ..errors import ConfigError
    from ..optim.schedules import get_schedule
    name = getattr(args, "schedule", None) or ("inverse_time" if decay else "constant")
    warmup = round((getattr(args, "warmup", None) or 0.0) * batches)
    _check_schedule_flags(args, name, lr)
    given = f"--warmup {args.warmup:g} epoch{'s' * (args.warmup != 1)}" if warmup else ""  # only said when > 0
    if name == "cosine" and warmup >= epochs * batches:
        raise ConfigError(f"{given} must be shorter than --epochs {epochs}: cosine warms up, then anneals over the "
                          "rest of the run; lower --warmup or raise --epochs.")
    if warmup > epochs * batches:
        raise ConfigError(f"{given} is longer than the run (--epochs {epochs}): the rate would rise for the whole run "
                          f"and never reach --lr {lr:g}; lower --warmup or raise --epochs.")
    if decay and name != "inverse_time":
        raise ConfigError(f"--decay is the inverse_time schedule; it cannot be combined with --schedule {name}: "
                          f"drop --decay or --schedule {name}.")
    if name == "inverse_time" and not decay:
        raise ConfigError("--schedule inverse_time lowers the rate as lr / (1 + decay * step) and --decay is 0, "
                          "which keeps it constant; add --decay D (e.g. --decay 0.001).")
    if name in ("constant", "inverse_time") and not warmup:
        return lr  # a plain rate (with --decay: the optimizer's own inverse-time shorthand)
    options = {"lr": lr, "warmup": warmup}
    if name == "inverse_time":
        options["decay"] = decay
    elif name == "step":
        step = args.step_size if args.step_size else max(epochs / 3, 1)
        options.update(step_size=max(1, round(step * batches)), gamma=STEP_GAMMA if args.gamma is None else args.gamma)
    elif name == "exponential":
        options.update(gamma=EXPONENTIAL_GAMMA if args.gamma is None else args.gamma, every=batches)
    elif name == "cosine":
        options.update(total=epochs * batches, min_lr=args.min_lr)
    return get_schedule(name, **options)


def _check_schedule_flags(args, name, lr):
    """A schedule flag the chosen schedule does not read is refused, not ignored; so is a "decay" that
    does not lower the rate (--gamma 1 or more, --min-lr at or above --lr)."""
    from ..errors import ConfigError
    for flag, key, default, users in (("--step-size", "step_size", None, ("step",)),
                                      ("--gamma", "gamma", None, ("step", "exponential")),
                                      ("--min-lr", "min_lr", 0.0, ("cosine",))):
        if getattr(args, key, default) not in (default, None) and name not in users:
            raise ConfigError(f"{flag} applies to --schedule {' or '.join(users)}, and this run's schedule is {name}; "
                              f"add --schedule {users[0]} or drop {flag}.")
    gamma, min_lr = getattr(args, "gamma", None), getattr(args, "min_lr", 0.0) or 0.0
    if gamma is not None and gamma >= 1:
        every = "every epoch" if name == "exponential" else "every --step-size epochs"
        raise ConfigError(f"--gamma {gamma:g} multiplies the learning rate by {gamma:g} {every}, so it "
                          f"{'never falls' if gamma == 1 else 'grows'}; a decay needs 0 < --gamma < 1 (e.g. "
                          f"{EXPONENTIAL_GAMMA if name == 'exponential' else STEP_GAMMA:g}), or use --schedule "
                          "constant.")
    if name == "cosine" and min_lr >= lr:
        raise ConfigError(f"--min-lr {min_lr:g} must be below --lr {lr:g}: cosine anneals from --lr down to --min-lr; "
                          "lower --min-lr (default 0) or raise --lr.")


def training_options(args, cfg, options, batches):
    """``fit`` options with the one optimizer (--optimizer with the schedule flags, --decay,
    --weight-decay and --clip-norm), the plateau callback and, for a regression with validation data, the
    weights of the epoch with the lowest val_loss kept (a regression's val_loss is the MSE its test scores
    report; its target is learnt in standard units, see :mod:`nnscratch.cli.target_scale`)."""
    from ..training.callbacks import ReduceLROnPlateau
    from ..optim.optimizers import get_optimizer
    lr = schedule_for(args, cfg["lr"], cfg["decay"], cfg["epochs"], batches)
    decay = 0.0 if not isinstance(lr, float) else cfg["decay"]
    opt = get_optimizer(args.optimizer, lr=lr, decay=decay, weight_decay=getattr(args, "weight_decay", 0.0),
                        clip_norm=getattr(args, "clip_norm", None))
    callbacks = list(options.get("callbacks") or [])
    if getattr(args, "plateau", None):
        monitor = "val_loss" if options.get("validation_data") is not None else "loss"
        callbacks.append(ReduceLROnPlateau(monitor=monitor, factor=0.5, patience=args.plateau))
    if cfg.get("regression") and options.get("validation_data") is not None:
        options = dict(options, restore_best=True)  # fit's own: the lowest val_loss epoch's weights at the end
    return dict(options, optimizer=opt, callbacks=callbacks)
