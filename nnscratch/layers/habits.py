"""The layers' arguments spelled the Keras or PyTorch way (``Conv2D(filters=16)``, ``Dropout(p=0.5)``):
what nnscratch calls them, added to :data:`nnscratch._keywords.HINTS` so that a layer's ``__init__``
decorated with :func:`keywords` refuses them in one line naming nnscratch's own (a ConfigError and,
as Python's own, a TypeError).
"""

from .._keywords import HINTS, keywords

_ACTIVATION = "put the activation after it as a layer of its own, e.g. [Dense(784, 128), ReLU()]"
_INIT = "nnscratch calls it init=, e.g. init='he'"
_BIAS = "nnscratch's layers always have a bias (a BatchNorm after it makes it redundant, as in PyTorch)"
_POOL = {"pool_size": "nnscratch calls it kernel_size=", "strides": "nnscratch calls it stride=",
         "padding": "nnscratch's pooling has no padding; pad with the Conv2D before it (padding=)",
         "ceil_mode": "nnscratch's pooling drops a last partial window, as PyTorch's default ceil_mode=False",
         "data_format": "nnscratch's images are (N, C, H, W), PyTorch's channels_first"}

HINTS.update({
    "Dense": {"units": "nnscratch's Dense takes both sizes: Dense(n_in, n_out), e.g. Dense(784, 10)",
              "in_features": "nnscratch calls it n_in=", "out_features": "nnscratch calls it n_out=",
              "kernel_initializer": _INIT, "activation": _ACTIVATION, "use_bias": _BIAS, "bias": _BIAS},
    "Conv2D": {"filters": "nnscratch calls it out_channels= (and takes in_channels= first)",
               "strides": "nnscratch calls it stride=", "kernel_initializer": _INIT, "activation": _ACTIVATION,
               "use_bias": _BIAS, "bias": _BIAS, "dilation": "nnscratch's Conv2D has no dilation",
               "dilation_rate": "nnscratch's Conv2D has no dilation", "groups": "nnscratch's Conv2D has no groups",
               "padding_mode": "nnscratch pads with zeros only", "data_format": _POOL["data_format"]},
    "Pool2D": _POOL,
    "Dropout": {"p": "nnscratch calls it rate= (the share of units dropped, as PyTorch's p)",
                "seed": "the network's seed= draws the dropout masks", "inplace": "nnscratch's layers are never in place"},
    "LeakyReLU": {"negative_slope": "nnscratch calls it alpha=", "inplace": "nnscratch's layers are never in place"},
    "BatchNorm": {"num_features": "nnscratch calls it n_features=", "epsilon": "nnscratch calls it eps=",
                  "axis": "nnscratch's BatchNorm normalises axis 1 (features, or channels of (N, C, H, W))",
                  "affine": "nnscratch's BatchNorm always learns gamma and beta",
                  "track_running_stats": "nnscratch's BatchNorm always keeps running statistics"},
    "Reshape": {"target_shape": "nnscratch calls it shape= (one sample's shape, as Keras's target_shape)"},
})

__all__ = ["keywords"]
