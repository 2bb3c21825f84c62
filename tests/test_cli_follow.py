"""Reading a model file, pasteable hints, --resume's own words, and evaluate/predict's class and channel checks."""

import shlex

import numpy as np
import pytest

from nnscratch import Conv2D, Dense, Flatten, MaxPool2D, Network, ReLU, Softmax
from nnscratch.cli import resuming
from test_cli_messages import one_line, run  # noqa: E402  (the command line's one-error-line checks)

pytest.importorskip("matplotlib")


def _small(path, metadata=None):
    net = Network.from_sizes(784, 8, 10, seed=0)
    net.metadata = dict(metadata or {})
    net.save(path)
    return path


# ---------------------------------------------------------------- the library's better messages come through

def test_a_truncated_model_or_an_onnx_export_is_said_as_such_by_every_command(tmp_path, capsys):
    pytest.importorskip("ndonnx")
    pytest.importorskip("onnx")
    whole = _small(tmp_path / "m.npz")
    (tmp_path / "trunc.npz").write_bytes(whole.read_bytes()[:300])
    assert run(capsys, "export", whole, tmp_path / "m.onnx")[0] == 0
    np.save(tmp_path / "x.npy", np.zeros((1, 784), np.float32))
    (tmp_path / "notes.txt").write_text("not a model\n")
    for model, said in (("trunc.npz", "truncated"), ("m.onnx", "is an ONNX model"),
                        ("notes.txt", "not an .npz archive at all")):
        for command in (["evaluate", tmp_path / model], ["predict", tmp_path / model, tmp_path / "x.npy"],
                        ["plot", tmp_path / model, "--out", tmp_path / "p.png"],
                        ["export", tmp_path / model, tmp_path / "t.onnx"]):
            status, _, err = run(capsys, *command)
            line = one_line(status, err, said)
            assert model == "notes.txt" or "not an .npz archive at all" not in line, line


# ---------------------------------------------------------------- paths with spaces, quoted in commands to paste

def test_commands_to_paste_quote_paths_with_spaces(tmp_path, capsys):
    folder = tmp_path / "my runs"
    out, ckpt, hist = folder / "m 1.npz", folder / "run 1.ckpt", folder / "hist 1.json"
    status, said, err = run(capsys, "train", "--dataset", "xor", "--epochs", "1", "--backend", "numpy",
                            "--out", out, "--checkpoint", ckpt, "--history", hist)
    assert status == 0, err
    hint = said.split("try `", 1)[1].split("`", 1)[0]
    assert shlex.split(hint) == ["nnscratch", "evaluate", str(out)], hint
    line = one_line(*run(capsys, "evaluate", ckpt)[::2], "checkpoint")
    assert f"--resume {shlex.quote(str(ckpt))} " in line, line
    line = one_line(*run(capsys, "evaluate", hist)[::2], "training history")
    assert f"`nnscratch plot {shlex.quote(str(hist))}`" in line, line
    np.savez(folder / "my data.npz", X=np.zeros((4, 2)), y=np.arange(4) % 2)
    line = one_line(*run(capsys, "evaluate", folder / "my data.npz")[::2], "NumPy archive")
    assert f"--dataset {shlex.quote('npz:' + str(folder / 'my data.npz'))}`" in line, line
    (folder / "my rows.csv").write_text("a,b\n1,2\n")
    line = one_line(*run(capsys, "evaluate", folder / "my rows.csv")[::2], "is a CSV table, not a model")
    assert f"--dataset {shlex.quote('csv:' + str(folder / 'my rows.csv'))}`" in line, line
    assert f"--resume {shlex.quote(str(ckpt))}" in resuming.interrupted(str(ckpt), 0, 3)


# ---------------------------------------------------------------- metadata of one's own, alike in every command

@pytest.mark.parametrize("metadata", [{"dataset": "iris"}, {"target": 3}])
def test_metadata_of_ones_own_is_one_warning_in_every_command(tmp_path, capsys, metadata):
    model = _small(tmp_path / "own.npz", metadata)
    np.save(tmp_path / "x.npy", np.zeros((1, 784), np.float32))
    key = next(iter(metadata))
    for command in (["plot", model, "--what", "confusion", "--out", tmp_path / "c.png"], ["evaluate", model],
                    ["predict", model, tmp_path / "x.npy"], ["export", model, tmp_path / "own.onnx"]):
        if command[0] == "export":
            pytest.importorskip("ndonnx")
        status, _, err = run(capsys, *command)
        warnings = [line for line in err.splitlines() if line.startswith("warning:")]
        assert status == 0, (command[0], err)
        assert len(warnings) == 1 and f"metadata[{key!r}] is {metadata[key]!r}" in warnings[0], (command[0], err)
        assert "Traceback" not in err and "AttributeError" not in err
    assert Network.load(model).metadata == metadata  # the file is not changed


# ---------------------------------------------------------------- --resume's words, not --checkpoint's

def test_resume_and_out_naming_one_file_says_what_the_user_typed(tmp_path, capsys, monkeypatch):
    ckpt = tmp_path / "run.ckpt"
    assert run(capsys, "train", "--dataset", "xor", "--epochs", "1", "--backend", "numpy", "--quiet",
               "--out", tmp_path / "m.npz", "--checkpoint", ckpt)[0] == 0
    before = ckpt.read_bytes()
    line = one_line(*run(capsys, "train", "--dataset", "xor", "--epochs", "2", "--backend", "numpy",
                         "--resume", ckpt, "--out", ckpt)[::2], f"--resume {ckpt}", f"--out {ckpt}")
    assert "--checkpoint both" not in line and "its own file" in line, line
    assert ckpt.read_bytes() == before
    line = one_line(*run(capsys, "train", "--dataset", "xor", "--epochs", "2", "--backend", "numpy",
                         "--resume", ckpt, "--history", ckpt)[::2], f"--resume {ckpt}", f"--history {ckpt}")
    assert ckpt.read_bytes() == before
    (tmp_path / "model.npz").write_bytes(before)  # a checkpoint where --out's default would go
    monkeypatch.chdir(tmp_path)
    one_line(*run(capsys, "train", "--dataset", "xor", "--epochs", "2", "--backend", "numpy",
                  "--resume", "model.npz")[::2], "--out model.npz (the default --out)")


# ---------------------------------------------------------------- evaluate and predict: classes and channels

def test_evaluate_names_every_column_of_a_confusion_matrix_the_data_have_fewer_classes_for(tmp_path, capsys):
    model = _small(tmp_path / "ten.npz")
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "two.npz", X=rng.random((20, 784)), y=np.arange(20) % 2)
    status, out, err = run(capsys, "evaluate", model, "--dataset", f"npz:{tmp_path / 'two.npz'}")
    assert status == 0, err
    grid = out.split("columns: predicted class)\n", 1)[1].splitlines()
    assert grid[0].split() == [str(i) for i in range(10)], out
    assert len(grid) == 11 and all(len(row.split()) == 11 for row in grid[1:]), out


def _cnn(input_shape, side):
    return Network([Conv2D(1, 2, 3, padding=1), ReLU(), MaxPool2D(2), Flatten(), Dense(2 * (side // 2) ** 2, 3),
                    Softmax()], input_shape=input_shape, seed=0)


@pytest.mark.parametrize("input_shape,side", [((1, 28, 28), 28), ((1, 8, 8), 8), (None, 8)],
                         ids=["fixed28", "fixed8", "open"])
def test_colour_images_for_a_grey_cnn_are_refused_not_read_as_more_images(tmp_path, capsys, input_shape, side):
    _cnn(input_shape, side).save(tmp_path / "cnn.npz")
    rng = np.random.default_rng(1)
    np.save(tmp_path / "colour.npy", rng.random((2, 3, side, side)).astype(np.float32))
    one_line(*run(capsys, "predict", tmp_path / "cnn.npz", tmp_path / "colour.npy")[::2],
             f"shape (2, 3, {side}, {side})", "3 channels", "1 channel", "X.mean(axis=1, keepdims=True)")
    np.save(tmp_path / "grey.npy", rng.random((2, 1, side, side)).astype(np.float32))
    status, out, err = run(capsys, "predict", tmp_path / "cnn.npz", tmp_path / "grey.npy")
    assert status == 0 and len(out.strip().splitlines()) == 2, err


def test_classes_of_another_count_than_the_models_outputs_are_refused(tmp_path, capsys):
    Network.from_sizes(2, 4, 2, seed=0).save(tmp_path / "two.npz")
    np.save(tmp_path / "x.npy", np.zeros((3, 2), np.float32))
    one_line(*run(capsys, "predict", tmp_path / "two.npz", tmp_path / "x.npy", "--classes", "fashion-mnist")[::2],
             "--classes fashion-mnist names 10 classes", "predicts 2", "drop --classes")
    _small(tmp_path / "ten.npz")
    np.save(tmp_path / "d.npy", np.zeros((1, 784), np.float32))
    status, out, err = run(capsys, "predict", tmp_path / "ten.npz", tmp_path / "d.npy", "--classes", "fashion-mnist")
    from nnscratch.datasets.fetch import SOURCES
    assert status == 0 and out.split(": ", 1)[1].split(" (")[0] in SOURCES["fashion-mnist"].class_names, (out, err)
