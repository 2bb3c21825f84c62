"""Every file a command writes is checked before any work starts (issue 21, items 1-3 and beyond).

A file that is not what the option writes is never replaced (not even with --force), one of
its own kind only with --force, a missing folder is created and said, and each refusal is one
line naming the option and the fix. Each test runs in its own empty folder (tests/conftest.py).
"""

import json
import os

import numpy as np
import pytest

from nnscratch import cli

XOR = ["train", "--dataset", "xor", "--epochs", "2", "--backend", "numpy", "--quiet"]
CSV = "sepal,petal,species\n1.0,2.0,a\n"


def run(capsys, *argv):
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def refused(status, out, err, *fragments):
    """Exit 2 with one error line holding ``fragments``, and nothing done (nothing on stdout)."""
    lines = err.strip().splitlines()
    assert status == 2 and len(lines) == 1 and lines[0].startswith("error: "), err
    assert out == "", out
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.fixture
def model(capsys):
    assert run(capsys, *XOR, "--out", "model.npz")[0] == 0
    return "model.npz"


def snapshot(*paths):
    return {p: open(p, "rb").read() for p in paths}


# ---------------------------------------------------------------- item 1: export

def test_export_onto_its_own_model_or_a_csv_replaces_nothing(model, capsys):
    pytest.importorskip("ndonnx")
    with open("iris.csv", "w") as f:
        f.write(CSV)
    before = snapshot(model, "iris.csv")
    refused(*run(capsys, "export", model, model), "OUTPUT model.npz is also the input MODEL", "model.onnx")
    for force in ([], ["--force"]):
        refused(*run(capsys, "export", model, "iris.csv", *force), "OUTPUT iris.csv exists and is not an ONNX model",
                "never replaced", "choose another OUTPUT")
    assert snapshot(model, "iris.csv") == before
    from nnscratch import Network
    Network.load(model)  # still the trained model


def test_export_creates_its_folder_and_replaces_an_onnx_file_only_with_force(model, capsys):
    pytest.importorskip("ndonnx")
    status, out, err = run(capsys, "export", model, "onnx/m.onnx")
    assert status == 0 and os.path.getsize("onnx/m.onnx") > 0
    assert err.strip() == f"note: created folder onnx{os.sep} for OUTPUT"
    refused(*run(capsys, "export", model, "onnx/m.onnx"), "already holds an ONNX model", "--force")
    assert run(capsys, "export", model, "onnx/m.onnx", "--force")[0] == 0
    refused(*run(capsys, "export", model, "onnx"), "OUTPUT onnx is a folder", "onnx/model.onnx")
    refused(*run(capsys, "export", model, "m.txt"), "OUTPUT m.txt: an ONNX model is written to a .onnx file", "m.onnx")
    assert not os.path.exists("m.txt")


# ---------------------------------------------------------------- item 2: --history, --plot

@pytest.mark.parametrize("option", ["--history", "--checkpoint", "--live", "--out"])
def test_a_file_of_another_kind_is_never_replaced(option, capsys):
    name = "notes.gif" if option == "--live" else "iris.csv"  # --live also checks the suffix
    with open(name, "w") as f:
        f.write(CSV)
    extra = ["--no-save"] if option != "--out" else []
    for force in ([], ["--force"]):
        refused(*run(capsys, *XOR, *extra, option, name, *force), f"{option} {name} exists and is not",
                "never replaced", f"choose another {option} PATH")
    assert open(name).read() == CSV


def test_plot_onto_a_file_is_refused_before_training(capsys):
    pytest.importorskip("matplotlib")
    with open("iris.csv", "w") as f:
        f.write(CSV)
    refused(*run(capsys, *XOR, "--no-save", "--plot", "iris.csv"), "--plot iris.csv is a file, not a folder")
    assert open("iris.csv").read() == CSV


def test_pictures_already_in_the_plot_folder_are_replaced_only_with_force(capsys):
    pytest.importorskip("matplotlib")
    assert run(capsys, *XOR, "--no-save", "--plot", "pics")[0] == 0
    before = snapshot(*(os.path.join("pics", n) for n in os.listdir("pics")))
    refused(*run(capsys, *XOR, "--no-save", "--plot", "pics"), "--plot pics", "already holds a picture", "--force")
    assert snapshot(*before) == before
    with open(os.path.join("pics", "curves.png"), "w") as f:
        f.write("my notes")  # not a picture: never replaced
    refused(*run(capsys, *XOR, "--no-save", "--plot", "pics", "--force"), "curves.png exists and is not a picture")


def test_a_history_of_its_own_is_replaced_only_with_force(capsys):
    assert run(capsys, *XOR, "--no-save", "--history", "h.json")[0] == 0
    first = open("h.json").read()
    refused(*run(capsys, *XOR, "--no-save", "--history", "h.json"), "--history h.json already holds a training "
            "history", "--force")
    assert open("h.json").read() == first
    assert run(capsys, *XOR, "--no-save", "--history", "h.json", "--force", "--epochs", "3")[0] == 0
    assert len(json.loads(open("h.json").read())["history"]["loss"]) == 3


# ---------------------------------------------------------------- item 3: missing folders

def test_missing_folders_are_created_before_training_and_said(capsys):
    status, out, err = run(capsys, *XOR, "--out", "new/model.npz", "--checkpoint", "new/ckpt/run.ckpt",
                           "--history", "new/h.json")
    assert status == 0, err
    for path in ("new/model.npz", "new/ckpt/run.ckpt", "new/h.json"):
        assert os.path.isfile(path), path
    notes = [line for line in err.splitlines() if line.startswith("note: created folder")]
    assert notes == [f"note: created folder new{os.sep} for --out",
                     f"note: created folder {os.path.join('new', 'ckpt')}{os.sep} for --checkpoint"]


def test_a_folder_that_cannot_be_created_is_refused_before_training(capsys):
    with open("notes.txt", "w") as f:
        f.write("mine")
    for option in ("--out", "--history", "--checkpoint"):
        extra = ["--no-save"] if option != "--out" else []
        refused(*run(capsys, *XOR, *extra, option, "notes.txt/x"), f"{option} notes.txt/x", "notes.txt is a file",
                f"choose another {option}")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root may write anywhere")
def test_a_folder_without_write_permission_is_refused_before_training(capsys):
    os.mkdir("locked")
    os.chmod("locked", 0o500)
    try:
        refused(*run(capsys, *XOR, "--out", "locked/m.npz"), "--out locked/m.npz", "permission denied")
    finally:
        os.chmod("locked", 0o700)


# ---------------------------------------------------------------- beyond the list

def test_an_existing_checkpoint_is_resumed_or_replaced_only_when_asked(capsys):
    assert run(capsys, *XOR, "--no-save", "--checkpoint", "run.ckpt")[0] == 0
    before = snapshot("run.ckpt")
    refused(*run(capsys, *XOR, "--no-save", "--checkpoint", "run.ckpt", "--epochs", "4"),
            "--checkpoint run.ckpt already holds an nnscratch checkpoint", "--resume", "--force")
    assert snapshot("run.ckpt") == before
    status, out, _ = run(capsys, *XOR, "--no-save", "--checkpoint", "run.ckpt", "--epochs", "4", "--resume")
    assert status == 0
    assert run(capsys, *XOR, "--no-save", "--checkpoint", "run.ckpt", "--force")[0] == 0  # starts over
    from nnscratch.saving import checkpoint
    assert checkpoint.load("run.ckpt")[0]["epoch"] == 1


def test_resume_from_a_file_that_is_not_a_checkpoint(model, capsys):
    refused(*run(capsys, *XOR, "--no-save", "--resume", model), f"--resume {model} is not an nnscratch checkpoint")


def test_two_options_naming_one_file_or_an_output_naming_an_input(capsys):
    refused(*run(capsys, *XOR, "--out", "run.json", "--history", "run.json"), "--out and --history both name run.json")
    with open("iris.csv", "w") as f:
        f.write(CSV)
    refused(*run(capsys, "train", "--dataset", "csv:iris.csv", "--out", "iris.csv"),
            "--out iris.csv is also the input --dataset")
    assert open("iris.csv").read() == CSV


def test_an_output_that_is_a_folder(capsys):
    os.mkdir("results")
    refused(*run(capsys, *XOR, "--out", "results"), "--out results is a folder", "results/model.npz")


def test_no_save_and_out_contradict(capsys):
    refused(*run(capsys, *XOR, "--no-save", "--out", "m.npz"), "--no-save and --out m.npz contradict")


def test_plot_command_never_replaces_a_file_of_another_kind(capsys):
    pytest.importorskip("matplotlib")
    assert run(capsys, *XOR, "--no-save", "--history", "h.json")[0] == 0
    with open("h_curves.png", "w") as f:  # where the curves would go by default, and not a picture
        f.write("mine")
    refused(*run(capsys, "plot", "h.json"), "--out h_curves.png exists and is not a picture")
    refused(*run(capsys, "plot", "h.json", "--out", "h.json"), "--out h.json is also the input PATH")
    assert run(capsys, "plot", "h.json", "--out", "c/curves.png")[0] == 0 and os.path.getsize("c/curves.png")
    refused(*run(capsys, "plot", "h.json", "--out", "c/curves.png"), "already holds a picture", "--force")
    assert run(capsys, "plot", "h.json", "--out", "c/curves.png", "--force")[0] == 0
    assert open("h_curves.png").read() == "mine"


def test_bench_checks_its_files_before_timing(capsys):
    with open("iris.csv", "w") as f:
        f.write(CSV)
    tiny = ["bench", "--samples", "64", "--features", "4", "--layers", "4", "--batch-sizes", "32", "--epochs", "1"]
    refused(*run(capsys, *tiny, "--json", "iris.csv"), "--json iris.csv exists and is not benchmark results")
    refused(*run(capsys, *tiny, "--plot", "iris.csv"), "--plot iris.csv", ".png, .svg or .pdf")
    assert open("iris.csv").read() == CSV
    status, out, err = run(capsys, *tiny, "--json", "b/bench.json")
    assert status == 0 and json.loads(open("b/bench.json").read())["rows"]
    refused(*run(capsys, *tiny, "--json", "b/bench.json"), "already holds benchmark results", "--force")


def test_predict_reads_only_files(model, capsys):
    os.mkdir("pics")
    status, _, err = run(capsys, "predict", model, "pics")
    assert status == 2 and "input pics is a folder" in err
    np.save("bad.npy", np.array([[np.nan, 1.0]], dtype=np.float32))
    status, _, err = run(capsys, "predict", model, "bad.npy")
    assert status == 2 and "NaN" in err and len(err.strip().splitlines()) == 1
    with open("broken.npy", "wb") as f:
        f.write(b"not an array")
    status, _, err = run(capsys, "predict", model, "broken.npy")
    assert status == 2 and "broken.npy: not a readable .npy array" in err


# ---------------------------------------------------------------- nnscratch train, checked before training

def test_live_mp4_without_ffmpeg_is_refused_before_training(tmp_path, monkeypatch, capsys):
    pytest.importorskip("matplotlib")
    import matplotlib
    monkeypatch.setitem(matplotlib.rcParams, "animation.ffmpeg_path", "ffmpeg")
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))  # no ffmpeg, whatever this machine has
    refused(*run(capsys, *XOR, "--out", "m.npz", "--live", "runs/live.mp4"), "--live runs/live.mp4",
            "needs the ffmpeg program", "--live runs/live.gif")
    assert not os.path.exists("m.npz") and not os.path.exists("runs")


SPIRALS_RUN = ["train", "--dataset", "spirals", "--epochs", "4", "--backend", "numpy", "--no-save"]


def test_resuming_a_checkpoint_of_another_run_is_refused_before_anything(capsys):
    assert run(capsys, *SPIRALS_RUN, "--checkpoint", "run.ckpt", "--quiet")[0] == 0
    before = snapshot("run.ckpt")
    refused(*run(capsys, *SPIRALS_RUN, "--dataset", "moons", "--resume", "run.ckpt"),
            "--resume run.ckpt holds a 2-64-64-3 network trained on spirals", "builds 2-32-32-2 for moons",
            "(--dataset spirals)", "without --resume")
    refused(*run(capsys, *SPIRALS_RUN, "--layers", "2,16,3", "--resume", "run.ckpt"),
            "holds a 2-64-64-3 network", "builds 2-16-3 for spirals", "the same --layers")
    refused(*run(capsys, *SPIRALS_RUN, "--epochs", "1", "--resume", "run.ckpt"),
            "the checkpoint already ran 4 epochs, more than --epochs 1", "--epochs 4")
    assert snapshot("run.ckpt") == before
