"""This session's features crossed with the others (h6-hunt): validation_split, (n, 1) label columns,
foreign keyword hints, Adam's bias correction on resume, predict's wording, model files with layers
of one's own, and MPI. Each test failed before its fix; an ``xfail(strict=True)`` one names a defect
in a file being split elsewhere, with the fix in its reason."""

import json

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import Network
from test_cli_messages import one_line, run  # noqa: E402  (the command line's one-error-line checks)
from test_mpi import _fit_cases, needs_mpi  # noqa: E402  (mpiexec -n 2 on tests/mpi_scripts/fit_cases.py)


def figures(history):
    """A History's figures without the timings, which differ run to run."""
    return {k: v for k, v in history.history.items() if k != "seconds"}


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(40, 4)).astype(np.float32), np.arange(40) % 3


# ---------------------------------------------------------------- fit(validation_split=...) with the rest
def test_validation_split_zero_holds_nothing_out_as_keras_default(data):
    X, y = data
    run = lambda **split: figures(Network.from_sizes(4, 8, 3, seed=0, backend="numpy").fit(  # noqa: E731
        X, y, epochs=2, batch_size=8, **split))
    assert run(validation_split=0.0) == run() == run(validation_split=0)


def test_a_batch_larger_than_the_rows_validation_split_leaves_warns(data):
    X, y = data  # floor(40 * 0.75) = 30 rows train
    with pytest.warns(nn.errors.DataWarning, match="only 30 samples"):
        Network.from_sizes(4, 8, 3, seed=0, backend="numpy").fit(X, y, batch_size=35, validation_split=0.25)


def test_validation_split_names_the_array_the_caller_passed(data):
    torch = pytest.importorskip("torch")
    X, y = data
    with pytest.raises(nn.errors.BackendMismatchError) as info:
        Network.from_sizes(4, 8, 3, seed=0, backend="numpy").fit(X, torch.asarray(y), validation_split=0.25)
    assert "y_val" not in str(info.value) and str(info.value).startswith("y is an array of torch")


# ---------------------------------------------------------------- nnscratch predict of every model kind
def test_predict_prints_a_regression_models_values(tmp_path, capsys):
    """An image/array model whose task is regression (identity output trained with mse on values) has no
    class: predict crashed with "TypeError: '<' not supported between instances of 'list' and 'int'"."""
    rng = np.random.default_rng(1)
    X = rng.random((30, 4)).astype(np.float32)
    np.save(tmp_path / "x.npy", X[:3])
    for units in (1, 2):
        net = Network([nn.Dense(4, units), nn.Identity()], seed=0)
        net.fit(X, X[:, :units], epochs=1, loss="mse")
        assert net.task == "regression"
        net.save(tmp_path / f"r{units}.npz")
        expected = net.predict(X[:3]).reshape(3, units)
        status, out, err = run(capsys, "predict", tmp_path / f"r{units}.npz", tmp_path / "x.npy", "--json")
        assert status == 0 and err == "", err
        values = [json.loads(line)["value"] for line in out.splitlines()]
        np.testing.assert_allclose(np.reshape(values, (3, units)), expected, rtol=1e-6)
        status, out, err = run(capsys, "predict", tmp_path / f"r{units}.npz", tmp_path / "x.npy")
        assert status == 0 and len(out.splitlines()) == 3 and "probability" not in out and "output" not in out
        assert out.splitlines()[0].startswith(f"{tmp_path / 'x.npy'}[0]: ")
    one_line(*run(capsys, "predict", tmp_path / "r1.npz", tmp_path / "x.npy", "--classes", "mnist")[::2],
             "--classes mnist", "regression model", "drop --classes")


# ---------------------------------------------------------------- resume with optimizers and schedules of one's own
class _NotedAdam(nn.Adam):
    """A user's Adam with an option of its own, saved in its config."""

    def __init__(self, lr=1e-3, note="run", **options):
        super().__init__(lr, **options)
        self.note = note

    def get_config(self):
        return {**super().get_config(), "note": self.note}


class _NamedAdam(nn.Adam):
    name = "named_adam"


class _Halving(nn.optim.schedules.Schedule):
    name = "halving"

    def rate(self, t):
        return self.lr / 2 ** t


@pytest.mark.parametrize("make", [lambda: _NotedAdam(lr=0.01, note="b"), lambda: _NamedAdam(lr=0.01),
                                  lambda: nn.SGD(lr=_Halving(0.1), momentum=0.9)],
                         ids=["option", "name", "schedule"])
def test_a_resumed_optimizer_of_ones_own_ends_as_the_uninterrupted_run(data, tmp_path, make):
    """Resuming with a subclass of Adam lost its moments (its class is not the one the checkpoint's config
    rebuilds), and one with its own name, option or schedule was a 'damaged' checkpoint."""
    X, y = data
    whole = Network.from_sizes(4, 8, 3, seed=0, backend="numpy")
    whole.fit(X, y, epochs=4, batch_size=8, optimizer=make())
    Network.from_sizes(4, 8, 3, seed=0, backend="numpy").fit(X, y, epochs=2, batch_size=8, optimizer=make(),
                                                             checkpoint=tmp_path / "run.ckpt")
    resumed = Network.from_sizes(4, 8, 3, seed=0, backend="numpy")
    resumed.fit(X, y, epochs=4, batch_size=8, optimizer=make(), checkpoint=tmp_path / "run.ckpt", resume=True)
    for a, b in zip(resumed.get_weights(), whole.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_checkpoint_without_adams_state_t_resumes_bit_for_bit(data, tmp_path):
    """Checkpoints written before Adam counted its bias correction from when its moments started have
    no optimizer_state_t: the moments started at step 0."""
    from nnscratch.saving import serialize
    X, y = data
    whole = Network.from_sizes(4, 8, 3, seed=0, backend="numpy")
    whole.fit(X, y, epochs=4, batch_size=8, optimizer=nn.Adam(lr=0.01))
    Network.from_sizes(4, 8, 3, seed=0, backend="numpy").fit(X, y, epochs=2, batch_size=8, optimizer=nn.Adam(lr=0.01),
                                                             checkpoint=tmp_path / "old.ckpt")
    header, arrays = serialize.load_arrays(tmp_path / "old.ckpt", kind="nnscratch-checkpoint")
    del header["optimizer_state_t"]
    serialize.save_arrays(tmp_path / "old.ckpt", header, arrays, compress=False)
    resumed = Network.from_sizes(4, 8, 3, seed=0, backend="numpy")
    resumed.fit(X, y, epochs=4, batch_size=8, checkpoint=tmp_path / "old.ckpt", resume=True)
    for a, b in zip(resumed.get_weights(), whole.get_weights()):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------- MPI
@needs_mpi
def test_a_second_parallel_fit_keeps_the_rate_the_plateau_lowered_on_every_rank(tmp_path):
    """The start-of-fit broadcast gave the other ranks rank 0's optimizer state without its lr scale:
    after ReduceLROnPlateau lowered the rate, a second fit stepped at the full rate on ranks 1.. and the
    ranks' weights parted."""
    one, many = _fit_cases(tmp_path, 2, ["plateau_refit"])
    assert bool(many["same/plateau_refit"]), "the ranks ended with different weights"
    assert np.max(np.abs(many["w/plateau_refit"] - one["w/plateau_refit"])) < 1e-5


# ---------------------------------------------------------------- model files holding a layer of one's own
def test_a_model_with_an_unregistered_layer_class_names_the_class_and_register(tmp_path, capsys):
    """The file is fine; the program has not registered the class ('... the file is damaged' was said)."""
    from nnscratch.errors import ModelFileError
    from nnscratch.layers import LAYERS, ReLU, register

    class Doubled(ReLU):
        pass

    Network([nn.Dense(3, 4), Doubled(), nn.Dense(4, 2), nn.Softmax()], seed=0).save(tmp_path / "own.npz")
    with pytest.raises(ModelFileError) as info:
        Network.load(tmp_path / "own.npz")
    message = str(info.value)
    assert "\n" not in message and "damaged" not in message
    assert "'Doubled'" in message and "nnscratch.layers.register(Doubled)" in message
    np.save(tmp_path / "x.npy", np.ones((1, 3), np.float32))
    line = one_line(*run(capsys, "predict", tmp_path / "own.npz", tmp_path / "x.npy")[::2], "'Doubled'", "register")
    assert "damaged" not in line
    with pytest.raises(nn.errors.ConfigError, match="nnscratch.layers.register"):
        nn.layers.layer_from_config({"type": "Doubled"})
    try:
        register(Doubled)
        assert isinstance(Network.load(tmp_path / "own.npz").layers[1], Doubled)
    finally:
        del LAYERS["Doubled"]


# ---------------------------------------------------------------- what the hints promise, the callbacks do
def test_early_stopping_takes_r2_as_improving_upwards_as_its_mode_hint_says(data):
    """EarlyStopping(mode=...) answers that r2 improves upwards (as ReduceLROnPlateau takes it), but
    EarlyStopping took a rising val_r2 for a worsening one and stopped."""
    class RisingR2(nn.Callback):
        def on_epoch_end(self, epoch, logs, network):
            logs["val_r2"] = 0.1 * epoch  # better every epoch

    with pytest.raises(nn.errors.ConfigError, match="r2 improve upwards"):
        nn.EarlyStopping(mode="max")
    X, y = data
    stop = nn.EarlyStopping(patience=1, monitor="val_r2")
    history = Network.from_sizes(4, 8, 3, seed=0, backend="numpy").fit(X, y, epochs=4, callbacks=[RisingR2(), stop])
    assert len(history.history["loss"]) == 4 and stop.stopped_epoch is None and stop.best_epoch == 3


class _Scaled(nn.Dense):
    """A Dense of one's own: its outputs doubled (forward only; enough to tell it from a Dense)."""

    def forward(self, x, training=False):
        return 2.0 * super().forward(x, training)


def test_a_subclass_of_a_built_in_layer_is_saved_under_its_own_name(tmp_path):
    """Dense, Conv2D, Dropout, BatchNorm and LeakyReLU wrote their own class names into the config, so a
    subclass was saved as the built-in and loaded as it without a word: other predictions."""
    from nnscratch.errors import ModelFileError
    from nnscratch.layers import LAYERS, register
    net = Network([_Scaled(3, 2), nn.Softmax()], seed=0)
    net.save(tmp_path / "scaled.npz")
    with pytest.raises(ModelFileError, match="'_Scaled'"):
        Network.load(tmp_path / "scaled.npz")
    try:
        register(_Scaled)
        X = np.random.default_rng(0).random((4, 3)).astype(np.float32)
        np.testing.assert_array_equal(Network.load(tmp_path / "scaled.npz").predict_proba(X), net.predict_proba(X))
    finally:
        del LAYERS["_Scaled"]


def test_to_copies_layers_and_optimizers_of_ones_own_without_registering(data):
    """Network.to rebuilt the copy from the registries: 'Unknown layer type' for a layer class of one's own,
    'Unknown optimizer' for an optimizer subclass with its own name, and a plain Adam for one without."""
    from nnscratch.layers import ReLU

    class Doubled(ReLU):
        pass

    X, y = data
    for optimizer in (_NamedAdam(lr=0.01), _NotedAdam(lr=0.01, note="b")):
        net = Network([nn.Dense(4, 8), Doubled(), _Scaled(8, 3), nn.Softmax()], seed=0, backend="numpy")
        net.fit(X, y, epochs=1, batch_size=8, optimizer=optimizer)
        copy = net.to("numpy", dtype="float64")
        assert [type(layer) for layer in copy.layers] == [type(layer) for layer in net.layers]
        assert type(copy.optimizer) is type(optimizer) and copy.optimizer is not optimizer
        assert copy.optimizer.get_config() == optimizer.get_config() and copy.optimizer.t == optimizer.t
        net.fit(X, y, epochs=2, batch_size=8)
        copy.fit(X, y, epochs=2, batch_size=8)
        for a, b in zip(copy.get_weights(), net.get_weights()):
            np.testing.assert_allclose(a, b, atol=1e-5)


@pytest.mark.parametrize("make", [lambda: _NotedAdam(lr=0.01, note="b"), lambda: _NamedAdam(lr=0.01)],
                         ids=["option", "name"])
def test_resuming_an_optimizer_of_ones_own_without_passing_it_asks_for_it(data, tmp_path, make):
    """Left out on resume, the checkpoint's optimizer is rebuilt from its config: one of the user's own said
    "Unknown optimizer 'named_adam'" or "Adam() got an unexpected keyword argument 'note'"."""
    X, y = data
    Network.from_sizes(4, 8, 3, seed=0, backend="numpy").fit(X, y, epochs=1, optimizer=make(),
                                                             checkpoint=tmp_path / "run.ckpt")
    with pytest.raises(nn.errors.ConfigError) as info:
        Network.from_sizes(4, 8, 3, seed=0, backend="numpy").fit(X, y, epochs=2, checkpoint=tmp_path / "run.ckpt",
                                                                 resume=True)
    message = str(info.value)
    assert "\n" not in message and "one of your own" in message and "optimizer=YourOptimizer(...)" in message


# ---------------------------------------------------------------- label columns (n, 1) in the metrics
def test_accuracy_takes_a_label_column_and_refuses_labels_of_another_length():
    """accuracy(y (3,), pred (1,)) broadcast to 1/3 without a word; one-hot rows against labels were NumPy's
    'operands could not be broadcast'."""
    from nnscratch import metrics
    y = np.array([0, 1, 2])
    assert metrics.accuracy(y.reshape(-1, 1), np.array([0, 1, 1])) == pytest.approx(2 / 3)
    for true, predicted in ((y, np.array([1])), (np.eye(3), y)):
        with pytest.raises(nn.errors.ShapeError, match="one predicted label per true label"):
            metrics.accuracy(true, predicted)
