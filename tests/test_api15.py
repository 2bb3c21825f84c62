"""Session 15's public names: ``UndefinedMetricWarning`` beside the library's other warnings in
``nnscratch.errors`` (still ``nnscratch.metrics.UndefinedMetricWarning``), and ``EpochLogger`` at the top level
beside the other callbacks (Keras: ``keras.callbacks.ProgbarLogger``)."""

import warnings

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import errors, metrics
from nnscratch.training import epochs


def test_undefined_metric_warning_is_one_class_in_errors_and_metrics():
    assert errors.UndefinedMetricWarning is metrics.UndefinedMetricWarning
    assert "UndefinedMetricWarning" in errors.__all__
    assert issubclass(errors.UndefinedMetricWarning, errors.DataWarning)
    with pytest.warns(errors.UndefinedMetricWarning, match="less than two samples"):
        assert np.isnan(metrics.r2(np.array([1.0]), np.array([2.0])))


def test_ignoring_the_errors_class_silences_a_one_row_r2_alone():
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        warnings.simplefilter("ignore", errors.UndefinedMetricWarning)
        metrics.r2(np.array([1.0]), np.array([2.0]))
        warnings.warn("other data", errors.DataWarning)
    assert [str(w.message) for w in said] == ["other data"]


def test_epoch_logger_is_a_top_level_callback_that_fit_calls_last(capsys):
    assert nn.EpochLogger is epochs.EpochLogger and "EpochLogger" in nn.__all__
    assert issubclass(nn.EpochLogger, nn.Callback)
    order = []

    class Note(nn.Callback):
        def on_epoch_end(self, epoch, logs, network):
            order.append("note")
            logs["note"] = 1.5

    class Line(nn.EpochLogger):
        def line(self, epoch, logs):
            order.append("line")
            return f"line {epoch} note {logs['note']}"

    X = np.random.default_rng(0).normal(size=(30, 2))
    y = (X[:, 0] > 0).astype(int)
    nn.Network.from_sizes(2, 4, 2, seed=0).fit(X, y, epochs=2, batch_size=10, callbacks=[Line(), Note()])
    assert order == ["note", "line", "note", "line"]
    assert capsys.readouterr().out.splitlines() == ["line 0 note 1.5", "line 1 note 1.5"]
