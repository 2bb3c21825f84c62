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


# ---------------------------------------------------------------- what JSON cannot hold, named where it is

class _Scaled(nn.layers.base.Layer):
    """A layer of one's own whose setting is no JSON value (``get_config`` returns it as it is)."""

    def __init__(self, k=2.0):
        self.k = k

    def forward(self, x, training=False):
        return x

    def backward(self, grad):
        return grad

    def get_config(self):
        return {"type": "_Scaled", "k": self.k}


def test_a_layer_setting_json_cannot_hold_names_the_layer_not_the_metadata(tmp_path):
    net = Network([nn.Dense(3, 4), _Scaled(k=object()), nn.Dense(4, 2)], seed=0)
    with pytest.raises(ConfigError) as info:
        net.save(tmp_path / "m.npz")
    message = str(info.value)
    assert "\n" not in message and "layer 1 (_Scaled)" in message and "_Scaled.get_config()" in message, message
    assert "metadata" not in message, message
    assert os.listdir(tmp_path) == []


def test_a_callback_state_json_cannot_hold_names_the_callback(tmp_path):
    class Counter(nn.Callback):
        def get_state(self):
            return {"seen": {1, 2}}  # a set: no JSON value

        def set_state(self, state):
            pass

    with pytest.raises(ConfigError) as info:
        _net(0).fit(X, Y, epochs=1, batch_size=4, checkpoint=tmp_path / "run.ckpt", callbacks=[Counter()])
    message = str(info.value)
    assert "\n" not in message and "Counter.get_state()" in message and "metadata" not in message, message


def test_metadata_json_cannot_hold_is_still_said_as_metadata(tmp_path):
    net = Network([nn.Dense(3, 2)], seed=0, metadata={"owner": {"name": object()}})
    with pytest.raises(ConfigError, match=r"metadata\['owner'\]\['name'\].*Network\(metadata=...\)"):
        net.save(tmp_path / "m.npz")


# ---------------------------------------------------------------- a file that is not what is read

def test_a_damaged_checkpoint_says_how_to_go_on_not_to_save_a_model(tmp_path):
    path = tmp_path / "run.ckpt"
    _net(0).fit(X, Y, epochs=1, batch_size=4, checkpoint=path)
    path.write_bytes(path.read_bytes()[:-40])  # cut short
    with pytest.raises(ModelFileError) as info:
        _net(0).fit(X, Y, epochs=2, batch_size=4, resume=path)
    message = str(info.value)
    assert "\n" not in message and "truncated" in message and "resume=" in message, message
    assert "Save the model again" not in message, message


def test_an_onnx_file_given_to_load_is_said_as_the_export_it_is(tmp_path):
    pytest.importorskip("ndonnx", reason="ndonnx is not installed (pip install 'nnscratch[onnx]')")
    path = _net(0).export_onnx(tmp_path / "m.onnx") and tmp_path / "m.onnx"
    with pytest.raises(ModelFileError) as info:
        Network.load(path)
    message = str(info.value)
    assert "\n" not in message and "is an ONNX model" in message and ".npz" in message, message


def test_a_checkpoint_loaded_as_a_model_names_a_command_that_runs_as_pasted(tmp_path):
    import shlex
    path = tmp_path / "my runs" / "run 1.ckpt"
    path.parent.mkdir()
    _net(0).fit(X, Y, epochs=1, batch_size=4, checkpoint=path)
    with pytest.raises(ModelFileError) as info:
        Network.load(path)
    command = str(info.value).split("`")[1]  # the `nnscratch train ... --resume PATH ...` it suggests
    argv = shlex.split(command)
    assert argv[argv.index("--resume") + 1] == str(path), command


# ---------------------------------------------------------------- names the system takes

def test_a_long_unicode_name_the_system_takes_is_saved(tmp_path):
    """A name of 244 bytes in UTF-8 (80 characters) is a valid file name; the temporary file beside it
    (its tail after a prefix) was over the 255-byte limit, so the save failed with "File name too long"."""
    name = "模" * 80 + ".npz"
    try:
        (tmp_path / name).write_bytes(b"")
        (tmp_path / name).unlink()
    except OSError:
        pytest.skip("this file system does not take a 244-byte name")
    net = _net(3)
    net.save(tmp_path / name)
    assert _same(_weights_of(tmp_path / name), net.get_weights()) and os.listdir(tmp_path) == [name]


# ---------------------------------------------------------------- resuming

def test_a_layer_initialiser_given_once_does_not_refuse_the_resume(tmp_path):
    """The checkpoint brings every weight, so the initialiser of the resumed network's layers does not
    matter (a network-wide ``init=`` was never compared); it refused as "written for another network"."""
    def layers(init):
        return [nn.Dense(3, 4, init=init), nn.ReLU(), nn.Dense(4, 2), nn.Softmax()]

    whole = Network(layers("he"), seed=0)
    whole.fit(X, Y, epochs=2, batch_size=4)
    Network(layers("he"), seed=0).fit(X, Y, epochs=1, batch_size=4, checkpoint=tmp_path / "run.ckpt")
    resumed = Network(layers(None), seed=7)
    resumed.fit(X, Y, epochs=2, batch_size=4, resume=tmp_path / "run.ckpt")
    assert _same(resumed.get_weights(), whole.get_weights())


def test_a_resume_into_another_architecture_is_still_refused(tmp_path):
    Network([nn.Dense(3, 4), nn.ReLU(), nn.Dense(4, 2), nn.Softmax()], seed=0).fit(
        X, Y, epochs=1, batch_size=4, checkpoint=tmp_path / "run.ckpt")
    with pytest.raises(ModelFileError, match="written for another network"):
        Network([nn.Dense(3, 4), nn.Tanh(), nn.Dense(4, 2), nn.Softmax()], seed=0).fit(
            X, Y, epochs=2, batch_size=4, resume=tmp_path / "run.ckpt")


# ---------------------------------------------------------------- layers of one's own

def test_a_registered_layer_its_config_cannot_rebuild_is_said_as_its_get_config(tmp_path):
    class Gain(nn.layers.base.Layer):
        def __init__(self, k):  # get_config (the base's) leaves k out
            self.k = k

        def forward(self, x, training=False):
            return x * self.k

        def backward(self, grad):
            return grad * self.k

    nn.layers.register(Gain)
    try:
        Network([nn.Dense(3, 4), Gain(2.0), nn.Dense(4, 2)], seed=0).save(tmp_path / "m.npz")
        with pytest.raises(ModelFileError) as info:
            Network.load(tmp_path / "m.npz")
    finally:
        del nn.layers.LAYERS["Gain"]
    message = str(info.value)
    assert "\n" not in message and "damaged" not in message, message
    assert "layer 1" in message and "Gain.get_config()" in message and "k" in message, message


# ---------------------------------------------------------------- the command line on a model saved from Python

@pytest.mark.parametrize("metadata", [{"dataset": "iris"}, {"target": 3}, {"features": "abc"}, {"dataset": ["x"]}],
                         ids=["dataset-text", "target-number", "features-text", "dataset-list"])
def test_metadata_of_ones_own_under_a_key_the_command_line_keeps_is_no_traceback(metadata, tmp_path, capsys):
    """``Network(metadata={"dataset": "iris"})`` is the user's to write; `nnscratch train` keeps a dict
    there. predict and evaluate stopped with AttributeError ('str' object has no attribute 'get')."""
    from nnscratch import cli
    model = Network([nn.Dense(4, 3), nn.Softmax()], seed=0, metadata=metadata).save(tmp_path / "m.npz")
    np.save(tmp_path / "x.npy", np.zeros((2, 4), np.float32))
    status = cli.main(["predict", model, str(tmp_path / "x.npy")])
    out, err = capsys.readouterr()
    assert status == 0 and out.count("x.npy[") == 2, err
    assert len(err.strip().splitlines()) == 1 and err.startswith("warning: ") and "metadata" in err, err
    status = cli.main(["evaluate", model, "--dataset", "blobs"])
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert status == 2 and lines[-1].startswith("error: ") and "Traceback" not in err, err
    assert "expects 4 inputs" in lines[-1], err


def test_a_path_ending_in_a_separator_names_a_folder_and_writes_nothing(tmp_path):
    with pytest.raises((ConfigError, OSError)) as info:
        _net(0).save(str(tmp_path / "m.npz") + os.sep)
    assert "folder" in str(info.value) or "directory" in str(info.value).lower(), str(info.value)
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------- ONNX export options

@pytest.mark.parametrize("options, words", [
    ({"input_name": "x", "output_name": "x"}, "input_name and output_name"),
    ({"input_name": ""}, "input_name"),
    ({"output_name": None}, "output_name"),
    ({"input_shape": 2.5}, "input_shape=2.5"),
], ids=["same-names", "empty-name", "no-name", "float-shape"])
def test_export_options_a_graph_cannot_take_are_one_config_error(options, words):
    pytest.importorskip("ndonnx", reason="ndonnx is not installed (pip install 'nnscratch[onnx]')")
    with pytest.raises(ConfigError) as info:
        _net(0).export_onnx(**options)
    assert "\n" not in str(info.value) and words in str(info.value), str(info.value)


def test_export_takes_an_integer_input_shape_as_network_does():
    pytest.importorskip("ndonnx", reason="ndonnx is not installed (pip install 'nnscratch[onnx]')")
    ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")
    net = _net(0)
    model = net.export_onnx(input_shape=3)  # Network(input_shape=3) is (3,)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    for n in (1, 3):
        got = session.run(None, {"input": X[:n]})[0]
        np.testing.assert_allclose(got, net.predict_proba(X[:n]), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- parameters a file keeps by name

class _Shift(nn.layers.base.Layer):
    """A layer of one's own whose parameter is named without the layer's index: two of them collide."""

    def build(self, backend, rng, init, index):
        super().build(backend, rng, init, index)
        self.b = nn.layers.Parameter("b", backend.asarray(rng.normal(size=4), dtype=backend.dtype))
        self.params = (self.b,)

    def forward(self, x, training=False):
        return x + self.b.value

    def backward(self, grad, need_input_grad=True):
        self.b.grad = self.xp.sum(grad, axis=0)
        return grad


def test_two_parameters_of_one_name_are_refused_not_saved_as_one(tmp_path):
    """A file keeps each array by its parameter's name: the second 'b' replaced the first, and the
    loaded model predicted other values, silently."""
    nn.layers.register(_Shift)
    try:
        net = Network([nn.Dense(3, 4), _Shift(), nn.ReLU(), _Shift(), nn.Dense(4, 2)], seed=0)
        with pytest.raises(ConfigError) as info:
            net.save(tmp_path / "m.npz")
        with pytest.raises(ConfigError):
            net.fit(X, Y, epochs=1, batch_size=4, checkpoint=tmp_path / "run.ckpt")
    finally:
        del nn.layers.LAYERS["_Shift"]
    message = str(info.value)
    assert "\n" not in message and "'b'" in message and "layers 1" in message and "3" in message, message
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------- the round trip, bit for bit, per backend and dtype

def _every_layer():
    """Every layer kind: a strided, padded, non-square convolution, both pools, BatchNorm on channels and
    on features, Dropout, Flatten, Reshape and every activation."""
    return [nn.Reshape((1, 7, 6)), nn.Conv2D(1, 2, (3, 2), stride=(2, 1), padding=1), nn.BatchNorm(2), nn.LeakyReLU(0.2),
            nn.MaxPool2D((2, 1)), nn.AvgPool2D(1), nn.Flatten(), nn.Dropout(0.3), nn.Dense(28, 5), nn.BatchNorm(5),
            nn.Tanh(), nn.Dense(5, 4), nn.Sigmoid(), nn.Dense(4, 4), nn.ReLU(), nn.Dense(4, 3), nn.Identity()]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_saved_and_loaded_on_its_backend_is_the_same_model_bit_for_bit(any_backend, dtype, tmp_path):
    if dtype == "float64" and not any_backend.has_float64:
        pytest.skip(f"{any_backend} has no float64")
    rng = np.random.default_rng(1)
    data, labels = rng.normal(size=(8, 42)).astype(dtype), rng.integers(0, 3, 8)
    net = Network(_every_layer(), seed=0, backend=any_backend, dtype=dtype)
    net.fit(data, labels, epochs=1, batch_size=4, loss="cross_entropy", optimizer="adam")
    loaded = Network.load(net.save(tmp_path / "m.npz"), backend=any_backend)
    assert loaded.backend.dtype_name == dtype and loaded.get_config() == net.get_config()
    want, got = (m.backend.to_numpy(m.predict_proba(data)) for m in (net, loaded))
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got, want)
    for key, value in net.get_buffers().items():
        np.testing.assert_array_equal(loaded.get_buffers()[key], value)


class _Killed(nn.Callback):
    """Stops the run at the start of epoch ``at``, as a killed process would (after that checkpoint)."""

    def __init__(self, at):
        self.at = at

    def on_epoch_begin(self, epoch, network):
        if epoch == self.at:
            raise KeyboardInterrupt


def test_a_run_killed_and_resumed_on_its_backend_ends_as_the_whole_run_bit_for_bit(any_backend, tmp_path):
    from nnscratch.optim.schedules import Cosine
    rng = np.random.default_rng(2)
    data, labels = rng.normal(size=(10, 42)).astype(np.float32), rng.integers(0, 3, 10)

    def run(*, seed=0, **options):
        net = Network(_every_layer(), seed=seed, backend=any_backend)
        net.fit(data, labels, epochs=3, batch_size=4, loss="cross_entropy",
                optimizer=nn.get_optimizer("adam", lr=Cosine(0.01, 9)), **options)
        return net

    whole = run()
    with pytest.raises(KeyboardInterrupt):
        run(checkpoint=tmp_path / "run.ckpt", callbacks=[_Killed(2)])
    resumed = run(seed=5, resume=tmp_path / "run.ckpt")
    assert _same(resumed.get_weights(), whole.get_weights())
    for key, value in whole.get_buffers().items():
        np.testing.assert_array_equal(resumed.get_buffers()[key], value)
    assert (resumed.optimizer.t, resumed.optimizer.current_lr) == (whole.optimizer.t, whole.optimizer.current_lr)
    assert resumed.rng.bit_generator.state == whole.rng.bit_generator.state


@pytest.mark.parametrize("dtype, tolerance", [("float32", 1e-5), ("float64", 1e-12)])
def test_the_onnx_graph_of_every_layer_is_predict_proba_at_batches_of_1_and_3(dtype, tolerance):
    pytest.importorskip("ndonnx", reason="ndonnx is not installed (pip install 'nnscratch[onnx]')")
    ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")
    rng = np.random.default_rng(3)
    data, labels = rng.normal(size=(8, 42)).astype(dtype), rng.integers(0, 3, 8)
    net = Network(_every_layer(), seed=0, dtype=dtype)
    net.fit(data, labels, epochs=1, batch_size=4, loss="cross_entropy")
    session = ort.InferenceSession(net.export_onnx().SerializeToString(), providers=["CPUExecutionProvider"])
    for n in (1, 3):
        got = session.run(None, {"input": data[:n]})[0]
        assert got.dtype == np.dtype(dtype) and got.shape == (n, 3)
        np.testing.assert_allclose(got, net.predict_proba(data[:n]), rtol=tolerance, atol=tolerance / 10)


# ---------------------------------------------------------------- a table model's standardisation, as the file holds it

@pytest.mark.parametrize("entry", [{"mean": [0, 0, 0], "std": [1, 2]}, {"mean": [0, 0, 0], "std": [1, 0, 1]},
                                   {"mean": [0, 0, 0], "std": [1, -1, 1]}, {"mean": [0, None, 0], "std": [1, 1, 1]},
                                   {"mean": [[0, 0, 0]], "std": [[1, 1, 1]]}],
                         ids=["lengths", "zero-std", "negative-std", "no-number", "2-d"])
def test_a_damaged_standardisation_is_said_as_such_not_blamed_on_the_rows(entry, tmp_path, capsys):
    """A std of another length was a broadcasting ValueError (and a multi-line ONNX error on export),
    a zero std 'X contains NaN ... clean or impute' about the user's rows, a negative one no error."""
    from nnscratch import cli
    from nnscratch.saving.standardizer import Standardizer
    with pytest.raises(ModelFileError, match="'standardize' metadata is damaged"):
        Standardizer.from_metadata({"standardize": entry})
    net = Network([nn.Dense(3, 3), nn.Softmax()], seed=0,
                  metadata={"standardize": entry, "features": ["a", "b", "c"], "task": "classification"})
    model = net.save(tmp_path / "m.npz")
    (tmp_path / "rows.csv").write_text("a,b,c\n1,2,3\n")
    status = cli.main(["predict", model, str(tmp_path / "rows.csv")])
    err = capsys.readouterr().err
    assert status == 2 and err.strip().splitlines() == [err.strip()] and "damaged" in err, err
