"""Sliding windows over images without ``as_strided``: slices, stack, reshape.

``im2col``: every kernel offset ``(i, j)`` contributes one slice of the
(padded) image, ``x[:, :, i::s, j::s]`` (DeZero's ``functions_conv.py`` does the
same), stacked on a new axis. ``col2im``, its adjoint, adds each offset's block
back into the slice it came from (``image[slice] += block``: the array API has
no scatter-add, but one offset's slice never overlaps itself, so none is
needed). Padding assigns the image into a zero one. Only slicing, slice assignment,
``zeros``, ``stack``, ``reshape`` and ``permute_dims``: the same code runs on every
backend, on any device.
"""


from array_api_compat import device
from .._typing import is_int

EVERYTHING = (slice(None), slice(None))  # the index of a whole array's first two axes


def pair(value, name, layer, minimum=1):
    """``value`` (an int or a pair of ints) as a pair, or a ConfigError naming the layer."""
    from ..errors import ConfigError
    items = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(items) != 2 or not all(is_int(v) and v >= minimum for v in items):
        raise ConfigError(f"{layer} {name} must be an int >= {minimum} or a pair of them, e.g. {name}=3 "
                          f"or {name}=(3, 5); got {value!r}.")
    return tuple(int(v) for v in items)


def out_size(size, kernel, stride, pad=0):
    """Output length along one axis: ``(size + 2 pad - kernel) // stride + 1``."""
    return (size + 2 * pad - kernel) // stride + 1


def zeros(x, shape, xp):
    """Zeros of ``shape`` in ``x``'s dtype and device. A size a tracing library does not know
    (None, e.g. the symbolic batch of an ONNX export) is taken from ``x`` along that axis, by
    broadcasting a zero slice of ``x`` against zeros of the known sizes."""
    if None not in shape:
        return xp.zeros(tuple(shape), dtype=x.dtype, device=device(x))
    index = tuple(slice(None) if n is None else slice(0, 1) for n in shape)
    known = tuple(1 if n is None else n for n in shape)
    return xp.zeros_like(x[index]) + xp.zeros(known, dtype=x.dtype, device=device(x))


def pad2d(x, top, bottom, left, right, xp):
    """``x (A, B, H, W)`` with zero rows/columns added on each side: one zero image and one
    slice assignment (two operations, one pass over ``x``)."""
    if not (top or bottom or left or right):
        return x
    a, b, h, w = x.shape
    image = zeros(x, (a, b, h + top + bottom, w + left + right), xp)
    image[:, :, top:top + h, left:left + w] = x
    return image


def part(x, index):
    """``x[index]`` for a piece of the first two axes; ``x`` itself for all of them (no operation)."""
    return x if index == EVERYTHING else x[index]


def split(kernels, fill, sizes, like):
    """``fill(index)`` for pieces of the first two axes (``sizes``) at once where ``kernels`` can
    (:meth:`nnscratch.backend.kernels.Kernels.pieces`: NumPy, several threads), else ``fill(EVERYTHING)``."""
    pieces = None if kernels is None else kernels.pieces(like, sizes)
    if pieces is None:
        fill(EVERYTHING)
    else:
        kernels.run([lambda index=index: fill(index) for index in pieces])


def gather(kernels, make, like):
    """``make(index)`` over the first two axes of ``like``: ``make(EVERYTHING)``, or the pieces
    made at once and copied into one array."""
    pieces = None if kernels is None else kernels.pieces(like)
    return make(EVERYTHING) if pieces is None else kernels.gather(make, like.shape[:2], pieces)


def stack(arrays, axis, xp, kernels=None):
    """``xp.stack(arrays, axis)``, on NumPy written by several threads at once where ``kernels`` can."""
    pieces = None if kernels is None else kernels.pieces(arrays[0])
    return xp.stack(arrays, axis=axis) if pieces is None else kernels.stack(arrays, axis, pieces)


def im2col(x, kernel, stride, pads, xp, kernels=None):
    """im2col in channel-major layout: ``x (C, N, H, W)`` zero-padded by ``pads`` (top,
    bottom, left, right) as one matrix ``(C*kh*kw, N*rows*width)``, so a convolution is a
    single large matrix product. Returns the matrix, ``(oh, ow)`` and ``(rows, width)``:
    column ``n*rows*width + a*width + b`` is output pixel ``(a, b)`` of sample ``n``, valid
    for ``a < oh, b < ow`` (the rest is junk the caller drops).

    With stride 1 each kernel offset ``(i, j)`` is, per sample, one contiguous slice of
    the flattened padded image, shifted by ``i*width + j`` (``width`` = the padded
    width, so ``rows = oh`` and each row carries ``width - ow`` junk columns): long
    contiguous copies instead of ``kh*kw*oh`` short ones. With another stride the
    windows are gathered by strided slices, with no junk.
    """
    (kh, kw), (sh, sw) = kernel, stride
    top, bottom, left, right = pads
    c, n, h, w = x.shape
    oh, ow = out_size(h + top + bottom, kh, sh), out_size(w + left + right, kw, sw)
    extra = 1 if (sh, sw) == (1, 1) and kw > 1 else 0
    x = pad2d(x, top, bottom + extra, left, right, xp)
    if (sh, sw) != (1, 1):
        win = stack([x[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw]
                     for i in range(kh) for j in range(kw)], 1, xp, kernels)  # (C, K, N, oh, ow)
        return xp.reshape(win, (c * kh * kw, -1)), (oh, ow), (oh, ow)  # -1: N (free when traced)
    # (with stride 1, one zero row more at the bottom: the last offset reads kw - 1 past); sizes from
    # the arithmetic, not x.shape, which a tracing library may no longer know after the padding
    width = w + left + right
    flat = xp.reshape(x, (c, -1, (h + top + bottom + extra) * width))
    length = oh * width
    cols = stack([flat[:, :, i * width + j:i * width + j + length] for i in range(kh) for j in range(kw)], 1, xp,
                 kernels)
    return xp.reshape(cols, (c * kh * kw, -1)), (oh, ow), (oh, width)


def col2im(cols, kernel, stride, pads, size, grid, xp):
    """The adjoint of :func:`im2col`: ``cols (C*kh*kw, N*rows*width)`` (laid out as im2col's
    matrix, ``grid = (rows, width)``) summed back into the ``(C, N, H, W)`` image of ``size``.

    Each kernel offset's block is added into the part of the padded image that im2col read it
    from, then the padding is cut off. With stride 1 the parts are the flat runs shifted by
    ``i*width + j`` (the junk columns of ``cols`` must be zeros); otherwise strided windows.
    """
    (kh, kw), (sh, sw), (h, w) = kernel, stride, size
    top, bottom, left, right = pads
    rows, width = grid
    c, k = cols.shape[0] // (kh * kw), kh * kw
    blocks = xp.reshape(cols, (c, k, -1, rows * width))  # (C, K, N, rows*width)
    if (sh, sw) != (1, 1):
        parts = [xp.reshape(blocks[:, i, ...], (c, -1, rows, width)) for i in range(k)]
        image = zeros(cols, (c, blocks.shape[2], h + top + bottom, w + left + right), xp)
        image = unwindows(image, parts, kernel, stride, xp)
        return image[:, :, top:top + h, left:left + w]
    height = h + top + bottom + (1 if kw > 1 else 0)  # im2col's padded image, one extra zero row
    image = zeros(cols, (c, blocks.shape[2], height * width), xp)
    for i in range(k):
        shift = (i // kw) * width + i % kw
        image[:, :, shift:shift + rows * width] += blocks[:, i, ...]
    return xp.reshape(image, (c, -1, height, width))[:, :, top:top + h, left:left + w]


def unwindows(image, parts, kernel, stride, xp, grid=None):
    """col2im for strided windows: ``parts[i*kw + j] (A, B, oh, ow)`` (``grid = (oh, ow)``, or
    read from the first part; ``parts`` may be a generator), entry ``[.., a, b]``
    belonging to pixel ``(sh*a + i, sw*b + j)``, summed into ``image`` (``(A, B, H, W)``
    zeros), which is returned. Each offset's windows are one strided slice, which never
    overlaps itself, so ``+=`` on it is exact (no scatter-add needed); where windows do not
    overlap at all (stride >= kernel) each slice is assigned instead (no read of ``image``)."""
    (kh, kw), (sh, sw) = kernel, stride
    oh, ow = grid or parts[0].shape[2:]
    tiles = sh >= kh and sw >= kw
    for k, part in enumerate(parts):
        i, j = divmod(k, kw)
        index = (slice(None), slice(None), slice(i, i + sh * (oh - 1) + 1, sh), slice(j, j + sw * (ow - 1) + 1, sw))
        if tiles:
            image[index] = part
        else:
            image[index] += part
    return image
