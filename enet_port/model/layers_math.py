"""Torch7 point-wise and normalising modules whose PyTorch counterpart differs or is missing.

Ports the forward semantics of torch/nn ``SoftMax.lua`` / THNN ``SoftMax.c`` (the normalised
dimension depends on the input's dimension count), cudnn.torch ``SoftMax.lua`` (instance mode:
one softmax over everything but the batch), ``Mul.lua``, ``Add.lua``, ``MulConstant.lua``,
``AddConstant.lua``, ``Normalize.lua`` and ``SpatialUpSamplingBilinear.lua``, with each module's
``reset()``.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class Torch7SoftMax(nn.Module):
    """``nn.SoftMax`` / ``nn.SpatialSoftMax``: THNN normalises dim 0 of a 1-D or 3-D input and
    dim 1 of a 2-D or 4-D one (it reads 3-D as one C x H x W image, even when it is a batch)."""

    def forward(self, x):
        return F.softmax(x, dim=0 if x.dim() in (1, 3) else 1)


class InstanceSoftMax(nn.Module):
    """``cudnn.SoftMax``: CUDNN_SOFTMAX_MODE_INSTANCE, one distribution per sample over C*H*W."""

    def forward(self, x):
        return F.softmax(x.reshape(x.shape[0], -1), dim=1).reshape(x.shape)


class ChannelSoftMax(nn.Module):
    """``cudnn.SpatialSoftMax``: CUDNN_SOFTMAX_MODE_CHANNEL, over the planes at each pixel."""

    def forward(self, x):
        return F.softmax(x, dim=1)


class MulConstant(nn.Module):
    """``nn.MulConstant(constant_scalar)``."""

    def __init__(self, constant):
        super().__init__()
        self.constant = float(constant)

    def forward(self, x):
        return x * self.constant

    def extra_repr(self):
        return str(self.constant)


class AddConstant(MulConstant):
    """``nn.AddConstant(constant_scalar)``."""

    def forward(self, x):
        return x + self.constant


class Mul(nn.Module):
    """``nn.Mul()``: one learnt factor; ``reset()`` draws it from U(-1, 1) (1/sqrt(1))."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(1).uniform_(-1.0, 1.0))

    def forward(self, x):
        return x * self.weight[0]


class Add(nn.Module):
    """``nn.Add(inputSize, scalar)``: a learnt bias over each sample's ``inputSize`` elements
    (or one scalar); ``reset()`` draws it from U(+-1/sqrt(bias:size(1)))."""

    def __init__(self, size, scalar):
        super().__init__()
        n = 1 if scalar else size
        bound = 1.0 / math.sqrt(n)
        self.scalar = scalar
        self.bias = nn.Parameter(torch.empty(n).uniform_(-bound, bound))

    def forward(self, x):
        if self.scalar:
            return x + self.bias[0]
        return (x.reshape(x.shape[0], -1) + self.bias).reshape(x.shape)


class Normalize(nn.Module):
    """``nn.Normalize(p, eps)``: each row divided by (sum |x|^p + eps)^(1/p)."""

    def __init__(self, p, eps):
        super().__init__()
        self.p, self.eps = float(p), float(eps)

    def forward(self, x):
        norm = (x.abs().pow(self.p).sum(dim=-1, keepdim=True) + self.eps).pow(1.0 / self.p)
        return x / norm

    def extra_repr(self):
        return f"p={self.p}, eps={self.eps}"


def bilinear_size(size, scale):
    """SpatialUpSamplingBilinear's output size: (size - 1) * (scale - 1) + size."""
    return (size - 1) * (scale - 1) + size


class UpSamplingBilinear(nn.Module):
    """``nn.SpatialUpSamplingBilinear(scale)``: THNN's align-corners interpolation onto
    (H - 1) * (s - 1) + H rows, so the corner pixels stay where they were."""

    def __init__(self, scale):
        super().__init__()
        self.scale = int(scale)

    def forward(self, x):
        size = (bilinear_size(x.shape[-2], self.scale), bilinear_size(x.shape[-1], self.scale))
        return F.interpolate(x, size=size, mode="bilinear", align_corners=True)

    def extra_repr(self):
        return str(self.scale)
