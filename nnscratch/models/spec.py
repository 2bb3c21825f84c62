"""Ready-made networks and the command line's layer-spec grammar.

``--layers`` takes either sizes (``784,256,128,10``: an MLP) or a layer spec,
comma-separated tokens applied in order (sizes of inputs are inferred)::

    conv32x3p1      Conv2D, 32 filters, 3x3 kernel, padding 1
    conv16x3x5s2    16 filters, 3x5 kernel, stride 2 (pN: padding N, psame: keep the size)
    maxpool2        MaxPool2D(2); maxpool3s2: 3x3 windows, stride 2
    avgpool2        AvgPool2D(2)
    bn              BatchNorm over the features/channels
    dropout0.25     Dropout(0.25)
    flatten         Flatten (added for you before a dense that follows images)
    dense128        Dense(.., 128)
    relu tanh sigmoid leaky_relu softmax

A spec ends with the output layer; ``softmax`` is appended when it ends
without an activation. Image datasets (784 pixels per sample) are fed as
``(1, 28, 28)`` images through a leading ``Reshape`` layer, so a CNN takes the
same flat rows as an MLP (and ``predict`` on a PNG works for both).
"""

import math
import re

from ..errors import ConfigError, ShapeError
from ..layers import (ACTIVATIONS, AvgPool2D, BatchNorm, Conv2D, Dense, Dropout, Flatten, MaxPool2D, Reshape,
                      get_activation)

# Pooling before the ReLU: the same function and gradients as ReLU then pooling (max and ReLU commute,
# and He initialisation looks past the pooling), with the ReLU on a quarter of the values.
DEFAULT_CNN = "conv16x3p1,maxpool2,relu,conv32x3p1,maxpool2,relu,flatten,dense128,relu,dropout{dropout:g},dense{classes}"

_CONV = re.compile(r"conv(\d+)x(\d+)(?:x(\d+))?(?:s(\d+))?(?:p(\d+|same))?")
_POOL = re.compile(r"(max|avg)pool(\d+)(?:x(\d+))?(?:s(\d+))?")
_SIMPLE = {"flatten": Flatten, "bn": None, "batchnorm": None}


def is_layer_spec(text):
    """True for a layer spec, False for plain sizes (``784,256,10``) or nothing."""
    return bool(text) and not all(t.strip().isdigit() for t in text.split(","))


def image_shape(n_features):
    """``(1, s, s)`` for square single-channel images (784 -> (1, 28, 28)), else None."""
    side = math.isqrt(n_features)
    return (1, side, side) if side * side == n_features and side >= 4 else None


def default_cnn_spec(n_classes, dropout=0.3):
    """The default CNN for ``n_classes``; ``dropout`` before the output layer (0.1 where
    distorted copies already regularise, as on the MNIST sample)."""
    return DEFAULT_CNN.format(classes=n_classes, dropout=dropout)


def layers_from_spec(text, n_features, n_classes):
    """Layers for spec ``text`` on data of ``n_features`` per sample and ``n_classes`` classes
    (starting with a ``Reshape`` to images when the spec has image layers)."""
    tokens = [t.strip().lower() for t in text.split(",") if t.strip()]
    if not tokens:
        raise ConfigError(f"--layers is empty; give a spec such as {default_cnn_spec(n_classes)!r}.")
    layers, shape = [], (n_features,)
    if any(_CONV.fullmatch(t) or _POOL.fullmatch(t) for t in tokens):
        image = image_shape(n_features)
        if image is None:
            raise ShapeError(f"--layers {text}: convolution and pooling need images, but the data has "
                             f"{n_features} features per sample (not a square image); use dense layers.")
        layers.append(Reshape(image))
        shape = image
    for token in tokens:
        for layer in _layers(token, shape, text):
            shape = _chain(layer, shape, token, text)
            layers.append(layer)
    if type(layers[-1]).__name__.lower() not in {cls.__name__.lower() for cls in ACTIVATIONS.values()}:
        layers.append(get_activation("softmax"))
    if shape != (n_classes,):
        raise ShapeError(f"--layers {text}: the network ends with {shape} outputs but the data has {n_classes} "
                         f"classes; end the spec with dense{n_classes}.")
    return layers


def _layers(token, shape, text):
    """The layer(s) for one token, given the per-sample ``shape`` arriving there."""
    if (m := _CONV.fullmatch(token)):
        out, kh, kw, stride, pad = m.groups()
        padding = "same" if pad == "same" else int(pad or 0)
        return [Conv2D(shape[0], int(out), (int(kh), int(kw or kh)), stride=int(stride or 1), padding=padding)] \
            if len(shape) == 3 else _needs_images(token, text)
    if (m := _POOL.fullmatch(token)):
        kind, kh, kw, stride = m.groups()
        kernel = (int(kh), int(kw or kh))
        cls = MaxPool2D if kind == "max" else AvgPool2D
        return [cls(kernel, None if stride is None else int(stride))] if len(shape) == 3 else _needs_images(token, text)
    if (m := re.fullmatch(r"dense(\d+)", token)):
        flat = [Flatten()] if len(shape) != 1 else []
        return flat + [Dense(math.prod(shape), int(m.group(1)))]
    if (m := re.fullmatch(r"dropout(0?\.\d+|0)", token)):
        return [Dropout(float(m.group(1)))]
    if token in ("bn", "batchnorm"):
        return [BatchNorm(shape[0])]
    if token == "flatten":
        return [Flatten()]
    if token.replace("-", "_") in ACTIVATIONS:
        return [get_activation(token)]
    raise ConfigError(f"--layers: unknown layer {token!r} in {text!r}; use conv<filters>x<kernel>[s<stride>]"
                      "[p<pad>|psame], maxpool<k>[s<stride>], avgpool<k>, bn, dropout<rate>, flatten, "
                      "dense<units>, or an activation (relu, tanh, sigmoid, leaky_relu, softmax).")


def _needs_images(token, text):
    raise ShapeError(f"--layers {text}: {token} needs images, but it comes after the data was flattened; "
                     "put convolution and pooling layers before flatten/dense.")


def _chain(layer, shape, token, text):
    try:
        return layer.output_shape(shape)
    except ShapeError as exc:
        raise ShapeError(f"--layers {text}: at {token}: {exc}") from None


def describe(layers):
    """Short text of a layer list, e.g. ``conv16x3p1-relu-maxpool2-...`` (for messages)."""
    return ",".join(_token(layer) for layer in layers if not isinstance(layer, Reshape))


def _token(layer):
    if isinstance(layer, Conv2D):
        (kh, kw), (s, _), pad = layer.kernel_size, layer.stride, layer.padding
        kernel = f"{kh}" if kh == kw else f"{kh}x{kw}"
        pad = "same" if pad == "same" else pad[0]
        return f"conv{layer.out_channels}x{kernel}" + (f"s{s}" if s != 1 else "") + (f"p{pad}" if pad else "")
    if isinstance(layer, (MaxPool2D, AvgPool2D)):
        kind = "max" if isinstance(layer, MaxPool2D) else "avg"
        s = layer.stride[0]
        return f"{kind}pool{layer.kernel_size[0]}" + (f"s{s}" if s != layer.kernel_size[0] else "")
    if isinstance(layer, Dense):
        return f"dense{layer.n_out}"
    if isinstance(layer, Dropout):
        return f"dropout{layer.rate:g}"
    if isinstance(layer, BatchNorm):
        return "bn"
    return type(layer).__name__.lower()
