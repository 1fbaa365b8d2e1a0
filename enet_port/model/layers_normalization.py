"""Torch7's local normalisations: torch/nn ``SpatialSubtractiveNormalization.lua``,
``SpatialDivisiveNormalization.lua`` and ``SpatialContrastiveNormalization.lua``.

Torch7 builds them from modules: a zero padding of half the kernel, a convolution of every plane
with the normalised kernel summed over the planes (a 2-D kernel K as K / (sum(K) * nInputPlane);
a 1-D kernel k twice, across then down, each k / (sum(k) * sqrt(nInputPlane))), replicated to
every plane. ``coef`` is that estimator run on ones (it corrects the borders). Subtractive:
x - mean / coef. Divisive: x / threshold(sqrt(estimator(x^2)) / coef), where threshold(v) is v
when v > threshold, else thresval. Contrastive: divisive after subtractive, one kernel. The kernel
is kept normalised (as Torch7 stores it); normalising again leaves it unchanged.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def effective_kernel(kernel, planes):
    """The 2-D kernel each plane is convolved with (summed over planes it weighs 1 in all)."""
    if kernel.dim() == 1:
        k = kernel / (kernel.sum() * math.sqrt(planes))
        return torch.outer(k, k)
    return kernel / (kernel.sum() * planes)


def local_sums(x, kernel):
    """Every plane of N x C x H x W convolved with ``kernel`` (zero padded), summed over C."""
    kh, kw = kernel.shape
    weight = kernel.expand(1, x.shape[1], kh, kw).to(x.dtype)
    return F.conv2d(x, weight, padding=(kh // 2, kw // 2))


class _LocalNormalization(nn.Module):
    def __init__(self, planes, kernel, threshold=1e-4, thresval=1e-4):
        super().__init__()
        self.planes, self.threshold, self.thresval = planes, threshold, thresval
        self.register_buffer("kernel", torch.as_tensor(kernel, dtype=torch.float32))

    def estimate(self, x):
        """The estimator's output and its coef (the same estimator on one sample of ones)."""
        kernel = effective_kernel(self.kernel.to(x.dtype), self.planes)
        coef = local_sums(torch.ones_like(x[:1]), kernel)
        return local_sums(x, kernel), coef

    def subtract(self, x):
        mean, coef = self.estimate(x)
        return x - mean / coef

    def divide(self, x):
        squares, coef = self.estimate(x * x)
        std = torch.sqrt(squares) / coef
        return x / torch.where(std > self.threshold, std, torch.full_like(std, self.thresval))


class SubtractiveNormalization(_LocalNormalization):
    """``nn.SpatialSubtractiveNormalization(nInputPlane, kernel)``."""

    def forward(self, x):
        return self.subtract(x)


class DivisiveNormalization(_LocalNormalization):
    """``nn.SpatialDivisiveNormalization(nInputPlane, kernel, threshold, thresval)``."""

    def forward(self, x):
        return self.divide(x)


class ContrastiveNormalization(_LocalNormalization):
    """``nn.SpatialContrastiveNormalization(nInputPlane, kernel, threshold, thresval)``."""

    def forward(self, x):
        return self.divide(self.subtract(x))


class SpatialNormalization(nn.Module):
    """nnx ``nn.SpatialNormalization(nInputPlane, kernel, threshold)`` (nnx
    ``SpatialNormalization.lua``, its last version, planes first). ``kernels``: one 2-D kernel, or
    the pair ``{kv, kh}`` applied one after the other; each weighs 1 (the constructor divides it by
    its sum). Its estimator ``convo``: zero padding of floor(k/2) before and floor(k/2) - 1 after an
    even size, every plane cross-correlated with the kernel, summed over planes, replicated to all
    planes; the pair runs it twice (the second pass sums the replicated planes again, a factor the
    border coefficient ``coef`` = convo(ones) cancels). mean = convo(x) / coef; std =
    sqrt(convo((x - mean)^2)) / coef (coef, not its root, as nnx divides); the threshold is
    ``threshold``, else max(mean of std, 1e-3) over the sample (a Torch7 forward is one sample:
    here each sample of the batch gets its own); std below it becomes it (nn.Threshold(t, t))."""

    def __init__(self, planes, kernels, threshold=None):
        super().__init__()
        self.planes, self.threshold = planes, threshold
        self.kernels = [torch.as_tensor(k, dtype=torch.float64) / float(sum(map(sum, k))) for k in kernels]

    def convo(self, x):
        for kernel in self.kernels:
            kh, kw = kernel.shape
            padded = F.pad(x, (kw // 2, (kw - 1) // 2, kh // 2, (kh - 1) // 2))
            weight = kernel.to(x.dtype).expand(1, x.shape[1], kh, kw)
            x = F.conv2d(padded, weight).expand(-1, self.planes, -1, -1)
        return x

    def forward(self, x):
        coef = self.convo(torch.ones_like(x[:1]))
        zero_mean = x - self.convo(x) / coef
        std = torch.sqrt(self.convo(zero_mean * zero_mean)) / coef
        if self.threshold is None:
            threshold = std.mean(dim=(1, 2, 3), keepdim=True).clamp(min=1e-3)
        else:
            threshold = torch.full_like(std[:, :1, :1, :1], float(self.threshold))
        return zero_mean / torch.where(std > threshold, std, threshold)
