"""Where features meet, found in the eleventh session: each test failed before its fix."""

import numpy as np
import pytest

import nnscratch as nn


def test_torch_takes_arrays_read_backwards():
    """``X[::-1]`` (negative strides) on the torch backend: fit, predict and the scikit-learn
    estimator used to stop with torch's "At least one stride ... is negative"."""
    pytest.importorskip("torch")
    from nnscratch.sklearn import MLPClassifier
    rng = np.random.default_rng(0)
    X = rng.random((40, 3))
    y = (X[:, 0] > 0.5).astype(int)
    net = nn.Network.from_sizes(3, 4, 2, seed=0, backend="torch")
    twin = nn.Network.from_sizes(3, 4, 2, seed=0, backend="torch")
    net.fit(X[::-1], y[::-1], epochs=2, batch_size=8, shuffle=False, verbose=0)
    twin.fit(X[::-1].copy(), y[::-1].copy(), epochs=2, batch_size=8, shuffle=False, verbose=0)
    np.testing.assert_array_equal(np.asarray(net.predict(X[::-2])), np.asarray(twin.predict(X[::-2].copy())))
    model = MLPClassifier(backend="torch", max_iter=2, random_state=0)
    with pytest.warns(Warning):  # not converged in 2 iterations
        model.fit(X[::-1], y[::-1])
    assert model.predict(X[::-3]).shape == (14,)


def test_waiting_for_mpi_without_a_poll_makes_no_system_call(monkeypatch):
    """The gradient sum of every step waits here: ``time.sleep(0)`` between looks made it 3.5x slower on
    2 ranks (0.15 -> 0.53 ms; ``nnscratch bench --ranks 2``). With a poll it sleeps, as a barrier may."""
    from nnscratch.distributed import waiting

    class Request:
        def __init__(self, looks):
            self.looks = looks

        def Test(self):
            self.looks -= 1
            return self.looks <= 0

    slept = []
    monkeypatch.setattr(waiting.time, "sleep", slept.append)
    request = Request(4)
    waiting.wait(request)
    assert request.looks == 0 and slept == []
    waiting.wait(Request(3), 0.01)
    assert slept == [0.01, 0.01]


def test_colour_images_for_a_digit_mlp_are_refused_not_read_as_more_images(tmp_path, capsys):
    """A 784-input MLP given (2, 3, 28, 28) read 6 grey images, 6 predictions for 2 pictures."""
    from nnscratch import cli
    path = nn.Network.from_sizes(784, 8, 10, seed=0, backend="numpy").save(tmp_path / "m.npz")
    rng = np.random.default_rng(0)
    np.save(tmp_path / "c3.npy", rng.random((2, 3, 28, 28)).astype(np.float32))
    np.save(tmp_path / "c1.npy", rng.random((2, 1, 28, 28)).astype(np.float32))
    assert cli.main(["predict", str(path), str(tmp_path / "c3.npy")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "images of 3 channels" in err and "X.mean(axis=1, keepdims=True)" in err, err
    assert cli.main(["predict", str(path), str(tmp_path / "c1.npy")]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2


def test_the_estimators_say_where_keras_and_sample_weight_keywords_go():
    """Keras' keywords given to the estimators got Python's bare "unexpected keyword argument"; they are said
    (``fit(X, y, sample_weight=w)`` is taken since the estimators weigh samples, as scikit-learn 1.9's MLP)."""
    pytest.importorskip("sklearn")
    from sklearn.utils.validation import has_fit_parameter
    from nnscratch.sklearn import MLPClassifier, MLPRegressor
    X = np.random.default_rng(0).random((20, 3))
    y = (X[:, 0] > 0.5).astype(int)
    for estimator in (MLPClassifier(max_iter=2), MLPRegressor(max_iter=2)):
        assert has_fit_parameter(estimator, "sample_weight")
    with pytest.raises(TypeError, match=r"'epochs': set max_iter= \(epochs\) on the estimator"):
        MLPClassifier().partial_fit(X, y, classes=[0, 1], epochs=3)
    with pytest.raises(TypeError, match="'clases'; its options are: sample_weight"):
        MLPRegressor().fit(X, y, clases=[0, 1])
