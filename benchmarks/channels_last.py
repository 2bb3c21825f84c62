"""The default CNN's second convolution, forward and backward, channel-major against channels-last.

    python benchmarks/channels_last.py                      # the BLAS kernels OpenBLAS picks here
    OPENBLAS_CORETYPE=Haswell python benchmarks/channels_last.py

One thread, batch 128, ``conv32x3p1`` on ``(128, 16, 14, 14)`` images: im2col, the three
products, the bias, col2im and every layout copy, CPU milliseconds (the 5th of 40 calls, three
rounds). ``channel-major`` is nnscratch's Conv2D as it is (``nnscratch.layers.windows``);
``channels-last`` is the same math with pixels as rows: an im2col of ``(N*rows*width, 9*C)``
(the kernel offsets and channels along the columns) and outputs ``(N*rows*width, O)``, as
PyTorch's ``channels_last`` memory format lays them out, fed with images already in that layout
(as a whole network kept in it would) and, third, with the channel-major images nnscratch's
other layers make. The three results agree (checked before timing).
"""

import time

import nnscratch  # noqa: F401  (first: it shortens OpenBLAS's idle spin before NumPy loads it)
import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from nnscratch.layers.windows import col2im, im2col

N, C, H, W, O, K = 128, 16, 14, 14, 32, 3
PADS = (1, 1, 1, 1)
rng = np.random.default_rng(0)
weight = rng.standard_normal((O, C, K, K)).astype(np.float32)
bias = np.zeros(O, np.float32)


def channel_major(x, dy):
    """Conv2D's forward and backward as nnscratch computes them; ``x`` and ``dy`` are (N, C, H, W)."""
    cols, (oh, ow) = im2col(x.transpose(1, 0, 2, 3), (K, K), (1, 1), PADS, np)
    z = weight.reshape(O, -1) @ cols
    z += bias.reshape(O, 1)
    out = z.reshape(O, N, oh, ow).transpose(1, 0, 2, 3)
    dy2 = dy.transpose(1, 0, 2, 3).reshape(O, -1)
    dw, db = dy2 @ cols.T, dy2.sum(1)
    dx = col2im(weight.reshape(O, -1).T @ dy2, (K, K), (1, 1), PADS, (H, W), np)
    return out, dw.reshape(weight.shape), db, dx.transpose(1, 0, 2, 3)


def channels_last(x, dy):
    """The same with pixels as rows: every copy works on runs of C (or O) numbers."""
    width, height = W + 2, H + 3  # padded, one zero row more for the last offset's run
    image = np.zeros((N, height, width, C), np.float32)
    image[:, 1:1 + H, 1:1 + W, :] = x.transpose(0, 2, 3, 1)
    flat, length = image.reshape(N, height * width, C), H * width
    shifts = [i * width + j for i in range(K) for j in range(K)]
    cols = np.stack([flat[:, s:s + length, :] for s in shifts], 2).reshape(N * length, K * K * C)
    w2 = np.ascontiguousarray(weight.transpose(2, 3, 1, 0)).reshape(-1, O)  # (9*C, O)
    z = cols @ w2
    z += bias
    out = z.reshape(N, H, width, O)[:, :, :W, :].transpose(0, 3, 1, 2)
    dy_rows = np.zeros((N, H, width, O), np.float32)
    dy_rows[:, :, :W, :] = dy.transpose(0, 2, 3, 1)
    dy2 = dy_rows.reshape(-1, O)
    dw, db = (cols.T @ dy2).reshape(K, K, C, O).transpose(3, 2, 0, 1), dy2.sum(0)
    blocks = (dy2 @ w2.T).reshape(N, length, K * K, C)
    grad = np.zeros((N, height * width, C), np.float32)
    for k, s in enumerate(shifts):
        grad[:, s:s + length, :] += blocks[:, :, k, :]
    dx = grad.reshape(N, height, width, C)[:, 1:1 + H, 1:1 + W, :]
    return out, dw, db, dx.transpose(0, 3, 1, 2)


def cpu_ms(f, *args, calls=40):
    times = []
    for _ in range(calls):
        start = time.process_time()
        f(*args)
        times.append(time.process_time() - start)
    return sorted(times)[calls // 8] * 1e3


def main():
    x, dy = rng.standard_normal((N, C, H, W), np.float32), rng.standard_normal((N, O, H, W), np.float32)
    major = [np.ascontiguousarray(a.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3) for a in (x, dy)]
    last = [np.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2) for a in (x, dy)]
    for p, q in zip(channel_major(*major), channels_last(*last)):
        assert np.allclose(p, q, rtol=1e-3, atol=1e-3)
    contenders = {"channel-major (nnscratch)": (channel_major, major),
                  "channels-last, images in that layout": (channels_last, last),
                  "channels-last, channel-major images": (channels_last, major)}
    with threadpool_limits(1):
        kernels = ", ".join(str(i.get("architecture")) for i in threadpool_info() if i.get("user_api") == "blas")
        times = {name: [] for name in contenders}
        for _ in range(3):
            for name, (f, args) in contenders.items():
                times[name].append(cpu_ms(f, *args))
    print(f"conv32x3p1 on (128, 16, 14, 14), forward + backward, one thread, {kernels} kernels, CPU ms (3 rounds)")
    for name, values in times.items():
        print(f"  {name:<40}" + "  ".join(f"{v:6.2f}" for v in values))


if __name__ == "__main__":
    main()
