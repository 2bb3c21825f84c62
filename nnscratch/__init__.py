"""nnscratch: a neural-network library built from scratch on the array API standard.

The same forward, backward, loss and optimizer code runs on NumPy, CuPy,
PyTorch and array-api-strict; pick one with ``backend=``, ``use_backend()``
or ``$NNSCRATCH_BACKEND``.
"""

from .backend import threads as _threads

_threads.shorten_spin()  # before anything below loads NumPy's OpenBLAS (backend/threads.py says why)
del _threads

from .backend.core import Backend, available_backends, backend_of, get_backend, use_backend
from .errors import NNScratchError
from .layers.initializers import Glorot, He, Normal, Uniform
from .layers import (AvgPool2D, BatchNorm, Conv2D, Dense, Dropout, Flatten, Identity, Layer, LeakyReLU, MaxPool2D,
                     Parameter, ReLU, Reshape, Sigmoid, Softmax, Tanh)
from .losses import BinaryCrossEntropy, CrossEntropy, MeanSquaredError, SumSquaredError
from .models.network import Network
from .optim.optimizers import SGD, Adam, RMSProp, get_optimizer
from .training.history import Callback, History
from .training.epochs import EpochLogger
from .training.callbacks import EarlyStopping
from .training.callbacks import ReduceLROnPlateau
from .optim.schedules import Constant, Cosine, Exponential, InverseTime, StepDecay
from . import datasets, errors

__version__ = "0.1.0"

__all__ = [
    "Adam", "AvgPool2D", "Backend", "BatchNorm", "BinaryCrossEntropy", "Callback", "Conv2D", "CrossEntropy", "Dense",
    "Dropout", "EarlyStopping", "EpochLogger", "Flatten", "Glorot", "He", "History", "Identity", "Layer", "LeakyReLU", "MaxPool2D",
    "MeanSquaredError", "NNScratchError", "Network", "Normal",
    "Parameter", "RMSProp", "ReLU", "Reshape", "SGD", "Sigmoid", "Softmax", "SumSquaredError", "Tanh", "Uniform",
    "available_backends", "backend_of", "datasets", "errors", "get_backend", "get_optimizer", "use_backend",
]
__all__ += ["ReduceLROnPlateau", "Constant", "Cosine", "Exponential", "InverseTime", "StepDecay"]
