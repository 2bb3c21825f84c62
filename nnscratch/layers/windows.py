"""Sliding windows over images without ``as_strided``: slices, stack, reshape.

``im2col``: every kernel offset ``(i, j)`` contributes one slice of the
(padded) image, ``x[:, :, i::s, j::s]`` (DeZero's ``functions_conv.py`` does the
same), stacked on a new axis. ``unwindows`` is col2im, which the array API
cannot write as a scatter-add: the slices are spread back by interleaving
zeros and summed. Padding concatenates zeros. Only slicing, ``stack``, ``concat``, ``reshape`` and ``permute_dims``:
the same code runs on every backend, on any device.
"""


def pair(value, name, layer, minimum=1):
    """``value`` (an int or a pair of ints) as a pair, or a ConfigError naming the layer."""
    from ..errors import ConfigError
    items = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(items) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) and v >= minimum for v in items):
        raise ConfigError(f"{layer} {name} must be an int >= {minimum} or a pair of them, e.g. {name}=3 "
                          f"or {name}=(3, 5); got {value!r}.")
    return items


def out_size(size, kernel, stride, pad=0):
    """Output length along one axis: ``(size + 2 pad - kernel) // stride + 1``."""
    return (size + 2 * pad - kernel) // stride + 1


def pad2d(x, top, bottom, left, right, xp):
    """``x (N, C, H, W)`` with zero rows/columns added on each side (concatenated zeros)."""
    return _pad_axis(_pad_axis(x, top, bottom, 2, xp), left, right, 3, xp)


def _pad_axis(x, before, after, axis, xp):
    """``before``/``after`` zeros concatenated to ``x`` along ``axis``."""
    if not (before or after):
        return x

    size = x.shape[axis]

    def zeros(n):  # zeros_like of a slice of x: no shape spelled out, so a traced batch size stays free
        if n > size:
            return xp.concat([zeros(size)] * (n // size) + ([zeros(n % size)] if n % size else []), axis=axis)
        index = [slice(None)] * x.ndim
        index[axis] = slice(0, n)
        return xp.zeros_like(x[tuple(index)])
    parts = ([zeros(before)] if before else []) + [x] + ([zeros(after)] if after else [])
    return xp.concat(parts, axis=axis)


def im2col(x, kernel, stride, pads, xp):
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
        win = xp.stack([x[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw]
                        for i in range(kh) for j in range(kw)], axis=1)  # (C, K, N, oh, ow)
        return xp.reshape(win, (c * kh * kw, -1)), (oh, ow), (oh, ow)  # -1: N (free when traced)
    # (with stride 1, one zero row more at the bottom: the last offset reads kw - 1 past); sizes from
    # the arithmetic, not x.shape, which a tracing library may no longer know after the padding
    width = w + left + right
    flat = xp.reshape(x, (c, -1, (h + top + bottom + extra) * width))
    length = oh * width
    cols = xp.stack([flat[:, :, i * width + j:i * width + j + length] for i in range(kh) for j in range(kw)], axis=1)
    return xp.reshape(cols, (c * kh * kw, -1)), (oh, ow), (oh, width)


def dilate(d, stride, xp):
    """``d (N, C, oh, ow)`` with ``s - 1`` zeros between neighbours along the last two axes."""
    sh, sw = stride
    n, c, oh, ow = d.shape
    if sw > 1:
        zero = xp.zeros_like(d)
        d = xp.reshape(xp.stack([d] + [zero] * (sw - 1), axis=4), (n, c, oh, ow * sw))[..., :sw * (ow - 1) + 1]
        ow = sw * (ow - 1) + 1
    if sh > 1:
        zero = xp.zeros_like(d)
        d = xp.reshape(xp.stack([d] + [zero] * (sh - 1), axis=3), (n, c, oh * sh, ow))[:, :, :sh * (oh - 1) + 1, :]
    return d


def unwindows(d, kernel, stride, size, xp):
    """col2im: ``d (N, C, kh*kw, oh, ow)``, entry ``[n, c, i*kw + j, a, b]`` belonging to pixel
    ``(sh*a + i, sw*b + j)``, summed into an ``(N, C, H, W)`` image: each kernel offset's
    slice is dilated by the stride, padded into place and added (no scatter-add)."""
    (kh, kw), (sh, sw), (h, w) = kernel, stride, size
    oh, ow = d.shape[3], d.shape[4]
    rows, cols = sh * (oh - 1) + 1, sw * (ow - 1) + 1
    total = None
    for k in range(kh * kw):
        i, j = divmod(k, kw)
        part = pad2d(dilate(d[:, :, k, :, :], stride, xp), i, h - i - rows, j, w - j - cols, xp)
        total = part if total is None else total + part
    return total
