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
