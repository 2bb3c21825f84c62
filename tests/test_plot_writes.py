"""``nnscratch plot`` meets the file system as ``train`` does: a refused write (a full disk) is one line
naming ``--out`` with the fix that fits it, a folder made for ``--out`` is removed again when nothing was
written in it, and a folder given as the model is called a folder."""

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_writers_kept import error_line, full_disk_in  # noqa: E402

from nnscratch import cli  # noqa: E402

pytest.importorskip("matplotlib")


@pytest.fixture
def model(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["train", "--dataset", "xor", "--epochs", "2", "--backend", "numpy", "--quiet",
                     "--out", "xor.npz"]) == 0
    capsys.readouterr()
    return "xor.npz"


@pytest.mark.parametrize("what", ["confusion", "all"])
def test_a_full_disk_is_one_line_naming_out_and_the_folder_made_for_it_goes(model, what, tmp_path, monkeypatch,
                                                                            capsys):
    """Before: 'error: OSError: [Errno 28] No space left on device: ...' (run with --debug...), and the
    folder created for --out stayed behind, empty."""
    full_disk_in(monkeypatch, tmp_path / "new")
    out = "new/deep/c.png" if what == "confusion" else "new/deep/pictures"
    line = error_line(capsys, "plot", model, "--what", what, "--dataset", "xor", "--out", out)
    assert line.startswith(f"error: --out {out}") and "No space left on device" in line, line
    assert "free some space" in line and "OSError" not in line
    assert sorted(os.listdir(tmp_path)) == [model]  # new/deep/ was made for --out, and is gone again


def test_a_folder_given_as_the_model_is_called_a_folder(model, capsys):
    """Before: IsADirectoryError ... 'Save the model again'."""
    os.mkdir("runs")
    os.replace(model, os.path.join("runs", model))
    line = error_line(capsys, "plot", "runs", "--what", "architecture")
    assert line == "error: model runs is a folder; pass the model file itself, e.g. runs/xor.npz.", line


def test_train_plot_naming_a_picture_file_is_refused_before_training(tmp_path, monkeypatch, capsys):
    """Before: train --plot F.png trained, then made a folder named F.png and drew the pictures in it."""
    monkeypatch.chdir(tmp_path)
    line = error_line(capsys, "train", "--dataset", "xor", "--epochs", "2", "--backend", "numpy", "--no-save",
                      "--plot", "F.png")
    assert line.startswith("error: --plot F.png: --plot takes a folder") and "--plot F)" in line, line
    assert "nnscratch plot MODEL --what NAME --out F.png" in line and os.listdir(tmp_path) == []
