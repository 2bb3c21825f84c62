"""``$NNSCRATCH_DEVICE_MEMORY`` below one batch: the command line says once that every batch is copied on its own."""

import json

import pytest

from test_cli_messages import run  # noqa: E402  (the command line, its status and output)

NOTE = "holds less than one batch"


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    from nnscratch import cli
    path = tmp_path_factory.mktemp("memory") / "spirals.npz"
    assert cli.main(["train", "--dataset", "spirals", "--epochs", "1", "--quiet", "--backend", "numpy",
                     "--out", str(path)]) == 0
    return path


@pytest.mark.parametrize("budget, said, lower", [("1K", True, False), ("100K", True, True), ("1G", False, False),
                                                 (None, False, False)])
def test_train_below_one_batch_says_so_once_and_still_trains(tmp_path, capsys, monkeypatch, budget, said, lower):
    """1K holds not even the parameters (fewer rows would not fit either), 100K the parameters but not 32 rows."""
    if budget:
        monkeypatch.setenv("NNSCRATCH_DEVICE_MEMORY", budget)
    else:
        monkeypatch.delenv("NNSCRATCH_DEVICE_MEMORY", raising=False)
    status, out, err = run(capsys, "train", "--dataset", "spirals", "--epochs", "1", "--batch-size", "32", "--json",
                           "--backend", "numpy", "--out", tmp_path / "m.npz")
    notes = [line for line in err.splitlines() if NOTE in line]
    assert status == 0 and (tmp_path / "m.npz").exists()
    assert len(notes) == (1 if said else 0), err
    warnings = json.loads(out)["warnings"] if "warnings" in json.loads(out) else []
    assert sum(NOTE in w for w in warnings) == len(notes)
    if said:
        line = notes[0]
        assert line.startswith(f"warning: NNSCRATCH_DEVICE_MEMORY={budget} ") and "32 samples" in line, line
        assert "copied to the device on its own" in line and "raise it above" in line
        assert ("or lower --batch-size" in line) == lower, line


def test_evaluate_below_one_batch_says_so_once(model, capsys, monkeypatch):
    monkeypatch.setenv("NNSCRATCH_DEVICE_MEMORY", "1K")
    status, out, err = run(capsys, "evaluate", model)
    assert status == 0 and "accuracy" in out
    assert [line for line in err.splitlines() if NOTE in line] == err.strip().splitlines(), err
    assert len(err.strip().splitlines()) == 1 and "a forward pass on" in err
    monkeypatch.setenv("NNSCRATCH_DEVICE_MEMORY", "1G")
    assert run(capsys, "evaluate", model)[2] == ""
