"""Pictures where they meet the rest of the library: what each one says, and what it refuses."""
import numpy as np
import pytest

import nnscratch as nn

pytest.importorskip("matplotlib")

from nnscratch import viz  # noqa: E402


def texts(fig):
    """Every text drawn on ``fig``: titles, tick labels, annotations."""
    from matplotlib.text import Text
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


@pytest.mark.parametrize("y_true, y_pred, message", [
    (np.array([151.3, 75.0]), np.array([140.2, 80.1]), "holds 151.3, not a class"),   # a regression's values
    (np.array([0, 1, 0]), np.eye(2)[[0, 1, 1]], r"shape \(3, 2\)"),                    # one-hot rows
    (np.array([-1, 1, 0]), np.array([0, 1, 0]), "holds -1"),                           # counted as the last class
])
def test_confusion_matrix_refuses_what_is_not_a_class_index(y_true, y_pred, message):
    """A regression's values drew a matrix of hundreds of 'classes', -1 was counted as the last class
    and one-hot predictions said only that the lengths differ."""
    with pytest.raises(ValueError, match=message):
        viz.confusion_matrix(y_true, y_pred)


def test_plot_confusion_with_fewer_labels_than_classes_is_one_clear_error():
    """IndexError: index 2 is out of bounds for axis 0 with size 2."""
    with pytest.raises(ValueError, match="2 classes .* received label 3; give a label"):
        viz.plot_confusion(np.array([0, 1, 2, 3]), np.array([0, 1, 2, 2]), labels=["a", "b"])


def test_a_class_not_all_right_is_never_shown_as_100_percent():
    """199 of 200 right printed '100' in the row-normalised matrix, as if none were wrong."""
    y = np.zeros(200, dtype=int)
    pred = y.copy()
    pred[0] = 1
    fig = viz.plot_confusion(y, pred, labels=["a", "b"])
    shown = [t.get_text() for t in fig.axes[1].texts]  # the row-normalised matrix
    assert ">99" in shown and "100" not in shown


def test_long_or_many_class_names_stay_readable():
    """Fashion-MNIST's names ran into each other under the matrix, and 30 classes' tick numbers too."""
    names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
             "Ankle boot"]
    rng = np.random.default_rng(0)
    fig = viz.plot_confusion(rng.integers(0, 10, 300), rng.integers(0, 10, 300), labels=names)
    assert {t.get_rotation() for t in fig.axes[0].get_xticklabels()} == {45}
    small = viz.plot_confusion(rng.integers(0, 3, 30), rng.integers(0, 3, 30))
    assert {t.get_rotation() for t in small.axes[0].get_xticklabels()} == {0}
    many = viz.plot_confusion(rng.integers(0, 30, 600), rng.integers(0, 30, 600))
    assert many.get_size_inches()[1] >= 30 * 0.25 + 1.5  # a quarter inch a row, and the titles
