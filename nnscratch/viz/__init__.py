"""Pictures and animations of what happens inside a network (host side).

Plots need the ``viz`` extra (``pip install 'nnscratch[viz]'``: matplotlib and
Pillow), imported only when a picture is drawn.  Every function writes to a
file when given ``path`` and opens a window only with ``show=True``; arrays
are read through the network backend's ``to_numpy``, never inside training.

- :func:`plot_history` -- loss and accuracy per epoch, training and validation.
- :func:`plot_confusion` / :func:`confusion_matrix` -- counts and row-normalised.
- :func:`plot_misclassified` -- wrongly classified inputs, predicted vs true.
- :func:`plot_architecture` -- neurons in columns, links coloured by weight sign (a CNN: a box per layer).
- :class:`LiveArchitecture` -- a Callback that animates weight changes (GIF/MP4).
- :func:`animate_activations` -- an input, each hidden layer, the softmax vote.
- :func:`plot_first_layer_weights` -- first-layer weights as 28x28 images (a CNN: its filters).
- :func:`plot_decision_boundary` -- class regions of a 2-D classifier.
- :func:`check_picture_paths` -- before training: can a picture be written at each path?
"""

from ._common import check_picture_paths
from .activations import animate_activations, layer_activations
from .architecture import plot_architecture
from .boundary import plot_decision_boundary
from .confusion import confusion_matrix, plot_confusion, plot_misclassified
from .curves import plot_curves, plot_history
from .live import LiveArchitecture, render_training
from .weights import plot_first_layer_weights

__all__ = [
    "LiveArchitecture", "animate_activations", "check_picture_paths", "confusion_matrix", "layer_activations",
    "plot_architecture", "plot_confusion", "plot_decision_boundary", "plot_first_layer_weights",
    "plot_curves", "plot_history", "plot_misclassified", "render_training",
]
