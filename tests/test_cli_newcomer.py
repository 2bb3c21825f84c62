"""A newcomer's mistakes on the command line: each one clear line that names the close match."""

import os

import pytest

import nnscratch as nn
from nnscratch.cli import continuing, resuming
from test_cli_messages import one_line, run  # noqa: E402  (the command line's one-error-line checks)


@pytest.mark.parametrize("typed, meant", [
    (["--batchsize", "32"], "--batch-size"), (["--batch_size", "32"], "--batch-size"),
    (["--learning-rate", "0.1"], "--lr"), (["--learning_rate=0.1"], "--lr"), (["--epocs", "3"], "--epochs")])
def test_a_misspelt_option_names_the_option_meant(typed, meant, capsys, tmp_path, monkeypatch):
    """It said only "unrecognized arguments: --batchsize 32", nothing about --batch-size."""
    monkeypatch.chdir(tmp_path)
    status, _, err = run(capsys, "train", "--dataset", "xor", *typed, "--no-save")
    one_line(status, err, f"unrecognized arguments: {typed[0]}", f"did you mean {meant}?")
    assert os.listdir(tmp_path) == []


def test_an_unknown_option_far_from_any_suggests_nothing(capsys):
    status, _, err = run(capsys, "train", "--zzzz", "3")
    assert "did you mean" not in one_line(status, err, "unrecognized arguments: --zzzz 3")


@pytest.mark.parametrize("argv, meant", [
    (["trian"], "'train'"), (["evalute", "model.npz"], "'evaluate'"),
    (["train", "--dtype", "flaot32"], "'float32'"), (["plot", "model.npz", "--what", "archtecture"], "'architecture'")])
def test_a_misspelt_command_or_choice_names_the_one_meant(argv, meant, capsys):
    """argparse listed the choices of `nnscratch trian` but did not say which one was meant."""
    status, _, err = run(capsys, *argv)
    one_line(status, err, "invalid choice", f"did you mean {meant}?")


def test_another_number_is_not_taken_for_a_typo(capsys):
    """--dtype float16 is a dtype nnscratch does not train in, not a misspelt float64."""
    status, _, err = run(capsys, "train", "--dtype", "float16")
    assert "did you mean" not in one_line(status, err, "invalid choice: 'float16'", "'float32', 'float64'")


def test_plot_draws_a_model_saved_under_a_json_name(tmp_path, capsys):
    """`nnscratch plot run.json` of a model (train --out run.json) said "is not valid JSON ('utf-8' codec
    can't decode byte ...)"."""
    pytest.importorskip("matplotlib")
    model = tmp_path / "run.json"
    nn.Network.from_sizes(2, 3, 2, seed=0, backend="numpy").save(model)
    before = model.read_bytes()
    status, out, err = run(capsys, "plot", model, "--what", "architecture", "--out", tmp_path / "arch.png")
    assert status == 0, err
    assert "saved" in out and (tmp_path / "arch.png").stat().st_size > 0
    assert model.read_bytes() == before


def test_ctrl_c_while_the_checkpoint_is_written_says_that_epoch_is_done(tmp_path, monkeypatch):
    """Ctrl-C landing in epoch 8's checkpoint write said "interrupted during epoch 8 of 20; ... (8 of 20
    epochs done)": which was it?"""
    ckpt = tmp_path / "run.ckpt"
    ckpt.write_bytes(b"")
    monkeypatch.setattr(continuing, "checkpoint_epochs", lambda path: (8, False))
    said = resuming.interrupted(str(ckpt), 7, 20)
    assert said.startswith("interrupted after epoch 8 of 20;") and "(8 of 20 epochs done)" in said
    assert resuming.interrupted(str(ckpt), 8, 20).startswith("interrupted during epoch 9 of 20;")


@pytest.mark.parametrize("argv, use", [
    (["evaluate", "table.csv"], "a CSV table, not a model: evaluate scores a model file (.npz, from `nnscratch train "
                                "--out`) on a dataset; to score a model on it: `nnscratch evaluate MODEL.npz --dataset "
                                "csv:table.csv`."),
    (["predict", "digit.png", "table.csv"], "an image file, not a model: predict takes a model file (.npz, from "
                                            "`nnscratch train --out`) first, then the inputs; give the model first: "
                                            "`nnscratch predict MODEL.npz digit.png`."),
    (["evaluate", "digit.png"], "an image file, not a model: evaluate scores a model file (.npz, from `nnscratch "
                                "train --out`) on a dataset; to ask a model about this image: `nnscratch predict "
                                "MODEL.npz digit.png`.")])
def test_data_given_where_the_model_goes_is_called_data(argv, use, capsys, tmp_path, monkeypatch):
    """`nnscratch evaluate table.csv` said "'table.csv' is not an nnscratch file: it is not an .npz archive"
    without the usage the newcomer was after."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "table.csv").write_text("a,b,label\n1,2,0\n3,4,1\n")
    (tmp_path / "digit.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(32))
    status, _, err = run(capsys, *argv)
    one_line(status, err, f"{argv[1]} is {use}")
    assert sorted(os.listdir(tmp_path)) == ["digit.png", "table.csv"]


@pytest.mark.parametrize("layers, said", [("conv16x3p1,maxpol2,dense10", "did you mean maxpool2?"),
                                          ("dense", "dense needs its numbers: e.g. dense128"),
                                          ("conv16x3p1,conv", "conv needs its numbers"),
                                          ("dense10,sofmax", "did you mean softmax?"),
                                          ("dropot0.2", "did you mean dropout0.2?")])
def test_a_misspelt_layer_names_the_one_meant(layers, said, capsys):
    status, out, err = run(capsys, "train", "--layers", layers, "--epochs", "1", "--no-save")
    assert status != 0 and said in err and len(err.strip().splitlines()) == 1


def test_a_misspelt_target_column_names_the_one_meant(capsys, tmp_path):
    (tmp_path / "t.csv").write_text("a,b,label\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(30)))
    status, out, err = run(capsys, "train", "--dataset", f"csv:{tmp_path / 't.csv'}", "--target", "lable",
                           "--no-save")
    assert status != 0 and "did you mean 'label'?" in err and len(err.strip().splitlines()) == 1
