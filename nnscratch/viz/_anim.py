"""Writing animations: GIF through Pillow, MP4 through matplotlib's ffmpeg writer.

Both are written whole or not at all, as every file nnscratch writes: the GIF through
:func:`~nnscratch.saving.serialize.atomic_write`; the MP4, which ffmpeg writes by name, to a
temporary file in the same folder that is renamed over the target once ffmpeg succeeded and
removed when it failed, so a failed encode never leaves a cut-off movie where the last one was.
"""
from __future__ import annotations

import errno
import os
import shutil
import subprocess
import tempfile

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

    from ..saving.serialize import TEMPORARY, _file_mode, name_tail

    path, tmp = os.fspath(path), None
    try:  # the temporary name ends as the file's does: ffmpeg picks the format from it
        fd, tmp = tempfile.mkstemp(prefix=TEMPORARY, suffix=name_tail(os.path.basename(path)),
                                   dir=os.path.dirname(os.path.abspath(path)))
        os.close(fd)
        os.chmod(tmp, _file_mode(path))
        writer = FFMpegWriter(fps=fps)
        with writer.saving(fig, tmp, dpi=fig.dpi):
            for k in range(n_frames):
                draw(k)
                writer.grab_frame(facecolor="white")
        os.replace(tmp, path)
    except BaseException as exc:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(exc, subprocess.CalledProcessError):  # ffmpeg said why on stderr: its last line
            said = (exc.stderr or "").strip().splitlines()[-1:] or [f"exit status {exc.returncode}"]
            full = "No space left on device" in said[0]
            raise OSError(errno.ENOSPC if full else errno.EIO, f"ffmpeg failed: {said[0]}", path) from None
        if isinstance(exc, OSError) and exc.errno is not None:  # named as the file, not the temporary one
            raise OSError(exc.errno, exc.strerror or os.strerror(exc.errno), path) from None
        raise


def animation_kind(path):
    """``".gif"`` or ``".mp4"``, the kind of animation ``path`` names; a ValueError for any other name, a
    RuntimeError for an MP4 without ffmpeg (a callback asks before training, not once it is over)."""
    ext = os.path.splitext(os.fspath(path))[1].lower()
    if ext not in (".gif", ".mp4"):
        raise ValueError(f"animations are saved as .gif or .mp4; received {os.fspath(path)!r}.")
    if ext == ".mp4" and not can_write_mp4():
        raise RuntimeError("writing an MP4 needs the ffmpeg program (e.g. apt-get install "
                           "ffmpeg); or save a .gif instead.")
    return ext


def save_animation(fig, draw, n_frames, path, *, fps=2):
    """Call ``draw(k)`` for each frame on ``fig`` and write the frames to ``path``.

    ``.gif`` is written with Pillow, ``.mp4`` with ffmpeg.  Returns the path.
    """
    ext = animation_kind(path)
    path = picture_path(path)
    if ext == ".mp4":
        _save_mp4(fig, draw, n_frames, path, fps)
    else:
        images = []
        for k in range(n_frames):
            draw(k)
            images.append(figure_to_rgb(fig))
        _save_gif(images, path, fps)
    return path
