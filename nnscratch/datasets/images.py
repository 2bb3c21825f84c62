"""Turn a photo or drawing of a digit into an MNIST-like 28x28 input (needs Pillow).

MNIST digits are white on black, fitted into a 20x20 box and centred in
28x28. :func:`load_digit_image` does the same to any PNG/JPEG: grey levels,
inverted when the background is light, cropped to the ink, resized so the
longer side is 20 pixels, and pasted in the middle of a black 28x28 frame.
"""

import numpy as np

from ..errors import DataFormatError


def _pillow():
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("reading PNG/JPEG needs Pillow: `pip install nnscratch[image]` "
                          "(or `pip install pillow`), or pass a .npy or .csv instead.") from None
    return Image


def load_digit_image(path, size=28, box=20):
    """Read an image file as float32 pixels in [0, 1], shape (size*size,).

    Returns ``(pixels, notes)``; ``notes`` lists what was done (for the user).
    """
    Image = _pillow()
    try:
        with Image.open(path) as img:
            grey = np.asarray(img.convert("L"), dtype=np.float32) / 255.0
    except (OSError, ValueError) as exc:
        raise DataFormatError(f"{path}: cannot read the image ({exc}).") from None
    notes = [f"read {grey.shape[1]}x{grey.shape[0]} as grey"]
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    if border.mean() > 0.5:
        grey, notes = 1.0 - grey, notes + ["inverted: light background"]
    ink = np.argwhere(grey > 0.2)
    if len(ink) and grey.shape != (size, size):
        (top, left), (bottom, right) = ink.min(axis=0), ink.max(axis=0) + 1
        grey = grey[top:bottom, left:right]
        notes.append(f"cropped to the ink and centred in {size}x{size}")
        return _fit(Image, grey, size, box), notes
    if grey.shape != (size, size):
        notes.append(f"resized to {size}x{size}")
        return _resize(Image, grey, size, size).reshape(-1), notes
    return grey.reshape(-1), notes


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
