"""Sliding windows over images without ``as_strided``: slices, stack, reshape.

``im2col``: every kernel offset ``(i, j)`` contributes one strided slice of the
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
    bottom, left, right) as one matrix ``(C*kh*kw, N*oh*ow)``, so a convolution is a
    single large matrix product. Returns the matrix and ``(oh, ow)``: column
    ``n*oh*ow + a*ow + b`` is output pixel ``(a, b)`` of sample ``n``, and row
    ``c*kh*kw + i*kw + j`` holds the pixels that kernel offset ``(i, j)`` of channel ``c``
    meets there, ``x[c, n, sh*a + i, sw*b + j]`` (padded): one strided slice of the padded
    images per offset, stacked.
    """
    (kh, kw), (sh, sw) = kernel, stride
    top, bottom, left, right = pads
    c, n, h, w = x.shape
    oh, ow = out_size(h + top + bottom, kh, sh), out_size(w + left + right, kw, sw)
    x = pad2d(x, top, bottom, left, right, xp)
    win = stack([x[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw]
                 for i in range(kh) for j in range(kw)], 1, xp, kernels)  # (C, K, N, oh, ow)
    return xp.reshape(win, (c * kh * kw, -1)), (oh, ow)  # -1: N (free when traced)


def col2im(cols, kernel, stride, pads, size, xp):
    """The adjoint of :func:`im2col`: ``cols (C*kh*kw, N*oh*ow)`` summed back into the
    ``(C, N, H, W)`` image of ``size``: each kernel offset's block added into the strided
    slice of the padded image that im2col read it from, then the padding cut off."""
    (kh, kw), (h, w) = kernel, size
    top, bottom, left, right = pads
    c, k = cols.shape[0] // (kh * kw), kh * kw
    oh, ow = out_size(h + top + bottom, kh, stride[0]), out_size(w + left + right, kw, stride[1])
    blocks = xp.reshape(cols, (c, k, -1, oh, ow))  # (C, K, N, oh, ow)
    image = zeros(cols, (c, blocks.shape[2], h + top + bottom, w + left + right), xp)
    image = unwindows(image, [blocks[:, i, ...] for i in range(k)], kernel, stride, xp)
    return image[:, :, top:top + h, left:left + w]


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
