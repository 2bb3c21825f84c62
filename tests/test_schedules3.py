"""Schedules and optimizers where they meet the rest: PyTorch's optimizers and schedulers step for
step, a callback that sets the rate, the divergence guard's optimizer state, the split CNN, and
the one-line errors of bad settings."""

import numpy as np
import pytest

import nnscratch as nn
from nnscratch.errors import ConfigError, DivergenceError
from nnscratch.optim.schedules import Constant, Cosine, Exponential, InverseTime, StepDecay, get_schedule

torch = pytest.importorskip("torch", reason="PyTorch is not installed (CI installs torch==2.13.0)")

LR = 0.1
SCHEDULES = {"constant": Constant(LR), "cosine-warmup": Cosine(LR, total=15, warmup=3, min_lr=0.01),
             "step": StepDecay(LR, step_size=4, gamma=0.5), "exponential": Exponential(LR, gamma=0.9),
             "inverse_time": InverseTime(LR, decay=0.1)}
# nnscratch optimizer, its torch.optim twin (lr: the schedule's peak; weight decay is L2 in both)
OPTIMIZERS = {
    "sgd": (lambda s: nn.SGD(lr=s, weight_decay=0.01), lambda p, lr: torch.optim.SGD(p, lr=lr, weight_decay=0.01)),
    "momentum": (lambda s: nn.SGD(lr=s, momentum=0.9), lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9)),
    "nesterov": (lambda s: nn.SGD(lr=s, momentum=0.8, nesterov=True, weight_decay=0.01),
                 lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.8, nesterov=True, weight_decay=0.01)),
    "adam": (lambda s: nn.Adam(lr=s, beta1=0.8, beta2=0.99, eps=1e-6, weight_decay=0.01),
             lambda p, lr: torch.optim.Adam(p, lr=lr, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.01)),
    # RMSProp's first steps divide by sqrt((1 - rho) g**2): a smaller rate keeps rounding from growing
    "rmsprop": (lambda s: nn.RMSProp(lr=s, rho=0.99, weight_decay=0.01),
                lambda p, lr: torch.optim.RMSprop(p, lr=lr, alpha=0.99, weight_decay=0.01)),
}


def _data(n=40):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 4)), rng.integers(0, 3, size=n)


def _torch_twin(weights):
    l1, l2 = torch.nn.Linear(4, 6).double(), torch.nn.Linear(6, 3).double()
    with torch.no_grad():
        for layer, w, b in ((l1, weights[0], weights[1]), (l2, weights[2], weights[3])):
            layer.weight.copy_(torch.from_numpy(w.T.copy()))
            layer.bias.copy_(torch.from_numpy(b.copy()))
    return torch.nn.Sequential(l1, torch.nn.ReLU(), l2)


@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("clip", [None, 0.3])
def test_every_optimizer_and_schedule_steps_as_torch_optim(name, clip):
    """15 steps in float64 (3 epochs of 5 batches, no shuffling), the rate per step (torch's
    LambdaLR stepped after each batch), clipping before the update as clip_grad_norm_."""
    X, y = _data()
    ours, theirs = OPTIMIZERS[name]
    for schedule in SCHEDULES.values():
        lr = schedule.lr * (0.1 if name == "rmsprop" else 1.0)
        schedule = get_schedule({**schedule.get_config(), "lr": lr})
        net = nn.Network.from_sizes(4, 6, 3, seed=0, dtype="float64")
        model = _torch_twin(net.get_weights())
        net.fit(X, y, epochs=3, batch_size=8, shuffle=False, optimizer=nn.get_optimizer(ours(schedule), clip_norm=clip))
        opt = theirs(model.parameters(), lr)
        scheduler = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: schedule(t) / lr)
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
        for _ in range(3):
            for i in range(0, 40, 8):
                opt.zero_grad()
                torch.nn.functional.cross_entropy(model(Xt[i:i + 8]), yt[i:i + 8]).backward()
                if clip:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
                opt.step()
                scheduler.step()
        expected = [model[0].weight.T, model[0].bias, model[2].weight.T, model[2].bias]
        for a, b in zip(net.get_weights(), expected, strict=True):
            np.testing.assert_allclose(a, b.detach().numpy(), rtol=0, atol=1e-12, err_msg=repr(schedule))
        assert net.optimizer.current_lr == pytest.approx(schedule(15))


def test_schedules_are_torch_schedulers_stepped_per_step():
    """StepLR, ExponentialLR and CosineAnnealingLR (to its T_max), and the linear warm-up as LinearLR
    from 1/warmup over warmup - 1 steps."""
    def torch_rates(make, n):
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=LR)
        scheduler, rates = make(opt), []
        for _ in range(n):
            rates.append(opt.param_groups[0]["lr"])
            opt.step()
            scheduler.step()
        return rates

    schedulers = torch.optim.lr_scheduler
    pairs = [(StepDecay(LR, step_size=3, gamma=0.5), lambda o: schedulers.StepLR(o, step_size=3, gamma=0.5), 12),
             (Exponential(LR, gamma=0.9), lambda o: schedulers.ExponentialLR(o, gamma=0.9), 12),
             (Cosine(LR, total=10, min_lr=0.01), lambda o: schedulers.CosineAnnealingLR(o, T_max=10, eta_min=0.01), 11),
             (Constant(LR, warmup=4), lambda o: schedulers.LinearLR(o, start_factor=0.25, total_iters=3), 8)]
    for schedule, make, n in pairs:
        np.testing.assert_allclose([schedule(t) for t in range(n)], torch_rates(make, n), rtol=1e-12,
                                   err_msg=repr(schedule))


class _SetRate(nn.Callback):
    """Sets ``network.optimizer.lr`` after the first epoch, as one lowers a rate by hand; records the rates."""

    def __init__(self, lr):
        self.lr, self.rates = lr, []

    def on_batch_end(self, batch, network):
        self.rates.append(network.optimizer.current_lr)

    def on_epoch_end(self, epoch, logs, network):
        if epoch == 0:
            network.optimizer.lr = self.lr


@pytest.mark.parametrize("schedule", [Constant(0.1), Cosine(0.1, total=15, warmup=2)], ids=repr)
def test_a_callback_that_sets_lr_changes_the_rate_from_the_next_step(schedule, tmp_path):
    X, y = _data()
    net = nn.Network.from_sizes(4, 6, 3, seed=0, dtype="float64")
    setter = _SetRate(0.02)
    net.fit(X, y, epochs=3, batch_size=8, optimizer=nn.SGD(lr=schedule), callbacks=[setter],
            checkpoint=tmp_path / "run.ckpt")
    # recorded after each step: the next step's rate; from step 5 on, the same curve with the peak 0.02
    expected = [schedule(t) for t in range(1, 6)] + [schedule(t) * 0.2 for t in range(6, 16)]
    np.testing.assert_allclose(setter.rates, expected, rtol=1e-12)
    assert net.optimizer.lr == 0.02
    assert nn.get_optimizer(net.optimizer.get_config()).schedule == net.optimizer.schedule  # what checkpoints keep
    resumed = nn.Network.from_sizes(4, 6, 3, seed=0, dtype="float64")
    resumed.fit(X, y, epochs=3, batch_size=8, resume=tmp_path / "run.ckpt")
    assert resumed.optimizer.lr == 0.02
    with pytest.raises(ConfigError, match="got 0"):
        net.optimizer.lr = 0


@pytest.mark.parametrize("name", ["momentum", "adam", "rmsprop"])
def test_a_diverged_fit_leaves_the_optimizer_as_at_the_last_good_epoch(name):
    """The weights go back to the last finite ones; the moments (NaN after the bad epoch) and the
    step count go back with them, so a next fit at a lower rate trains from finite state."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 4)) * 10
    y = X @ rng.normal(size=(4, 1))
    net = nn.Network.from_sizes(4, 16, 1, output=None, seed=0, dtype="float64")

    class Blowup(nn.Callback):  # a fine first epoch, then a rate that sends the weights to inf
        def on_epoch_end(self, epoch, logs, network):
            network.optimizer.lr_scale = 1e300

    net.fit(X, y, epochs=1, batch_size=8, loss="mse", optimizer=nn.get_optimizer(name, lr=StepDecay(1e-3, 8)))
    good = net.optimizer.state_dict()
    with pytest.raises(DivergenceError):
        net.fit(X, y, epochs=3, batch_size=8, loss="mse", callbacks=[Blowup()])
    after = net.optimizer.state_dict()
    assert after["t"] == 16 and after["lr_scale"] == 1e300  # the good first epoch's end, the scale as set
    assert all(np.isfinite(a).all() for slots in after["state"].values() for a in slots.values())
    assert good["t"] == 8
    net.optimizer.lr_scale = 1.0
    history = net.fit(X, y, epochs=1, batch_size=8, loss="mse")
    assert np.isfinite(history["loss"]).all() and all(np.isfinite(w).all() for w in net.get_weights())


def test_a_resumed_run_that_diverges_at_once_keeps_the_checkpoints_optimizer(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 4)) * 10
    y = X @ rng.normal(size=(4, 1))
    first = nn.Network.from_sizes(4, 16, 1, output=None, seed=0, dtype="float64")
    first.fit(X, y, epochs=1, batch_size=8, loss="mse", optimizer=nn.Adam(lr=1e-3), checkpoint=tmp_path / "run.ckpt")
    resumed = nn.Network.from_sizes(4, 16, 1, output=None, seed=0, dtype="float64")
    with pytest.raises(DivergenceError):
        resumed.fit(X, y, epochs=2, batch_size=8, shuffle=False, optimizer=nn.Adam(lr=1e300),
                    resume=tmp_path / "run.ckpt")
    resumed.optimizer.lr = 1e-3
    resumed.fit(X, y, epochs=1, batch_size=8, shuffle=False, loss="mse")  # from the checkpoint's moments, step 8
    again = nn.Network.from_sizes(4, 16, 1, output=None, seed=0, dtype="float64")
    again.fit(X, y, epochs=2, batch_size=8, shuffle=False, optimizer=nn.Adam(lr=1e-3), resume=tmp_path / "run.ckpt")
    assert resumed.optimizer.t == again.optimizer.t == 16
    for a, b in zip(resumed.get_weights(), again.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_the_split_cnn_steps_through_the_same_rates_as_one_thread(monkeypatch):
    from nnscratch.backend import threads
    from nnscratch.training import threaded
    if threads.blas_info() is None:
        pytest.skip("needs a BLAS threadpoolctl can limit")
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 36)), rng.integers(0, 3, 40)

    def run(split):
        layers = [nn.Reshape((1, 6, 6)), nn.Conv2D(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2D(2), nn.Flatten(),
                  nn.Dense(18, 3), nn.Softmax()]
        net = nn.Network(layers, seed=0, dtype="float64")
        rates = _SetRate(0.05)
        monkeypatch.setattr(threaded, "thread_count", lambda net, comm=None: 2 if split else 1)
        monkeypatch.setattr(threaded, "MIN_ROWS", 1)
        history = net.fit(X, y, epochs=4, batch_size=16, optimizer=nn.get_optimizer(
            "momentum", lr=Cosine(0.1, total=12, warmup=3), clip_norm=1.0), callbacks=[
            rates, nn.ReduceLROnPlateau(monitor="loss", patience=1, factor=0.5, min_delta=0.05)])
        return type(threaded.make_step(net)).__name__, rates.rates, history["loss"]

    kind, split_rates, split_loss = run(True)
    assert kind == "ThreadedStep"
    one, rates, loss = run(False)
    assert one == "Step" and split_rates == rates and len(rates) == 12
    np.testing.assert_allclose(split_loss, loss, rtol=1e-12)


@pytest.mark.parametrize("make, words", [
    (lambda: nn.SGD(momentum="0.9"), "SGD momentum must be a number in [0, 1); got '0.9'"),
    (lambda: nn.SGD(momentum=1.0), "SGD momentum must be a number in [0, 1); got 1.0"),
    (lambda: nn.Adam(beta2="0.999"), "Adam beta2 must be a number in [0, 1); got '0.999'"),
    (lambda: nn.RMSProp(rho=None), "RMSProp rho must be a number in [0, 1); got None"),
    (lambda: nn.EarlyStopping(monitor=3), "EarlyStopping monitor must name a logs key"),
    (lambda: nn.ReduceLROnPlateau(monitor=None), "ReduceLROnPlateau monitor must name a logs key"),
    (lambda: Cosine(0.01, total=10, min_lr=0.1), "Cosine min_lr must not exceed lr"),
    (lambda: nn.get_optimizer(nn.SGD(lr=0.1), lr=0.5), "takes no options besides clip_norm"),
    (lambda: get_schedule({"lr": 0.1, "total": 10}), "a config dict with its 'name'; got None"),
])
def test_bad_settings_say_what_was_expected_in_one_line(make, words):
    with pytest.raises(ConfigError) as caught:
        make()
    assert words in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), "1"])
def test_clip_norm_set_on_the_optimizer_is_checked_as_get_optimizer_checks_it(bad):
    """0 stopped training and -1 turned every step uphill (the factor min(1, -1 / norm) < 0)."""
    opt = nn.Adam()
    with pytest.raises(ConfigError, match=f"Invalid clip_norm: expected a positive finite number, got {bad!r}"):
        opt.clip_norm = bad
    assert opt.clip_norm is None
    opt.clip_norm = 2
    assert opt.clip_norm == 2.0 and nn.get_optimizer(opt.get_config()).clip_norm == 2.0
    opt.clip_norm = None
    assert "clip_norm" not in opt.get_config()


def test_a_monitor_the_run_does_not_report_names_the_closest_key():
    X, y = _data()
    net = nn.Network.from_sizes(4, 6, 3, seed=0)
    for callback in (nn.EarlyStopping(monitor="val_acuracy"), nn.ReduceLROnPlateau(monitor="val_acuracy")):
        with pytest.raises(ConfigError, match=r"expected one of \['accuracy', 'loss'\]: pass monitor='accuracy'"):
            net.fit(X, y, epochs=2, callbacks=[callback])


def test_setting_lr_scales_a_cosines_floor_with_it():
    """A callback that halves the rate again and again took it below a cosine's min_lr, and the next
    epoch stopped on 'min_lr must not exceed lr'; the whole curve now scales, its floor too."""
    from nnscratch.optim.schedules import Cosine
    opt = nn.SGD(lr=Cosine(0.1, total=10, min_lr=0.01))
    opt.t = 4
    before = opt.current_lr
    for _ in range(5):
        opt.lr = opt.lr / 2
    assert opt.schedule.min_lr == pytest.approx(0.01 / 32) and opt.lr == pytest.approx(0.1 / 32)
    assert opt.current_lr == pytest.approx(before / 32)
