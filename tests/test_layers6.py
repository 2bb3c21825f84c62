"""Where shapes and backends meet the math: losses and metrics given the wrong kind of targets or no rows,
extreme logits, and edge cases of the layers (non-square images and kernels, strides that do not divide,
1x1 kernels, one sample, one channel) against PyTorch autograd (float64)."""

import re

import numpy as np
import pytest

from nnscratch import AvgPool2D, BatchNorm, Conv2D, Dense, MaxPool2D, Normal, Reshape, Uniform
from nnscratch.errors import ConfigError, DataError, ShapeError
from nnscratch.layers import LeakyReLU
from nnscratch.layers.initializers import He
from nnscratch.losses import BinaryCrossEntropy, CrossEntropy, MeanSquaredError, SumSquaredError
from nnscratch import metrics

torch = pytest.importorskip("torch", reason="PyTorch is not installed (CI installs torch==2.13.0)")
F = torch.nn.functional

from test_cnn_torch import one_torch_thread  # noqa: E402,F401  (autouse: torch on one thread for tiny tensors)


def f64(backend):
    if not backend.has_float64:
        pytest.skip(f"{backend} has no float64")
    return backend.with_dtype("float64")


def close(backend, ours, theirs):
    np.testing.assert_allclose(backend.to_numpy(ours), theirs, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- extreme logits

def test_cross_entropy_and_bce_at_extreme_logits_match_torch(backend):
    """Logits of +-1e4 (and 1e300): finite loss and gradient, equal to PyTorch's, on every backend."""
    backend = f64(backend)
    z = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e300, 0.0, -1e4], [0.5, -0.5, 1e4]])
    labels = np.array([1, 0, 2, 1])
    tz = torch.tensor(z, requires_grad=True)
    loss = F.cross_entropy(tz, torch.from_numpy(labels))
    loss.backward()
    value, grad = CrossEntropy()(backend.asarray(z), backend.asarray(np.eye(3)[labels]))
    close(backend, value, loss.item())
    close(backend, grad, tz.grad.numpy())
    y = (np.eye(3)[labels] + np.eye(3)[[0, 0, 1, 2]]).clip(0, 1)
    tz = torch.tensor(z[:, :2], requires_grad=True)  # 1e300 would overflow z * y in both: two columns
    loss = F.binary_cross_entropy_with_logits(tz, torch.from_numpy(y[:, :2]))
    loss.backward()
    value, grad = BinaryCrossEntropy()(backend.asarray(z[:, :2]), backend.asarray(y[:, :2]))
    close(backend, value, loss.item())
    close(backend, grad, tz.grad.numpy())


# ---------------------------------------------------------------- the wrong kind of targets, no rows

@pytest.mark.parametrize("loss", [CrossEntropy(), BinaryCrossEntropy(), MeanSquaredError(), SumSquaredError()],
                         ids=lambda loss: loss.name)
@pytest.mark.parametrize("n", [3, 4], ids=["n=k", "n!=k"])
def test_a_loss_given_integer_labels_says_to_make_them_one_hot(backend, loss, n):
    """Labels (n,) beside outputs (n, 3) broadcast: silently the wrong loss where n == 3, NumPy's 'operands
    could not be broadcast' otherwise. Now one line that names the shapes and the fix."""
    out = backend.asarray(np.random.default_rng(0).normal(size=(n, 3)))
    labels = backend.asarray(np.arange(n) % 3)
    for call in (loss.value, loss.gradient, loss):
        with pytest.raises(ShapeError, match=r"targets of shape \(%d, 3\).*got shape \(%d,\).*one_hot" % (n, n)):
            call(out, labels)


@pytest.mark.parametrize("score", [metrics.accuracy, metrics.rmse, metrics.mae, metrics.r2],
                         ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape", [(0,), (0, 2)])
def test_a_metric_of_no_samples_is_a_clear_error(backend, score, shape):
    """Was NaN (with NumPy's 'Mean of empty slice' warning) for accuracy, RMSE and MAE, and R^2 = 1.0, as
    if a perfect fit; scikit-learn refuses empty input."""
    empty = backend.asarray(np.zeros(shape))
    for y_true, y_pred in ((np.zeros(shape), np.zeros(shape)), (empty, empty)):
        with pytest.raises(DataError, match="no samples"):
            score(y_true, y_pred)


# ---------------------------------------------------------------- layers against torch: edge cases

def run_against_torch(layer, backend, x, theirs, params=()):
    layer.build(backend, np.random.default_rng(0), He(), 0)
    for p, value in zip(layer.params, params):
        p.value = backend.asarray(value)
    y = layer.forward(backend.asarray(x), training=True)
    R = np.random.default_rng(1).normal(size=tuple(y.shape))
    dx = layer.backward(backend.asarray(R))
    tx = torch.tensor(x, requires_grad=True)
    tparams = [torch.tensor(v, requires_grad=True) for v in params]
    ty = theirs(tx, *tparams)
    (ty * torch.from_numpy(R)).sum().backward()
    close(backend, y, ty.detach().numpy())
    close(backend, dx, tx.grad.numpy())
    for p, t in zip(layer.params, tparams):
        close(backend, p.grad, t.grad.numpy())


CONVS = [  # (image, kernel, stride, padding, (batch, in, out))
    ((7, 11), (2, 3), (3, 2), (1, 2), (1, 1, 1)),  # sizes the strides do not divide, batch and channels of one
    ((1, 9), (1, 4), (1, 1), "same", (2, 5, 3)),  # one row, an even kernel under "same"
    ((10, 3), (4, 2), (1, 1), "same", (1, 6, 2)),  # even kernels both ways: the extra zeros bottom/right
    ((5, 5), (1, 1), (2, 3), 0, (2, 9, 4)),  # a strided 1x1 convolution
    ((6, 4), (5, 1), (4, 4), (2, 0), (3, 2, 2)),  # stride past the kernel: pixels no window reads
]


@pytest.mark.parametrize("image,kernel,stride,padding,sizes", CONVS)
def test_conv2d_edge_cases_match_torch(backend, image, kernel, stride, padding, sizes):
    backend = f64(backend)
    (n, c, o), rng = sizes, np.random.default_rng(2)
    x, w, b = rng.normal(size=(n, c, *image)), rng.normal(size=(o, c, *kernel)), rng.normal(size=o)
    run_against_torch(Conv2D(c, o, kernel, stride=stride, padding=padding), backend, x,
                      lambda t, tw, tb: F.conv2d(t, tw, tb, stride=stride, padding=padding), (w, b))


POOLS = [((7, 11), (2, 3), (3, 2)), ((1, 9), (1, 3), None), ((5, 5), (2, 2), (1, 4)), ((3, 8), (3, 2), (3, 3))]


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("image,kernel,stride", POOLS)
def test_pooling_edge_cases_match_torch(backend, kind, image, kernel, stride):
    """Windows that do not divide the image (floor mode: PyTorch's ceil_mode=False drops the rest), stride
    other than the window, one row, one sample and one channel; values rounded so max windows hold ties."""
    backend = f64(backend)
    x = np.round(np.random.default_rng(3).normal(size=(1, 1, *image)) * 2)
    layer = (MaxPool2D if kind == "max" else AvgPool2D)(kernel, stride)
    pool = F.max_pool2d if kind == "max" else F.avg_pool2d
    run_against_torch(layer, backend, x, lambda t: pool(t, kernel, stride if stride is not None else kernel))


# ---------------------------------------------------------------- options that are not numbers

@pytest.mark.parametrize("make,words", [
    (lambda: BatchNorm(3, momentum=None), r"momentum=None.*cumulative.*momentum=0\.1"),
    (lambda: BatchNorm(3, momentum="0.1"), r"momentum.*got momentum='0\.1'"),
    (lambda: BatchNorm(3, eps=float("inf")), r"eps.*got .*eps=inf"),
    (lambda: BatchNorm(3, eps=None), r"eps.*got .*eps=None"),
    (lambda: LeakyReLU(None), r"alpha.*got None"),
    (lambda: LeakyReLU("0.1"), r"alpha.*got '0\.1'"),
], ids=["bn-momentum-None", "bn-momentum-str", "bn-eps-inf", "bn-eps-None", "leaky-None", "leaky-str"])
def test_a_layer_option_that_is_not_a_number_is_one_config_error(make, words):
    """BatchNorm(momentum=None), PyTorch's cumulative average, and LeakyReLU(alpha='0.1') raised TypeError:
    "'<=' not supported between instances of 'int' and 'NoneType'"; eps=inf was taken (every output beta)."""
    with pytest.raises(ConfigError, match=words):
        make()


@pytest.mark.parametrize("spec,words", [
    (lambda: Uniform(None), r"Uniform limit must be a positive number.*got None"),
    (lambda: Uniform(float("inf")), r"Uniform limit.*got inf"),
    (lambda: Normal("1"), r"Normal std must be a positive number.*got '1'"),
    (lambda: Normal(float("inf")), r"Normal std.*got inf"),
    (lambda: Dense(2, 3, init={"name": "uniform", "limt": 0.1}), r"uniform initializer takes limit, biases; got limt"),
], ids=["uniform-None", "uniform-inf", "normal-str", "normal-inf", "misspelt-option"])
def test_an_initializer_option_that_is_not_a_number_or_not_its_own_is_one_config_error(spec, words):
    """Uniform(None) and Normal('1') raised TypeError "'>' not supported", Uniform(inf) NumPy's OverflowError,
    Normal(inf) gave infinite weights, and a misspelt option in an init dict "unexpected keyword argument"."""
    with pytest.raises(ConfigError, match=words):
        spec()


@pytest.mark.parametrize("loss", [CrossEntropy(), BinaryCrossEntropy(), MeanSquaredError(), SumSquaredError()],
                         ids=lambda loss: loss.name)
@pytest.mark.parametrize("kind", ["int64", "bool"])
def test_integer_or_bool_one_hot_targets_score_as_float_ones_in_the_outputs_dtype(backend, loss, kind):
    """One-hot rows of int64 or bool beside float32 outputs: array-api-strict refused to promote them
    ('cannot be type promoted together'), torch refused bool ('Subtraction ... with a bool tensor'), and
    NumPy promoted int64 to a float64 loss and gradient. Now every backend scores them as float rows."""
    out = backend.asarray(np.random.default_rng(0).normal(size=(4, 3)), dtype="float32")
    rows = np.eye(3)[[0, 1, 2, 0]]
    value, grad = loss(out, backend.asarray(rows.astype(kind)))
    want_value, want_grad = loss(out, backend.asarray(rows, dtype="float32"))
    assert value.dtype == grad.dtype == out.dtype
    np.testing.assert_array_equal(backend.to_numpy(value), backend.to_numpy(want_value))
    np.testing.assert_array_equal(backend.to_numpy(grad), backend.to_numpy(want_grad))


@pytest.mark.parametrize("pair", ["int-float", "float-int", "bool-int", "int32-int64"])
def test_accuracy_compares_labels_of_two_dtypes_on_every_backend(any_backend, pair):
    """Integer labels beside whole-number float predictions (or bool beside int): array-api-strict raised
    TypeError 'int64 and float64 cannot be type promoted together' from inside accuracy."""
    labels, predicted = np.array([0, 1, 1, 0, 1]), np.array([0, 1, 0, 0, 0])
    kinds = {"int-float": ("int64", "float32"), "float-int": ("float32", "int64"), "bool-int": ("bool", "int64"),
             "int32-int64": ("int32", "int64")}[pair]
    for y_true in (labels.astype(kinds[0]), any_backend.asarray(labels.astype(kinds[0]))):
        assert metrics.accuracy(y_true, any_backend.asarray(predicted.astype(kinds[1]))) == 0.6


@pytest.mark.parametrize("layer,shape,words", [
    (lambda: MaxPool2D(3), (1, 1, 2, 5), r"receives 2x5 images, smaller than its 3x3 window"),
    (lambda: AvgPool2D((1, 4)), (2, 3, 5, 3), r"receives 5x3 images, smaller than its 1x4 window"),
    (lambda: Conv2D(1, 2, 3), (1, 1, 2, 5), r"receives images of 2x5.*smaller than its 3x3 kernel"),
    (lambda: Conv2D(3, 2, 3), (1, 2, 5, 5), r"expects 3 input channels but receives 2"),
    (lambda: Dense(4, 2), (3, 5), r"expects 4 features per sample but receives 5"),
    (lambda: Dense(4, 2), (3, 1, 2, 4), r"expects 4 features.*receives shape \(1, 2, 4\); put a Flatten"),
    (lambda: BatchNorm(3), (2, 1, 4, 4), r"normalises 3 features.*receives per-sample shape \(1, 4, 4\)"),
    (lambda: BatchNorm(3), (2, 3, 4), r"normalises 3 features.*receives per-sample shape \(3, 4\)"),
    (lambda: MaxPool2D(2), (1, 4, 4), r"expects images \(channels, height, width\) per sample"),
    (lambda: Conv2D(1, 2, 3), (1, 4, 4), r"expects images \(channels, height, width\) per sample"),
    (lambda: Reshape((1, 2, 2)), (3, 8), r"needs 4 values per sample but receives shape \(8,\)"),
], ids=["maxpool", "avgpool", "conv-size", "conv-channels", "dense-width", "dense-images", "bn-channels", "bn-3d",
        "maxpool-no-batch", "conv-no-batch", "reshape"])
def test_a_layer_used_on_its_own_refuses_images_it_cannot_take(backend, layer, shape, words):
    """Outside a Network (which checks shapes first) pooling returned an empty array where PyTorch raises
    'Output size is too small', Conv2D failed inside im2col ('cannot reshape array of size 0') or in the
    matrix product, and Dense failed in it ('mismatch in its core dimension') or, given images whose last
    axis is n_in, multiplied each row of each image; BatchNorm(3) broadcast one channel to three; pooling
    without a batch axis failed to unpack its shape; Reshape((1, 2, 2)) made 6 samples of 3. Now the ShapeError a Network gives, in training and in
    predict mode."""
    layer = layer()
    layer.build(backend, np.random.default_rng(0), He(), 0)
    for training in (False, True):
        with pytest.raises(ShapeError, match=words):
            layer.forward(backend.asarray(np.ones(shape)), training=training)


@pytest.mark.parametrize("shape", [(1, 3), (1, 3, 1, 1)], ids=["NF", "NCHW"])
def test_batchnorm_on_its_own_refuses_one_value_per_channel_in_training(backend, shape):
    """A Network refuses such a batch before training; the layer on its own normalised every value to 0
    (output beta) and pulled its running variance towards 0, where PyTorch raises 'Expected more than 1 value
    per channel when training'. Predict mode, and one sample of several pixels, stay as PyTorch has them."""
    layer = BatchNorm(3)
    layer.build(backend, np.random.default_rng(0), He(), 0)
    with pytest.raises(DataError, match=r"one value per channel.*\(shape %s\).*at least 2" % re.escape(str(shape))):
        layer.forward(backend.asarray(np.ones(shape)), training=True)
    np.testing.assert_array_equal(backend.to_numpy(layer.running_var.value), np.ones(3))
    assert layer.forward(backend.asarray(np.ones(shape))).shape == shape
    assert layer.forward(backend.asarray(np.ones((1, 3, 2, 1))), training=True).shape == (1, 3, 2, 1)


def test_accuracy_of_one_hot_rows_on_both_sides_is_refused_with_the_argmax_fix(backend):
    """Both (n, k): flattened and compared entry by entry, every prediction wrong scored 1/3 (the zeros
    agree) and probabilities against one-hot rows 2/3. Now the ShapeError that names the fix."""
    one_hot = np.eye(3)[[0, 1, 2]]
    for y_pred in (np.eye(3)[[1, 2, 0]], one_hot * 0.9):
        with pytest.raises(ShapeError, match=r"\(3, 3\).*takes class labels.*argmax"):
            metrics.accuracy(one_hot, backend.asarray(y_pred))


@pytest.mark.parametrize("score", [metrics.rmse, metrics.mae, metrics.r2], ids=lambda f: f.__name__)
def test_a_regression_score_of_arrays_of_more_than_two_axes_is_refused(backend, score):
    """(n, 2, 2) against (n, 2, 2): MAE divided the sum by 2 columns where each row holds 4 values (2.0 for
    errors of 1). Now a ShapeError that says to reshape, as scikit-learn refuses them."""
    with pytest.raises(ShapeError, match=r"\(2, 2, 2\).*\(n,\) or \(n, k\).*reshape"):
        score(np.zeros((2, 2, 2)), backend.asarray(np.ones((2, 2, 2))))


@pytest.mark.parametrize("loss", [CrossEntropy(), BinaryCrossEntropy(), MeanSquaredError(), SumSquaredError()],
                         ids=lambda loss: loss.name)
def test_a_loss_of_one_dimensional_outputs_says_to_make_them_a_column(backend, loss):
    """Outputs and targets (n,): IndexError 'tuple index out of range' or NumPy's AxisError from inside."""
    out = backend.asarray(np.array([0.5, -1.0, 2.0]))
    for call in (loss.value, loss.gradient):
        with pytest.raises(ShapeError, match=r"\(n_samples, n_outputs\).*got shape \(3,\).*\(-1, 1\)"):
            call(out, out)
