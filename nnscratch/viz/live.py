"""Live training view: the architecture redrawn as the network learns.

Each connection is green where its weight went up since the previous frame and
red where it went down; width shows how much it moved (relative to its layer).
Weights are copied to the host once per frame, in ``on_epoch_end``, never
inside the training step.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..training.history import Callback
from ._anim import animation_kind, save_animation
from ._common import DOWN, UP, dense_weights, new_figure, require_matplotlib
from .architecture import draw_network, layer_names, pick_neurons
from .._typing import PathLike

if TYPE_CHECKING:
    from ..models.network import Network


class LiveArchitecture(Callback):
    """Record the weights every ``every`` epochs; save a GIF/MP4 when training ends.

    Parameters
    ----------
    path
        Where to write the animation (``.gif``, or ``.mp4`` where ffmpeg is installed), or None;
        another name is refused here, before training.
    every
        Record a frame every this many epochs.
    max_neurons
        Neurons drawn per layer at most: those whose weights move most.
    fps
        Frames (recorded epochs) per second of the animation.
    show
        Also redraw a window after each recorded epoch (needs a display).
    title
        Put before each frame's "epoch N, loss L" heading; default: that heading alone.
    dpi
        Pixels per inch of each frame: larger is sharper and a bigger file.
    """

    frames: list[tuple[int, list[np.ndarray]]]  # (epochs seen, each Dense layer's weights)
    losses: list[float]

    def __init__(self, path: PathLike | None = None, *, every: int = 1, max_neurons: int = 12, fps: float = 4,
                 show: bool = False, title: str | None = None, dpi: int = 72) -> None:
        if every < 1:
            raise ValueError(f"every must be at least 1; received {every}.")
        if path is not None:  # a name that cannot be written, or no matplotlib, is said now, not after the training
            animation_kind(path)
        if path is not None or show:
            require_matplotlib()
        self.path, self.every, self.max_neurons = path, int(every), max_neurons
        self.fps, self.show, self.title, self.dpi = fps, show, title, dpi
        self.frames, self.losses, self.names = [], [], None
        self._fig = self._picked = None

    def on_train_begin(self, network: Network) -> None:
        from .filters import is_conv_model

        if is_conv_model(network):  # its Dense layers alone would be drawn, their input named the network's
            raise ValueError("LiveArchitecture draws a dense network's neurons and weights as they learn, and this "
                             "network has Conv2D layers, whose filters are not columns of neurons; drop the callback "
                             "and draw the trained network's filters with plot_first_layer_weights(network).")
        if not self.frames:  # a second fit() with the same callback keeps recording
            self.frames = [(0, dense_weights(network))]
            self.names = layer_names(network, len(self.frames[0][1]) + 1)

    def on_epoch_end(self, epoch: int, logs: dict[str, float], network: Network) -> None:
        self.losses.append(float(logs.get("loss", np.nan)))
        seen = len(self.losses)  # epochs recorded, across fit() calls
        if seen % self.every == 0:
            self.frames.append((seen, dense_weights(network)))
            if self.show:
                self._redraw()

    def on_train_end(self, network: Network) -> None:
        if self.frames[-1][0] != len(self.losses):
            self.frames.append((len(self.losses), dense_weights(network)))
        if self.path is not None and len(self.frames) > 1:
            self.save(self.path)

    def save(self, path: PathLike) -> str:
        """Write the recorded frames as an animation; returns the path.

        Parameters
        ----------
        path : str or Path
            The ``.gif`` (or ``.mp4``, with ffmpeg) to write.
        """
        return render_training(self.frames, self.losses, path, names=self.names,
                               max_neurons=self.max_neurons, fps=self.fps, title=self.title,
                               dpi=self.dpi)

    def _redraw(self):
        import matplotlib.pyplot as plt

        if self._fig is None:
            self._fig = new_figure((9, 6.5), show=True)
            self._picked = pick_neurons(self.frames[0][1], self.max_neurons)
        draw_frame(self._fig, self.frames, self.losses, len(self.frames) - 1,
                   picked=self._picked, names=self.names, title=self.title)
        plt.pause(0.001)


def _loss_axis(ax, losses, upto):
    x = np.arange(1, len(losses) + 1)
    ax.plot(x, losses, color="0.8", lw=1.5)
    ax.plot(x[:upto], losses[:upto], color="#2b6cb0", lw=2)
    if upto:
        ax.scatter([upto], [losses[upto - 1]], color="#2b6cb0", zorder=3)
    finite = losses[np.isfinite(losses)]
    if len(finite) and finite.min() > 0 and finite.max() / finite.min() > 20:
        ax.set_yscale("log")
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # whole epochs, never 1.25
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.grid(alpha=0.3)


def draw_frame(fig, frames, losses, k, *, picked, names=None, title=None):
    """Draw frame ``k`` (k >= 1): the change of every weight since frame ``k - 1``."""
    fig.clf()
    top, bottom = fig.subplots(2, 1, gridspec_kw={"height_ratios": [4, 1]})
    epoch, weights = frames[k]
    delta = [w - w0 for w, w0 in zip(weights, frames[k - 1][1])]
    draw_network(top, weights, delta, picked=picked, names=names, colors=(UP, DOWN))
    loss = f", loss {losses[epoch - 1]:.4g}" if 0 < epoch <= len(losses) else ""
    top.set_title(f"{title + ': ' if title else ''}epoch {epoch}{loss}\n"
                  "green: weight went up since the last frame, red: went down", fontsize=11)
    _loss_axis(bottom, np.asarray(losses, dtype=float), epoch)
    fig.tight_layout()


def render_training(frames: Sequence[tuple[int, Sequence[np.ndarray]]], losses: Sequence[float], path: PathLike, *,
                    names: Sequence[str] | None = None, max_neurons: int = 12, fps: float = 4,
                    title: str | None = None, dpi: int = 72) -> str:
    """Animate recorded ``(epoch, [weights])`` frames into a GIF or MP4 at ``path``.

    The drawn neurons are those whose weights moved most over the whole run.

    Parameters
    ----------
    frames : sequence of (int, list of array)
        ``(epoch, [each Dense layer's weights])``, as :class:`LiveArchitecture` records them.
    losses : sequence of float
        The loss of each frame, shown in its heading.
    path : str or Path
        The ``.gif`` (or ``.mp4``, with ffmpeg) to write.
    names : sequence of str, optional
        A label under each column (layer); default: "input", "hidden", ..., "output".
    max_neurons : int, default 12
        Neurons drawn per layer at most: those whose weights moved most.
    fps : float, default 4
        Frames per second.
    title : str, optional
        Put before each frame's "epoch N, loss L" heading; default: that heading alone.
    dpi : int, default 72
        Pixels per inch of each frame: larger is sharper and a bigger file.
    """
    if len(frames) < 2:
        raise ValueError("need at least two recorded frames to show weight changes.")
    total = [w - w0 for w, w0 in zip(frames[-1][1], frames[0][1])]
    picked = pick_neurons(total, max_neurons)
    fig = new_figure((9, 6.5), dpi=dpi)
    return save_animation(fig, lambda k: draw_frame(fig, frames, losses, k + 1, picked=picked,
                                                    names=names, title=title),
                          len(frames) - 1, path, fps=fps)
