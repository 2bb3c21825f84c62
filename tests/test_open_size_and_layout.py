"""Two paths that a network's image shapes used to break.

A network of convolutions only, built without ``input_shape``, takes images of any size and so has no
fixed output count: saving it (``Network.save``, a checkpoint, ``pickle``) asked for that count and
failed with "a classifier needs a fixed count". Its files now round-trip; ONNX export, which fixes a
size, asks for one in one line.

The command line flattens an image array's rows whatever their layout, so channels-last colour images
``(n, H, W, C)`` fed to a channels-first CNN had as many values per row as it takes and were evaluated
on scrambled pixels; they are now refused in one line naming the transpose that fixes them.
"""

import pickle

import numpy as np
import pytest

from nnscratch import BatchNorm, Conv2D, Network, ReLU, Sigmoid
from nnscratch.errors import ConfigError
from nnscratch.optim.optimizers import Adam
from nnscratch.saving import checkpoint
from nnscratch.training.history import History
from test_cli_messages import one_line, run  # noqa: E402  (the command line's one-line errors)


def fully_convolutional(*end):
    """Input (1, None, None), output (2, None, None): no output count until images arrive."""
    return Network([Conv2D(1, 4, 3, padding=1), BatchNorm(4), ReLU(), Conv2D(4, 2, 3, padding=1), *end], seed=3)


def perturbed(net):
    """``net`` with weights and running statistics that are not the freshly drawn ones."""
    rng = np.random.default_rng(7)
    net.set_weights([w + rng.normal(size=w.shape) for w in net.get_weights()])
    net.set_buffers({k: v + rng.random(v.shape) for k, v in net.get_buffers().items()})
    return net


IMAGES = np.random.default_rng(0).normal(size=(3, 1, 8, 8)).astype(np.float32)
OTHER_SIZE = np.random.default_rng(1).normal(size=(2, 1, 5, 11)).astype(np.float32)


@pytest.mark.parametrize("end", [(), (Sigmoid(),)], ids=["identity", "sigmoid"])
def test_a_network_of_open_output_size_saves_loads_and_pickles(tmp_path, end):
    net = perturbed(fully_convolutional(*end))
    assert net.output_shape == (2, None, None)
    for copy in (Network.load(net.save(tmp_path / "fcn.npz")), pickle.loads(pickle.dumps(net))):
        assert copy.input_shape == (1, None, None) and copy.get_config() == net.get_config()
        for a, b in zip(copy.get_weights(), net.get_weights()):
            np.testing.assert_array_equal(a, b)
        for X in (IMAGES, OTHER_SIZE):  # images of any size, as the original takes
            np.testing.assert_array_equal(copy.predict_proba(X), net.predict_proba(X))


def test_a_network_of_open_output_size_keeps_a_task_fixed_for_it():
    net = fully_convolutional()
    assert net.get_config()["task"] is None  # derived again once an output count is known
    net.task = "regression"
    assert Network.from_config(net.get_config()).task == "regression"


def test_a_checkpoint_of_a_network_of_open_output_size_resumes(tmp_path):
    """fit() cannot train such a network (its targets need a fixed count), but the checkpoint format it
    shares with Network.save holds one: weights, running statistics, Adam's moments."""
    net = perturbed(fully_convolutional())
    net.optimizer = Adam(lr=0.01)
    for p in net.parameters():
        p.grad = net.backend.asarray(np.ones(p.value.shape), dtype=net.dtype)
    net.optimizer.step(net.parameters())
    path = checkpoint.save(tmp_path / "run.ckpt", net, epoch=4, history=History())
    header, arrays = checkpoint.load(path)
    resumed = fully_convolutional()
    resumed.optimizer = Adam(lr=0.01)
    assert checkpoint.restore(resumed, path, header, arrays) == 5
    np.testing.assert_array_equal(resumed.predict_proba(IMAGES), net.predict_proba(IMAGES))
    saved, restored = net.optimizer.state_dict(), resumed.optimizer.state_dict()
    assert restored["t"] == saved["t"] == 1 and restored["state"].keys() == saved["state"].keys()
    for name, slots in saved["state"].items():
        for slot, value in slots.items():
            np.testing.assert_array_equal(restored["state"][name][slot], value)


def test_onnx_export_of_an_open_size_asks_for_one_in_one_line(tmp_path, capsys):
    pytest.importorskip("ndonnx")
    net = fully_convolutional()
    with pytest.raises(ConfigError, match=r"pass the shape to export for, e\.g\. to_onnx\(net, input_shape="
                                          r"\(1, 28, 28\)\)") as info:
        net.export_onnx(tmp_path / "fcn.onnx")
    assert "\n" not in str(info.value)
    net.save(tmp_path / "fcn.npz")
    one_line(*run(capsys, "export", tmp_path / "fcn.npz", tmp_path / "a.onnx")[::2], "--input-shape 1,28,28")
    status, out, err = run(capsys, "export", tmp_path / "fcn.npz", tmp_path / "b.onnx", "--input-shape", "1,8,8")
    assert status == 0 and "output 'output' (N, 2, 8, 8)" in out, err


def colour_images(tmp_path, n=40):
    """Channels-first colour images X.npy (n, 3, 8, 8), the same channels-last in last.npy, labels y.npy."""
    rng = np.random.default_rng(0)
    X = rng.random((n, 3, 8, 8)).astype(np.float32)
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "last.npy", X.transpose(0, 2, 3, 1))
    np.save(tmp_path / "y.npy", (X[:, 0].mean(axis=(1, 2)) > X[:, 1].mean(axis=(1, 2))).astype(np.int64))
    np.savez(tmp_path / "last.npz", X=X.transpose(0, 2, 3, 1), y=np.load(tmp_path / "y.npy"))
    return X


def test_channels_last_images_are_refused_for_a_channels_first_cnn(tmp_path, capsys):
    colour_images(tmp_path)
    model, y = tmp_path / "cnn.npz", tmp_path / "y.npy"
    assert run(capsys, "train", "--dataset", f"npy:{tmp_path / 'X.npy'},{y}", "--layers",
               "conv4x3p1,relu,maxpool2,dense2", "--epochs", "1", "--out", model)[0] == 0
    fix = "numpy.save(PATH, X.transpose(0, 3, 1, 2))"
    for dataset in (f"npy:{tmp_path / 'last.npy'},{y}", f"npz:{tmp_path / 'last.npz'}"):
        one_line(*run(capsys, "evaluate", model, "--dataset", dataset)[::2], "channels-last images (n, 8, 8, 3)",
                 "takes channels-first images (n, 3, 8, 8)", fix)
    status, out, err = run(capsys, "evaluate", model, "--dataset", f"npy:{tmp_path / 'X.npy'},{y}", "--json")
    assert status == 0, err
    np.save(tmp_path / "flat.npy", np.load(tmp_path / "X.npy").reshape(40, -1))  # flat rows: as they are
    assert run(capsys, "evaluate", model, "--dataset", f"npy:{tmp_path / 'flat.npy'},{y}", "--json")[1] == \
        out.replace("X.npy", "flat.npy")
    # predict moves a .npy's channels first itself (the same predictions as channels-first input)
    first, last = (run(capsys, "predict", model, tmp_path / name, "--json") for name in ("X.npy", "last.npy"))
    assert first[0] == last[0] == 0 and first[1] == last[1].replace("last.npy", "X.npy"), last[2]


def test_channels_last_images_are_refused_when_training_and_resuming(tmp_path, capsys):
    """Four channels-last channels of 8x8 make rows of 256 values, a 16x16 square: a CNN was built for
    (1, 16, 16) images and trained on scrambled ones; a resume ended on 'another network'."""
    X = np.random.default_rng(2).random((40, 4, 8, 8)).astype(np.float32)
    np.save(tmp_path / "rgba.npy", X.transpose(0, 2, 3, 1))
    np.save(tmp_path / "y.npy", np.arange(40) % 2)
    data = f"npy:{tmp_path / 'rgba.npy'},{tmp_path / 'y.npy'}"
    for options in (("--model", "cnn"), ("--layers", "conv2x3,dense2", "--resume", tmp_path / "none.ckpt")):
        if "--resume" in options:
            np.save(tmp_path / "first.npy", X)
            assert run(capsys, "train", "--dataset", f"npy:{tmp_path / 'first.npy'},{tmp_path / 'y.npy'}",
                       "--layers", "conv2x3,dense2", "--epochs", "1", "--checkpoint", tmp_path / "none.ckpt",
                       "--no-save")[0] == 0
        one_line(*run(capsys, "train", "--dataset", data, *options, "--epochs", "2", "--no-save")[::2],
                 "rgba.npy holds channels-last images (n, 8, 8, 4)", "X.transpose(0, 3, 1, 2)")
    status, out, err = run(capsys, "train", "--dataset", data, "--layers", "256,16,2", "--epochs", "1", "--no-save")
    assert status == 0, err  # an MLP learns the rows in their own order


@pytest.mark.parametrize("shape", [(40, 8, 8), (40, 8, 8, 1)], ids=["(n, H, W)", "(n, H, W, 1)"])
def test_one_channel_images_stay_images(tmp_path, capsys, shape):
    X = np.random.default_rng(4).random(shape).astype(np.float32)
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", np.arange(40) % 2)
    data, model = f"npy:{tmp_path / 'X.npy'},{tmp_path / 'y.npy'}", tmp_path / "m.npz"
    assert run(capsys, "train", "--dataset", data, "--layers", "conv2x3,dense2", "--epochs", "1",
               "--out", model)[0] == 0
    status, out, err = run(capsys, "evaluate", model, "--dataset", data)
    assert status == 0 and "accuracy" in out, err
