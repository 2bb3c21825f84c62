"""Writing animations: GIF through Pillow, MP4 through matplotlib's ffmpeg writer."""
from __future__ import annotations

import os
import shutil

from ._common import figure_to_rgb, picture_path


def _save_gif(images, path, fps):
    try:
        from PIL import Image
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError("writing a GIF needs Pillow: pip install 'nnscratch[viz]'") from exc
    frames = [Image.fromarray(im).convert("P", palette=Image.Palette.ADAPTIVE, colors=96)
              for im in images]
    duration = max(20, int(round(1000 / fps)))
    durations = [duration] * (len(frames) - 1) + [duration * 3]  # linger on the last frame
    from ..saving.serialize import atomic_write

    atomic_write(path, lambda f: frames[0].save(f, format="GIF", save_all=True, append_images=frames[1:],
                                                duration=durations, loop=0, optimize=False, disposal=1))


def can_write_mp4() -> bool:
    """Whether an ``.mp4`` can be written here: matplotlib finds the ffmpeg program (the command
    line asks before a run rather than after it)."""
    from matplotlib.animation import FFMpegWriter

    return FFMpegWriter.isAvailable() or shutil.which("ffmpeg") is not None


def _save_mp4(fig, draw, n_frames, path, fps):
    from matplotlib.animation import FFMpegWriter

    if not can_write_mp4():
        raise RuntimeError("writing an MP4 needs the ffmpeg program (e.g. apt-get install "
                           "ffmpeg); or save a .gif instead.")
    writer = FFMpegWriter(fps=fps)
    with writer.saving(fig, os.fspath(path), dpi=fig.dpi):
        for k in range(n_frames):
            draw(k)
            writer.grab_frame(facecolor="white")


def save_animation(fig, draw, n_frames, path, *, fps=2):
    """Call ``draw(k)`` for each frame on ``fig`` and write the frames to ``path``.

    ``.gif`` is written with Pillow, ``.mp4`` with ffmpeg.  Returns the path.
    """
    path = picture_path(path)
    ext = os.path.splitext(path)[1].lower()
    if ext == ".mp4":
        _save_mp4(fig, draw, n_frames, path, fps)
    elif ext == ".gif":
        images = []
        for k in range(n_frames):
            draw(k)
            images.append(figure_to_rgb(fig))
        _save_gif(images, path, fps)
    else:
        raise ValueError(f"animations are saved as .gif or .mp4; received {path!r}.")
    return path
