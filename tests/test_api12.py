"""The Python API as a Keras or PyTorch user types it: callbacks (direction, listed twice, order,
cooldown), config and weights in and out. Each test failed before its fix."""

import json

import numpy as np
import pytest

import nnscratch as nn
from nnscratch.errors import ConfigError


def _data(n=96, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4)).astype(np.float32)
    return X, (X[:, 0] + X[:, 1] > 0).astype(np.int64)


def _net():
    return nn.Network.from_sizes(4, 8, 2, seed=0, backend="numpy")


class _Rising(nn.Callback):
    """Logs a figure of its own that gets better (higher) every epoch, as an F1 score or AUC would."""

    def __init__(self, name):
        self.name = name

    def on_epoch_end(self, epoch, logs, network):
        logs[self.name] = 0.5 + 0.01 * epoch


class _Rates(nn.Callback):
    """The learning rate each epoch trains with."""

    def __init__(self):
        self.rates = []

    def on_epoch_begin(self, epoch, network):
        self.rates.append(network.optimizer.current_lr)


# ---------------------------------------------------------------- which way a figure improves
@pytest.mark.parametrize("name", ["f1", "val_f1", "auc", "val_auc", "precision", "val_recall", "top5_acc"])
def test_a_rising_f1_auc_precision_or_recall_is_an_improvement(name):
    """Before: only names with 'acc' and r2 counted as improving upwards, so EarlyStopping(monitor='val_f1')
    (the Callback docstring's own example figure) took every better F1 for a worse one and stopped
    after `patience` epochs, and ReduceLROnPlateau lowered the rate while F1 rose."""
    stop = nn.EarlyStopping(monitor=name, patience=2)
    plateau = nn.ReduceLROnPlateau(monitor=name, patience=2, factor=0.5)
    X, y = _data()
    history = _net().fit(X, y, epochs=6, batch_size=32, callbacks=[_Rising(name), stop, plateau])
    assert len(history.epoch) == 6 and stop.stopped_epoch is None and stop.best_epoch == 5
    assert plateau.reductions == []


def test_loss_and_error_figures_still_improve_downwards():
    for name in ("loss", "val_loss", "mae", "val_mae", "gap", "cauchy_loss", "val_recall_error"):
        assert nn.EarlyStopping(monitor=name).sign == 1.0
    for name in ("accuracy", "val_accuracy", "r2", "val_r2", "val_F1"):
        assert nn.EarlyStopping(monitor=name).sign == -1.0


# ---------------------------------------------------------------- one callback listed twice
@pytest.mark.parametrize("make", [lambda: nn.EarlyStopping(monitor="loss", patience=4, min_delta=100.0),
                                  lambda: nn.ReduceLROnPlateau(monitor="loss", patience=2, min_delta=100.0)],
                         ids=["EarlyStopping", "ReduceLROnPlateau"])
def test_the_same_callback_listed_twice_is_refused_before_training(make):
    """Before: its hooks ran twice per epoch, so EarlyStopping(patience=4) stopped after 3 epochs
    (each epoch without improvement counted twice) and ReduceLROnPlateau(patience=2) lowered the
    rate every epoch."""
    callback = make()
    net = _net()
    before = net.get_weights()
    with pytest.raises(ConfigError, match="the same .* twice.*list it once"):
        net.fit(*_data(), epochs=10, callbacks=[callback, callback])
    assert all((a == b).all() for a, b in zip(before, net.get_weights()))  # refused before any training


def test_two_instances_of_one_class_and_one_list_reused_across_fits_are_fine():
    X, y = _data()
    first, second = nn.EarlyStopping(monitor="loss", patience=4, min_delta=100.0), nn.EarlyStopping(patience=50)
    callbacks = [first, second]
    net = _net()
    for _ in range(2):  # the same list (and callbacks) given to two fits: each fit starts them afresh
        history = net.fit(X, y, epochs=10, callbacks=callbacks)
        assert len(history.epoch) == 5 and first.stopped_epoch == 4
    assert callbacks == [first, second]


# ---------------------------------------------------------------- a figure monitored before it is logged
def test_monitoring_a_figure_a_later_callback_adds_says_to_reorder_them():
    """Before: 'pass monitor= one of them', though the figure exists: it is added by a callback listed after."""
    stop = nn.EarlyStopping(monitor="val_f1")
    with pytest.raises(ConfigError, match="list the callback that adds 'val_f1' to logs before EarlyStopping"):
        _net().fit(*_data(), epochs=2, validation_split=0.25, callbacks=[stop, _Rising("val_f1")])
    with pytest.raises(ConfigError) as info:  # a typo of fit's own figure: no word of reordering
        _net().fit(*_data(), epochs=1, callbacks=[nn.EarlyStopping(monitor="val_acuracy")])
    assert "monitor='accuracy'" in str(info.value) and "before EarlyStopping" not in str(info.value)


# ---------------------------------------------------------------- ReduceLROnPlateau's cooldown
@pytest.mark.parametrize("cooldown, reductions", [(0, [1, 2, 3, 4, 5]), (1, [1, 3, 5]), (2, [1, 4])])
def test_cooldown_epochs_pass_before_counting_again(cooldown, reductions):
    """Before: the cooldown counter was spent before the epoch was judged, so cooldown=1 changed nothing
    and cooldown=c waited c - 1 epochs, not the c the docstring (and PyTorch) say."""
    plateau = nn.ReduceLROnPlateau(monitor="loss", patience=1, factor=0.5, min_delta=100.0, cooldown=cooldown)
    rates = _Rates()
    _net().fit(*_data(), epochs=6, batch_size=32, optimizer=nn.SGD(lr=0.1), callbacks=[plateau, rates])
    assert plateau.reductions == reductions
    expected, rate = [], 0.1
    for epoch in range(6):
        expected.append(rate)
        rate *= 0.5 if epoch in reductions else 1.0
    assert rates.rates == pytest.approx(expected, rel=1e-12)


# ---------------------------------------------------------------- config and weights in and out
@pytest.mark.parametrize("config, words", [
    ({}, "without a 'layers' list"), (None, "got None"), ({"layers": ["dense"]}, "(keys: layers)"),
    ("MODEL_JSON", "json.loads first"), ("model.npz", "Network.load(path)")])
def test_from_config_of_something_else_says_what_it_takes(config, words):
    """Before: a KeyError 'layers', "'NoneType' object is not subscriptable", "string indices must be integers"
    or "dictionary update sequence element #0 has length 1"."""
    if config == "MODEL_JSON":
        config = json.dumps(_net().get_config())
    with pytest.raises(ConfigError, match="from_config expects the dict get_config\\(\\) returns") as info:
        nn.Network.from_config(config)
    assert words in str(info.value)


def test_from_config_of_its_json_round_trip_builds_the_same_network():
    net = _net()
    again = nn.Network.from_config(json.loads(json.dumps(net.get_config())))
    again.set_weights(net.get_weights())
    X = _data()[0]
    assert (again.predict_proba(X) == net.predict_proba(X)).all() and again.task == net.task


def test_set_weights_takes_a_dict_of_every_parameter_by_name():
    """Before: a dict's keys were taken for the arrays: 'Weight 0.weight must have shape (4, 8); got ()'."""
    net, other = _net(), nn.Network.from_sizes(4, 8, 2, seed=1, backend="numpy")
    by_name = {p.name: w for p, w in zip(other.parameters(), other.get_weights())}
    net.set_weights(dict(reversed(list(by_name.items()))))  # any order
    X = _data()[0]
    assert (net.predict_proba(X) == other.predict_proba(X)).all()
    with pytest.raises(ConfigError, match=r"lacks \['2.bias'\] and has \['2.b'\], which no parameter"):
        net.set_weights({**{k: v for k, v in by_name.items() if k != "2.bias"}, "2.b": by_name["2.bias"]})



# ---------------------------------------------------------------- figures logged on some epochs, or not numbers
class _Every(nn.Callback):
    """Logs ``val_f1`` (falling: worse each time) every third epoch only, as an expensive metric would be."""

    def on_epoch_end(self, epoch, logs, network):
        if epoch % 3 == 0:
            logs["val_f1"] = 0.9 - 0.01 * epoch


def test_a_figure_logged_on_some_epochs_counts_only_those_epochs():
    """Before: EarlyStopping and ReduceLROnPlateau raised 'monitors val_f1, which this run does not report'
    at the first epoch without it, though History records such a figure (NaN elsewhere); Keras skips them."""
    stop = nn.EarlyStopping(monitor="val_f1", patience=2)
    plateau = nn.ReduceLROnPlateau(monitor="val_f1", patience=1, factor=0.5)
    history = _net().fit(*_data(), epochs=12, callbacks=[_Every(), stop, plateau])
    assert len(history.epoch) == 7 and stop.stopped_epoch == 6 and stop.best_epoch == 0
    assert plateau.reductions == [3, 6]
    with pytest.raises(ConfigError, match="monitors 'val_f2'"):  # never logged at all: still said at once
        _net().fit(*_data(), epochs=3, callbacks=[_Every(), nn.EarlyStopping(monitor="val_f2")])


def test_history_repr_shows_a_figure_that_is_not_a_number():
    """Before: a callback's logs["note"] = "..." (or None) made repr(history), what a notebook shows after
    fit, raise 'type str doesn't define __round__ method'."""
    class Note(nn.Callback):
        def on_epoch_end(self, epoch, logs, network):
            logs["note"], logs["none"] = "ok", None

    history = _net().fit(*_data(), epochs=1, callbacks=[Note()])
    text = repr(history)
    assert "'note': 'ok'" in text and "'none': None" in text
    assert f"'loss': {round(history['loss'][-1], 4)}" in text


# ---------------------------------------------------------------- the task property
def test_a_task_that_does_not_fit_the_outputs_is_refused():
    """Before: task='binary' on three outputs scored 'is it class 0' against the argmax (accuracy 0.26 where
    the argmax is right 0.5 of the time), and 'multiclass' on one output the argmax of a single column."""
    X, y = _data()
    three = nn.Network.from_sizes(4, 8, 3, seed=0, backend="numpy")
    with pytest.raises(ConfigError, match="task 'binary' needs one output unit, but this network has 3; "
                                          "set task='multiclass'"):
        three.task = "binary"
    one = nn.Network.from_sizes(4, 8, 1, seed=0, backend="numpy")
    with pytest.raises(ConfigError, match="task 'multiclass' needs several output units.*set task='binary'"):
        one.task = "multiclass"
    assert three.task == "multiclass" and one.task == "binary"
    for net, task in ((three, "multiclass"), (one, "binary"), (one, "regression"), (three, "regression")):
        net.task = task
        assert net.task == task and nn.Network.from_config(net.get_config()).task == task


# ---------------------------------------------------------------- callbacks written with Keras's hooks
class _KerasEpochEnd(nn.Callback):
    def on_epoch_end(self, epoch, logs=None):
        self.logs = logs


class _KerasTrainBegin(nn.Callback):
    def on_train_begin(self, logs=None):
        self.logs = logs


class _KerasBatch(nn.Callback):
    def on_train_batch_end(self, batch, logs=None):
        self.batch = batch


@pytest.mark.parametrize("callback, words", [
    (_KerasEpochEnd, "_KerasEpochEnd.on_epoch_end(epoch, logs=None) does not take what fit passes: "
                     "on_epoch_end(epoch, logs, network)"),
    (_KerasTrainBegin, "define on_train_begin(self, network)"),
    (_KerasBatch, "_KerasBatch.on_train_batch_end is a Keras hook that nnscratch's fit never calls; "
                  "define on_batch_end(self, batch, network) instead")])
def test_a_callback_with_keras_hooks_is_one_line_before_training(callback, words):
    """Before: Keras's on_epoch_end(self, epoch, logs=None) was a TypeError from inside the epoch loop after
    the first epoch had trained; on_train_begin(self, logs=None) silently got the network as logs, and
    on_train_batch_end was never called."""
    net = _net()
    before = net.get_weights()
    with pytest.raises(ConfigError) as info:
        net.fit(*_data(), epochs=2, callbacks=[callback()])
    assert words in str(info.value)
    assert all((a == b).all() for a, b in zip(before, net.get_weights()))


def test_hooks_with_fit_arguments_under_other_names_or_defaults_are_called():
    class Own(nn.Callback):
        def __init__(self):
            self.calls = []

        def on_train_begin(self, net):
            self.calls.append("begin")

        def on_epoch_end(self, epoch, logs, model=None, *rest):
            self.calls.append(epoch)

        def on_batch_end(self, *args):
            self.calls.append("batch")

        def on_train_batch_end(self, batch, logs=None):  # a class written for Keras too: its own hook unused
            raise AssertionError("never called")

    own = Own()
    _net().fit(*_data(), epochs=2, batch_size=48, callbacks=[own])
    assert own.calls == ["begin", "batch", "batch", 0, "batch", "batch", 1]


def test_a_run_resumed_between_the_epochs_of_such_a_figure_ends_as_the_uninterrupted_one(tmp_path):
    X, y = _data()

    def run(epochs, **options):
        stop = nn.EarlyStopping(monitor="val_f1", patience=2)
        plateau = nn.ReduceLROnPlateau(monitor="val_f1", patience=1, factor=0.5)
        history = _net().fit(X, y, epochs=epochs, callbacks=[_Every(), stop, plateau], **options)
        return history, stop, plateau

    whole, stop, plateau = run(12)
    run(4, checkpoint=tmp_path / "run.ckpt")  # epoch 3 had the figure, epoch 4 will not
    again, stop2, plateau2 = run(12, checkpoint=tmp_path / "run.ckpt", resume=True)
    assert again.epoch == whole.epoch and again["loss"] == whole["loss"]
    assert (stop2.stopped_epoch, stop2.best_epoch, plateau2.reductions) == (6, 0, [3, 6])


# ---------------------------------------------------------------- from_sizes' activations
def test_from_sizes_takes_an_activation_class_or_one_layer_for_every_hidden_place():
    """Before: hidden=nn.LeakyReLU(0.2) with two hidden layers was refused as 'the same object as layer 1 ...
    create a new one for each place' (from_sizes had placed it twice), and hidden=nn.Tanh (PyTorch's
    activation_layer=nn.ReLU habit) was 'Unknown activation <class ...Tanh>'."""
    leaky = nn.LeakyReLU(0.2)
    net = nn.Network.from_sizes(4, 8, 8, 3, hidden=leaky, output=nn.Softmax, seed=0, backend="numpy")
    kinds = [type(layer).__name__ for layer in net.layers]
    assert kinds == ["Dense", "LeakyReLU", "Dense", "LeakyReLU", "Dense", "Softmax"]
    assert net.layers[1] is not net.layers[3] and net.layers[1].get_config() == leaky.get_config()
    same = nn.Network.from_sizes(4, 8, 8, 3, hidden=nn.LeakyReLU(0.2), seed=0, backend="numpy")
    X = _data()[0]
    assert (same.predict_proba(X) == net.predict_proba(X)).all()
    tanh = nn.Network.from_sizes(4, 8, 3, hidden=nn.Tanh, seed=0, backend="numpy")
    assert [type(layer).__name__ for layer in tanh.layers] == ["Dense", "Tanh", "Dense", "Softmax"]
    with pytest.raises(ConfigError, match="Unknown activation"):
        nn.Network.from_sizes(4, 8, 3, hidden=nn.Dense)


def test_from_config_of_a_network_with_its_own_initialiser_draws_the_same_initial_weights():
    """Before: the network's init= was left out of get_config, so from_config(get_config()) (and a saved
    file's config) drew He/Glorot weights where the network had drawn Normal ones, from the same seed."""
    for init in ("normal", {"name": "uniform", "limit": 0.3, "biases": True}, nn.Normal(std=0.5)):
        net = nn.Network.from_sizes(4, 8, 3, seed=0, init=init, backend="numpy")
        again = nn.Network.from_config(json.loads(json.dumps(net.get_config())))
        assert again.init.get_config() == net.init.get_config()
        assert all((a == b).all() for a, b in zip(net.get_weights(), again.get_weights()))
    plain = nn.Network.from_sizes(4, 8, 3, seed=0, backend="numpy")
    assert "init" not in plain.get_config()


# ---------------------------------------------------------------- the best value, as Keras reports it
def test_best_is_the_monitored_figure_itself():
    """Before: EarlyStopping(monitor='val_accuracy').best was the accuracy's negative (-0.9 for 0.9), the
    sign that makes higher better kept in the value itself; Keras's best is the figure."""
    X, y = _data()
    Xv, yv = _data(48, seed=1)
    stop = nn.EarlyStopping(monitor="val_accuracy", patience=50)
    plateau = nn.ReduceLROnPlateau(monitor="val_accuracy", patience=50)
    losses = nn.EarlyStopping(monitor="val_loss", patience=50)
    assert stop.best == -float("inf") and losses.best == float("inf")
    history = _net().fit(X, y, epochs=4, validation_data=(Xv, yv), callbacks=[stop, plateau, losses])
    assert stop.best == plateau.best == max(history["val_accuracy"]) > 0
    assert losses.best == min(history["val_loss"]) and stop.best_epoch == history["val_accuracy"].index(stop.best)
    assert type(stop.best) is float and stop.get_state()["best"] == -stop.best  # checkpoints keep the signed form


def test_a_callback_logging_an_array_of_several_values_is_told_what_history_keeps():
    """Before: 'only 0-dimensional arrays can be converted to Python scalars' from inside History."""
    class PerClass(nn.Callback):
        def on_epoch_end(self, epoch, logs, network):
            logs["f1_per_class"] = np.array([0.5, 0.6])

    class One(nn.Callback):
        def on_epoch_end(self, epoch, logs, network):
            logs["one"] = network.xp.asarray([[0.25]])  # one value in any shape: kept as a float

    with pytest.raises(ConfigError, match=r"logs\['f1_per_class'\] as an array of shape \(2,\).*'f1_per_class_0'"):
        _net().fit(*_data(), epochs=1, callbacks=[PerClass()])
    history = _net().fit(*_data(), epochs=2, callbacks=[One()])
    assert history["one"] == [0.25, 0.25] and type(history["one"][0]) is float


def test_early_stopping_monitors_a_one_value_array_without_numpy_s_deprecation(recwarn):
    class One(nn.Callback):
        def on_epoch_end(self, epoch, logs, network):
            logs["one"] = np.array([0.25 - 0.01 * epoch])

    stop = nn.EarlyStopping(monitor="one", patience=5)
    _net().fit(*_data(), epochs=3, callbacks=[One(), stop])
    assert stop.best == pytest.approx(0.23) and stop.best_epoch == 2
    assert not [w for w in recwarn if issubclass(w.category, DeprecationWarning)]


# ---------------------------------------------------------------- targets left out
def test_targets_of_none_are_said_to_be_missing():
    """Before: 'y must hold numbers (int or float); got an array of dtype object; number the classes first'."""
    X, y = _data()
    net = _net()
    for call, name in ((lambda: net.fit(X, None), "y"), (lambda: net.evaluate(X, None), "y"),
                       (lambda: net.fit(X, y, validation_data=(X, None)), "y_val"),
                       (lambda: net.compute_gradients(X, None), "y")):
        with pytest.raises(nn.errors.DataError, match=f"^{name} is None; training and evaluating need the targets"):
            call()


def test_layers_spread_as_pytorch_s_sequential_or_an_option_by_position_is_one_line():
    """Before: Python's 'Network.__init__() takes 2 positional arguments but 3 were given'."""
    for call in (lambda: nn.Network(nn.Dense(4, 8), nn.ReLU(), nn.Dense(8, 2)),
                 lambda: nn.Network([nn.Dense(4, 2), nn.Softmax()], 0)):
        with pytest.raises(ConfigError, match=r"Network takes its layers as one list, then options by name: "
                                              r"Network\(\[Dense\(4, 8\), ReLU\(\), \.\.\.\], seed=0\)"):
            call()


def test_keras_names_reach_what_they_name():
    """optimizer.learning_rate (a Keras callback sets it) is lr, not a new attribute that changes nothing;
    input_shape with Keras's batch axis, and a Dense after a several-axis open shape, are one line each;
    predict(x=...) and evaluate(x=...) name X."""
    opt = nn.Adam(lr=0.01)
    opt.learning_rate = 0.5
    assert opt.lr == 0.5 and opt.learning_rate == 0.5
    with pytest.raises(ConfigError, match=r"without the batch axis: input_shape=\(4,\)"):
        nn.Network([nn.Dense(4, 8), nn.ReLU(), nn.Dense(8, 2)], input_shape=(None, 4))
    with pytest.raises(ConfigError, match="put a Flatten"):
        nn.Network([nn.Conv2D(1, 4, 3), nn.Dense(8, 2)], input_shape=(1, None, None))
    net = nn.Network.from_sizes([4, 8, 2], seed=0)
    X = np.random.default_rng(0).random((6, 4)).astype(np.float32)
    with pytest.raises(TypeError, match=r"inputs X, given first: predict\(X\)"):
        net.predict(x=X)
    with pytest.raises(TypeError, match=r"evaluate\(X, y\)"):
        net.evaluate(x=X, y=np.arange(6) % 2)
