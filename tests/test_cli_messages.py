"""Crashes become one clear line, warnings one plain line, nonsense is flagged (issue 21, items 4-10)."""

import importlib.util
import json
import os
import runpy

import numpy as np
import pytest

import nnscratch
from nnscratch import cli
from nnscratch.errors import BackendUnavailableError

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


def run(capsys, *argv):
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def one_line(status, err, *fragments):
    lines = err.strip().splitlines()
    assert status == 2 and len(lines) == 1, err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def _unusable():
    """Backends that cannot run on this machine (no GPU here, or none of these)."""
    specs = ["cupy", "torch:cuda"] if importlib.util.find_spec("torch") else ["cupy", "torch"]
    bad = []
    for spec in specs + ["torch:cuda:99"]:
        try:
            nnscratch.get_backend(spec)
        except BackendUnavailableError:
            bad.append(spec)
    if not bad:
        pytest.skip("every GPU backend is usable here")
    return bad


# ---------------------------------------------------------------- item 4: bench without a GPU

TINY_BENCH = ["--samples", "64", "--features", "4", "--layers", "4", "--batch-sizes", "32", "--epochs", "1"]


def test_bench_with_only_unusable_backends_is_one_line(capsys):
    for spec in _unusable():
        line = one_line(*run(capsys, "bench", "--backends", spec, *TINY_BENCH)[::2], f"none of --backends {spec}",
                        "nnscratch info")
        assert "ZeroDivision" not in line
    with pytest.raises(BackendUnavailableError, match="none of --backends"):
        nnscratch.bench.run_bench(backends=tuple(_unusable()), hidden=(4,), batch_sizes=(32,), samples=64, features=4,
                                  epochs=1)


def test_bench_skips_an_unusable_backend_with_its_reason(capsys):
    spec = _unusable()[0]
    status, out, err = run(capsys, "bench", "--backends", f"numpy,{spec}", *TINY_BENCH)
    assert status == 0 and "nnscratch numpy" in out
    assert f"skipping {spec}: " in err and f"skipped {spec}: " in out


def test_cnn_bench_with_only_unusable_backends_is_one_line(capsys):
    spec = _unusable()[0]
    one_line(*run(capsys, "bench", "--model", "cnn", "--backends", spec)[::2], f"none of --backends {spec}")


def test_cpu_vs_gpu_example_skips_unusable_backends(capsys):
    spec = _unusable()[0]
    main = runpy.run_path(os.path.join(EXAMPLES, "cpu_vs_gpu.py"), run_name="example")["main"]
    rows = main(["--backends", f"numpy,{spec}", "--epochs", "1", "--train", "200", "--layers", "784,8,10"])
    out = capsys.readouterr().out
    assert [r["backend"] for r in rows] == ["numpy"] and f"skipping {spec}: " in out
    with pytest.raises(SystemExit) as done:
        main(["--backends", spec, "--epochs", "1", "--train", "200"])
    err = capsys.readouterr().err
    assert done.value.code == 2 and len(err.strip().splitlines()) == 1 and "none of" in err


# ---------------------------------------------------------------- item 5: each option checked as itself

@pytest.mark.parametrize("argv", [
    ["train", "--batch-size", "-5"], ["train", "--epochs", "0"], ["train", "--lr", "0"], ["train", "--lr", "nan"],
    ["train", "--decay", "-1"], ["train", "--weight-decay", "-1"], ["train", "--augment", "-1"],
    ["train", "--elastic", "-1"], ["train", "--validation", "1"], ["train", "--warmup", "-1"],
    ["train", "--step-size", "0"], ["train", "--gamma", "0"], ["train", "--min-lr", "-1"],
    ["train", "--clip-norm", "0"], ["train", "--plateau", "0"], ["train", "--seed", "-1"],
    ["train", "--test-fraction", "0"], ["train", "--test-fraction", "1"], ["evaluate", "m.npz", "--seed", "-1"],
    ["evaluate", "m.npz", "--test-fraction", "inf"], ["plot", "m.npz", "--images", "0"],
    ["bench", "--samples", "0"], ["bench", "--ranks", "1"], ["bench", "--lr", "-1"],
])
def test_each_option_is_checked_as_itself_first(argv, capsys):
    option, value = argv[-2], argv[-1]
    line = one_line(*run(capsys, *argv)[::2], f"argument {option}:", f"received '{value}'")
    others = [word for word in line.split() if word.startswith("--") and word.rstrip(":") != option]
    assert others == ["--help`)"], line  # names no other option (e.g. no warm-up for --batch-size)


# ---------------------------------------------------------------- item 6: warnings

def tiny_digits_csv(path, rows=5):
    lines = [",".join([str(i % 2)] + [str((i * 37 + j) % 256) for j in range(784)]) for i in range(rows)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_each_warning_is_one_plain_line_once_in_the_commands_words(tmp_path, capsys):
    status, out, err = run(capsys, "train", "--dataset", f"csv:{tiny_digits_csv(tmp_path / 'tiny.csv')}",
                           "--epochs", "1", "--augment", "0", "--no-save", "--backend", "numpy")
    assert status == 0
    lines = err.strip().splitlines()
    assert all(line.startswith("warning: ") for line in lines), err
    assert len(lines) == len(set(lines))
    for api in ("DataWarning", "val_fraction", "batch_size=", "warnings.warn", "sys.exit", "<frozen", ".py:"):
        assert api not in err, api
    holds_none = [line for line in lines if "holds out none" in line or "holds out no rows" in line]
    batch = [line for line in lines if "training samples: every epoch is one step" in line or "full-batch" in line]
    assert len(holds_none) == 1 and "--validation 0.1" in holds_none[0]
    assert len(batch) == 1 and "--batch-size 128" in batch[0]


def test_any_warning_while_a_command_runs_is_one_plain_line(monkeypatch, capsys):
    import sys
    import types
    import warnings
    plugin = types.ModuleType("nnscratch_warning_plugin")

    def register(subparsers):
        def warn_twice(args):
            for _ in range(2):
                warnings.warn("the data look odd", UserWarning)
            warnings.warn("an old API", DeprecationWarning)  # meant for developers, not for the command line
            return 0
        subparsers.add_parser("warner").set_defaults(func=warn_twice)
    plugin.register = register
    monkeypatch.setitem(sys.modules, "nnscratch_warning_plugin", plugin)
    monkeypatch.setattr(cli.app, "COMMANDS", cli.app.COMMANDS + ("nnscratch_warning_plugin",))
    status, _, err = run(capsys, "warner")
    assert status == 0 and err == "warning: the data look odd\n"


# ---------------------------------------------------------------- item 7: other data than the model's

@pytest.fixture
def digit_files(tmp_path):
    """Tiny IDX files (MNIST-sample digits) where --data-dir finds mnist and fashion-mnist."""
    from nnscratch.datasets import load_mnist_sample, write_idx
    data = load_mnist_sample(raw=True)
    for name in ("mnist", "fashion-mnist"):
        folder = tmp_path / "data" / name
        folder.mkdir(parents=True)
        write_idx(folder / "train-images-idx3-ubyte", data.X_train[:200].reshape(-1, 28, 28))
        write_idx(folder / "train-labels-idx1-ubyte", data.y_train[:200].astype(np.uint8))
        write_idx(folder / "t10k-images-idx3-ubyte", data.X_test[:100].reshape(-1, 28, 28))
        write_idx(folder / "t10k-labels-idx1-ubyte", data.y_test[:100].astype(np.uint8))
    return tmp_path / "data"


def test_evaluating_on_other_data_than_the_model_learned_says_so(digit_files, capsys):
    assert run(capsys, "train", "--layers", "784,8,10", "--epochs", "1", "--augment", "0", "--quiet",
               "--out", "digits.npz", "--backend", "numpy")[0] == 0
    status, out, err = run(capsys, "evaluate", "digits.npz", "--dataset", "fashion-mnist", "--data-dir", digit_files)
    assert status == 0 and "accuracy" in out
    assert err.startswith("warning: digits.npz was trained on mnist-sample, not fashion-mnist")
    assert "T-shirt/top" in err and len(err.strip().splitlines()) == 1
    status, out, err = run(capsys, "evaluate", "digits.npz", "--dataset", "fashion-mnist", "--data-dir", digit_files,
                           "--json")
    assert "was trained on mnist-sample" in json.loads(out)["warning"]
    status, out, err = run(capsys, "evaluate", "digits.npz", "--dataset", "mnist", "--data-dir", digit_files)
    assert status == 0 and err == ""  # digits are digits
    assert run(capsys, "evaluate", "digits.npz")[2] == ""  # its own data


# ---------------------------------------------------------------- item 8: a run that went nowhere

def test_a_run_near_chance_or_with_an_exploded_loss_says_so(capsys):
    status, out, err = run(capsys, "train", "--dataset", "spirals", "--lr", "100", "--epochs", "3", "--no-save",
                           "--backend", "numpy", "--json")
    assert status == 0
    result = json.loads(out)
    assert any("exploded" in w and "--lr 100" in w for w in result["warnings"])
    assert any("chance" in w and "--epochs" in w for w in result["warnings"])
    assert [line[len("warning: "):] for line in err.strip().splitlines()] == result["warnings"]
    status, out, err = run(capsys, "train", "--dataset", "blobs", "--no-save", "--backend", "numpy", "--json")
    assert status == 0 and json.loads(out)["test_accuracy"] > 0.9
    assert "warnings" not in json.loads(out) and err == ""


# ---------------------------------------------------------------- item 9: images that cannot be a digit

@pytest.fixture
def digit_model(capsys):
    assert run(capsys, "train", "--layers", "784,8,10", "--epochs", "1", "--augment", "0", "--quiet", "--out",
               "digits.npz", "--backend", "numpy")[0] == 0
    return "digits.npz"


def _one(Image, mode, paper, ink):
    picture = Image.new(mode, (40, 60), paper)
    for x in range(18, 23):
        for y in range(10, 50):
            picture.putpixel((x, y), ink)
    return picture


def test_blank_tiny_and_transparent_images_are_flagged(digit_model, capsys):
    Image = pytest.importorskip("PIL.Image")
    Image.new("L", (40, 60), 255).save("blank.png")
    Image.new("L", (1, 1), 0).save("dot.png")
    Image.new("RGBA", (40, 60), (0, 0, 0, 0)).save("clear.png")
    _one(Image, "L", 255, 0).save("one.png")
    for name, why in (("blank.png", "blank"), ("dot.png", "1x1 pixels"), ("clear.png", "fully transparent")):
        status, out, err = run(capsys, "predict", digit_model, name)
        assert status == 0 and out.startswith(f"{name}: ")
        assert err.startswith(f"warning: {name} cannot be a digit") and why in err, err
        status, out, _ = run(capsys, "predict", digit_model, name, "--json")
        assert why in json.loads(out)["warning"]
    status, out, err = run(capsys, "predict", digit_model, "one.png")
    assert status == 0 and err == ""


def test_transparency_is_read_as_the_background():
    Image = pytest.importorskip("PIL.Image")
    from nnscratch.datasets.images import load_digit_image
    _one(Image, "L", 255, 0).save("paper.png")                      # black ink on white paper
    _one(Image, "RGBA", (0, 0, 0, 0), (0, 0, 0, 255)).save("glass.png")  # black ink on a transparent page
    _one(Image, "RGBA", (255, 255, 255, 0), (255, 255, 255, 255)).save("white.png")  # white ink, transparent
    paper, notes = load_digit_image("paper.png")
    assert paper.max() > 0.9  # the stroke is there
    for name in ("glass.png", "white.png"):
        pixels, notes = load_digit_image(name)
        np.testing.assert_allclose(pixels, paper, atol=0.02, err_msg=name)
        assert any("transparent background read as" in note for note in notes)


# ---------------------------------------------------------------- item 10: name the piece that is wrong

@pytest.mark.parametrize("argv, fragments", [
    (["--layers", "784,abc,10"], ["--layers 784,abc,10", "'abc' is not a layer size"]),
    (["--layers", "784,25.5,10"], ["'25.5' is not a layer size"]),
    (["--layers", "784,dense10"], ["'784' is a size but 'dense10' is a layer"]),
    (["--dataset", "nothere.csv"], ["nothere.csv does not exist"]),
    (["--dataset", "npz:nothere.npz"], ["nothere.npz does not exist"]),
    (["--model", "cnn", "--layers", "784,64,10"], ["--model cnn and --layers 784,64,10", "disagree"]),
    (["--model", "mlp", "--layers", "conv4x3p1,relu,dense10"], ["--model mlp and --layers conv4x3p1", "disagree"]),
    (["--dataset", "xor", "--model", "cnn"], ["--model cnn needs images", "xor has 2 features"]),
    (["--dataset", "spirals", "--augment", "1"], ["--augment 1 distorts 28x28 images", "spirals has 2 features"]),
    (["--dataset", "spirals", "--elastic", "1"], ["--elastic 1 distorts 28x28 images", "drop --elastic"]),
])
def test_a_mistake_names_the_piece_that_is_wrong(argv, fragments, capsys):
    line = one_line(*run(capsys, "train", *argv, "--epochs", "1", "--no-save")[::2], *fragments)
    assert "Unknown dataset" not in line and "unknown layer '784'" not in line


# ---------------------------------------------------------------- beyond the list: options a run would ignore

@pytest.mark.parametrize("argv, fragments", [
    (["train", "--dataset", "spirals", "--step-size", "2"], ["--step-size applies to --schedule step", "constant"]),
    (["train", "--dataset", "spirals", "--schedule", "cosine", "--gamma", "0.5"], ["--gamma applies to --schedule"]),
    (["train", "--dataset", "spirals", "--min-lr", "0.001"], ["--min-lr applies to --schedule cosine"]),
    (["train", "--dataset", "spirals", "--schedule", "constant", "--decay", "0.1"],
     ["--decay is the inverse_time schedule", "drop --decay or --schedule constant"]),
    (["train", "--dataset", "spirals", "--schedule", "inverse_time"], ["--decay is 0", "add --decay"]),
    (["train", "--model", "cnn", "--activation", "tanh"], ["--activation tanh sets the hidden layers of an MLP"]),
    (["bench", "--model", "cnn", "--layers", "8", "--dtype", "float64"],
     ["--layers, --dtype do not apply to --model cnn"]),
    (["bench", "--ranks", "2", "--reference"], ["--reference does not apply to --ranks"]),
    (["bench", "--ranks", "2", "--warmup", "3"], ["--warmup does not apply to --ranks"]),
])
def test_an_option_the_run_would_ignore_is_refused(argv, fragments, capsys):
    one_line(*run(capsys, *argv, "--epochs", "1", *(["--no-save"] if argv[0] == "train" else []))[::2], *fragments)


@pytest.mark.parametrize("layers, loss, fragments", [
    ("2,8,1", "cross_entropy", ["--loss cross_entropy needs one output per class", "--loss binary_cross_entropy"]),
    ("dense8,relu,dense1", "cross_entropy", ["--layers dense8,relu,dense1 ends with one output"]),
    ("dense8,relu,dense2", "binary_cross_entropy", ["needs a sigmoid output", "ends with a softmax"]),
    ("dense8,relu,dense2,tanh", "cross_entropy", ["needs a softmax output", "ends with a tanh"]),
])
def test_a_loss_the_output_layer_cannot_take_is_refused_before_training(layers, loss, fragments, capsys):
    status, out, err = run(capsys, "train", "--dataset", "moons", "--layers", layers, "--loss", loss,
                           "--epochs", "1", "--no-save")
    one_line(status, err, *fragments)
    assert "training" not in out  # refused before the run starts, in the options' words
    assert "Network.from_sizes" not in err


def test_target_on_arrays_and_classes_on_a_table_model_are_refused(tmp_path, capsys):
    X, y = np.random.default_rng(0).normal(size=(40, 3)), np.arange(40) % 2
    np.savez(tmp_path / "xy.npz", X=X, y=y)
    one_line(*run(capsys, "train", "--dataset", f"npz:{tmp_path / 'xy.npz'}", "--target", "1", "--no-save")[::2],
             "--target picks a column of a CSV table")
    assert run(capsys, "train", "--dataset", f"npz:{tmp_path / 'xy.npz'}", "--epochs", "1", "--out", "t.npz",
               "--quiet", "--backend", "numpy")[0] == 0
    np.save("row.npy", X[:1])
    one_line(*run(capsys, "predict", "t.npz", "row.npy", "--classes", "mnist")[::2], "--classes mnist names image")


def test_plot_refuses_options_a_history_does_not_use_and_knows_a_history_by_its_content(capsys):
    pytest.importorskip("matplotlib")
    assert run(capsys, "train", "--dataset", "xor", "--epochs", "2", "--no-save", "--quiet", "--history", "h.txt",
               "--backend", "numpy")[0] == 0
    one_line(*run(capsys, "plot", "h.txt", "--what", "confusion")[::2], "h.txt is a training history",
             "--what")
    status, out, _ = run(capsys, "plot", "h.txt", "--out", "curves.png")
    assert status == 0 and os.path.getsize("curves.png") > 0


def test_resume_note_says_a_stopped_run_trains_no_further(tmp_path):
    import numpy as np

    import nnscratch as nn
    from nnscratch.cli.resuming import resume_note
    X = np.random.default_rng(0).normal(size=(40, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)

    class StopAfterFirst(nn.Callback):
        def on_epoch_end(self, epoch, logs, network):
            network.stop_training = True
    stopper = StopAfterFirst()
    ckpt = tmp_path / "run.ckpt"
    nn.Network.from_sizes(3, 4, 2, seed=0).fit(X, y, epochs=5, checkpoint=str(ckpt), callbacks=[stopper])
    note = resume_note(str(ckpt), 5)
    assert "stopped early" in note and "trains no further" in note


def test_export_of_a_model_with_open_image_size_asks_for_input_shape(tmp_path, capsys):
    pytest.importorskip("ndonnx")
    import numpy as np

    import nnscratch as nn
    from nnscratch import cli
    net = nn.Network([nn.Conv2D(1, 2, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Dense(2 * 6 * 6, 2), nn.Softmax()],
                     seed=0)
    X = np.random.default_rng(0).random((4, 1, 6, 6)).astype(np.float32)
    net.fit(X, [0, 1, 0, 1], epochs=1, batch_size=2)
    net.save(tmp_path / "m.npz")
    assert cli.main(["export", str(tmp_path / "m.npz"), str(tmp_path / "m.onnx")]) == 2
    assert "e.g. --input-shape 1,6,6" in capsys.readouterr().err   # the one size its Dense takes
    assert not (tmp_path / "m.onnx").exists()
    assert cli.main(["export", str(tmp_path / "m.npz"), str(tmp_path / "m.onnx"), "--input-shape", "1,6,6"]) == 0
    assert (tmp_path / "m.onnx").stat().st_size > 0


@pytest.mark.parametrize("model, shape, fragments", [
    ("open", "3,6,6", ["--input-shape 3,6,6:", "per-sample shape (1, ?, ?)", "e.g. --input-shape 1,6,6"]),
    ("open", "1,6", ["--input-shape 1,6:", "3 sizes", "e.g. --input-shape 1,6,6"]),
    ("open", "1,8,8", ["--input-shape 1,8,8:", "do not fit", "Dense(72, 2) expects 72 features per sample but "
                       "receives 128", "e.g. --input-shape 1,6,6"]),
    ("open", "1,x", ["--input-shape expects positive whole numbers", "e.g. --input-shape 1,6,6"]),
    ("open", "0,6,6", ["--input-shape expects positive whole numbers", "e.g. --input-shape 1,6,6"]),
    ("mlp", "1,28,28", ["--input-shape 1,28,28:", "fixed per-sample shape (5,)", "drop --input-shape"]),
])
def test_export_input_shape_errors_name_the_option_and_a_shape_that_works(tmp_path, capsys, model, shape, fragments):
    """The command line's --input-shape is checked on its side: its messages name the option (not to_onnx's
    input_shape=) and give an --input-shape the model takes; a refused export creates no folder."""
    pytest.importorskip("ndonnx")
    import nnscratch as nn
    from nnscratch import cli
    net = nn.Network([nn.Conv2D(1, 2, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Dense(2 * 6 * 6, 2), nn.Softmax()],
                     seed=0) if model == "open" else nn.Network.from_sizes(5, 3, seed=0)
    net.save(tmp_path / "m.npz")
    assert cli.main(["export", str(tmp_path / "m.npz"), str(tmp_path / "new" / "m.onnx"), "--input-shape", shape]) == 2
    line = one_line(2, capsys.readouterr().err, *fragments)
    assert "input_shape=" not in line and "None" not in line, line
    assert not (tmp_path / "new").exists()


def test_output_piped_into_head_ends_quietly():
    import subprocess
    import sys
    done = subprocess.run(f"{sys.executable} -m nnscratch info | head -1", shell=True, capture_output=True,
                          text=True, timeout=120)
    assert done.stdout.startswith("nnscratch ") and done.stderr == "", done.stderr


def test_predict_on_a_text_file_without_numbers_is_one_line_in_our_words(tmp_path, capsys):
    import numpy as np

    import nnscratch as nn
    from nnscratch import cli
    nn.Network.from_sizes(4, 3, 2, seed=0).save(tmp_path / "m.npz")
    (tmp_path / "notes.txt").write_text("hello\n")
    assert cli.main(["predict", str(tmp_path / "m.npz"), str(tmp_path / "notes.txt")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no rows of numbers" in err and "loadtxt" not in err
    np.savetxt(tmp_path / "short.csv", [[1.0, 2.0]], delimiter=",")
    assert cli.main(["predict", str(tmp_path / "m.npz"), str(tmp_path / "short.csv")]) == 2
    assert "give 4 values per sample" in capsys.readouterr().err


# ---------------------------------------------------------------- nnscratch train: what it says

def _warnings(err):
    lines = err.strip().splitlines()
    assert all(line.startswith("warning: ") for line in lines), err
    return [line[len("warning: "):] for line in lines]


def write_regression(path, whole=False, rows=200):
    """Features a, b, c and a target 'price' (fractional, or whole numbers with many values)."""
    X = np.random.default_rng(0).normal(size=(rows, 3))
    price = X @ [1.5, -2.0, 0.5] * (40 if whole else 1)
    fmt = "{:.0f}" if whole else "{:.4f}"
    lines = [f"{a:.4f},{b:.4f},{c:.4f},{fmt.format(p)}" for (a, b, c), p in zip(X, price)]
    path.write_text("a,b,c,price\n" + "\n".join(lines) + "\n")
    return path


def test_train_json_carries_every_warning_it_printed(tmp_path, capsys):
    status, out, err = run(capsys, "train", "--dataset", "xor", "--epochs", "1", "--batch-size", "100", "--no-save",
                           "--backend", "numpy", "--json")
    assert status == 0 and any("--batch-size 100 is more than the 4 training samples" in w for w in _warnings(err))
    assert json.loads(out)["warnings"] == _warnings(err)
    table = write_regression(tmp_path / "reg.csv")
    status, out, err = run(capsys, "train", "--dataset", f"csv:{table}", "--epochs", "2", "--no-save", "--backend",
                           "numpy", "--json")
    assert status == 0 and any(w.startswith("only 40 test samples") for w in _warnings(err))
    assert "accuracy" not in _warnings(err)[0]  # a regression has no test accuracy
    assert json.loads(out)["warnings"] == _warnings(err)


@pytest.mark.parametrize("loss", ["cross_entropy", "binary_cross_entropy"])
def test_a_loss_for_classes_on_a_regression_target_is_refused_before_training(loss, tmp_path, capsys):
    table = write_regression(tmp_path / "reg.csv")
    status, out, err = run(capsys, "train", "--dataset", f"csv:{table}", "--loss", loss, "--epochs", "2", "--no-save")
    line = one_line(status, err, f"error: --loss {loss} needs classes; target 'price' is a regression: use --loss mse")
    assert out == "" and "--task classification" not in line  # fractional values cannot be classes
    table = write_regression(tmp_path / "whole.csv", whole=True)
    status, out, err = run(capsys, "train", "--dataset", f"csv:{table}", "--loss", loss, "--epochs", "2", "--no-save")
    one_line(status, err, "use --loss mse (or --task classification")


def test_resuming_with_other_training_options_says_which(capsys):
    common = ["train", "--dataset", "spirals", "--backend", "numpy", "--no-save"]
    assert run(capsys, *common, "--epochs", "2", "--checkpoint", "run.ckpt", "--quiet")[0] == 0
    status, out, err = run(capsys, *common, "--epochs", "2", "--resume", "run.ckpt", "--lr", "0.5", "--json")
    notes = [w for w in _warnings(err) if w.startswith("--resume run.ckpt")]
    assert status == 0 and notes == ["--resume run.ckpt: --lr 0.5 differs from the run it continues (--lr 0.01); "
                                     "nothing is left to train, so it changes nothing"]
    assert notes[0] in json.loads(out)["warnings"]
    status, out, err = run(capsys, *common, "--epochs", "3", "--resume", "run.ckpt", "--optimizer", "sgd",
                           "--batch-size", "16", "--checkpoint", "sgd.ckpt")
    assert status == 0 and "--optimizer sgd, --batch-size 16 differ from the run it continues (--optimizer adam, " \
        "--batch-size 32); the epochs left train with them" in err
    status, out, err = run(capsys, *common, "--epochs", "4", "--resume", "run.ckpt")  # the same options: nothing said
    assert status == 0 and "--resume" not in err
    # a cosine schedule spans the run: a resume with more --epochs stretches it, and says so
    cosine = common + ["--schedule", "cosine"]
    assert run(capsys, *cosine, "--epochs", "2", "--checkpoint", "cos.ckpt", "--quiet")[0] == 0
    status, out, err = run(capsys, *cosine, "--epochs", "3", "--resume", "cos.ckpt")
    assert status == 0 and "--resume cos.ckpt: --epochs 3 differs from the run it continues (--epochs 2); its " \
        "schedule is stretched to the new length" in err
    # another schedule is the difference to name; the run's length is part of the cosine only
    status, out, err = run(capsys, *common, "--epochs", "5", "--resume", "cos.ckpt")
    assert status == 0 and "--resume cos.ckpt: --schedule constant differs from the run it continues (--schedule " \
        "cosine); the epochs left train with it" in err


def test_train_and_usage_errors_say_it_in_the_usual_words(capsys):
    status, out, _ = run(capsys, "train", "--dataset", "xor", "--epochs", "1", "--no-save", "--backend", "numpy")
    assert status == 0 and ": 1 epoch, batch full" in out.splitlines()[0]
    one_line(*run(capsys, "info", "extra")[::2], "error: unrecognized arguments: extra (see `nnscratch info --help`)")
    one_line(*run(capsys, "train", "--epochs", "x")[::2], "error: argument --epochs:", "`nnscratch train --help`")
    one_line(*run(capsys, "frobnicate")[::2], "error: argument COMMAND: invalid choice: 'frobnicate'")


def test_resuming_with_another_warmup_or_step_length_says_so(capsys):
    """A resume that changes --warmup, or a step schedule whose default step (a third of --epochs) grows with
    more --epochs, trains on at other rates than the run it continues: said, as other options are."""
    common = ["train", "--dataset", "spirals", "--backend", "numpy", "--no-save"]
    step = common + ["--schedule", "step"]
    assert run(capsys, *step, "--epochs", "3", "--checkpoint", "step.ckpt", "--quiet")[0] == 0
    status, out, err = run(capsys, *step, "--epochs", "6", "--step-size", "1", "--resume", "step.ckpt")
    assert status == 0 and "--resume" not in err  # --step-size 1 (epoch) is the step it ran with: exact
    status, out, err = run(capsys, *step, "--epochs", "9", "--resume", "step.ckpt")  # the resume wrote 6 epochs
    assert status == 0 and "--resume step.ckpt: --step-size 3 differs from the run it continues " \
        "(--step-size 1); the epochs left train with it" in err
    cosine = common + ["--schedule", "cosine"]
    assert run(capsys, *cosine, "--epochs", "3", "--checkpoint", "cos.ckpt", "--quiet")[0] == 0
    status, out, err = run(capsys, *cosine, "--epochs", "3", "--warmup", "1", "--resume", "cos.ckpt")
    assert status == 0 and "--resume cos.ckpt: --warmup 1 differs from the run it continues (--warmup 0); " \
        "nothing is left to train" in err
    status, out, err = run(capsys, *cosine, "--epochs", "3", "--warmup", "1", "--batch-size", "16", "--resume",
                           "cos.ckpt")  # steps of another length: said in steps
    assert status == 0 and "--batch-size 16, --warmup of 51 steps differ from the run it continues (--batch-size " \
        "32, --warmup of 0 steps)" in err
