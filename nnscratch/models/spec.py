"""Ready-made networks and the command line's layer-spec grammar.

``--layers`` takes either sizes (``784,256,128,10``: an MLP) or a layer spec,
comma-separated tokens applied in order (sizes of inputs are inferred)::

    conv32x3p1      Conv2D, 32 filters, 3x3 kernel, padding 1
    conv16x3x5s2    16 filters, 3x5 kernel, stride 2 (pN: padding N, psame: keep the size)
    conv8x3s2x1p1x0 stride 2 down, 1 across; padding 1 top/bottom, 0 left/right
    maxpool2        MaxPool2D(2); maxpool3s2: 3x3 windows, stride 2; maxpool2x3: 2x3 windows
    avgpool2        AvgPool2D(2) (same options as maxpool)
    bn              BatchNorm over the features/channels
    dropout0.25     Dropout(0.25)
    flatten         Flatten (added for you before a dense that follows images, and after the last
                    images when they hold one value per target or class)
    dense128        Dense(.., 128)
    relu tanh sigmoid softmax identity leaky_relu (leaky_relu0.2: slope 0.2 below zero)

A spec ends with the output layer; ``softmax`` is appended when it ends
without an activation. Image datasets (784 pixels per sample) are fed as
``(1, 28, 28)`` images through a leading ``Reshape`` layer, so a CNN takes the
same flat rows as an MLP (and ``predict`` on a PNG works for both).

:func:`describe` writes layers back in this grammar, so that a spec survives
``spec -> layers -> describe -> layers`` unchanged; a layer the grammar cannot
write (a BatchNorm with another momentum, a layer with its own initialiser)
is written as its ``repr``, which the parser refuses rather than misreads.
"""

import copy
import decimal
import math
import re

from ..errors import ConfigError, ShapeError, closest
from ..layers import (ACTIVATIONS, Activation, AvgPool2D, BatchNorm, Conv2D, Dense, Dropout, Flatten, Layer, LeakyReLU,
                      MaxPool2D, Reshape, get_activation)

# Pooling before the ReLU: the same function and gradients as ReLU then pooling (max and ReLU commute,
# and He initialisation looks past the pooling), with the ReLU on a quarter of the values.
DEFAULT_CNN = "conv16x3p1,maxpool2,relu,conv32x3p1,maxpool2,relu,flatten,dense128,relu,dropout{dropout:g},dense{classes}"

_PAIR = r"(\d+)(?:x(\d+))?"  # n, or h x w
_CONV = re.compile(rf"conv(\d+)x{_PAIR}(?:s{_PAIR})?(?:p(?:{_PAIR}|(same)))?")
_POOL = re.compile(rf"(max|avg)pool{_PAIR}(?:s{_PAIR})?")
_DENSE = re.compile(r"dense(\d+)")
_DROPOUT = re.compile(r"dropout(\d*\.?\d+)")
_LEAKY = re.compile(r"leaky_relu(\d*\.?\d+)?")


def is_layer_spec(text):
    """True for a layer spec, False for plain sizes (``784,256,10``) or nothing."""
    return bool(text) and not all(t.strip().isdigit() for t in text.split(","))


def image_shape(n_features):
    """``(1, s, s)`` for square single-channel images (784 -> (1, 28, 28)), else None."""
    side = math.isqrt(n_features)
    return (1, side, side) if side * side == n_features and side >= 4 else None


def mlp_layers(sizes, hidden="relu", output="auto"):
    """The layers of ``Network.from_sizes(*sizes)``: Dense layers between consecutive sizes,
    ``hidden`` after each but the last, ``output`` after the last ("auto": Sigmoid on one
    output, else Softmax; None: "identity"). ``sizes`` may also be one list of them."""
    if len(sizes) == 1 and isinstance(sizes[0], (list, tuple)):
        sizes = tuple(sizes[0])
    if len(sizes) < 2:
        raise ConfigError(f"A network needs at least an input and an output size; got sizes={sizes}.")
    if isinstance(output, str) and output.lower() == "auto":
        output = "sigmoid" if sizes[-1] == 1 else "softmax"
    _activation(hidden), _activation(output or "identity")  # unknown names fail here
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        last = i == len(sizes) - 2
        layers += [Dense(n_in, n_out), _activation((output or "identity") if last else hidden)]
    return layers


def _activation(spec):
    """A new activation layer for one place of :func:`mlp_layers`: from a name, a class (``nn.ReLU``, as
    PyTorch's ``activation_layer=nn.ReLU``), or a copy of a Layer (``LeakyReLU(0.2)`` serves every hidden layer;
    one object in two places was refused as a layer listed twice, which the caller had not listed)."""
    if isinstance(spec, type) and issubclass(spec, Activation):
        return spec()
    return copy.deepcopy(spec) if isinstance(spec, Layer) else get_activation(spec)


def default_cnn_spec(n_classes, dropout=0.3):
    """The default CNN for ``n_classes``; ``dropout`` before the output layer (0.1 where
    distorted copies already regularise, as on the MNIST sample)."""
    return DEFAULT_CNN.format(classes=n_classes, dropout=dropout)


def layers_from_spec(text, n_features, n_classes, regression=False, image=None):
    """Layers for spec ``text`` on data of ``n_features`` per sample and ``n_classes`` classes
    (``regression``: target columns), starting with a ``Reshape`` to images when the spec has image
    layers: to ``image`` (the data's ``(C, H, W)``, e.g. from an ``(n, C, H, W)`` array) when given,
    else to a square of one channel. Without an activation at the end, a spec ends with a softmax; for a
    regression, with an identity; for two classes, one unit ends with a sigmoid (as sizes ``4,16,1`` do). A spec
    whose last layers keep images (``conv8x3p1,relu,conv1x3p1``: an image to image regression) ends with a
    ``Flatten`` when those images hold one value per target (or class): the rows of values a loss compares."""
    tokens = [t.strip().lower() for t in text.split(",") if t.strip()]
    if not tokens:
        raise ConfigError(f"--layers is empty; give a spec such as {default_cnn_spec(n_classes)!r}.")
    layers, shape = [], (n_features,)
    if any(_CONV.fullmatch(t) or _POOL.fullmatch(t) for t in tokens):
        image = tuple(image) if image is not None and math.prod(image) == n_features else image_shape(n_features)
        if image is None:
            raise ShapeError(f"--layers {text}: convolution and pooling need images, but the data has "
                             f"{n_features} features per sample (not a square image); use dense layers, or "
                             "save the images as an (n, C, H, W) or (n, H, W) array (npy:X.npy,y.npy; channels-last "
                             "images: X.transpose(0, 3, 1, 2)).")
        layers.append(Reshape(image))
        shape = image
    for token in tokens:
        try:
            made = _layers(token, shape, text)
        except ConfigError as exc:  # a layer's own check, in the layer's words: say which piece it is
            where = f"--layers {text}" + (f": {token}" if token != text.strip().lower() else "")
            raise exc if str(exc).startswith("--layers") else ConfigError(f"{where}: {exc}") from None
        for layer in made:
            shape = _chain(layer, shape, token, text)
            layers.append(layer)
    one = not regression and n_classes == 2 and math.prod(shape) == 1  # a sigmoid's one unit for two classes
    if len(shape) > 1 and (math.prod(shape) == n_classes or one):  # convolutions to the end: their values, in rows
        layers.insert(_past_last_layer(layers), Flatten())  # before the output activation (a softmax takes rows)
        shape = (math.prod(shape),)
    binary = not regression and n_classes == 2 and shape == (1,)
    if regression and type(layers[-1]).__name__ in ("Softmax", "Sigmoid"):
        raise ConfigError(f"--layers {text}: a regression predicts the target's values, and a "
                          f"{type(layers[-1]).__name__.lower()} output squeezes them into (0, 1); end the spec "
                          f"with dense{n_classes} (an identity output is added).")
    if type(layers[-1]).__name__.lower() not in {cls.__name__.lower() for cls in ACTIVATIONS.values()}:
        layers.append(get_activation("identity" if regression else "sigmoid" if binary else "softmax"))
    if shape != (n_classes,) and not binary:
        what = f"target{'s' * (n_classes != 1)}" if regression else f"class{'es' * (n_classes != 1)}"
        ends = f"{shape[0]} output{'s' * (shape[0] != 1)}" if len(shape) == 1 else \
            f"outputs of shape {shape} ({math.prod(shape)} value{'s' * (math.prod(shape) != 1)})"
        or_so = f", or with layers whose outputs hold {n_classes} values (flattened)" if len(shape) > 1 else ""
        raise ShapeError(f"--layers {text}: the network ends with {ends} but the data has {n_classes} {what}; "
                         f"end the spec with dense{n_classes}{or_so}.")
    return layers


def _past_last_layer(layers):
    """The index just past the last layer that is not an activation (the output's activations follow it)."""
    activations = tuple(ACTIVATIONS.values())
    return next(i + 1 for i in range(len(layers) - 1, -1, -1) if not isinstance(layers[i], activations))


def _layers(token, shape, text):
    """The layer(s) for one token, given the per-sample ``shape`` arriving there."""
    if (m := _CONV.fullmatch(token)):
        out, kh, kw, sh, sw, ph, pw, same = m.groups()
        padding = "same" if same else _pair(ph, pw, 0)
        return [Conv2D(shape[0], int(out), _pair(kh, kw), stride=_pair(sh, sw, 1), padding=padding)] \
            if len(shape) == 3 else _needs_images(token, text)
    if (m := _POOL.fullmatch(token)):
        kind, kh, kw, sh, sw = m.groups()
        cls = MaxPool2D if kind == "max" else AvgPool2D
        return [cls(_pair(kh, kw), None if sh is None else _pair(sh, sw))] if len(shape) == 3 \
            else _needs_images(token, text)
    if (m := _DENSE.fullmatch(token)):
        flat = [Flatten()] if len(shape) != 1 else []
        return flat + [Dense(math.prod(shape), int(m.group(1)))]
    if (m := _DROPOUT.fullmatch(token)):
        return [Dropout(float(m.group(1)))]
    if token in ("bn", "batchnorm"):
        return [BatchNorm(shape[0])]
    if token == "flatten":
        return [Flatten()]
    name = token.replace("-", "_").replace("leakyrelu", "leaky_relu")  # the names get_activation takes
    if (m := _LEAKY.fullmatch(name)):
        return [LeakyReLU() if m.group(1) is None else LeakyReLU(float(m.group(1)))]
    if name in ACTIVATIONS:
        return [get_activation(name)]
    raise ConfigError(f"--layers: unknown layer {token!r} in {text!r}{_meant(token)}; use "
                      "conv<filters>x<kernel>[s<stride>][p<pad>|psame], maxpool<k>[s<stride>], avgpool<k>, bn, "
                      "dropout<rate>, flatten, "
                      "dense<units>, or an activation (relu, tanh, sigmoid, leaky_relu, softmax, identity); "
                      "a kernel, stride or padding may be <h>x<w>.")


_EXAMPLES = {"conv": "conv16x3p1", "maxpool": "maxpool2", "avgpool": "avgpool2", "dense": "dense128",
             "dropout": "dropout0.3"}


def _meant(token):
    """``" (conv needs its numbers: e.g. conv16x3p1)"``, ``" (did you mean maxpool2?)"``, or ``""``."""
    if token in _EXAMPLES:
        return f" ({token} needs its numbers: e.g. {_EXAMPLES[token]})"
    letters = token.rstrip("0123456789.sxp")
    close = closest(letters, [*_EXAMPLES, "bn", "batchnorm", "flatten", *ACTIVATIONS])
    if close is None or close == letters:
        return ""
    return f" (did you mean {close + token[len(letters):] if close in _EXAMPLES else close}?)"


def _pair(first, second, default=None):
    """``(h, w)`` from the digits of ``<h>[x<w>]`` (``w`` defaults to ``h``); ``default`` when absent."""
    if first is None:
        return default if default is None else (default, default)
    return (int(first), int(second or first))


def _needs_images(token, text):
    raise ShapeError(f"--layers {text}: {token} needs images, but it comes after the data was flattened; "
                     "put convolution and pooling layers before flatten/dense.")


def _chain(layer, shape, token, text):
    try:
        return layer.output_shape(shape)
    except ShapeError as exc:
        raise ShapeError(f"--layers {text}: at {token}: {exc}") from None


def describe(layers):
    """The layers in the spec grammar, e.g. ``conv16x3p1,relu,maxpool2,...,softmax``:
    ``layers_from_spec(describe(layers), ...)`` builds the same layers again (given the same
    ``image``). A leading ``Reshape`` to images is left out (the parser adds it); a layer the grammar cannot
    write is given as its ``repr`` (the parser refuses it rather than build another layer)."""
    layers = list(layers)
    if leading_images(layers):
        layers = layers[1:]
    return ",".join(_token(layer) for layer in layers)


def leading_images(layers):
    """The ``(C, H, W)`` of the ``Reshape`` of flat rows to images that the parser puts first, or None."""
    first = layers[0] if layers else None
    return tuple(first.shape) if isinstance(first, Reshape) and len(first.shape) == 3 else None


def _token(layer):
    """One layer's token, or its repr when the grammar has none for it (see :func:`describe`)."""
    if getattr(layer, "init", None) is not None:
        return repr(layer)
    if isinstance(layer, Conv2D):
        pad = "same" if layer.padding == "same" else _digits(layer.padding, (0, 0))
        return (f"conv{layer.out_channels}x{_digits(layer.kernel_size)}" + _option("s", layer.stride, (1, 1))
                + ("" if pad == "" else f"p{pad}"))
    if isinstance(layer, (MaxPool2D, AvgPool2D)):
        kind = "max" if isinstance(layer, MaxPool2D) else "avg"
        return f"{kind}pool{_digits(layer.kernel_size)}" + _option("s", layer.stride, layer.kernel_size)
    if isinstance(layer, Dense):
        return f"dense{layer.n_out}"
    if isinstance(layer, Dropout):
        return f"dropout{_decimal(layer.rate)}"
    if isinstance(layer, LeakyReLU):
        return "leaky_relu" if layer.alpha == LeakyReLU().alpha else f"leaky_relu{_decimal(layer.alpha)}"
    if type(layer) is BatchNorm and layer.get_config() == BatchNorm(layer.n_features).get_config():
        return "bn"
    if type(layer) is Flatten:
        return "flatten"
    names = [name for name, cls in ACTIVATIONS.items() if type(layer) is cls and layer.get_config() == cls().get_config()]
    return names[0] if names else repr(layer)


def _digits(pair, default=None):
    """``3`` for (3, 3), ``3x5`` for (3, 5); "" for ``default``."""
    if tuple(pair) == default:
        return ""
    return f"{pair[0]}" if pair[0] == pair[1] else f"{pair[0]}x{pair[1]}"


def _option(letter, pair, default):
    digits = _digits(pair, tuple(default))
    return f"{letter}{digits}" if digits else ""


def _decimal(value):
    """``value`` in positional notation, as short as round-trips (1e-05 -> ``0.00001``)."""
    return format(decimal.Decimal(repr(float(value))).normalize(), "f")
