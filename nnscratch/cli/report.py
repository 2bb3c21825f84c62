"""What ``nnscratch train`` says of its run: the line before training (:func:`describe`) and the result
after it (:func:`report`: the score and where the model went, or one JSON line)."""

import shlex

from . import tables
from .jsonline import json_line


def describe(args, data, net, cfg, n_train, val):
    from ..models.summary import architecture
    sizes = architecture(net)
    copies = cfg["augment"]
    bent = f" (elastic {cfg['elastic']:g} px)" if cfg.get("elastic") else ""
    extra = f" + {copies} distorted cop{'y' if copies == 1 else 'ies'}{bent} each epoch" if copies else ""
    held = f", {len(val[0])} for validation" if val else ""
    epochs = cfg["epochs"]
    return (f"training {sizes} on {data.name} ({n_train} sample{'s' * (n_train != 1)}{extra}{held}): "
            f"{epochs} epoch{'s' * (epochs != 1)}, batch {cfg['batch_size'] or 'full'}, {args.optimizer} "
            f"lr {cfg['lr']:g}, {net.backend}")


def report(args, data, net, cfg, history, test, seconds, saved, warnings=(), kept_files=None):
    """The result: one JSON line (with the ``warnings`` shown, if any) or the score and where the model went.
    The JSON's scores are named as ``evaluate --json`` names them, with the split first where train has several
    (its ``test_loss`` is evaluate's ``loss`` on the test split; a regression's test ``rmse``, ``mae``, ``r2`` as
    they are); the loss function is ``loss_function``, so no ``loss`` key holds a name in one command and a
    number in the other;
    ``kept_files``: ``{option: path}`` of the outputs a refused write kept elsewhere (the JSON's ``"model"``
    is then where the model is, and ``"kept"`` says so)."""
    kept_files = kept_files or {}
    config = net.get_config()
    result = {"dataset": data.name, "task": net.task, "layers": list(cfg["sizes"]), "backend": str(net.backend),
              "dtype": config["dtype"],
              "loss_function": config.get("loss"), "optimizer": args.optimizer, "lr": cfg["lr"],
              "epochs": len(history.epoch), "seconds": round(seconds, 2),
              "train_loss": history.history["loss"][-1],
              "val_accuracy": (history.history.get("val_accuracy") or [None])[-1],
              "test_loss": test["loss"], "test_accuracy": test.get("accuracy"),
              "model": saved or kept_files.get("--out"), **({"kept": kept_files} if kept_files else {}),
              **({"class_weight": _by_name(cfg["class_weight"], data)} if cfg.get("class_weight") else {}),
              **tables.json_scores(test), **({"warnings": list(warnings)} if warnings else {})}
    if args.json:
        print(json_line(result))
        return
    score = tables.score_text(test, net.task)
    if history.timing() and not args.quiet:
        print(history.timing())
    n_test = len(data.X_test)
    print(f"{score} on {n_test} {data.name} test sample{'s' * (n_test != 1)}; trained in {seconds:.1f} s")
    if saved and not args.quiet:
        print(f"model saved to {saved} (it remembers its dataset); try `nnscratch evaluate {shlex.quote(str(saved))}`")


def _by_name(weights, data):
    """``{class name: weight}`` of ``{class index: weight}``, every class (those not named weigh 1)."""
    from .class_weight import class_names
    return {name: weights.get(i, 1.0) for i, name in enumerate(class_names(data))}
