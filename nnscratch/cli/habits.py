"""What a newcomer types out of another tool's habit, and what does it here: the answers the parser's
"unrecognized arguments" and "invalid choice" errors give (:class:`nnscratch.cli.app.Parser`).

Each table maps what was typed to what to say; nothing here parses. ``{option}`` in an answer is the
option the user typed (its long form).
"""

HABITS = {"--learning-rate": "--lr", "--learningrate": "--lr", "--batchsize": "--batch-size",
          "--batch": "--batch-size", "--bs": "--batch-size", "--n-epochs": "--epochs", "--num-epochs": "--epochs",
          "--l2": "--weight-decay", "--test-size": "--test-fraction", "--test-split": "--test-fraction",
          "--save": "--out", "--output": "--out", "--hidden": "--layers", "--units": "--layers",
          "--hidden-size": "--layers", "--hidden-sizes": "--layers", "--hidden-layers": "--layers",
          "--device": "--backend", "--gpu": "--backend", "--cuda": "--backend"}
"""Options of other tools (Keras, PyTorch scripts, scikit-learn) and the option that does it here: difflib
alone guessed --l2 as --lr, --save as --no-save, --bs as --task and --device as --decay."""
TRAIN_HINTS = {"--dropout": "dropout is a layer here: put it in --layers, e.g. --layers "
                             "dense256,relu,dropout0.2,dense10",
               "--momentum": "SGD with momentum is an optimizer here: --optimizer momentum (0.9), or "
                              "--optimizer nesterov",
               "--verbose": "train prints every epoch already (--quiet prints less)"}
"""Habits that are no option of `nnscratch train` but another idea there, said with the option that holds it."""
_SGD = "bench times plain SGD at a constant --lr (its operation counts per step also cover adam); drop {option}"
_SAVED = "bench saves no model: its timings go to --json FILE and a picture of them to --plot FILE; drop {option}"
_DATA = "bench times epochs over the first --samples rows of --dataset, as they are; drop {option}"
BENCH_HINTS = {"--dropout": "bench times dense layers of --layers sizes (e.g. --layers 256,128), or the default CNN "
                            "with --model cnn; drop --dropout (`nnscratch train` takes dropout as a layer in its "
                            "--layers)",
               **dict.fromkeys(("--optimizer", "--momentum"), _SGD + ", or compare optimizers with `nnscratch train "
                               "--optimizer NAME`"),
               **dict.fromkeys(("--weight-decay", "--decay", "--schedule", "--gamma",
                                "--step-size", "--min-lr", "--clip-norm", "--plateau"), _SGD),
               **dict.fromkeys(("--activation", "--loss"), "bench times relu layers and a softmax cross-entropy "
                               "output, train's defaults; drop {option}"),
               "--class-weight": "bench times unweighted steps (weighing the rows adds one multiply to the loss); "
                                 "drop --class-weight",
               **dict.fromkeys(("--out", "--no-save", "--history", "--checkpoint", "--resume"), _SAVED),
               **dict.fromkeys(("--validation", "--augment", "--elastic", "--test-fraction", "--target", "--task"),
                                _DATA),
               **dict.fromkeys(("--live", "--show"), "bench draws no live view; --plot FILE draws samples/s against "
                               "batch size once the timing ends; drop {option}"),
               "--data-dir": "bench reads mnist and fashion-mnist from $NNSCRATCH_DATA, ~/.cache/nnscratch or "
                             "/usr/share/datasets: name the folder in $NNSCRATCH_DATA, e.g. `NNSCRATCH_DATA=DIR "
                             "nnscratch bench --dataset mnist`",
               "--verbose": "bench prints every row as it is timed already",
               "--quiet": "bench prints its table on stdout and its progress on stderr; --json alone prints the "
                          "timings alone on stdout (the table then goes to stderr)"}
"""Options of `nnscratch train` given to `nnscratch bench`, said with what bench takes instead."""
SHORT = {"-q": ("--quiet",), "-o": ("--out",), "-b": ("--batch-size", "--batch-sizes"),
         "-v": ("--verbose", "--version"), "-V": ("--version",)}
"""Short options of other tools that mean one thing, and the long option that does it here where the command has
it; no other is guessed (-e: --epochs or --elastic?, -d: --dataset, --dtype or --decay?)."""
COMMAND_HABITS = {"fit": "train", "test": "evaluate", "score": "evaluate", "infer": "predict", "classify": "predict",
                  "version": "--version", "help": "--help"}
"""Commands of other tools (scikit-learn's fit and score, `git help`) and what does it here."""
CHOICE_HINTS = {"argument --split": dict.fromkeys(("val", "valid", "validation", "dev"), "evaluate has no validation "
                                                  "split: train holds its --validation share out of the training "
                                                  "split while it trains (train --json gives val_accuracy); "
                                                  "--split takes test or train")}
"""Values of an option that are another idea here (``argument --split``: the name argparse gives the option)."""
_PRINTED = ("{command} prints {what} on stdout: send {them} to a file with the shell, `nnscratch {command} {args} > "
            "{file}` (--json: {lines})")
PREDICT_HINTS = dict.fromkeys(("--out", "--output", "--save"), _PRINTED.format(
    command="predict", what="each row's prediction", them="them", args="MODEL INPUT", file="predictions.txt",
    lines="one JSON line per row"))
EVALUATE_HINTS = dict.fromkeys(("--out", "--output", "--save"), _PRINTED.format(
    command="evaluate", what="its scores", them="them", args="MODEL", file="scores.txt", lines="one JSON line"))
"""An output file asked of the commands that print their result: the shell's redirection does it."""
HINTS = {"train": TRAIN_HINTS, "bench": BENCH_HINTS, "predict": PREDICT_HINTS, "evaluate": EVALUATE_HINTS}
