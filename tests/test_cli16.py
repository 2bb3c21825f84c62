"""Session 16's command-line fixes, found touring every subcommand with every kind of model: inputs far beyond
what a network learnt overflow its float32 arithmetic, and ``predict --json``/``evaluate --json`` then printed
``NaN`` (not JSON) and a class for it; ``--validation`` that holds out every row was said in the library's words."""

import numpy as np
import pytest

from nnscratch import cli

from test_fit15_cli import run, strict_json, write  # the command line's test helpers


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """A classifier, a multilabel model and a regression of two targets, trained on one 4-column table."""
    folder = tmp_path_factory.mktemp("models")
    rng = np.random.default_rng(0)
    X = np.round(rng.normal(size=(120, 4)), 3)
    species = np.array(["a", "b", "c"])[np.argmax(X[:, :3], axis=1)]
    features = ["f1", "f2", "f3", "f4"]
    tables = {
        "cls": (["species"], [[s] for s in species]),
        "ml": (["cat", "dog"], (X[:, :2] > 0).astype(int).tolist()),
        "reg": (["p", "q"], np.round(np.c_[100 + 30 * X[:, 0], 5 * X[:, 1]], 3).tolist()),
    }
    made = {}
    for name, (targets, values) in tables.items():
        table = write(folder / f"{name}.csv", features + targets, [[*x, *v] for x, v in zip(X.tolist(), values)])
        made[name] = str(folder / f"{name}.npz")
        assert cli.main(["train", "--dataset", f"csv:{table}", "--target", ",".join(targets), "--epochs", "3",
                         "--out", made[name], "--quiet"]) == 0
    return made


@pytest.fixture
def huge(tmp_path):
    """A row of float32 values (2e38 < 3.4e38) that overflows the network's float32 matmul into NaN, and one
    of the values it learnt."""
    return write(tmp_path / "huge.csv", ["f1", "f2", "f3", "f4"], [HUGE, [1, 1, 1, 1]])


HUGE = [2e38, 2e38, -2e38, 2e38]


def test_the_huge_row_overflows_each_model(models):
    """The premise of the tests below: the forward pass of each model turns the huge row into NaN."""
    import nnscratch as nn
    from nnscratch.saving.standardizer import standardize_for
    for path in models.values():
        net = nn.Network.load(path)
        with np.errstate(over="ignore", invalid="ignore"):
            out = net.backend.to_numpy(net.forward(standardize_for(net, np.array([HUGE]))))
        assert np.isnan(out).any(), path


# ---------------------------------------------------------------- predict

def test_predict_json_of_a_row_that_overflows_is_strict_json_with_no_class(capsys, models, huge):
    status, out, err = run(capsys, "predict", models["cls"], huge, "--json")
    assert status == 0
    first, second = (strict_json(line) for line in out.splitlines())
    assert (first["class"], first["name"], first["probability"]) == (None, None, None)  # NaN is no class
    assert second["name"] in ("a", "b", "c") and 0 < second["probability"] <= 1  # its neighbour is predicted
    assert "huge.csv[0]: the network's output is not a number" in first["warnings"][0]
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"warning: {huge}[0]: ") and "--dtype float64" in lines[0]
    assert "overflow encountered" not in err  # numpy's words, which name no row and no fix


def test_predict_text_says_the_row_that_overflows_has_no_class(capsys, models, huge):
    status, out, err = run(capsys, "predict", models["cls"], huge)
    assert status == 0
    assert out.splitlines()[0] == f"{huge}[0]: no class (the output is not a number)"
    assert "(probability" in out.splitlines()[1]
    status, out, err = run(capsys, "predict", models["cls"], huge, "--dtype", "float64")  # the fix it names
    assert status == 0 and "no class" not in out and not err


def test_predict_json_of_multilabel_and_regression_rows_that_overflow_is_strict(capsys, models, huge):
    status, out, err = run(capsys, "predict", models["ml"], huge, "--json")
    first, second = (strict_json(line) for line in out.splitlines())
    assert status == 0 and (first["labels"], first["classes"], first["names"]) == (None, None, None)
    assert len(first["probability"]) == 2 and None in first["probability"]
    assert second["labels"] in ([0, 0], [0, 1], [1, 0], [1, 1])
    assert run(capsys, "predict", models["ml"], huge)[1].splitlines()[0].endswith(
        ": no labels (the output is not a number)")
    status, out, err = run(capsys, "predict", models["reg"], huge, "--json")
    first, second = (strict_json(line) for line in out.splitlines())
    assert status == 0 and None in first["value"] and all(isinstance(v, float) for v in second["value"])
    assert "warning: " in err and "overflow encountered" not in err


# ---------------------------------------------------------------- evaluate

def test_evaluate_json_of_a_loss_that_overflows_is_null_and_said(capsys, models, tmp_path):
    table = write(tmp_path / "far.csv", ["f1", "f2", "f3", "f4", "species"],
                  [[*HUGE, "abc"[i % 3]] for i in range(60)])  # every row overflows
    status, out, err = run(capsys, "evaluate", models["cls"], "--dataset", f"csv:{table}", "--json")
    result = strict_json(out)
    assert status == 0 and result["loss"] is None and result["samples"] == 12
    said = [line for line in err.splitlines() if "not a number" in line]
    assert len(said) == 1 and "12 of the 12 rows of far.csv's test split" in said[0] and "--dtype float64" in said[0]
    assert said[0].removeprefix("warning: ") in result["warnings"]
    assert "overflow encountered" not in err
    status, out, err = run(capsys, "evaluate", models["cls"], "--dataset", f"csv:{table}")
    assert status == 0 and "loss nan" in out


def test_evaluate_says_a_huge_loss_in_figures_not_forty_digits(capsys):
    from nnscratch.cli.inspect import loss_text
    assert loss_text(0.12345) == "0.1235"
    assert loss_text(123.4) == "123.4000"
    assert loss_text(7.432e38) == "7.432e+38"
    assert loss_text(float("nan")) == "nan"


# ---------------------------------------------------------------- train --validation

def test_a_validation_share_that_holds_out_every_row_is_said_as_the_option(capsys, tmp_path):
    table = write(tmp_path / "tiny.csv", ["a", "b", "y"], [[i, i % 3, i % 2] for i in range(10)])
    status, out, err = run(capsys, "train", "--dataset", f"csv:{table}", "--validation", "0.9", "--no-save",
                           "--epochs", "1")
    assert status == 2 and not out
    line, = err.splitlines()
    assert line.startswith("error: --validation 0.9 holds out all 8 training rows of tiny.csv (rounded per class)")
    assert "--validation 0 " in line and "val_fraction" not in line
    values = write(tmp_path / "values.csv", ["a", "y"], [[i, i * 0.37] for i in range(10)])
    status, out, err = run(capsys, "train", "--dataset", f"csv:{values}", "--validation", "0.95", "--no-save",
                           "--epochs", "1")
    assert status == 2 and "--validation 0.95 holds out all 8 training rows of values.csv," in err


# ---------------------------------------------------------------- the data set given as an argument

def test_a_data_set_given_as_an_argument_names_the_dataset_option(capsys, models, tmp_path):
    table = write(tmp_path / "my rows.csv", ["f1", "f2", "f3", "f4", "species"], [[1, 2, 3, 4, "a"]])
    cases = [(("train", "spirals"), "; did you mean --dataset spirals?"),
             (("train", "Moons", "--epochs", "1"), "; did you mean --dataset moons?"),
             (("train", table), f"; did you mean --dataset '{table}'?"),  # a name with a space, as typed
             (("evaluate", models["cls"], table), f"; did you mean --dataset '{table}'?"),
             (("plot", models["cls"], "npy:X.npy,y.npy"), "; did you mean --dataset npy:X.npy,y.npy?")]
    for argv, hint in cases:
        status, out, err = run(capsys, *argv)
        assert status == 2 and not out, argv
        line, = err.splitlines()
        assert line.startswith("error: unrecognized arguments: ") and hint in line, line
    for argv in (("train", "foo"), ("evaluate", models["cls"], models["ml"]),  # a model twice is no data set
                 ("info", table), ("bench", "spirals")):  # no --dataset, or none of those names
        status, out, err = run(capsys, *argv)
        assert status == 2 and "--dataset" not in err, argv
    status, out, err = run(capsys, "train", "foo", "--bs", "3")  # an option after it is still answered
    assert status == 2 and "did you mean --batch-size?" in err


def test_evaluate_json_of_a_regression_whose_outputs_overflow_to_infinity_is_strict(capsys, tmp_path):
    """A linear model (--layers dense1) of y = 1000 x, scored on x near 1e38: its outputs overflow float32 to
    infinity (not NaN), and loss, RMSE and MAE were written ``Infinity``, which is not JSON."""
    table = write(tmp_path / "line.csv", ["x", "y"], [[i / 10, 100 * i + 0.5 * (i % 3)] for i in range(100)])
    far = write(tmp_path / "far.csv", ["x", "y"], [[1e36 * (1 + i), 1e30] for i in range(100)])
    assert run(capsys, "train", "--dataset", f"csv:{table}", "--layers", "dense1", "--out", "line.npz",
               "--epochs", "5", "--quiet")[0] == 0
    status, out, err = run(capsys, "evaluate", "line.npz", "--dataset", f"csv:{far}", "--json")
    result = strict_json(out)
    assert status == 0 and result["samples"] == 20
    assert result["loss"] is None and result["rmse"] is None and result["mae"] is None


# ---------------------------------------------------------------- --resume of a table changed since

def test_resume_of_a_table_file_changed_since_the_checkpoint_is_refused(capsys, tmp_path):
    """Rows appended to the table (or a class renamed) since the checkpoint's run: the weights were learnt on
    the old scaling and classes, and the new split tests on rows they trained on. Resuming went on silently."""
    rng = np.random.default_rng(2)
    X = np.round(rng.normal(size=(80, 3)), 3)
    rows = [[*x, "yes" if x[0] + x[1] > 0 else "no"] for x in X.tolist()]
    table = write(tmp_path / "t.csv", ["a", "b", "c", "label"], rows)
    train = ("train", "--dataset", f"csv:{table}", "--checkpoint", "t.ckpt", "--no-save", "--quiet")
    assert run(capsys, *train, "--epochs", "2")[0] == 0
    assert run(capsys, *train, "--epochs", "3", "--resume")[0] == 0  # the same table goes on
    write(table, ["a", "b", "c", "label"], rows + [[5.0, 5.0, 5.0, "yes"]] * 20)  # rows added
    status, out, err = run(capsys, *train, "--epochs", "4", "--resume")
    assert status == 2 and not out
    line, = [line for line in err.splitlines() if line.startswith("error:")]
    assert line.startswith("error: --resume t.ckpt: t.csv has changed since the checkpoint's run read it (the means")
    assert "start a new run without --resume" in line
    write(table, ["a", "b", "c", "label"], [[*r[:3], "maybe" if r[3] == "no" else r[3]] for r in rows])  # renamed
    status, out, err = run(capsys, *train, "--epochs", "4", "--resume")
    assert status == 2 and "(its classes were no, yes and are maybe, yes now)" in err
    write(table, ["a", "b", "c", "d", "label"], [[*r[:3], i % 5, r[3]] for i, r in enumerate(rows)])  # a column more
    status, out, err = run(capsys, *train, "--epochs", "4", "--resume")  # said so, not "the same --layers"
    assert status == 2 and "(its feature columns were a, b, c and are a, b, c, d now)" in err and "--layers" not in err
    write(table, ["a", "b", "c", "label"], rows)  # as it was: resumes
    assert run(capsys, *train, "--epochs", "4", "--resume")[0] == 0


# ---------------------------------------------------------------- another test split of generated data

def test_evaluate_and_plot_of_generated_data_on_another_split_say_it_holds_trained_rows(capsys):
    """moons draws its test split as a table does: --test-fraction 0.5 on a model trained beside 0.2 scored 374
    rows it trained on without a word (a table's said so); another --seed draws other points, none trained on."""
    assert run(capsys, "train", "--dataset", "moons", "--epochs", "1", "--out", "moons.npz", "--quiet")[0] == 0
    status, out, err = run(capsys, "evaluate", "moons.npz", "--test-fraction", "0.5", "--json")
    result = strict_json(out)
    assert status == 0 and result["samples"] == 624
    warning, = [line for line in err.splitlines() if line.startswith("warning: this test split")]
    assert ("(seed 0, test fraction 0.5) is not the one moons.npz was trained beside (seed 0, test fraction 0.2): "
            "374 of its 624 rows are rows the model trained on") in warning
    assert "--seed 0 --test-fraction 0.2" in warning and result["warnings"] == [warning.removeprefix("warning: ")]
    status, out, err = run(capsys, "evaluate", "moons.npz", "--seed", "3")  # other points: nothing to say
    assert status == 0 and "this test split" not in err
    status, out, err = run(capsys, "plot", "moons.npz", "--what", "confusion", "--test-fraction", "0.5",
                           "--out", "confusion.png")
    assert status == 0 and "374 of its 624 rows are rows the model trained on" in err
    status, out, err = run(capsys, "evaluate", "moons.npz")  # its own split
    assert status == 0 and not err


# ---------------------------------------------------------------- compressed files and workbooks

def test_a_compressed_table_or_a_workbook_is_said_as_such_with_the_command_that_makes_a_csv(capsys, models,
                                                                                                tmp_path):
    """train.csv.zip (as Kaggle serves it), data.csv.gz, gzip inside a .csv name, an .xlsx: the readers said
    "Unknown dataset", "not a text CSV (... not UTF-8 text)" or "unknown input type .gz"."""
    import gzip
    import zipfile
    table = write(tmp_path / "rows.csv", ["f1", "f2", "f3", "f4", "species"], [[1, 2, 3, 4, "a"]] * 10)
    data = open(table, "rb").read()
    (tmp_path / "rows.csv.gz").write_bytes(gzip.compress(data))
    (tmp_path / "hidden.csv").write_bytes(gzip.compress(data))
    with zipfile.ZipFile(tmp_path / "train.csv.zip", "w") as z:
        z.writestr("train.csv", data)
    with zipfile.ZipFile(tmp_path / "book.xlsx", "w") as z:  # a workbook is a zip of XML parts
        z.writestr("xl/workbook.xml", "<workbook/>")
    gz, hidden, zipped, book = (str(tmp_path / n) for n in ("rows.csv.gz", "hidden.csv", "train.csv.zip", "book.xlsx"))
    cases = [(("train", "--dataset", gz, "--no-save"),
              f"error: --dataset {gz}: {gz} is compressed (gzip), and nnscratch reads plain CSV text, .npz/.npy "
              f"arrays; decompress it first (gunzip -k {gz}) and pass --dataset {gz[:-3]}."),
             (("train", "--dataset", f"csv:{zipped}", "--no-save"),
              f"(unzip {zipped}) and pass --dataset csv:{zipped[:-4]}."),
             (("evaluate", models["cls"], "--dataset", f"csv:{hidden}"),
              f"(gzip -dc {hidden} > {hidden[:-4]}-plain.csv) and pass --dataset csv:{hidden[:-4]}-plain.csv."),
             (("plot", models["cls"], "--what", "confusion", "--dataset", book),
              f"error: --dataset {book}: {book} is a spreadsheet workbook, and nnscratch reads CSV text; save the "
              "sheet as CSV"),
             (("predict", models["cls"], gz),
              f"error: {gz} is compressed (gzip), and nnscratch reads plain CSV text, .npz/.npy arrays and images; "
              f"decompress it first (gunzip -k {gz}) and pass {gz[:-3]}.")]
    for argv, said in cases:
        status, out, err = run(capsys, *argv)
        assert status == 2 and not out, argv
        line, = err.splitlines()
        assert said in line, line
    status, out, err = run(capsys, "predict", models["cls"], zipped, table)  # the next input is still predicted
    assert status == 2 and out.count(f"{table}[") == 10 and f"error: {zipped} is compressed (zip)" in err


# ---------------------------------------------------------------- bench --dataset of a regression table

def test_bench_of_a_regression_table_is_refused_before_timing_in_its_words(capsys, tmp_path):
    """bench trains a classifier; a table of values failed after "timing nnscratch numpy ..." in the loss's words
    ("binary_cross_entropy loss needs probabilities ... use loss='mse'", an option bench does not have)."""
    rows = [[(i * 37) % 60, i % 7, 100 + 3.7 * i] for i in range(60)]  # no column of row numbers: no warning
    table = write(tmp_path / "prices.csv", ["a", "b", "price"], rows)
    status, out, err = run(capsys, "bench", "--dataset", f"csv:{table}", "--epochs", "1", "--warmup", "0",
                           "--batch-sizes", "32")
    assert status == 2 and not out
    line, = err.splitlines()
    assert line == (f"error: --dataset csv:{table}: bench times a classifier (a softmax over one class per sample, "
                    "trained by cross-entropy), and prices.csv is a regression (its target holds values); time a "
                    "table of classes, or --dataset synthetic, mnist-sample, mnist, fashion-mnist, spirals, moons or "
                    "blobs.")


# ---------------------------------------------------------------- --batch-size against the rows an epoch trains on

def test_a_batch_larger_than_the_samples_but_not_their_distorted_copies_is_not_called_one_step(capsys, tmp_path):
    """With --augment 2 an epoch trains on each sample and 2 copies: 48 training digits are 144 rows, 3 steps of
    --batch-size 50, which the warning called "one step over all of them"."""
    from nnscratch.datasets import load_mnist_sample
    digits = load_mnist_sample()
    X, y = (np.round(digits.X_train[:60] * 255).astype(int), digits.y_train[:60])
    table = write(tmp_path / "digits.csv", ["label", *(f"pixel{i}" for i in range(784))],
                  [[int(label), *row] for label, row in zip(y, X.tolist())])
    train = ("train", "--dataset", f"csv:{table}", "--layers", "784,8,10", "--epochs", "1", "--validation", "0",
             "--no-save", "--augment", "2")
    status, out, err = run(capsys, *train, "--batch-size", "50")
    assert status == 0 and "--batch-size 50 is more than" not in err
    status, out, err = run(capsys, *train, "--batch-size", "200")
    import re
    n = int(re.search(r"^training 784-8-10 on \S+ \((\d+) samples \+ 2 distorted copies", out, re.M).group(1))
    assert status == 0 and (f"warning: --batch-size 200 is more than the {3 * n} rows an epoch trains on ({n} "
                            "samples and 2 distorted copies of each): every epoch is one step over all of them") in err


# ---------------------------------------------------------------- evaluate of a table changed since training

def test_evaluate_and_plot_of_a_models_own_table_changed_since_say_so(capsys, tmp_path):
    """Rows appended to the model's CSV since training: the split drawn now is another one, which may hold rows
    the model trained on; evaluate scored it without a word."""
    rng = np.random.default_rng(3)
    X = np.round(rng.normal(size=(100, 3)), 3)
    rows = [[*x, round(10 * x[0] - 5 * x[1] + 0.1 * x[2], 3)] for x in X.tolist()]
    table = write(tmp_path / "values.csv", ["a", "b", "c", "y"], rows)
    assert run(capsys, "train", "--dataset", f"csv:{table}", "--epochs", "3", "--out", "m.npz", "--quiet")[0] == 0
    status, out, err = run(capsys, "evaluate", "m.npz")
    assert status == 0 and not err  # as it was trained beside
    write(table, ["a", "b", "c", "y"], rows + [[0.5 * i, 1.0, -1.0, 5.0 * i] for i in range(10)])
    status, out, err = run(capsys, "evaluate", "m.npz", "--json")
    said = ("values.csv has changed since m.npz was trained on it (the means and standard deviations of its feature "
            "columns on the training split differ: rows added, removed or edited), so this test split is not the one "
            "it was trained beside")
    assert status == 0 and err.startswith(f"warning: {said}") and strict_json(out)["warnings"][0].startswith(said)
    status, out, err = run(capsys, "evaluate", "m.npz", "--dataset", f"csv:{table}")  # named: the same file
    assert status == 0 and said in err
    status, out, err = run(capsys, "plot", "m.npz", "--what", "all", "--out", "pictures")  # reads its data too
    assert status == 0 and said in err


# ---------------------------------------------------------------- evaluate of a model that remembers no data

def test_evaluate_of_a_model_saved_without_its_data_asks_for_dataset_as_plot_does(capsys):
    """A model saved by Network.save of one's own (no data set in its metadata) defaulted to mnist-sample, and a
    2-input one was told 'expects 2 inputs but mnist-sample has 784 features; use the dataset the model was
    trained on', naming a data set the user never gave."""
    import nnscratch as nn
    nn.Network.from_sizes(2, 8, 2, seed=0).save("mine.npz")
    status, out, err = run(capsys, "evaluate", "mine.npz")
    assert status == 2 and not out
    assert err.strip() == ("error: mine.npz does not remember the data it was trained on, and takes 2 inputs, not the "
                           "784 of the default mnist-sample: name its data with --dataset (xor, spirals, moons, blobs, "
                           "csv:PATH ...).")
    status, out, err = run(capsys, "evaluate", "mine.npz", "--dataset", "moons", "--json")
    assert status == 0 and strict_json(out)["samples"] == 250
    nn.Network.from_sizes(784, 8, 10, seed=0).save("digits.npz")  # a digit model: the default fits it
    assert run(capsys, "evaluate", "digits.npz", "--json")[0] == 0


def test_a_plateau_of_one_epoch_is_said_in_the_singular(capsys, tmp_path):
    table = write(tmp_path / "t.csv", ["a", "b", "y"], [[(i * 7) % 40, i % 5, i % 2] for i in range(40)])
    status, out, err = run(capsys, "train", "--dataset", f"csv:{table}", "--plateau", "1", "--epochs", "1", "--no-save")
    assert status == 0 and "  learning rate halved after 1 epoch without a lower val_loss\n" in out
    status, out, err = run(capsys, "train", "--dataset", f"csv:{table}", "--plateau", "2", "--epochs", "1", "--no-save")
    assert status == 0 and "  learning rate halved after 2 epochs without a lower val_loss\n" in out


def test_resume_of_the_same_table_at_another_path_goes_on_and_says_so(capsys, tmp_path):
    """A job that stages its data at a path of its own (a scratch folder per job) could not resume: the checkpoint
    kept the first job's path, and another path was 'another dataset', though the file held the same table."""
    rng = np.random.default_rng(4)
    X = np.round(rng.normal(size=(60, 2)), 3)
    rows = [[*x, "yes" if x[0] > 0 else "no"] for x in X.tolist()]
    (tmp_path / "job1").mkdir()
    (tmp_path / "job2").mkdir()
    first = write(tmp_path / "job1" / "t.csv", ["a", "b", "label"], rows)
    second = write(tmp_path / "job2" / "t.csv", ["a", "b", "label"], rows)
    train = ("train", "--checkpoint", "run.ckpt", "--no-save", "--quiet")
    assert run(capsys, *train, "--dataset", f"csv:{first}", "--epochs", "2")[0] == 0
    status, out, err = run(capsys, *train, "--dataset", f"csv:{second}", "--epochs", "3", "--resume")
    assert status == 0, err
    assert (f"warning: --resume run.ckpt: its run read csv:{first}, and this one reads csv:{second}, the same table "
            "(its columns, their figures and its classes agree): the run goes on with it") in err
    other = write(tmp_path / "job2" / "u.csv", ["a", "b", "label"], rows[:40])  # another table at another path
    status, out, err = run(capsys, *train, "--dataset", f"csv:{other}", "--epochs", "4", "--resume")
    assert status == 2 and f"resume with that run's options (--dataset csv:{second})" in err


# ---------------------------------------------------------------- an output file asked of predict and evaluate

@pytest.mark.parametrize("command, option, said", [
    (("predict", "m.npz", "rows.csv"), ("--out", "preds.csv"), "predict prints each row's prediction on stdout: send "
     "them to a file with the shell, `nnscratch predict MODEL INPUT > predictions.txt` (--json: one JSON line per row)"),
    (("predict", "m.npz", "rows.csv"), ("-o", "preds.csv"), "`nnscratch predict MODEL INPUT > predictions.txt`"),
    (("predict", "m.npz", "rows.csv"), ("--output=preds.csv",), "`nnscratch predict MODEL INPUT > predictions.txt`"),
    (("evaluate", "m.npz"), ("--out", "scores.txt"), "evaluate prints its scores on stdout: send them to a file with "
     "the shell, `nnscratch evaluate MODEL > scores.txt` (--json: one JSON line)")])
def test_an_output_file_asked_of_predict_or_evaluate_is_answered_with_the_shells_redirection(capsys, command, option,
                                                                                              said):
    """They print; --out was answered "--out is an option of `nnscratch train` and `nnscratch plot`", which
    writes no predictions or scores."""
    status, out, err = run(capsys, *command, *option)
    assert status == 2 and not out
    line, = err.splitlines()
    assert line.startswith("error: unrecognized arguments: ") and said in line and "nnscratch train" not in line
