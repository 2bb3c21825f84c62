"""The model layer, round 4: a network of convolutions only in Python, how Network.load picks the
backend and dtype and what it says about files it cannot read, GPU words given as a backend,
copy.copy of a network, and the bias before a BatchNorm."""

import copy

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import Network, cli
from nnscratch.backend.core import get_backend
from nnscratch.errors import ConfigError, ModelFileError, ShapeError
from nnscratch.layers import BatchNorm, Conv2D, Dense, Dropout, Flatten, ReLU, Softmax
from nnscratch.models.summary import architecture
from nnscratch.saving import checkpoint
from nnscratch.training.history import Callback


def one_line(message, *parts):
    assert "\n" not in message, message
    for part in parts:
        assert part in message, (part, message)
    return message


# ---------------------------------------------------------------- 1. convolutions only, in Python

def convolutions(*tail):
    return Network([Conv2D(1, 4, 3, padding=1), ReLU(), Conv2D(4, 2, 3, padding=1), *tail],
                   input_shape=(1, 8, 8), seed=0)


def images(n=40):
    X = np.random.default_rng(0).normal(size=(n, 1, 8, 8)).astype(np.float32)
    return X, np.concatenate([X, -X], axis=1)  # targets (n, 2, 8, 8)


def test_a_network_of_convolutions_only_counts_every_output_value():
    """n_outputs was the last axis of the output (8 for (2, 8, 8)), so fit said 'the network has 8 outputs,
    so pass ... targets of shape (40, 8)', and the one-line description said '(1x8x8 -> 8, ...)'."""
    net = convolutions()
    assert net.output_shape == (2, 8, 8) and net.n_outputs == 128 and net.n_inputs == 64
    assert "(1x8x8 -> 2x8x8, 114 parameters)" in architecture(net)
    assert "(1x8x8 -> 128, 114 parameters)" in architecture(convolutions(Flatten()))
    X, _ = images()
    assert net.predict(X).shape == (40, 2, 8, 8)  # a forward pass (and its memory count) needs no Flatten


@pytest.mark.parametrize("shape", [(40, 8), (40, 128), (40, 2, 8, 8)], ids=["last axis", "rows", "images"])
def test_fit_on_images_of_outputs_says_to_end_with_flatten(shape):
    net = convolutions()
    X, _ = images()
    y = np.zeros(shape, dtype=np.float32)
    for call in (lambda: net.fit(X, y, epochs=1, loss="mse"), lambda: net.evaluate(X, y, loss="mse")):
        with pytest.raises(ShapeError) as info:
            call()
        one_line(str(info.value), "output has shape (2, 8, 8) per sample", "end it with Flatten()",
                 "rows of 128 targets", "y.reshape(len(y), -1)")
    flat = convolutions(Flatten())  # the fix the message gives
    Y = images()[1].reshape(40, -1)
    first = flat.evaluate(X, Y, loss="mse")["loss"]
    flat.fit(X, Y, epochs=5, loss="mse", optimizer=nn.Adam(lr=1e-2))
    assert flat.evaluate(X, Y)["loss"] < first


# ---------------------------------------------------------------- 2. and 3. Network.load

@pytest.fixture
def float64_file(tmp_path):
    path = tmp_path / "m64.npz"
    Network.from_sizes(3, 4, 2, seed=0, dtype="float64").save(path)
    return path


@pytest.mark.parametrize("name", ["numpy", "torch"])
@pytest.mark.parametrize("as_object", [False, True], ids=["name", "Backend"])
def test_load_keeps_the_files_dtype_whether_the_backend_is_a_name_or_a_backend(float64_file, name, as_object):
    """Documented now (Network.load's docstring, docs/guides/checkpoints.md); both forms behaved the same.
    (The Backend is made in the test: torch is not among the test extra's packages.)"""
    if name == "torch":
        pytest.importorskip("torch")
    backend = get_backend(name) if as_object else name
    assert Network.load(float64_file, backend=backend).backend.dtype_name == "float64"
    assert Network.load(float64_file, backend=backend, dtype="float32").backend.dtype_name == "float32"


@pytest.mark.parametrize("as_object", [False, True], ids=["name", "Backend"])
def test_a_float64_model_for_a_backend_without_float64_says_to_cast_it(float64_file, as_object):
    pytest.importorskip("array_api_strict")
    backend = get_backend("array_api_strict:no_float64") if as_object else "array_api_strict:no_float64"
    with pytest.raises(ConfigError) as info:
        Network.load(float64_file, backend=backend)
    assert "damaged" not in one_line(str(info.value), "float64 model", "dtype='float32'")
    net = Network.load(float64_file, backend=backend, dtype="float32")
    assert str(net.backend) == "array_api_strict:no_float64" and net.backend.dtype_name == "float32"


def test_a_bad_backend_from_the_environment_is_the_callers_not_a_damaged_file(tmp_path, monkeypatch):
    """$NNSCRATCH_BACKEND=nonsense gave "'m.npz' has a config or arrays that do not match (ConfigError: Unknown
    backend 'nonsense' ...); the file is damaged", and so did backend=3."""
    path = tmp_path / "m.npz"
    Network.from_sizes(3, 4, 2, seed=0).save(path)
    monkeypatch.setenv("NNSCRATCH_BACKEND", "nonsense")
    with pytest.raises(ConfigError) as info:
        Network.load(path)
    assert not isinstance(info.value, ModelFileError) and "damaged" not in str(info.value)
    one_line(str(info.value), "Unknown backend 'nonsense'")
    monkeypatch.delenv("NNSCRATCH_BACKEND")
    with pytest.raises(ConfigError, match="backend must be a name") as info:
        Network.load(path, backend=3)
    assert not isinstance(info.value, ModelFileError)


def test_a_file_that_is_no_npz_is_told_what_the_loader_reads(tmp_path):
    """Network.load said '... (or a checkpoint of fit(checkpoint=...) or --checkpoint)', which it cannot read."""
    notes = tmp_path / "notes.npz"
    notes.write_text("my notes\n")
    with pytest.raises(ModelFileError) as info:
        Network.load(notes)
    assert "checkpoint" not in one_line(str(info.value), "not an .npz archive", "Network.save")
    with pytest.raises(ModelFileError) as info:
        checkpoint.load(notes)
    assert "Network.save" not in one_line(str(info.value), "not an .npz archive", "fit(checkpoint=...)")


def test_a_checkpoint_given_to_network_load_says_how_to_get_its_model(tmp_path):
    """It said "is not an nnscratch model file (its format is 'nnscratch-checkpoint'); pass a file written by
    Network.save": true, but not how to get the model the run trained."""
    X = np.random.default_rng(0).random((48, 3)).astype(np.float32)
    y = (X[:, 0] > 0.5).astype(int)
    ckpt, model = tmp_path / "run.ckpt", tmp_path / "model.npz"
    trained = Network.from_sizes(3, 4, 2, seed=0)
    trained.fit(X, y, epochs=2, checkpoint=ckpt)
    with pytest.raises(ModelFileError) as info:
        Network.load(ckpt)
    one_line(str(info.value), "training checkpoint, not a model", f"net.fit(X, y, epochs=2, resume={str(ckpt)!r})",
             "net.save(", f"--resume {ckpt} --out")
    net = Network.from_sizes(3, 4, 2, seed=1)  # what the message says, followed
    net.fit(X, y, epochs=2, resume=ckpt)
    net.save(model)
    for a, b in zip(Network.load(model).get_weights(), trained.get_weights()):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------- 4. GPU words

@pytest.mark.parametrize("spec, names", [("gpu", ("'cupy'", "'torch:cuda'")), ("cuda", ("'cupy'", "'torch:cuda'")),
                                         ("cuda:1", ("'cupy:1'", "'torch:cuda:1'"))])
def test_gpu_or_cuda_as_a_backend_names_the_backends_that_run_on_one(spec, names):
    """It said "Unknown backend 'gpu'; expected one of: array_api_strict, auto, cupy, numpy, torch."."""
    with pytest.raises(ConfigError) as info:
        get_backend(spec)
    one_line(str(info.value), f"Unknown backend {spec!r}", *names, "nnscratch[cuda12]", "CUDA build of PyTorch")


def test_the_command_line_says_it_for_backend_gpu(capsys):
    status = cli.main(["train", "--dataset", "xor", "--epochs", "1", "--backend", "gpu", "--quiet", "--no-save"])
    err = capsys.readouterr().err
    assert status == 2 and err.startswith("error: ")
    one_line(err.strip(), "'cupy'", "'torch:cuda'")


# ---------------------------------------------------------------- 5. copy.copy

class Copier(Callback):
    """Copies the network mid-epoch (after its second batch), with copy.copy and copy.deepcopy."""

    def __init__(self):
        self.copies, self.weights = [], None

    def on_batch_end(self, batch, network):
        if batch == 1 and not self.copies:
            self.copies = [copy.copy(network), copy.deepcopy(network)]
            self.weights = network.get_weights()


def test_copy_copy_and_deepcopy_are_whole_copies_even_while_training():
    """Documented in Network's docstring: nothing is shared (PyTorch's copy.copy of a Module shares its
    parameters, which a layer that belongs to one network cannot do here)."""
    X = np.random.default_rng(0).random((64, 3)).astype(np.float32)
    y = (X[:, 0] > 0.5).astype(int)

    def make():
        return Network([Dense(3, 8), BatchNorm(8), ReLU(), Dropout(0.3), Dense(8, 2), Softmax()], seed=0)
    copier, plain = Copier(), make()
    net = make()
    net.fit(X, y, epochs=3, batch_size=16, optimizer="adam", callbacks=[copier])
    plain.fit(X, y, epochs=3, batch_size=16, optimizer="adam")
    for a, b in zip(net.get_weights(), plain.get_weights()):  # copying did not change the run
        np.testing.assert_array_equal(a, b)
    before = net.get_weights()
    for clone in copier.copies:
        assert clone.optimizer is not net.optimizer and not set(map(id, clone.layers)) & set(map(id, net.layers))
        for a, b in zip(clone.get_weights(), copier.weights):
            np.testing.assert_array_equal(a, b)
        clone.fit(X, y, epochs=1, batch_size=16)
        assert any(not np.array_equal(a, b) for a, b in zip(clone.get_weights(), copier.weights))
    for a, b in zip(net.get_weights(), before):  # training the copies left the original as it was
        np.testing.assert_array_equal(a, b)
    assert "copy.copy(net)" in Network.__doc__ and "nothing is shared" in Network.__doc__


# ---------------------------------------------------------------- 6. the bias before a BatchNorm

def test_a_bias_before_batchnorm_has_no_effect_and_a_gradient_of_rounding_only():
    """Found still true (documented in BatchNorm's docstring and docs/guides/cnn.md, not changed)."""
    X = np.random.default_rng(0).normal(size=(64, 10))
    y = np.random.default_rng(1).integers(0, 3, 64)
    net = Network([Dense(10, 16), BatchNorm(16), ReLU(), Dense(16, 3), Softmax()], seed=0, dtype="float64")
    loss, grads = net.compute_gradients(X, y)
    grads = [net.backend.to_numpy(g) for g in grads]
    assert np.abs(grads[1]).max() < 1e-12 * np.abs(grads[0]).max()  # the bias: rounding of a zero
    weights = net.get_weights()
    net.set_weights([weights[0], weights[1] + 5.0, *weights[2:]])
    assert net.compute_gradients(X, y)[0] == pytest.approx(loss, rel=1e-12)
    assert "no effect" in nn.BatchNorm.__doc__
