"""Where saving meets the file system: links the user made, folders given for files.

A file nnscratch saves over may be a symbolic link the user made (``latest.npz -> run7.npz``): the
write goes to the file the link names, as ``numpy.save`` and ``open(path, "wb")`` do, still atomically,
and the link stays. A folder given where a model or checkpoint is read is said as a folder, not as a
damaged file.
"""

import os

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import Network
from nnscratch.errors import ConfigError, ModelFileError
from nnscratch.saving import checkpoint

X = np.random.default_rng(0).normal(size=(8, 3)).astype(np.float32)
Y = np.array([0, 1] * 4)


def _net(seed):
    return Network([nn.Dense(3, 4), nn.BatchNorm(4), nn.ReLU(), nn.Dense(4, 2), nn.Softmax()], seed=seed)


def _weights_of(path):
    return Network.load(path).get_weights()


def _same(a, b):
    return all(np.array_equal(u, v) for u, v in zip(a, b, strict=True))


# ---------------------------------------------------------------- symbolic links

@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links here")
def test_saving_over_a_link_writes_the_file_it_names_and_keeps_the_link(tmp_path):
    runs = tmp_path / "runs"
    runs.mkdir()
    target, link = runs / "run7.npz", tmp_path / "latest.npz"
    _net(1).save(target)
    os.symlink(os.path.join("runs", "run7.npz"), link)  # relative, as `ln -s runs/run7.npz latest.npz` makes it
    newer = _net(2)
    newer.save(link)
    assert os.path.islink(link) and os.readlink(link) == os.path.join("runs", "run7.npz")
    assert _same(_weights_of(target), newer.get_weights())
    assert sorted(os.listdir(runs)) == ["run7.npz"] and sorted(os.listdir(tmp_path)) == ["latest.npz", "runs"]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links here")
def test_a_checkpoint_through_a_link_keeps_the_link_and_resumes(tmp_path):
    target, link = tmp_path / "real.ckpt", tmp_path / "run.ckpt"
    _net(0).fit(X, Y, epochs=1, batch_size=4, checkpoint=target)
    os.symlink(target, link)
    _net(0).fit(X, Y, epochs=2, batch_size=4, checkpoint=link, resume=link)
    assert os.path.islink(link)
    assert checkpoint.load(target)[0]["epoch"] == 1


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links here")
def test_a_link_to_a_file_of_another_kind_is_still_refused(tmp_path):
    notes, link = tmp_path / "notes.txt", tmp_path / "m.npz"
    notes.write_text("my own notes")
    os.symlink(notes, link)
    with pytest.raises(ConfigError, match="is not an nnscratch model"):
        _net(0).save(link)
    assert notes.read_text() == "my own notes" and os.path.islink(link)


# ---------------------------------------------------------------- a folder where a file is read

@pytest.mark.parametrize("read", [Network.load, checkpoint.load], ids=["model", "checkpoint"])
def test_a_folder_given_as_the_file_to_read_is_said_as_a_folder(read, tmp_path):
    (tmp_path / "runs").mkdir()
    _net(0).save(tmp_path / "runs" / "m.npz")
    with pytest.raises(ModelFileError) as info:
        read(tmp_path / "runs")
    message = str(info.value)
    assert "\n" not in message and "is a folder" in message and "truncated" not in message, message
