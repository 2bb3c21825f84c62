"""Turn a photo or drawing of a digit into an MNIST-like 28x28 input (needs Pillow).

MNIST digits are white on black, fitted into a 20x20 box and centred in
28x28. :func:`load_digit_image` does the same to any PNG/JPEG: grey levels,
inverted when the background is light, cropped to the ink, resized so the
longer side is 20 pixels, and pasted in the middle of a black 28x28 frame.
"""

from typing import NamedTuple

import numpy as np

from ..errors import DataFormatError


def _pillow():
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("reading PNG/JPEG needs Pillow: `pip install 'nnscratch[image]'` "
                          "(or `pip install pillow`), or pass a .npy or .csv instead.") from None
    return Image


def load_digit_image(path, size=28, box=20):
    """Read an image file as float32 pixels in [0, 1], shape (size*size,).

    Returns ``(pixels, notes)``; ``notes`` lists what was done (for the user).
    :func:`read_digit_image` also says why an image cannot be a digit.
    """
    image = read_digit_image(path, size, box)
    return image.pixels, image.notes


class DigitImage(NamedTuple):
    """``problems`` says why the image cannot hold a digit (blank, too small, fully transparent);
    a prediction for such an image means nothing."""

    pixels: np.ndarray
    notes: list
    problems: list


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
"""The pictures ``nnscratch predict`` reads (TIFF for 16-bit and float grey levels, as microscopes save)."""
ORIENTATION = 0x0112  # the EXIF tag of how a camera held the picture (1: upright)
MIN_SIDE = 8       # pixels: a smaller image cannot show a digit's strokes
MIN_CONTRAST = 0.1  # the range of grey levels below which an image is one flat tone


def read_digit_image(path, size=28, box=20):
    """:func:`load_digit_image` with what makes the image unfit: a :class:`DigitImage`.

    Transparency is read as the background: transparent pixels take the tone opposite
    to the opaque ones (black ink on a transparent page is black ink on white paper).
    A photo is turned upright as its EXIF orientation says (phones store the pixels as the
    sensor saw them and the turn in that tag; viewers apply it, and so do we).
    """
    Image = _pillow()
    from PIL import ImageOps
    try:
        with Image.open(path) as img:
            turned = img.getexif().get(ORIENTATION, 1) not in (1, None)
            grey, alpha = _grey_and_alpha(ImageOps.exif_transpose(img))
    except (OSError, ValueError) as exc:
        raise DataFormatError(_unreadable(path, exc)) from None
    notes, problems = [f"read {grey.shape[1]}x{grey.shape[0]} as grey"], []
    if turned:
        notes.append("turned upright as its EXIF orientation says")
    if alpha is not None:
        grey, note = _on_paper(grey, alpha)
        notes.append(note)
        if alpha.max() < MIN_CONTRAST:
            problems.append("it is fully transparent")
    if min(grey.shape) < MIN_SIDE:
        problems.append(f"it is only {grey.shape[1]}x{grey.shape[0]} pixels, too small to show a digit")
    if float(grey.max() - grey.min()) < MIN_CONTRAST and not problems:
        problems.append("it is blank (one flat grey level, no strokes)")
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    if border.mean() > 0.5:
        grey, notes = 1.0 - grey, notes + ["inverted: light background"]
    ink = np.argwhere(grey > 0.2)
    if len(ink) and grey.shape != (size, size):
        (top, left), (bottom, right) = ink.min(axis=0), ink.max(axis=0) + 1
        grey = grey[top:bottom, left:right]
        notes.append(f"cropped to the ink and centred in {size}x{size}")
        return DigitImage(_fit(Image, grey, size, box), notes, problems)
    if grey.shape != (size, size):
        notes.append(f"resized to {size}x{size}")
        return DigitImage(_resize(Image, grey, size, size).reshape(-1), notes, problems)
    return DigitImage(grey.reshape(-1), notes, problems)


def _unreadable(path, exc):
    """Why ``path`` could not be read as a picture, and what to do: one line."""
    import os
    if os.path.isfile(path) and os.path.getsize(path) == 0:
        received = "the file is empty (0 bytes)"
    else:
        received = f"it is not a picture Pillow can read ({exc}; another format under this name, or cut short)"
    return (f"{path}: expected a PNG or JPEG picture, but {received}; save the picture again as PNG or JPEG, "
            "or pass a .npy or .csv of the pixels.")


def _grey_and_alpha(img):
    """Grey levels in [0, 1] and the opacity (None for an image without transparency)."""
    if img.mode in DEEP_MODES:
        return _deep_grey(img), None
    has_alpha = img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info) \
        or (img.mode in ("RGB", "L") and "transparency" in img.info)
    if not has_alpha:
        return np.asarray(img.convert("L"), dtype=np.float32) / 255.0, None
    la = np.asarray(img.convert("RGBA").convert("LA"), dtype=np.float32) / 255.0
    alpha = la[..., 1]
    return la[..., 0], (alpha if alpha.min() < 1.0 else None)


DEEP_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")  # 16-bit, 32-bit integer and float grey levels


def _deep_grey(img):
    """Grey levels of a 16-bit, 32-bit or float image in [0, 1] (``convert("L")`` would clip them at 255):
    16-bit images over 65535; others over the largest range their values fit (1, 255 or 65535)."""
    values = np.asarray(img, dtype=np.float64)
    top = float(values.max(initial=0.0))
    full = 65535.0 if img.mode.startswith("I;16") else next(r for r in (1.0, 255.0, 65535.0, max(top, 1.0)) if top <= r)
    return np.clip(values / full, 0.0, 1.0).astype(np.float32)


def _on_paper(grey, alpha):
    """Composite ``grey`` over paper of the tone opposite to its opaque pixels' mean tone."""
    weight = float(alpha.sum())
    ink = float((grey * alpha).sum() / weight) if weight > 0 else 0.0
    paper = 1.0 if ink < 0.5 else 0.0
    note = f"transparent background read as {'white' if paper else 'black'}"
    return alpha * grey + (1.0 - alpha) * paper, note


def _resize(Image, grey, width, height):
    img = Image.fromarray(np.uint8(np.clip(grey, 0, 1) * 255))
    return np.asarray(img.resize((width, height), Image.LANCZOS), dtype=np.float32) / 255.0


def _fit(Image, grey, size, box):
    """Scale ``grey`` so its longer side is ``box`` and centre it in a size x size frame."""
    h, w = grey.shape
    scale = box / max(h, w)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    small = _resize(Image, grey, new_w, new_h)
    frame = np.zeros((size, size), np.float32)
    top, left = (size - new_h) // 2, (size - new_w) // 2
    frame[top:top + new_h, left:left + new_w] = small
    return frame.reshape(-1)
