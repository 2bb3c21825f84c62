"""What ``nnscratch train --resume`` checks and says, and what an interrupted run leaves.

- :func:`look_on_root`: what ``--resume`` and ``--checkpoint`` find, looked at once, by rank 0 alone
  under mpiexec (on a cluster whose scratch space is each node's own, the checkpoint is on its node alone);
- :func:`resume_source`: ``--resume [PATH]`` (with ``--checkpoint``) as the checkpoint to
  resume from and the one to write;
- :func:`checkpoint_option`: the option that names the checkpoint written, as the user typed it;
- :func:`resume_dtype`: the checkpoint's dtype where ``--dtype`` is not given;
- :func:`resume_notes`: a checkpoint of another network or dataset (or table --target, --task,
  --test-fraction, or --seed of data that draw their test split, or a table file changed since:
  :mod:`nnscratch.cli.resume_table`), or of more epochs than --epochs, refused;
  other training options than the checkpoint's run had (--dtype, --validation, --augment, --plateau too), said;
- :func:`resume_note` and :func:`interrupted` (:mod:`nnscratch.cli.continuing`, named here too): the
  ``resuming from epoch N of M (PATH)`` line, and what Ctrl-C (or SIGTERM) leaves behind and how to continue.
"""

import os
import shlex

from ..errors import ConfigError
from .continuing import checkpoint_epochs, interrupted, resume_note  # noqa: F401 (train and the tests use them here)


def look_on_root(args, comm):
    """Look up ``--resume`` and ``--checkpoint`` once, and read the checkpoint's header (its dtype, network, epochs,
    run options: the header alone, ``fit`` reads the arrays once); kept as ``args.resume_found``, which
    :func:`resume_source`, :func:`resume_dtype` and :func:`resume_notes` read. Under mpiexec (``comm``) rank 0 alone looks, as it alone writes the checkpoints,
    and every rank keeps what it found, or raises its error (a damaged checkpoint) together with it: said once
    (:func:`~nnscratch.distributed.from_root`). The other ranks never touch the file, which on a cluster whose
    scratch space is each node's own is on rank 0's node alone (before, ``--resume PATH`` failed there, "no such
    checkpoint", and ``--resume`` alone resumed rank 0 and started the others afresh)."""
    def look():
        source, checkpoint = _resume_source(args)
        return source, checkpoint, None if source is None else header(None, source)

    from ..distributed import from_root
    args.resume_found = look() if comm is None else from_root(comm, look)


def header(args, source):
    """The header of the checkpoint ``source``: as :func:`look_on_root` found it (under mpiexec: rank 0's file,
    on every rank), else read here."""
    found = getattr(args, "resume_found", None)
    if found is not None and found[0] == source:
        return found[2]
    from ..saving import checkpoint
    return checkpoint.load_header(source)  # its arrays are fit's to read, once


def resume_source(args):
    """(the checkpoint to resume from or None, the checkpoint to write or None).

    ``--resume PATH`` resumes from PATH (and keeps checkpointing there unless
    ``--checkpoint`` says elsewhere); ``--resume`` alone resumes from
    ``--checkpoint`` when that file exists (a fresh start otherwise). As :func:`look_on_root`
    found them where it has looked (under mpiexec: rank 0's files)."""
    found = getattr(args, "resume_found", None)
    return found[:2] if found is not None else _resume_source(args)


def _resume_source(args):
    if args.resume is None:
        return None, args.checkpoint
    if args.resume is True:
        if not args.checkpoint:
            raise ConfigError("--resume needs a checkpoint: --resume PATH, or --checkpoint PATH "
                              "(the file to resume from and keep writing).")
        return (args.checkpoint if os.path.exists(args.checkpoint) else None), args.checkpoint
    if not os.path.exists(args.resume):
        raise ConfigError(f"--resume {args.resume}: no such checkpoint; give the file a run wrote "
                          "with --checkpoint PATH.")
    if not args.checkpoint:
        _refuse_outputs_on(args)
    return args.resume, args.checkpoint or args.resume


def _refuse_outputs_on(args):
    """``--resume PATH`` alone keeps checkpointing to PATH: another output naming that checkpoint is refused
    in the options the user typed (not as the ``--checkpoint`` they never gave)."""
    from .outputs import KINDS
    if not KINDS["checkpoint"][1](args.resume):
        return  # not a checkpoint: said by the caller's check
    for option, path in (("--out", None if args.no_save else args.out), ("--history", args.history),
                         ("--live", args.live)):
        if path and os.path.exists(path) and os.path.samefile(path, args.resume):
            default = " (the default --out)" if option == "--out" and getattr(args, "out_defaulted", False) else ""
            raise ConfigError(f"--resume {args.resume} and {option} {path}{default} name one file: --resume continues "
                              f"that checkpoint and keeps writing it there; give {option} its own file, or write the "
                              "checkpoint elsewhere with --checkpoint PATH.")


def checkpoint_option(args):
    """The option, as the user typed it, that names the checkpoint this run writes: ``--checkpoint``, else
    ``--resume PATH`` (which keeps checkpointing to PATH)."""
    return "--checkpoint" if args.checkpoint or not isinstance(args.resume, str) else "--resume"


def resume_dtype(args):
    """``--dtype`` of this run: as given, else the checkpoint's when resuming (a float64 run goes on in
    float64, as evaluate, predict and plot keep a model's dtype), but float32 on a backend without float64."""
    source, _ = resume_source(args)
    if args.dtype is not None or source is None:
        return args.dtype
    from ..backend.core import get_backend
    dtype = (header(args, source).get("config") or {}).get("dtype")
    return None if dtype == "float64" and not get_backend(args.backend).has_float64 else dtype


def resume_notes(args, source, net, cfg, optimizer, batches=None):
    """Refuse to resume ``source`` with another network or dataset, or with fewer --epochs than it ran;
    return a warning when other training options than the checkpoint's run had are given (they are
    the ones used: the checkpoint keeps the weights, optimizer state, RNG and history). ``batches``: steps per
    epoch, to say --warmup and --step-size (kept in steps) in epochs."""
    if source is None:
        return []
    saved = header(args, source)
    config = saved.get("config") or {}
    from .resume_table import moved_table, same_rows, same_table, words as _words
    config, moved = moved_table(source, config, net)  # the same table read from another path: its run's from here
    same_table(source, config, net)  # first: another target or task also builds another network
    same_rows(source, config, net)  # then the file changed since: a column or a class more builds another one too
    _same_network(source, config, net)
    done, stopped = int(saved["epoch"]) + 1, bool(saved.get("stopped"))
    if done > cfg["epochs"]:
        given = "" if args.epochs else " (the default here)"
        raise ConfigError(f"--resume {source}: the checkpoint already ran {done} epochs, more than --epochs "
                          f"{cfg['epochs']}{given}; pass --epochs {done} to keep it as it is, or more to train "
                          "further.")
    params = (saved.get("history") or {}).get("params") or {}
    seed = ((config.get("metadata") or {}).get("dataset") or {}).get("seed", args.seed)
    theirs = _run_options(saved["optimizer"], params.get("batch_size"), params.get("loss"), seed, params.get("epochs"))
    mine = _run_options(optimizer.get_config(), cfg["batch_size"], args.loss or params.get("loss"), args.seed,
                        cfg["epochs"])
    _add_run_record(theirs, mine, config, net, run_record(args, cfg))
    changed = [flag for flag in mine if mine[flag] != theirs[flag]
               and not (flag in _OF_THE_SCHEDULE and mine["--schedule"] != theirs["--schedule"])]
    if not changed:
        return moved
    one = len(changed) == 1
    tail = (f"nothing is left to train, so {'it changes' if one else 'they change'} nothing" if stopped
            or done == cfg["epochs"] else "its schedule is stretched to the new length, so the run does not end as "
            f"one run of --epochs {cfg['epochs']} would (a constant, exponential or inverse_time schedule, and step "
            "with --step-size, extends exactly)"
            if changed == ["--epochs"] else f"the epochs left train with {'it' if one else 'them'}, so the run "
            "will not end as that one would have (give its values to continue it exactly)")
    per_epoch = None if "--batch-size" in changed else batches  # steps of the same length in both runs
    return moved + [f"--resume {source}: {_words(mine, changed, per_epoch)} {'differs' if one else 'differ'} from "
                    f"the run it continues ({_words(theirs, changed, per_epoch)}); {tail}"]


_RECORDED = (("validation", "--validation"), ("augment", "--augment"), ("elastic", "--elastic"),
             ("plateau", "--plateau"))


def run_record(args, cfg):
    """What a model and its checkpoints keep of its run that the optimizer's state does not say
    (``net.metadata["training"]``): the validation share held out of the training split, the distorted copies per
    epoch and their bend, the --plateau patience (None: none), so that ``--resume`` with other values says so."""
    return {"validation": cfg["validation"] or 0, "augment": cfg["augment"] or 0, "elastic": cfg.get("elastic") or 0,
            "plateau": getattr(args, "plateau", None)}


def _add_run_record(theirs, mine, config, net, record):
    """Put --dtype and the options of the run record (:func:`run_record`) beside ``_run_options``' (both runs'), where
    the checkpoint kept them (one written before they were kept compares only its dtype)."""
    theirs["--dtype"], mine["--dtype"] = config.get("dtype"), net.get_config()["dtype"]
    kept = (config.get("metadata") or {}).get("training") or {}
    for key, flag in _RECORDED:
        if key in kept:
            theirs[flag], mine[flag] = kept[key], record[key]


def _same_network(source, config, net):
    """ConfigError when the checkpoint was written for another network or dataset than this run's."""
    spec = ((config.get("metadata") or {}).get("dataset") or {}).get("spec")
    mine = net.metadata["dataset"]["spec"]
    other_data = spec is not None and spec != mine
    if not other_data and config.get("layers") == net.get_config()["layers"]:
        return
    from ..models.spec import describe
    from ..models.summary import architecture
    then, now = _architecture(config), architecture(net)
    if then == now:  # the same sizes, other activations: their layers tell them apart
        then, now = _architecture(config, layers=True), describe(net.layers)
    hint = f"--dataset {shlex.quote(spec)}" if other_data else "the same --layers, --model and --activation"
    trained = f" trained on {spec}" if spec else ""
    raise ConfigError(f"--resume {source} holds a {then} network{trained}, and this command builds {now} for "
                      f"{mine}; resume with that run's options ({hint}), or start a new run without --resume.")


def _architecture(config, layers=False):
    """The checkpoint's network as :func:`~nnscratch.models.summary.architecture` says it (``784-128-10``), or
    with ``layers`` in the --layers grammar (``dense128,relu,dense10,softmax``)."""
    from ..models.network import Network
    from ..models.spec import describe
    from ..models.summary import architecture, config_text
    try:
        net = Network.from_config(config, backend="numpy")
        return describe(net.layers) if layers else architecture(net)
    except Exception:  # a config this version cannot build: its layers as written
        return config_text(config)


_OF_THE_SCHEDULE = ("--gamma", "--min-lr", "--epochs", "--warmup", "--step-size")
"""Options that belong to one schedule: not compared when the schedule itself changed (that is said)."""


def _run_options(optimizer, batch_size, loss, seed, epochs):
    """A run's training options as the command line names them (an optimizer config, as a checkpoint keeps);
    ``--epochs`` only where the schedule spans the run (cosine: its length is part of every step's rate)."""
    lr = optimizer["lr"]
    schedule = lr if isinstance(lr, dict) else {}
    return {"--epochs": epochs if "total" in schedule else None, "--optimizer": _optimizer_name(optimizer),
            "--lr": schedule.get("lr", lr),
            "--schedule": schedule.get("name") or ("inverse_time" if optimizer.get("decay") else "constant"),
            "--decay": schedule.get("decay", optimizer.get("decay") or 0.0),
            "--weight-decay": optimizer.get("weight_decay") or 0.0, "--clip-norm": optimizer.get("clip_norm"),
            "--gamma": schedule.get("gamma"), "--min-lr": schedule.get("min_lr", 0.0), "--batch-size": batch_size or 0,
            "--loss": loss, "--seed": seed,
            "--warmup": schedule.get("warmup") or 0, "--step-size": schedule.get("step_size")}  # both in steps


def _optimizer_name(config):
    """``--optimizer`` as the command line names it: SGD with momentum is "momentum" (or "nesterov"), and
    another momentum than the command line's 0.9 says so."""
    name, momentum = config["name"], config.get("momentum") or 0.0
    if name != "sgd" or not momentum:
        return name
    kind = "nesterov" if config.get("nesterov") else "momentum"
    return kind if momentum == 0.9 else f"{kind} (momentum {momentum:g})"


