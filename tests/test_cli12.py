"""The command line by option matrix: every option given an empty value, resume with changed options,
the JSON of every command, and bench's counts checked as themselves (each test fails on main)."""

import json
import pathlib

import numpy as np
import pytest

from test_cli_messages import one_line, run  # noqa: E402  (the command line's one-error-line checks)

TINY = ["--epochs", "1", "--backend", "numpy", "--quiet"]


def _table(path, rows=60):
    """A small CSV of two classes: features a, b, c and the target 'label'."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(rows, 3))
    lines = ["a,b,c,label"] + [",".join(f"{v:.4f}" for v in x) + f",{int(x[0] + x[1] > 0)}" for x in X]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def table_model(tmp_path, capsys):
    data = _table(tmp_path / "t.csv")
    status, _, err = run(capsys, "train", "--dataset", f"csv:{data}", *TINY, "--out", tmp_path / "t.npz")
    assert status == 0, err
    return tmp_path / "t.npz", data


# ---------------------------------------------------------------- an empty value is refused, never the default

@pytest.mark.parametrize("argv, option", [
    (["train", "--out", ""], "--out"), (["train", "--history", ""], "--history"),
    (["train", "--checkpoint", ""], "--checkpoint"), (["train", "--resume", ""], "--resume"),
    (["train", "--plot", " "], "--plot"), (["train", "--live", ""], "--live"), (["train", "--layers", ""], "--layers"),
    (["train", "--data-dir", ""], "--data-dir"), (["train", "--dataset", ""], "--dataset"),
    (["train", "--backend", ""], "--backend"), (["evaluate", ""], "model"), (["plot", ""], "path"),
    (["plot", "m.npz", "--out", ""], "--out"), (["export", "m.npz", ""], "output"), (["predict", "m.npz", ""], "INPUT"),
    (["predict", "m.npz", "x.csv", "--classes", ""], "--classes"), (["bench", "--batch-sizes", ""], "--batch-sizes"),
    (["bench", "--layers", ""], "--layers"), (["bench", "--json", ""], "--json"), (["bench", "--plot", ""], "--plot"),
])
def test_an_empty_value_is_refused_not_read_as_the_option_left_out(argv, option, capsys):
    """`train --out "$OUT"` with $OUT unset saved to model.npz, `--history ''` wrote no history, `bench
    --batch-sizes ''` timed the default sizes, `evaluate ''` called the current folder a model: in silence."""
    tiny = {"train": ["--dataset", "xor", "--epochs", "1"], "bench": ["--samples", "32", "--features", "2", "--epochs",
                                                                     "1", "--warmup", "0", "--batch-sizes", "16",
                                                                     "--layers", "2"]}.get(argv[0], [])
    one_line(*run(capsys, argv[0], *tiny, *argv[1:])[::2], f"argument {option}: expected a", "received '",
             "an empty value")
    assert not list(pathlib.Path().iterdir())  # nothing written where the command ran


# ---------------------------------------------------------------- --json: the same key for the same thing

def _said(err):
    return [line.removeprefix("warning: ") for line in err.strip().splitlines() if line.startswith("warning: ")]


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_evaluate_and_predict_json_list_their_warnings_under_trains_key(tmp_path, capsys, task):
    """train --json gave its warnings as "warnings": [...]; evaluate and predict gave theirs as "warning": "..."
    only, so one reader could not read both."""
    data = _table(tmp_path / "t.csv")
    model = tmp_path / "t.npz"
    assert run(capsys, "train", "--dataset", f"csv:{data}", "--task", task, *TINY, "--out", model)[0] == 0
    status, out, err = run(capsys, "evaluate", model, "--test-fraction", "0.5", "--json")  # rows it trained on
    result = json.loads(out)
    assert status == 0 and result["warnings"] == _said(err) and "trained on" in result["warnings"][0]
    assert result["warning"] == result["warnings"][0]  # the key evaluate gave before, kept for its readers


def test_predict_json_lists_its_warning_under_trains_key(tmp_path, capsys):
    Image = pytest.importorskip("PIL.Image")
    Image.new("L", (40, 60), 255).save("blank.png")
    assert run(capsys, "train", "--layers", "784,8,10", *TINY, "--augment", "0", "--out", tmp_path / "d.npz")[0] == 0
    status, out, err = run(capsys, "predict", tmp_path / "d.npz", "blank.png", "--json")
    assert status == 0 and json.loads(out)["warnings"] == _said(err) and "blank" in _said(err)[0]
    status, out, err = run(capsys, "predict", tmp_path / "d.npz", "blank.png", "--json", "--classes", "fashion-mnist")
    assert status == 0 and json.loads(out)["warnings"] == _said(err) and len(_said(err)) == 2  # --classes' own too


# ---------------------------------------------------------------- --resume with other options: refused or said

def _checkpoint(capsys, data, path, *extra):
    argv = ["train", "--dataset", f"csv:{data}", "--epochs", "1", "--backend", "numpy", "--quiet", "--no-save"]
    status, _, err = run(capsys, *argv, "--checkpoint", path, *extra)
    assert status == 0, err
    return argv[:-4]  # the same command less its --epochs 1 --quiet --no-save ... to resume with


def test_resume_with_another_activation_names_the_layers_that_differ(tmp_path, capsys):
    """The refusal read 'holds a 3-64-64-2 network ..., and this command builds 3-64-64-2': the same words."""
    argv = _checkpoint(capsys, _table(tmp_path / "t.csv"), tmp_path / "c.npz")
    line = one_line(*run(capsys, *argv, "--epochs", "2", "--resume", tmp_path / "c.npz", "--no-save",
                         "--activation", "tanh")[::2], "dense64,relu,dense64,relu,dense2,softmax",
                    "builds dense64,tanh,dense64,tanh,dense2,softmax", "--activation")
    assert "3-64-64-2" not in line


@pytest.mark.parametrize("option, before, after", [
    (["--dtype", "float64"], "--dtype float32", "--dtype float64"),
    (["--validation", "0.3"], "--validation 0.1", "--validation 0.3"),
    (["--augment", "1"], "--augment 0", "--augment 1"), (["--plateau", "2"], "no --plateau", "--plateau 2"),
])
def test_resume_with_other_data_options_or_dtype_says_so(tmp_path, capsys, option, before, after):
    """--dtype, --validation (which rows train), --augment and --plateau were honoured on --resume in silence,
    while --lr, --batch-size and the other training options were said."""
    from test_cli_messages import tiny_digits_csv
    digits = option[0] == "--augment"  # distorted copies need 28x28 images
    data = tiny_digits_csv(tmp_path / "d.csv", rows=30) if digits else _table(tmp_path / "t.csv")
    layers = ["--layers", "784,4,10" if digits else "3,4,2"]
    argv = _checkpoint(capsys, data, tmp_path / "c.npz", *layers)
    status, _, err = run(capsys, *argv, "--epochs", "2", "--resume", tmp_path / "c.npz", "--no-save", "--quiet",
                         *option, *layers)
    said = [w for w in _said(err) if w.startswith("--resume")]
    assert status == 0 and len(said) == 1 and f"{after} differs" in said[0] and f"({before})" in said[0], err
    status, _, err = run(capsys, *argv, "--epochs", "3", "--resume", tmp_path / "c.npz", "--no-save", "--quiet",
                         *option, *layers)
    assert status == 0 and not [w for w in _said(err) if w.startswith("--resume")]  # now the checkpoint's own


# ---------------------------------------------------------------- bench --json

def test_bench_json_alone_prints_the_timings_on_stdout_and_nothing_else(capsys):
    """`bench --json` alone was 'argument --json: expected one argument', where every other command's --json
    prints its result on stdout."""
    tiny = ["--samples", "32", "--features", "2", "--batch-sizes", "16", "--layers", "2", "--epochs", "1",
            "--warmup", "0"]
    status, out, err = run(capsys, "bench", *tiny, "--json")
    result = json.loads(out)  # stdout is the one JSON line alone
    assert status == 0 and len(out.strip().splitlines()) == 1 and result["sizes"] == [2, 2, 10]
    assert "| nnscratch numpy |" in err and not list(pathlib.Path().iterdir())  # the table on stderr; no file


# ---------------------------------------------------------------- predict's inputs

def test_predict_refuses_complex_inputs_rather_than_dropping_their_imaginary_parts(table_model, tmp_path, capsys):
    """A complex .npy was predicted on its real parts, with NumPy's 'Casting complex values to real discards
    the imaginary part' as the only word; training on complex features is refused by the data reader."""
    model, _ = table_model
    np.save(tmp_path / "z.npy", np.ones((2, 3)) + 1j)
    status, out, err = run(capsys, "predict", model, tmp_path / "z.npy")
    one_line(status, err, "z.npy: holds complex128 values", "real numbers", "X.real")
    assert out == ""


# ---------------------------------------------------------------- plot

def test_plot_to_an_mp4_without_ffmpeg_is_refused_before_drawing_in_the_options_words(tmp_path, capsys, monkeypatch):
    """plot --out acts.mp4 drew the animation, then ended in 'error: RuntimeError: writing an MP4 needs the ffmpeg
    program ... (run with --debug for the traceback)'; train --live run.mp4 was refused before training."""
    pytest.importorskip("matplotlib")
    from nnscratch import Network
    from nnscratch.viz import _anim
    monkeypatch.setattr(_anim, "can_write_mp4", lambda: False)
    Network.from_sizes(784, 4, 10, seed=0).save(tmp_path / "m.npz")
    line = one_line(*run(capsys, "plot", tmp_path / "m.npz", "--what", "activations", "--out", "acts.mp4")[::2],
                    "--out acts.mp4: writing an MP4 needs the ffmpeg program", "--out acts.gif")
    assert "RuntimeError" not in line and not list(pathlib.Path().iterdir())


# ---------------------------------------------------------------- evaluate a model on another table

def _values_table(path, rows=60):
    """The features of :func:`_table` with a target of fractional values, 'price'."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(rows, 3))
    lines = ["a,b,c,price"] + [",".join(f"{v:.4f}" for v in x) + f",{x @ [1.0, 2.0, -1.0]:.4f}" for x in X]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("command", [["evaluate"], ["plot", "--what", "confusion", "--out", "c.png"]])
def test_a_classifier_on_a_target_of_values_is_not_told_to_use_task_regression(table_model, tmp_path, capsys,
                                                                                 command):
    """evaluate said 'use --task regression', and with it 'evaluate it with --task classification': each
    error's fix was the other error."""
    model, _ = table_model
    other = _values_table(tmp_path / "v.csv")
    line = one_line(*run(capsys, command[0], model, *command[1:], "--dataset", f"csv:{other}", "--target",
                         "price")[::2], "'price' (the target) has 60 distinct fractional values",
                    "t.npz is a classifier (2 classes)", "--target NAME|INDEX")
    assert "--task regression" not in line


def test_a_regression_model_on_another_target_says_so(tmp_path, capsys):
    """A model trained to predict 'price' was scored against another table's 'label' without a word."""
    values, model = _values_table(tmp_path / "v.csv"), tmp_path / "v.npz"
    assert run(capsys, "train", "--dataset", f"csv:{values}", *TINY, "--out", model)[0] == 0
    status, out, err = run(capsys, "evaluate", model, "--dataset", f"csv:{_table(tmp_path / 't.csv')}", "--target",
                           "label", "--json")
    assert status == 0 and "it predicts 'price', and these data's target is 'label'" in json.loads(out)["warnings"][0]
    assert _said(err) == json.loads(out)["warnings"]


# ---------------------------------------------------------------- --help says what the run does

def test_help_says_a_tables_default_epochs_count_steps_of_the_default_batch(tmp_path, capsys):
    """--help said 'about 1,000 steps' on tables; with --batch-size 8 the run took the same 200 epochs, 4,000
    steps: the epochs are counted for batches of 32 rows, whatever --batch-size says."""
    from nnscratch.cli.defaults import TABLE_DEFAULTS, default_text
    assert f"about 1,000 steps of {TABLE_DEFAULTS['batch_size']} rows" in default_text("epochs")
    data = _table(tmp_path / "t.csv", rows=200)
    epochs = []
    for batch in ("32", "8"):
        status, out, _ = run(capsys, "train", "--dataset", f"csv:{data}", "--batch-size", batch, "--no-save",
                             "--json", "--backend", "numpy", "--validation", "0", "--lr", "0.5")
        epochs.append(json.loads(out)["epochs"])
    assert epochs[0] == epochs[1] == 1000 // (160 // 32)


# ---------------------------------------------------------------- --test-fraction of the generated sets

@pytest.mark.parametrize("command", [["train", "--dataset", "spirals", *TINY, "--no-save"], ["evaluate"]])
@pytest.mark.parametrize("fraction, said", [("0.0001", "holds none out as its test split; raise it"),
                                            ("0.9999", "leaves none of the rows of spirals for training; lower it")])
def test_a_test_fraction_that_empties_a_split_of_generated_data_is_one_line_in_its_words(
        tmp_path, capsys, command, fraction, said):
    """spirals --test-fraction 0.0001 warned of 'val_fraction=0.0001' and ended in 'ValueError: zero-size array
    to reduction operation maximum'; 0.9999 said 'val_fraction=0.9999 ... use a smaller val_fraction'."""
    if command == ["evaluate"]:
        model = tmp_path / "s.npz"
        assert run(capsys, "train", "--dataset", "spirals", *TINY, "--out", model)[0] == 0
        command = ["evaluate", model]
    line = one_line(*run(capsys, *command, "--test-fraction", fraction)[::2], f"--test-fraction {fraction}", said)
    assert "val_fraction" not in line and "ValueError" not in line


def test_a_diverged_run_is_said_in_the_options_words(capsys):
    """It said 'Try a smaller learning rate (e.g. lr=100000 instead of 1e+06) ... The model keeps the last finite
    weights': Python's words, and the command line had saved no model."""
    line = one_line(*run(capsys, "train", "--dataset", "spirals", *TINY, "--optimizer", "sgd", "--lr", "1e6")[::2],
                    "Training diverged in epoch 1 of 1", "no model was saved", "--lr 100000 instead of 1e+06",
                    "--clip-norm")
    assert "lr=" not in line and not list(pathlib.Path().iterdir())


def test_train_names_a_mistyped_backend_environment_variable_as_evaluate_does(capsys, monkeypatch):
    """evaluate said '$NNSCRATCH_BACKEND=foo: ... unset it, or pass --backend'; train said 'Unknown backend
    'foo'' alone, though no --backend foo was typed."""
    monkeypatch.setenv("NNSCRATCH_BACKEND", "foo")
    one_line(*run(capsys, "train", "--dataset", "xor", "--epochs", "1", "--no-save")[::2], "$NNSCRATCH_BACKEND=foo",
             "unset it, or pass --backend")


@pytest.mark.parametrize("dataset", ["table", "spirals"])
def test_resume_with_another_seed_of_data_that_draw_their_test_split_is_refused(tmp_path, capsys, dataset):
    """--test-fraction was refused on --resume (another split, whose test rows the weights trained on), --seed
    only said: the resumed table run then scored 100% on rows it had trained on; spirals are drawn by it whole."""
    spec = f"csv:{_table(tmp_path / 't.csv')}" if dataset == "table" else "spirals"
    argv = ["train", "--dataset", spec, "--backend", "numpy", "--quiet", "--no-save"]
    assert run(capsys, *argv, "--epochs", "1", "--checkpoint", tmp_path / "c.npz")[0] == 0
    one_line(*run(capsys, *argv, "--epochs", "2", "--resume", tmp_path / "c.npz", "--seed", "5")[::2],
             "with --seed 0, and this command with --seed 5", "(--seed 0)")
    assert run(capsys, *argv, "--epochs", "2", "--resume", tmp_path / "c.npz", "--seed", "0")[0] == 0


def test_info_json_is_one_line_that_says_what_its_text_says(capsys):
    """info was the one command of train, evaluate, predict, bench and info without a --json."""
    status, out, err = run(capsys, "info", "--json")
    facts = json.loads(out)
    assert status == 0 and len(out.strip().splitlines()) == 1 and err == ""
    status, text, _ = run(capsys, "info")
    for backend in facts["backends"]:
        assert f"  {backend['name']:<17}{'usable' if backend['usable'] else ''}" in text
    assert f"default backend: {facts['default_backend']}" in text
    assert all(f"  {name:<17}{where['said']}" in text for name, where in facts["datasets"].items())


def test_resume_alone_with_no_checkpoint_yet_says_a_new_run_starts(tmp_path, capsys):
    """`--checkpoint run.ckp --resume` (a typo of run.ckpt, say) started from scratch without a word."""
    argv = ["train", "--dataset", "xor", "--epochs", "1", "--no-save", "--backend", "numpy", "--checkpoint",
            tmp_path / "run.ckp", "--resume"]
    status, out, _ = run(capsys, *argv)
    assert status == 0 and f"no checkpoint at {tmp_path / 'run.ckp'} yet: a new run starts" in out
    status, out, _ = run(capsys, *argv[:4], "2", *argv[5:])
    assert status == 0 and "resuming from epoch 2 of 2" in out and "no checkpoint" not in out


def test_classes_takes_the_shipped_sample_and_says_what_a_data_set_without_names_is(capsys):
    """--classes mnist-sample (the default data set) was 'Unknown --classes dataset', and --classes moons
    answered 'Did you mean 'mnist'?'."""
    assert run(capsys, "train", "--layers", "784,4,10", *TINY, "--augment", "0", "--out", "d.npz")[0] == 0
    np.save("x.npy", np.zeros((1, 784), np.float32))
    status, out, err = run(capsys, "predict", "d.npz", "x.npy", "--classes", "mnist-sample")
    assert status == 0 and err == "" and out.startswith("x.npy: ")
    line = one_line(*run(capsys, "predict", "d.npz", "x.npy", "--classes", "moons")[::2], "moons gives no class names",
                    "mnist-sample or fashion-mnist")
    assert "Did you mean" not in line


# ---------------------------------------------------------------- exit status: 2 for a mistake, 1 for a crash

def test_a_crash_exits_with_status_1_and_a_mistake_with_2(capsys, monkeypatch):
    """Every error ended with status 2, a bug's bare ValueError as a mistyped option; a script could not tell
    'fix your command' from 'report this'."""
    from nnscratch.cli import recipe

    def broken(*args, **kwargs):
        raise ValueError("zero-size array to reduction operation maximum which has no identity")
    monkeypatch.setattr(recipe, "settings", broken)
    status, out, err = run(capsys, "train", "--dataset", "xor", "--epochs", "1", "--no-save")
    assert status == 1 and out == "" and err.strip().splitlines() == [
        "error: ValueError: zero-size array to reduction operation maximum which has no identity (run with --debug "
        "for the traceback)"]
    assert run(capsys, "train", "--epochs", "0")[0] == 2
    assert run(capsys, "evaluate", "missing.npz")[0] == 2


@pytest.mark.parametrize("layers, fix", [("3 8 2", "sizes are separated by commas: --layers 3,8,2."),
                                         ("dense8 relu dense2", "layers are separated by commas: --layers "
                                                                "dense8,relu,dense2.")])
def test_layers_separated_by_spaces_are_told_to_take_commas(layers, fix, capsys):
    """--layers '3 8 2' said "unknown layer '3 8 2'" and listed every layer token; 3-8-2 already said this."""
    one_line(*run(capsys, "train", "--dataset", "xor", "--layers", layers, "--no-save")[::2],
             f"--layers {layers}: {fix}")


def test_model_cnn_with_a_layer_spec_of_no_convolution_is_refused_as_model_mlp_with_one_is(capsys):
    """--model mlp --layers conv... was refused ('disagree'); --model cnn --layers dense16,relu,dense10 trained
    an MLP under the CNN's recipe without a word."""
    one_line(*run(capsys, "train", "--model", "cnn", "--layers", "dense16,relu,dense10", "--no-save")[::2],
             "--model cnn and --layers dense16,relu,dense10 (no convolution or pooling) disagree", "drop --model cnn")
