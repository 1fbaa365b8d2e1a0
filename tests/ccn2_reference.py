"""An independent forward of cuda-convnet2's modules for the ccn2 tests, written from the
formulas of its Torch7 Lua files and cudaconv3 kernels, one output pixel or plane at a time:

- convolution: output side ceil((2p + H - k) / d + 1); the filter at output (i, j) covers rows
  -p + i*d ... + k - 1 (and columns alike), pixels outside the image count 0; a filter is a column
  of the stored weight, rows ordered (plane, y, x), the planes of its group only;
- pooling: side ceil((H - k) / d + 1); the window at (i, j) starts at (i*d, j*d) and is cut at the
  image's edge; the average divides by the pixels left in it;
- cross-map normalization: x * (minDiv + addScale / size * sum of x^2 over planes f - size/2
  (C division) ... + size - 1 cut to the planes there are, or the block of f when blocked)^-pow.

Tensors here are batch first (B x C x H x W); the modules' own layout is what the tests feed."""
import math

import torch


def side(size, k, d, pad=0):
    return math.ceil((2 * pad + size - k) / d + 1)


def conv(x, weight, bias, k, d, pad, groups):
    """``weight``: cuda-convnet2's (C/groups * k * k) x nOut, as SpatialConvolution.lua stores it."""
    b, c, h, _ = x.shape
    n_out, per_in = weight.shape[1], c // groups
    o = side(h, k, d, pad)
    big = torch.zeros(b, c, h + 2 * pad + o * d + k, h + 2 * pad + o * d + k, dtype=x.dtype)
    big[:, :, pad:pad + h, pad:pad + h] = x
    out = torch.empty(b, n_out, o, o, dtype=x.dtype)
    for f in range(n_out):
        g = f // (n_out // groups)
        filt = weight[:, f].reshape(per_in, k, k)
        for i in range(o):
            for j in range(o):
                patch = big[:, g * per_in:(g + 1) * per_in, i * d:i * d + k, j * d:j * d + k]
                out[:, f, i, j] = (patch * filt).sum(dim=(1, 2, 3)) + bias[f]
    return out


def pool(x, k, d, average):
    h = x.shape[2]
    o = side(h, k, d)
    out = torch.empty(x.shape[0], x.shape[1], o, o, dtype=x.dtype)
    for i in range(o):
        for j in range(o):
            window = x[:, :, i * d:min(i * d + k, h), j * d:min(j * d + k, h)]
            out[:, :, i, j] = window.mean(dim=(2, 3)) if average else window.amax(dim=(2, 3))
    return out


def cross_map_norm(x, size, add_scale, pow_scale, min_div, blocked=False):
    c = x.shape[1]
    out = torch.empty_like(x)
    for f in range(c):
        start = (f // size) * size if blocked else f - int(size / 2)
        planes = range(max(start, 0), min(start + size, c))
        total = sum(x[:, p] ** 2 for p in planes)
        out[:, f] = x[:, f] * (min_div + add_scale / size * total) ** -pow_scale
    return out
