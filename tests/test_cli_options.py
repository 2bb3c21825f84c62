"""Every option reaches what it configures, and the help tells the truth (issue 20 items 2, 3 and
"every option reaches what it configures"; issue 21 item 11).

``test_every_option_changes_the_run`` walks the real parsers of train, evaluate and predict:
each option, changed from its default, changes what the run does (its weights, its output,
the files it writes), so no option is parsed and then ignored.
"""

import hashlib
import json
import os
import re

import numpy as np
import pytest

from nnscratch import Network, cli
from nnscratch.cli.app import build_parser
from nnscratch.saving import checkpoint

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPECIES = ("setosa", "versicolor", "virginica")


def run(capsys, *argv):
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def write_iris(path, n=60):
    """An iris-like table with the species FIRST (so the default target, the last column, is wrong)."""
    rng = np.random.default_rng(0)
    y = np.arange(n) % 3
    X = rng.normal(size=(n, 4)) * 0.3 + y[:, None] * np.array([1.0, -0.5, 2.0, 0.8]) + 5
    rows = [f"{SPECIES[t]},{','.join(f'{v:.3f}' for v in x)},{t % 2}" for x, t in zip(X, y)]
    path.write_text("species,sepal_length,sepal_width,petal_length,petal_width,odd\n" + "\n".join(rows) + "\n")
    return path


# ---------------------------------------------------------------- issue 20 item 2: the table options

def test_train_csv_with_target_end_to_end(tmp_path, capsys):
    iris = write_iris(tmp_path / "iris.csv")
    status, out, err = run(capsys, "train", "--dataset", f"csv:{iris}", "--target", "species", "--epochs", "40",
                           "--backend", "numpy", "--out", "iris.npz", "--json")
    assert status == 0, err
    result = json.loads(out)
    assert result["layers"] == [5, 64, 64, 3] and result["test_accuracy"] > 0.9
    net = Network.load("iris.npz")
    assert net.metadata["target"] == "species" and net.metadata["class_names"] == list(SPECIES)
    assert net.metadata["dataset"]["target"] == "species" and net.metadata["dataset"]["test_fraction"] == 0.2
    status, out, _ = run(capsys, "evaluate", "iris.npz", "--json")  # the remembered table, target and split
    assert status == 0 and json.loads(out)["accuracy"] == pytest.approx(result["test_accuracy"])
    assert json.loads(out)["samples"] == 12
    status, out, _ = run(capsys, "evaluate", "iris.npz", "--json", "--dataset", f"csv:{iris}", "--target", "0",
                         "--test-fraction", "0.5")
    assert status == 0 and json.loads(out)["samples"] == 30
    write_table(tmp_path / "table.csv")
    status, out, _ = run(capsys, "train", "--dataset", f"csv:{tmp_path / 'table.csv'}", "--target", "kind", "--task",
                         "regression", "--test-fraction", "0.25", "--epochs", "2", "--no-save", "--backend", "numpy",
                         "--json")
    assert status == 0 and "r2" in json.loads(out) and json.loads(out)["layers"] == [4, 64, 64, 1]


@pytest.mark.parametrize("argv, fragment", [
    (["--target", "label"], "mnist-sample comes with its own labels"),
    (["--dataset", "spirals", "--task", "regression"], "--task: spirals has its own labels"),
    (["--dataset", "xor", "--test-fraction", "0.5"], "xor comes with its own labels and test split"),
    (["--dataset", "spirals", "--data-dir", "."], "--data-dir . says where the mnist"),
])
def test_table_options_that_do_not_apply_are_refused(argv, fragment, capsys):
    status, _, err = run(capsys, "train", *argv, "--epochs", "1", "--no-save")
    assert status == 2 and fragment in err and len(err.strip().splitlines()) == 1


def test_test_fraction_draws_the_split_of_generated_data(capsys):
    status, out, _ = run(capsys, "train", "--dataset", "moons", "--test-fraction", "0.5", "--epochs", "1",
                         "--no-save", "--backend", "numpy")
    tested = int(re.search(r"on (\d+) moons test samples", out).group(1))
    assert status == 0 and 620 <= tested <= 630  # half of 1,250 (rounded per class); the default holds out 250


# ---------------------------------------------------------------- issue 20 item 3: --weight-decay

def test_weight_decay_reaches_the_optimizer_and_the_checkpoint(capsys):
    from nnscratch import Adam
    from nnscratch.datasets import xor
    common = ["train", "--dataset", "xor", "--epochs", "5", "--backend", "numpy", "--quiet"]
    assert run(capsys, *common, "--out", "decayed.npz", "--weight-decay", "10", "--checkpoint", "run.ckpt")[0] == 0
    assert run(capsys, *common, "--out", "plain.npz")[0] == 0
    assert checkpoint.load("run.ckpt")[0]["optimizer"]["weight_decay"] == 10.0
    decayed, plain = Network.load("decayed.npz").get_weights(), Network.load("plain.npz").get_weights()
    assert max(float(np.abs(a - b).max()) for a, b in zip(decayed, plain)) > 1e-3
    net = Network.from_sizes(2, 8, 2, hidden="tanh", output="softmax", seed=0, backend="numpy")  # the same run
    net.fit(*xor(), epochs=5, batch_size=None, optimizer=Adam(lr=0.05, weight_decay=10.0))
    for a, b in zip(net.get_weights(), decayed):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- every option reaches what it configures

def _digest(path):
    """What a written file holds, without what a second identical run writes differently (seconds)."""
    if path.endswith((".npz", ".ckpt")):
        from nnscratch.saving.serialize import load_arrays
        kind = "nnscratch-checkpoint" if path.endswith(".ckpt") else "nnscratch-model"
        header, arrays = load_arrays(path, kind=kind)
        header.pop("history", None)
        text = json.dumps(header, sort_keys=True).replace(os.getcwd(), "<the run's folder>")
        body = text.encode() + b"".join(
            arrays[k].tobytes() for k in sorted(arrays))
    elif path.endswith(".json"):
        data = json.loads(open(path).read())
        data.get("history", {}).pop("seconds", None)
        data.pop("params", None)
        body = json.dumps(data, sort_keys=True).encode()
    else:
        body = open(path, "rb").read()
    return hashlib.sha256(body).hexdigest()


def _quiet_numbers(text):
    text = re.sub(r"\d+(\.\d+)? s\b", "_ s", text)
    return re.sub(r'"seconds": [0-9.e-]+', '"seconds": _', text)


def fingerprint(capsys, argv, setup, folder):
    """Everything a run does that a user can see: exit status, output, and the files it leaves."""
    folder = str(folder)
    home = os.getcwd()
    os.makedirs(folder)
    os.chdir(folder)
    try:
        if setup:
            setup()
        before = {f: _digest(f) for f in _files()}
        status, out, err = run(capsys, *argv)
        after = {f: _digest(f) for f in _files()}
    finally:
        os.chdir(home)
    out, err = (_quiet_numbers(text).replace(folder, "<the run's folder>") for text in (out, err))
    return status, out, err, {f: d for f, d in after.items() if before.get(f) != d}


def _files():
    return sorted(os.path.join(d, f) for d, _, files in os.walk(".") for f in files)


def _digit_csv(path="digits.csv", rows=60):
    from nnscratch.datasets import load_mnist_sample
    data = load_mnist_sample(raw=True)
    table = np.column_stack([data.y_train[:rows], data.X_train[:rows]]).astype(int)
    np.savetxt(path, table, fmt="%d", delimiter=",", header="label," + ",".join(f"pixel{i}" for i in range(784)),
               comments="")


def _idx(folder, start):
    from nnscratch.datasets import load_mnist_sample, write_idx
    data = load_mnist_sample(raw=True)
    os.makedirs(folder)
    write_idx(os.path.join(folder, "train-images-idx3-ubyte"), data.X_train[start:start + 100].reshape(-1, 28, 28))
    write_idx(os.path.join(folder, "train-labels-idx1-ubyte"), data.y_train[start:start + 100].astype(np.uint8))
    write_idx(os.path.join(folder, "t10k-images-idx3-ubyte"), data.X_test[start:start + 50].reshape(-1, 28, 28))
    write_idx(os.path.join(folder, "t10k-labels-idx1-ubyte"), data.y_test[start:start + 50].astype(np.uint8))


def _both_idx():
    _idx("a", 0)
    _idx("b", 500)


def steps(*setups):
    """A setup that runs each of ``setups`` in turn."""
    return lambda: [setup() for setup in setups]


def _prior(*argv):
    """A setup step: an earlier run in the same folder (a model, a checkpoint)."""
    return lambda: cli.main([*map(str, argv)]) == 0 or pytest.fail(f"setup failed: {argv}")


def write_table(path="table.csv", n=60):
    """Numbers only: features x1..x3, a class column ``kind`` (0..2) and a value (the last column)."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(n, 3))
    kind = np.arange(n) % 3
    value = X @ [1.0, -2.0, 0.5] + kind
    rows = [f"{a:.3f},{b:.3f},{c:.3f},{k},{v:.3f}" for (a, b, c), k, v in zip(X, kind, value)]
    with open(path, "w") as f:
        f.write("x1,x2,x3,kind,value\n" + "\n".join(rows) + "\n")


SPIRALS = ["--dataset", "spirals", "--epochs", "2", "--backend", "numpy"]
TABLE = ["--dataset", "csv:table.csv", "--epochs", "2", "--backend", "numpy"]
DIGITS = ["--dataset", "csv:digits.csv", "--layers", "784,8,10", "--epochs", "1", "--backend", "numpy"]
SCHEDULE = [*SPIRALS, "--schedule"]

# option: (base arguments, the option changed from its default, setup run in the folder first[, the changed
# run's exit status when it is an error that shows the option was read; else 0])
TRAIN = {
    "--dataset": (SPIRALS, ["--dataset", "moons"], None),
    "--data-dir": (["--dataset", "mnist", "--layers", "784,8,10", "--epochs", "1", "--data-dir", "a"],
                   ["--data-dir", "b"], _both_idx),
    "--seed": (SPIRALS, ["--seed", "1"], None),
    "--target": (TABLE, ["--target", "kind"], write_table),
    "--task": (TABLE + ["--target", "kind"], ["--task", "regression"], write_table),
    "--test-fraction": (TABLE, ["--test-fraction", "0.5"], write_table),
    "--model": (["--dataset", "csv:digits.csv", "--epochs", "1", "--backend", "numpy", "--augment", "0"],
                ["--model", "cnn"], _digit_csv),
    "--layers": (SPIRALS, ["--layers", "2,16,3"], None),
    "--activation": (SPIRALS, ["--activation", "tanh"], None),
    "--loss": (SPIRALS, ["--loss", "mse"], None),
    "--optimizer": (SPIRALS, ["--optimizer", "sgd"], None),
    "--lr": (SPIRALS, ["--lr", "0.1"], None),
    "--decay": (SPIRALS, ["--decay", "0.1"], None),
    "--weight-decay": (SPIRALS, ["--weight-decay", "1"], None),
    "--epochs": (SPIRALS, ["--epochs", "3"], None),
    "--batch-size": (SPIRALS, ["--batch-size", "64"], None),
    "--augment": (DIGITS, ["--augment", "1"], _digit_csv),
    "--elastic": (DIGITS + ["--augment", "1"], ["--elastic", "2"], _digit_csv),
    "--validation": (SPIRALS, ["--validation", "0.3"], None),
    "--class-weight": (SPIRALS, ["--class-weight", "0:3"], None),
    "--schedule": (SPIRALS, ["--schedule", "cosine"], None),
    "--warmup": (SPIRALS, ["--warmup", "1"], None),
    "--step-size": (SCHEDULE + ["step"], ["--step-size", "0.5"], None),
    "--gamma": (SCHEDULE + ["exponential"], ["--gamma", "0.5"], None),
    "--min-lr": (SCHEDULE + ["cosine"], ["--min-lr", "0.005"], None),
    "--clip-norm": (SPIRALS, ["--clip-norm", "0.01"], None),
    "--plateau": (SPIRALS, ["--plateau", "1"], None),
    "--backend": (SPIRALS, ["--backend", "array_api_strict"], None),
    "--dtype": (SPIRALS, ["--dtype", "float64"], None),
    "--out": (SPIRALS, ["--out", "other.npz"], None),
    "--force": (SPIRALS, ["--force"], _prior("train", *SPIRALS, "--quiet")),
    "--no-save": (SPIRALS, ["--no-save"], None),
    "--history": (SPIRALS, ["--history", "h.json"], None),
    "--plot": (SPIRALS, ["--plot", "pics"], None),
    "--live": (SPIRALS, ["--live", "live.gif"], None),
    "--show": (SPIRALS, ["--show"], None, 2),  # no display here: refused before training
    "--checkpoint": (SPIRALS, ["--checkpoint", "run.ckpt"], None),
    "--resume": (SPIRALS + ["--checkpoint", "run.ckpt", "--epochs", "3", "--force", "--out", "m.npz"], ["--resume"],
                 _prior("train", *SPIRALS, "--no-save", "--quiet", "--checkpoint", "run.ckpt")),
    "--quiet": (SPIRALS, ["--quiet"], None),
    "--json": (SPIRALS, ["--json"], None),
}
MODEL = _prior("train", *SPIRALS, "--quiet", "--out", "m.npz")
MODEL2 = _prior("train", *SPIRALS, "--quiet", "--out", "m2.npz", "--seed", "5")
TABLE_MODEL = steps(write_table, _prior("train", *TABLE, "--quiet", "--out", "m.npz"))
DIGIT_MODEL = steps(_both_idx, _prior("train", "--layers", "784,8,10", "--epochs", "1", "--augment", "0", "--quiet",
                                      "--out", "m.npz", "--backend", "numpy"))
EVALUATE = {
    "model": (["m.npz", "--json"], ["m2.npz"], steps(MODEL, MODEL2)),
    "--dataset": (["m.npz", "--json"], ["--dataset", "moons"], MODEL),
    "--data-dir": (["m.npz", "--json", "--dataset", "mnist", "--data-dir", "a"], ["--data-dir", "b"], DIGIT_MODEL),
    "--seed": (["m.npz", "--json"], ["--seed", "3"], MODEL),
    "--target": (["m.npz", "--json", "--dataset", "csv:table.csv"], ["--target", "x1"], TABLE_MODEL),
    "--task": (["m.npz", "--json", "--dataset", "csv:table.csv", "--target", "kind"], ["--task", "regression"],
               steps(write_table, _prior("train", *TABLE, "--target", "kind", "--quiet", "--out", "m.npz")), 2),
    "--test-fraction": (["m.npz", "--json"], ["--test-fraction", "0.5"], TABLE_MODEL),
    "--split": (["m.npz", "--json"], ["--split", "train"], MODEL),
    "--json": (["m.npz"], ["--json"], MODEL),
    "--backend": (["m.npz"], ["--backend", "array_api_strict"], MODEL),
    "--dtype": (["m.npz", "--json"], ["--dtype", "float64"], MODEL),
}
POINTS = steps(lambda: np.save("x.npy", np.array([[0.1, 0.2], [-0.5, 0.3]], np.float32)),
               lambda: np.save("y.npy", np.array([[0.7, -0.2]], np.float32)))
DIGIT = steps(DIGIT_MODEL, lambda: np.save("one.npy", np.ones((1, 784), np.float32)))
PREDICT = {
    "model": (["m.npz", "x.npy", "--json"], ["m2.npz"], steps(MODEL, MODEL2, POINTS)),
    "inputs": (["m.npz", "x.npy", "--json"], ["y.npy"], steps(MODEL, POINTS)),
    "--classes": (["m.npz", "one.npy"], ["--classes", "fashion-mnist"], DIGIT),
    "--json": (["m.npz", "x.npy"], ["--json"], steps(MODEL, POINTS)),
    # the same math on every backend gives the same answers: the option shows by naming one that is not there
    "--backend": (["m.npz", "x.npy", "--json"], ["--backend", "nosuchbackend"], steps(MODEL, POINTS), 2),
    "--dtype": (["m.npz", "x.npy", "--json"], ["--dtype", "float64"], steps(MODEL, POINTS)),
}
CASES = {"train": TRAIN, "evaluate": EVALUATE, "predict": PREDICT}


def parser_options(command):
    """Every option and positional argument of ``nnscratch COMMAND``, as the real parser has them."""
    sub = next(a for a in build_parser()._actions if a.dest == "command").choices[command]
    names = set()
    for action in sub._actions:
        if action.dest == "help":
            continue
        names.add(max(action.option_strings, key=len) if action.option_strings else action.dest)
    return names


@pytest.mark.parametrize("command", sorted(CASES))
def test_every_option_has_a_case(command):
    assert set(CASES[command]) == parser_options(command)


def _positional(command, option, base, changed):
    """Swap a positional argument (the model, the inputs) instead of adding an option."""
    if option == "model":
        return [changed[0], *base[1:]]
    if option == "inputs":
        return [base[0], changed[0], *base[2:]]
    return base + changed


@pytest.mark.parametrize("command, option", [(c, o) for c in sorted(CASES) for o in sorted(CASES[c])])
def test_every_option_changes_the_run(command, option, capsys, monkeypatch, tmp_path):
    if option in ("--plot", "--live"):
        pytest.importorskip("matplotlib")
    if option == "--show":
        monkeypatch.delenv("DISPLAY", raising=False)
        monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
        monkeypatch.setattr("sys.platform", "linux")
    monkeypatch.setenv("NNSCRATCH_OFFLINE", "1")
    # the BLAS-thread policy looks at how busy the cores are at start: not the same twice on a shared machine
    monkeypatch.setattr("nnscratch.backend.threads.idle_cores", lambda *args, **kwargs: None)
    base, changed, setup, *status = CASES[command][option]
    default = fingerprint(capsys, [command, *base], setup, tmp_path / "default")
    assert default[0] == 0 or option == "--force", default
    again = fingerprint(capsys, [command, *base], setup, tmp_path / "again")
    assert again == default, "the run itself is not deterministic; the comparison would prove nothing"
    other = fingerprint(capsys, [command, *_positional(command, option, base, changed)], setup, tmp_path / "changed")
    assert other[0] == (status[0] if status else 0), other
    assert other != default, f"{command} {' '.join(changed)} ran exactly as without it"


# ---------------------------------------------------------------- the help tells the truth

def _help_values(parser, option):
    """``{dataset: shown value}`` and ``{dataset: shown value with a CNN}`` from an option's help."""
    action = next(a for a in parser._actions if option in a.option_strings)
    text = re.search(r"default: (.*?)(; --decay alone|; with --schedule|\)$|$)", action.help).group(1)
    plain, _, cnn = text.partition("; with a CNN: ")
    return _groups(plain), _groups(cnn)


def _groups(text):
    shown = {}
    for group in filter(None, text.split("; ")):
        value, _, names = group.partition(" on ")
        shown.update({name.strip(): value for name in names.split(", ")})
    return shown


def _datasets():
    from nnscratch.datasets.base import Dataset
    from nnscratch.datasets.tables import TableDataset
    rng = np.random.default_rng(0)

    def make(name, d, k, cls=Dataset, n=300):
        X, y = rng.random((n, d), dtype=np.float32), np.arange(n) % k
        return cls(X, y, X[:50], y[:50], name=name, class_names=tuple(map(str, range(k))))
    data = {name: make(name, 784, 10) for name in ("mnist-sample", "mnist", "fashion-mnist")}
    data["a digit csv"] = make("csv", 784, 10)
    data.update(xor=make("xor", 2, 2, n=4), spirals=make("spirals", 2, 3), moons=make("moons", 2, 2),
                blobs=make("blobs", 2, 4), tables=make("csv", 4, 3, TableDataset))
    return data


SHOWN = {"--lr": "lr", "--epochs": "epochs", "--batch-size": "batch_size", "--augment": "augment",
         "--elastic": "elastic", "--validation": "validation", "--decay": "decay", "--activation": "activation",
         "--schedule": "schedule", "--warmup": "warmup", "--layers": "hidden"}


@pytest.mark.parametrize("option", sorted(SHOWN))
def test_help_defaults_are_the_defaults_the_run_takes(option):
    """Per dataset (and with a CNN), the value --help shows is the value the run resolves."""
    from nnscratch.cli.defaults import _show
    from nnscratch.cli.recipe import settings
    parser = next(a for a in build_parser()._actions if a.dest == "command").choices["train"]
    plain, cnn = _help_values(parser, option)
    key = SHOWN[option]
    for label, data in _datasets().items():
        for shown, extra in ((plain, []), (cnn, ["--model", "cnn"])):
            if label not in shown and extra:
                shown = plain  # the CNN recipe leaves this value as it is
            if extra and data.n_features != 784:
                continue
            cfg = settings(parser.parse_args(extra), data)
            value = tuple(cfg["sizes"][1:-1]) if key == "hidden" else cfg[key]
            if key == "hidden" and extra:
                continue  # a CNN has no hidden sizes
            if key == "epochs" and label == "tables":
                assert shown[label].startswith("about 1,000 steps") and 20 <= value <= 300
                continue
            assert shown[label] == _show(key, value), (label, extra, shown[label], value)


def test_help_and_run_read_one_table(monkeypatch):
    """Change a default in the table the run reads: --help says the new value."""
    from nnscratch.cli import defaults
    monkeypatch.setitem(defaults.DEFAULTS, "xor", dict(defaults.DEFAULTS["xor"], lr=0.123))
    parser = next(a for a in build_parser()._actions if a.dest == "command").choices["train"]
    assert _help_values(parser, "--lr")[0]["xor"] == "0.123"


def _commands():
    return next(a for a in build_parser()._actions if a.dest == "command").choices


OPTION = r"(?<![\w-])--[a-z][a-z0-9-]*"
MENTION = r"\bnnscratch (train|evaluate|predict|plot|bench|export|info)\b([^`#\n()]*)"


def _options_of():
    return {name: {s for a in sub._actions for s in a.option_strings} for name, sub in _commands().items()}


def test_every_option_a_help_names_exists():
    known = _options_of()
    for name, sub in _commands().items():
        text = " ".join(sub.format_help().split())
        for other, rest in re.findall(MENTION, text):  # "(from `nnscratch train --history`)"
            for option in re.findall(OPTION, rest):
                assert option in known[other], f"`nnscratch {name} --help` names {other} {option}: no such option"
        for option in re.findall(OPTION, re.sub(MENTION, "", text)):
            assert option in known[name], f"`nnscratch {name} --help` names {option}, which it does not have"


def _script_options():
    """Options of the scripts in examples/ and benchmarks/, which the README also shows."""
    found = set()
    for folder in ("examples", "benchmarks"):
        for dirpath, _, files in os.walk(os.path.join(ROOT, folder)):
            for name in files:
                if name.endswith(".py"):
                    found |= set(re.findall(r"[\"'](--[a-z][a-z0-9-]*)[\"']", open(os.path.join(dirpath, name)).read()))
    return found


def test_every_option_the_readme_names_exists():
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    known = _options_of()
    for command, rest in re.findall(r"\bnnscratch (train|evaluate|predict|plot|bench|export|info)\b([^`#\n]*)", readme):
        for option in re.findall(OPTION, rest):
            assert option in known[command], f"README: `nnscratch {command} ... {option}`: no such option"
    everywhere = set().union(*known.values()) | {"--version", "--debug"} | _script_options()
    for span in re.findall(r"`([^`\n]+)`", readme):
        if span.split()[0] in ("pip", "python", "pytest", "mkdocs", "git", "mpiexec"):
            continue  # another program's options
        for option in re.findall(OPTION, span):
            assert option in everywhere, f"README names {option}, which no nnscratch command or script has"
