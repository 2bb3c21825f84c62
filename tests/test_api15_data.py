"""A model or checkpoint nnscratch wrote, given where data goes: one line saying what the file is, what
--dataset takes and what to do, whatever prefix it has (``csv:model.npz`` said "not a text CSV") and whichever
command reads it (plot said evaluate's words)."""

import numpy as np
import pytest

from nnscratch import cli
from nnscratch.datasets import load_dataset, load_npz, load_table
from nnscratch.errors import DataFormatError


def run(capsys, *argv):
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A model and a checkpoint of xor, and an .npz of arrays that is data."""
    folder = tmp_path_factory.mktemp("files")
    model, checkpoint = folder / "model.npz", folder / "run.npz"
    assert cli.main(["train", "--dataset", "xor", "--epochs", "1", "--out", str(model)]) == 0
    assert cli.main(["train", "--dataset", "xor", "--epochs", "1", "--no-save", "--checkpoint", str(checkpoint)]) == 0
    np.savez(folder / "data.npz", X=np.random.default_rng(0).normal(size=(20, 4)), y=np.arange(20) % 2)
    return model, checkpoint, folder / "data.npz"


def one_line(status, err):
    assert status == 2 and err.count("\n") == 1, err
    return err


@pytest.mark.parametrize("prefix", ["", "csv:", "npz:"])
def test_train_says_a_model_given_as_data_is_a_model_file(capsys, files, prefix):
    model, _, _ = files
    status, _, err = run(capsys, "train", "--dataset", f"{prefix}{model}", "--epochs", "1", "--no-save")
    err = one_line(status, err)
    assert f"{model} is a model file written by nnscratch, not data; --dataset (load_dataset in Python) takes a table or arrays" in err
    assert "not a text CSV" not in err and "__header__" not in err and "UTF-8" not in err


@pytest.mark.parametrize("prefix", ["", "csv:"])
def test_train_says_a_checkpoint_given_as_data_is_one_and_how_to_continue_it(capsys, files, prefix):
    _, checkpoint, _ = files
    status, _, err = run(capsys, "train", "--dataset", f"{prefix}{checkpoint}", "--no-save")
    err = one_line(status, err)
    assert f"{checkpoint} is a checkpoint written by `nnscratch train --checkpoint`, not data" in err
    assert f"--resume {checkpoint}" in err and "not a text CSV" not in err


def test_the_library_says_it_too_and_data_still_loads(files):
    model, checkpoint, data = files
    for spec in (f"csv:{model}", str(model), f"npz:{model}"):
        with pytest.raises(DataFormatError, match="is a model file written by nnscratch, not data"):
            load_dataset(spec)
    with pytest.raises(DataFormatError, match="is a checkpoint written by"):
        load_npz(checkpoint)
    for given, what in ((model, "a model file"), (checkpoint, "a checkpoint")):  # not "not a text CSV"
        with pytest.raises(DataFormatError, match=f"is {what} written by .*load_dataset in Python"):
            load_table(given)
    assert load_dataset(str(data)).X_train.shape[1] == 4


@pytest.mark.parametrize("prefix", ["", "csv:"])
def test_plot_says_dataset_takes_the_data_to_draw_on_not_evaluates_words(capsys, files, tmp_path, prefix):
    model, checkpoint, _ = files
    for given in (model, checkpoint):
        status, _, err = run(capsys, "plot", model, "--what", "confusion", "--dataset", f"{prefix}{given}",
                             "--out", tmp_path / "c.png")
        err = one_line(status, err)
        what = "a model file" if given == model else "a checkpoint"
        assert f"--dataset {prefix}{given}: {given} is {what} written by nnscratch, not data" in err
        assert f"the data to draw {model}'s pictures on" in err and "leave out --dataset to draw on xor" in err
        assert "nnscratch evaluate" not in err and not (tmp_path / "c.png").exists()
    status, _, err = run(capsys, "plot", model, "--what", "confusion", "--out", tmp_path / "c.png")
    assert status == 0 and (tmp_path / "c.png").exists(), err  # the fix it names works

