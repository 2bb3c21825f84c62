"""History.to_json writes strict JSON: a missing figure, a one-row val_r2 (NaN) as ``null``, which JavaScript's
JSON.parse, jq and Python's json with ``parse_constant`` raising read; History.from_json and ``nnscratch plot``
read ``null`` back as NaN, and files of older versions (holding ``NaN``) as before."""

import csv
import json
import math
import warnings

import numpy as np

import nnscratch as nn
from nnscratch import cli


def strict_json(text):
    """JSON as a strict parser reads it: NaN and Infinity are not JSON."""
    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")
    return json.loads(text, parse_constant=refuse)


def same(a, b):
    """Two lists of figures equal, NaN where the other has NaN."""
    return len(a) == len(b) and all((math.isnan(x) and math.isnan(y)) if isinstance(x, float) and math.isnan(x)
                                    else x == y for x, y in zip(a, b))


class FromSecondEpoch(nn.Callback):
    """Logs a figure from the second epoch on: History keeps NaN for the first."""
    def on_epoch_end(self, epoch, logs, network):
        if epoch:
            logs["late"] = 0.5 * epoch


def one_row_validation_history():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 3))
    y = X @ np.array([1.0, -2.0, 0.5])
    net = nn.Network.from_sizes(3, 8, 1, output="identity", seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nn.errors.UndefinedMetricWarning)
        return net.fit(X[1:], y[1:], epochs=3, loss="mse", batch_size=8, validation_data=(X[:1], y[:1]),
                       callbacks=[FromSecondEpoch()])


def test_to_json_writes_null_for_nan_and_from_json_reads_nan_back(tmp_path):
    history = one_row_validation_history()
    assert all(np.isnan(history["val_r2"])) and np.isnan(history["late"][0])
    data = strict_json(history.to_json(tmp_path / "h.json"))
    assert data["history"]["val_r2"] == [None, None, None] and data["history"]["late"] == [None, 0.5, 1.0]
    assert strict_json((tmp_path / "h.json").read_text()) == data
    for source in (tmp_path / "h.json", str(tmp_path / "h.json"), history.to_json()):
        back = nn.History.from_json(source)
        assert back.epoch == history.epoch and back.params == history.params
        assert set(back.history) == set(history.history)
        for key, values in history.history.items():
            assert same(back[key], values), key
            assert all(isinstance(v, float) for v in back[key]), key


def test_infinity_is_null_too_and_reads_back_as_nan():
    history = nn.History({"loss": [1.0, math.inf], "val_loss": [-math.inf, 2.0]}, [0, 1], {"seconds": [math.nan]})
    data = strict_json(history.to_json())
    assert data["history"] == {"loss": [1.0, None], "val_loss": [None, 2.0]} and data["params"] == {"seconds": [None]}
    back = nn.History.from_json(history.to_json())
    assert back["loss"][0] == 1.0 and math.isnan(back["loss"][1]) and math.isnan(back["val_loss"][0])


def test_an_older_file_holding_nan_reads_as_before(tmp_path):
    old = tmp_path / "old.json"
    old.write_text('{"epoch": [0, 1], "history": {"loss": [0.5, 0.4], "val_r2": [NaN, NaN]}, "params": {}}')
    back = nn.History.from_json(old)
    assert back["loss"] == [0.5, 0.4] and all(math.isnan(v) for v in back["val_r2"])
    new = strict_json(back.to_json())  # written again: strict
    assert new["history"]["val_r2"] == [None, None]


def test_nnscratch_train_history_is_strict_json_and_plot_draws_it(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(1)
    X = np.round(rng.normal(size=(13, 2)), 4)
    y = np.round(X @ [1.0, -1.0], 4)
    with open("v.csv", "w", newline="") as f:
        csv.writer(f).writerows([["a", "b", "y"], *[[*x, v] for x, v in zip(X.tolist(), y.tolist())]])
    status = cli.main(["train", "--dataset", "v.csv", "--target", "y", "--epochs", "2", "--validation", "0.1",
                       "--no-save", "--history", "h.json"])
    assert status == 0, capsys.readouterr().err
    text = (tmp_path / "h.json").read_text()
    assert "NaN" not in text
    data = strict_json(text)
    assert data["history"]["val_r2"] == [None, None] and all(isinstance(v, float) for v in data["history"]["r2"])
    back = nn.History.from_json("h.json")
    assert all(math.isnan(v) for v in back["val_r2"]) and len(back["loss"]) == 2
    capsys.readouterr()
    for name, source in (("new.png", "h.json"), ("old.png", "old.json")):
        if source == "old.json":  # the same history as an older version wrote it
            (tmp_path / source).write_text(text.replace("null", "NaN"))
        status = cli.main(["plot", source, "--out", name])
        assert status == 0, capsys.readouterr().err
        assert (tmp_path / name).read_bytes().startswith(b"\x89PNG")
