"""PyTorch layers for cuda-convnet2's Torch7 modules (soumith/cuda-convnet2.torch
``SpatialConvolution.lua``, ``SpatialMaxPooling.lua``, ``SpatialAvgPooling.lua``,
``SpatialCrossResponseNormalization.lua`` and the kernels they call in ``cudaconv3``).

Each takes and returns cuda-convnet2's layout, planes x height x width x batch (the Lua files put
``nn.Transpose({1,4},{1,3},{1,2})`` before them), and computes in PyTorch's batch-first layout in
between. Images are square (the Lua code reads the height only). Output sizes round up
(``math.ceil``): a convolution's last filter positions read zeros past the bottom/right edge, a
pooling's last windows are cut at the edge (the kernels clip them, an average divides by the
pixels inside).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def out_size(size, k, d, pad=0):
    """cuda-convnet2.torch's ``math.ceil((padding * 2 + size - k) / d + 1)``."""
    return math.ceil((2 * pad + size - k) / d + 1)


def _batch_first(x):
    return x.permute(3, 0, 1, 2)


def _batch_last(x):
    return x.permute(1, 2, 3, 0).contiguous()


def _past_edge(size, k, d, pad):
    """Rows (and columns) past the bottom (right) edge that the last window reaches."""
    return max((out_size(size, k, d, pad) - 1) * d + k - (size + 2 * pad), 0)


class Ccn2Convolution(nn.Conv2d):
    """``ccn2.SpatialConvolution``: convFilterActs with padding ``-padding`` and ``groups``."""

    def __init__(self, n_in, n_out, k, stride, padding, groups):
        super().__init__(n_in, n_out, k, stride, 0, groups=groups)
        self.pad = padding

    def forward(self, x):
        x = _batch_first(x)
        extra = _past_edge(x.shape[2], self.kernel_size[0], self.stride[0], self.pad)
        x = F.pad(x, (self.pad, self.pad + extra, self.pad, self.pad + extra))
        return _batch_last(super().forward(x))


class Ccn2Pooling(nn.Module):
    """``ccn2.SpatialMaxPooling`` / ``ccn2.SpatialAvgPooling``: convLocalMaxPool /
    convLocalAvgPool, windows from pixel 0 cut at the image's edge."""

    def __init__(self, k, stride, average):
        super().__init__()
        self.k, self.stride, self.average = k, stride, average

    def forward(self, x):
        x = _batch_first(x)
        extra = _past_edge(x.shape[2], self.k, self.stride, 0)
        if not self.average:  # -inf past the edge: the max of the pixels inside
            return _batch_last(F.max_pool2d(F.pad(x, (0, extra, 0, extra), value=-math.inf), self.k, self.stride))
        # zeros past the edge; dividing by the share of each window inside the image gives the
        # mean of the pixels inside (plain averages export to ONNX, a divisor override does not)
        means = F.avg_pool2d(F.pad(x, (0, extra, 0, extra)), self.k, self.stride)
        inside = F.avg_pool2d(F.pad(torch.ones_like(x[:1, :1]), (0, extra, 0, extra)), self.k, self.stride)
        return _batch_last(means / inside)


class Ccn2CrossMapNorm(nn.Module):
    """``ccn2.SpatialCrossResponseNormalization``: convResponseNormCrossMap,
    x * (minDiv + scale * sum of x^2 over planes [start, start + size) cut to the planes there
    are)^-pow, start = f - size/2 (C's truncation) or, blocked, f - f % size. ``scale`` is the
    Lua field addScale (the constructor's addScale / size)."""

    def __init__(self, size, scale, power, min_div, blocked):
        super().__init__()
        self.size, self.scale, self.power, self.min_div, self.blocked = size, scale, power, min_div, blocked

    def forward(self, x):
        f = torch.arange(x.shape[0], device=x.device)
        start = f - f % self.size if self.blocked else f - self.size // 2
        g = f[None, :]  # which planes each plane's window holds, as a 0/1 matrix
        window = ((g >= start[:, None]) & (g < start[:, None] + self.size)).to(x.dtype)
        sums = torch.tensordot(window, x * x, dims=1)
        return x * (self.min_div + self.scale * sums) ** -self.power
