"""``nnscratch train``: train a network on a dataset, report each epoch, save the model.

What the options resolve to is :mod:`nnscratch.cli.recipe` (the class weights, :mod:`nnscratch.cli.class_weight`);
what is checked before and said after training, :mod:`nnscratch.cli.checks`; the files written,
:mod:`nnscratch.cli.outputs`; the lines before and after training, :mod:`nnscratch.cli.report`.
"""

import math
import time

from . import checks, class_weight, kept, outputs, progress, recipe, resuming, schedules, stopping, tables, \
    target_scale, values
from .app import recorded_warnings
from ..errors import DivergenceError
from .defaults import DEFAULTS, default_text, value
from .memory import budget_note, said_before
from .dataset_named import check_dataset_there
from .packed import refuse_packed_dataset
from .options import add_backend_options, add_dataset_options, check_backend, load_data, refuse_channels_last
from .report import describe, report

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam", "rmsprop")
LOSSES = ("cross_entropy", "mse", "sse", "binary_cross_entropy")
ACTIVATIONS = ("relu", "leaky_relu", "sigmoid", "tanh")


DEFAULT_OUT = "model.npz"


def register(subparsers):
    sample = DEFAULTS["mnist-sample"]
    p = subparsers.add_parser(
        "train", help="train a network (default: an MLP on the shipped MNIST sample)",
        description="Train a network and save it. With no options: a 784-"
        f"{'-'.join(map(str, sample['hidden']))}-10 {value(sample, 'activation')} MLP, Adam from "
        f"{sample['lr']:g} ({value(sample, 'schedule')} schedule), {sample['epochs']} epochs on the 8,000 "
        f"shipped MNIST digits less {sample['validation']:.0%} held out for validation, plus "
        f"{sample['augment']} distorted copies of each per epoch, tested on 2,000. Defaults that depend on "
        "the dataset are listed per dataset; 'tables' are csv:PATH (other than a digit CSV), npz:PATH and "
        "npy:X.npy,y.npy; 'with a CNN' applies to --model cnn and a layer spec in --layers.")
    add_dataset_options(p)
    tables.add_table_options(p)
    p.add_argument("--model", choices=("mlp", "cnn"), default=None, help="mlp (default) or cnn: a small "
                   "convolutional network for image datasets (--layers " + recipe.default_cnn_help() + ")")
    p.add_argument("--layers", type=values.LIST, metavar="SPEC", help="comma-separated layer sizes including input and "
                   "output, e.g. 784,256,128,10, or a layer spec: conv32x3p1 (32 filters, 3x3, padding 1; also "
                   "conv16x3x5s2, psame), maxpool2, maxpool3s2, avgpool2, bn, dropout0.25, flatten, dense128, "
                   "relu/tanh/sigmoid/leaky_relu/softmax/identity (every token: docs/reference/layers.md), e.g. "
                   "conv16x3p1,relu,maxpool2,dense10 (hidden sizes "
                   f"{default_text('hidden')})")
    p.add_argument("--activation", choices=ACTIVATIONS, help=f"hidden activation of an MLP "
                   f"({default_text('activation')})")
    p.add_argument("--loss", choices=LOSSES, help="default: cross_entropy (softmax output); mse on a regression "
                   "table")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default="adam", help="default %(default)s")
    p.add_argument("--lr", type=values.RATE, help=f"learning rate ({default_text('lr')})")
    p.add_argument("--decay", type=values.NONNEGATIVE, help="learning-rate decay: lr / (1 + decay * step), "
                   f"the inverse_time schedule ({default_text('decay')})")
    p.add_argument("--weight-decay", type=values.NONNEGATIVE, default=0.0, metavar="L2", help="L2 penalty: each "
                   "gradient gains L2 * weight (default %(default)g)")
    p.add_argument("--epochs", type=values.POSITIVE_INT, help=default_text("epochs"))
    p.add_argument("--batch-size", type=values.BATCH_SIZE, help="samples per step, 0: the whole training set "
                   f"({default_text('batch_size')})")
    p.add_argument("--augment", type=values.COUNT, metavar="N", help="train each epoch on the 28x28 images "
                   f"plus N freshly shifted/rotated/scaled copies ({default_text('augment')})")
    p.add_argument("--elastic", type=values.number(0, 5, what="a displacement in pixels"), metavar="PIXELS",
                   help="also bend each distorted copy by a smooth random warp of about PIXELS, 0 to 5 "
                   f"({default_text('elastic')})")
    p.add_argument("--validation", type=values.FRACTION, metavar="FRACTION", help="share of the training set "
                   f"held out for validation, 0: none ({default_text('validation')})")
    p.add_argument("--class-weight", type=class_weight.parse, metavar="WEIGHTS", help="weigh each class's rows in "
                   "the training loss (classification): balanced (n_samples / (n_classes * the class's count), "
                   "scikit-learn's rule), LABEL:WEIGHT,... as the data name their classes (0:1,1:5; yes:3), others "
                   "weighing 1, or none (default; with --resume: the run's own)")
    schedules.add_schedule_options(p, schedule=default_text("schedule"), warmup=default_text("warmup"))
    add_backend_options(p)
    p.add_argument("--out", type=values.PATH, metavar="PATH", help="where to save the model (default "
                   f"{DEFAULT_OUT}); a missing folder is created")
    p.add_argument("--force", action="store_true", help="replace what an earlier run wrote at --out, "
                   "--checkpoint, --history, --live or in --plot (never a file of another kind)")
    p.add_argument("--no-save", action="store_true", help="do not save the model")
    p.add_argument("--history", type=values.PATH, metavar="PATH", help="also write the per-epoch history as JSON")
    p.add_argument("--plot", type=values.PATH, metavar="DIR", help="also save pictures of the run in DIR (curves, "
                   "confusion matrix, architecture ...; needs the viz extra)")
    p.add_argument("--live", type=values.PATH, metavar="PATH", help="also save the live training view (weights going "
                   "up in green, down in red, per epoch) as a .gif or .mp4; needs the viz extra")
    p.add_argument("--show", action="store_true", help="show the live training view in a window")
    p.add_argument("--checkpoint", type=values.PATH, metavar="PATH", help="save a checkpoint every epoch (an existing "
                   "one: --resume to continue it, --force to start over)")
    p.add_argument("--resume", nargs="?", const=True, type=values.PATH, metavar="PATH", help="resume from the "
                   "checkpoint PATH (and keep checkpointing there); alone: from --checkpoint if it exists")
    p.add_argument("--quiet", action="store_true", help="print only the final result")
    p.add_argument("--json", action="store_true", help="print one JSON line with the result")
    p.set_defaults(func=run)


# Kept importable from here (the tests and older code use these names).
settings, with_recipe_schedule, build_network, parse_layers = (
    recipe.settings, recipe.with_recipe_schedule, recipe.build_network, recipe.parse_layers)


def train(net, X, y, cfg, options):
    """``net.fit``; with ``augment``, every epoch sees the images plus fresh distorted copies
    (drawn from the network's seeded RNG, so a resumed run sees what an uninterrupted one would)."""
    import warnings
    from ..errors import DataWarning
    copies, elastic = cfg["augment"], cfg.get("elastic", 0.0)
    if copies:
        from ..datasets.augment import augment_images
        options = dict(options, augment=lambda X, y, rng: augment_images(X, y, copies, rng=rng, elastic=elastic))
    with warnings.catch_warnings():  # said before training by checks.small_data_notes, in the options' words
        warnings.filterwarnings("ignore", message="batch_size=", category=DataWarning)
        warnings.filterwarnings("ignore", message="NNSCRATCH_DEVICE_MEMORY=")  # said before, naming --batch-size
        return net.fit(X, y, **options)


def fit_options(args, cfg, val, callbacks, batches):
    """``fit``'s keyword arguments: the one optimizer (schedule, decay, weight decay, clipping), the
    callbacks (progress, live view, plateau) and the checkpoint to write and resume from."""
    options = dict(epochs=cfg["epochs"], batch_size=cfg["batch_size"], loss=args.loss,
                   validation_data=val, callbacks=callbacks)
    options = schedules.training_options(recipe.with_recipe_schedule(args, cfg), cfg, options, batches)
    source, checkpoint = resuming.resume_source(args)
    if checkpoint:
        options.update(checkpoint=checkpoint, **({"resume": source} if source else {}))
    return options


def run(args):
    """``nnscratch train``; every warning it shows is also kept for ``--json``; a folder it created and
    did not write in (it failed or was interrupted first) is removed again, under mpiexec too."""
    with stopping.every_rank_ends(), recorded_warnings() as said, outputs.tidy(), outputs.writing(lambda: written(args)):
        return _run(args, said)


def written(args):
    """Every file the run writes (for :func:`outputs.writing`: a write refused after training is one line
    naming its option)."""
    checkpoint = args.checkpoint or (args.resume if isinstance(args.resume, str) else None)
    return [outputs.Output("--out", None if args.no_save else args.out, "model"),
            outputs.Output(resuming.checkpoint_option(args), checkpoint, "checkpoint"),
            outputs.Output("--history", args.history, "history"), outputs.Output("--live", args.live, "picture"),
            outputs.Output("--plot", args.plot, "picture", folder=True)]


def _run(args, said):
    from .. import distributed
    from ..backend import threads
    from ..training import threaded
    checks.check_train_options(args)
    check_backend(args.backend)  # a mistyped $NNSCRATCH_BACKEND named as such, before the data are read
    refuse_packed_dataset(args.dataset)  # data.csv.gz, a workbook: what it is, not "Unknown dataset"
    check_dataset_there(args)  # a missing file or unknown name: the first mistake to fix, before --out's
    comm = distributed.from_environment()  # None unless launched by mpiexec with several processes
    if comm is not None:
        distributed.command_line_rank(args, comm)
    root = comm is None or comm.rank == 0
    if not args.no_save:
        args.out_defaulted, args.out = not args.out, args.out or DEFAULT_OUT  # said as the default, not as typed
    on_root(comm, checks.check_viz, args)
    folders = on_root(comm, checks.train_outputs, args)  # every file the run writes, before the data are read
    resuming.look_on_root(args, comm)  # the checkpoint to resume, as rank 0 finds it, on every rank
    data = load_data(args, comm)
    checks.check_loss(args, data)
    data, metadata = tables.prepare_training(data)
    cfg = dict(recipe.settings(args, data), regression=tables.is_regression(data))
    args.dtype = resuming.resume_dtype(args)
    net = recipe.build_network(args, cfg)
    refuse_channels_last(net, data, f"--layers {args.layers}" if args.layers else f"--model {args.model}")
    blas = threads.configure()  # each process's BLAS threads (nnscratch/backend/threads.py), said below
    blas = "; ".join(filter(None, [blas, threaded.describe(net, comm)]))  # a CNN's batches split over the cores
    net.metadata.update(metadata)
    net.metadata["dataset"] = recipe.dataset_metadata(args, data, net)
    kept_notes = class_weight.kept(args, resuming.resume_source(args)[0])  # --resume keeps the run's weights
    net.metadata["training"] = dict(resuming.run_record(args, cfg), **class_weight.record(args))  # --resume compares
    scale = target_scale.fit(data, net)  # a regression learns its target in standard units
    learnt = target_scale.standardized(data, scale)
    X, y, val = recipe.split(args, learnt, cfg["validation"])
    cfg["class_weight"] = class_weight.resolve(args, data, y)  # balanced: from the training part's labels
    batches = math.ceil(len(X) * (1 + cfg["augment"]) / (cfg["batch_size"] or len(X) * (1 + cfg["augment"])))
    show = not (args.quiet or args.json)
    live = live_view(args)
    bar = progress.progress(batches, cfg["epochs"], show)
    options = fit_options(args, cfg, val, [bar] + ([live] if live else []), batches)
    options.update(comm=comm, class_weight=cfg["class_weight"])
    notes = kept_notes + resuming.resume_notes(args, options.get("resume"), net, cfg, options["optimizer"], batches)
    folders += on_root(comm, checks.picture_outputs, args, net, data)
    on_root(comm, outputs.make_folders, folders)  # by the rank that writes every file, before any rank's fit looks
    if root:
        checks.warn(notes + checks.small_data_notes(args, data, cfg, len(X), len(val[0]) if val else 0)
                    + [note for note in [budget_note(net, X, cfg["batch_size"])] if note])
    if show:
        print(f"{describe(args, data, net, cfg, len(X), val)}; {blas}", flush=True)
        tables.print_notes(learnt, options)
        if cfg["class_weight"]:  # an indented note, as the table's and the schedule's
            print("  " + class_weight.shown(cfg["class_weight"], data, args.class_weight), flush=True)
    if args.resume and show:  # --resume alone with no checkpoint yet: a new run, said (a mistyped path too)
        print(resuming.resume_note(options.get("resume"), cfg["epochs"], options.get("checkpoint")), flush=True)
    start = time.perf_counter()
    try:
        with progress.ctrl_c(bar, comm):  # under mpiexec, rank 0 alone; the others relay theirs to it
            history = train(net, X, y, cfg, options)
    except DivergenceError as exc:
        raise checks.diverged(exc, args, cfg, options.get("checkpoint")) from exc
    except KeyboardInterrupt as exc:  # Ctrl-C, SIGTERM or SIGHUP (stopping.py): where the run stopped, how to go on
        stopping.say(resuming.interrupted(options.get("checkpoint"), bar.epoch, cfg["epochs"], stopping.words(exc),
                                          (bar.batches, batches)))
        if comm is None:
            return stopping.status(exc)
        exc.comm = comm  # the other ranks wait for this one in a collective: ended once the folders are removed
        raise
    seconds = time.perf_counter() - start
    target_scale.fold(net, scale)  # the model's outputs in the target's own units from here on
    with said_before():  # the one budget note came before training
        test = net.evaluate(data.X_test, data.y_test, loss=args.loss)  # a regression's RMSE, MAE, R^2 too
    later, saved = kept.Later(), None  # a refused write is said after the result and the other writes
    with later:
        saved = on_root(comm, lambda: save_model(args, net, history))
    if root:
        checks.warn(checks.health_notes(args, data, cfg, history, test))
    report(args, data, net, cfg, history, test, seconds, saved, said, kept.kept(later.error))
    with later:
        on_root(comm, lambda: save_pictures(args, live, net, data, history, show), poll=0.05)
    later.done()
    return 0


def save_model(args, net, history):
    """Write ``--out`` and ``--history``; the model's path (None with ``--no-save``). A write the system
    refuses is kept elsewhere and said in one line (:func:`kept.save_all`), raised here so that under
    mpiexec :func:`on_root` raises it on every rank: said once, every rank ending as one process does."""
    jobs = [(outputs.Output("--out", args.out, "model"), net.save)] if not args.no_save else []
    jobs += [(outputs.Output("--history", args.history, "history"), history.to_json)] if args.history else []
    with outputs.writing(lambda: written(args)):
        results = kept.save_all(jobs)
    return None if args.no_save else results[0]


def save_pictures(args, live, net, data, history, show):
    """Write ``--live`` and ``--plot`` (saying each file unless quiet), refused writes as in :func:`save_model`,
    the one after the other refused."""
    later = kept.Later()
    with later, outputs.writing(lambda: written(args)):
        if args.live:
            saved_live, = kept.save_all([(outputs.Output("--live", args.live, "picture"), live.save)])
            if show:
                print(f"saved {saved_live}")
    with later, outputs.writing(lambda: written(args)):
        if args.plot:
            from .pictures import save_model_plots
            for picture in save_model_plots(args.plot, net, data, history):
                if show:
                    print(f"saved {picture}")
    later.done()


def on_root(comm, check, *args, poll=None):
    """``check(*args)``; under mpiexec on rank 0 alone (the rank that writes the files), its error
    raised on every rank, so it is said once. ``poll``: seconds between the other ranks' looks at
    whether rank 0 is done, for work that may take long (pictures); they sleep meanwhile."""
    if comm is None:
        return check(*args)
    from ..distributed import from_root
    return from_root(comm, lambda: check(*args), poll=poll)


def live_view(args):
    """The live architecture view as a Callback (saved after training), or None."""
    if not (args.live or args.show):
        return None
    from ..viz.live import LiveArchitecture
    return LiveArchitecture(None, show=args.show, title="nnscratch train")
