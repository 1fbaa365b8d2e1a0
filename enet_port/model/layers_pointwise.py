"""Torch7's point-wise and per-element parameter modules, the ones trained files hold beside the
usual activations.

Ports the forward of torch/nn ``Exp.lua``, ``Log.lua``, ``SoftPlus.lua`` (THNN ``SoftPlus.c``:
x where beta*x > threshold, else log(1 + exp(beta*x)) / beta), ``SoftSign.lua`` (x / (1 + |x|)),
``LogSigmoid.lua``, ``SoftMin.lua`` (THNN's SoftMax of -x), ``HardShrink.lua``,
``SoftShrink.lua``, ``RReLU.lua`` (THNN ``RReLU.c``), ``CMul.lua`` and ``CAdd.lua``, with their
``reset()``.
"""
import math

import torch
import torch.nn as nn

from .layers_math import Torch7SoftMax


class Exp(nn.Module):
    """``nn.Exp``."""

    def forward(self, x):
        return torch.exp(x)


class Log(nn.Module):
    """``nn.Log``."""

    def forward(self, x):
        return torch.log(x)


class SoftSign(nn.Module):
    """``nn.SoftSign``: x / (1 + |x|)."""

    def forward(self, x):
        return x / (1 + x.abs())


class SoftMin(Torch7SoftMax):
    """``nn.SoftMin``: THNN's SoftMax (and its choice of dimension) applied to -x."""

    def forward(self, x):
        return super().forward(-x)


class RReLU(nn.Module):
    """``nn.RReLU(l, u, ip, cw)``. Evaluation: slope (l+u)/2 for x <= 0 (THNN's ``negSlope``).
    Training: each x <= 0 times its own U(l, u) draw, or one draw per plane with ``channelwise``
    (THNN's two training branches); the draws are PyTorch's, not Torch7's generator."""

    def __init__(self, lower, upper, channelwise=False):
        super().__init__()
        self.lower, self.upper, self.channelwise = float(lower), float(upper), bool(channelwise)

    def forward(self, x):
        if not self.training:
            return torch.where(x <= 0, x * ((self.lower + self.upper) / 2), x)
        shape = (1, x.shape[1]) + (1,) * (x.dim() - 2) if self.channelwise else x.shape
        slopes = torch.empty(shape, dtype=x.dtype, device=x.device).uniform_(self.lower, self.upper)
        return torch.where(x <= 0, x * slopes, x)

    def extra_repr(self):
        return f"{self.lower}, {self.upper}"


class CMul(nn.Module):
    """``nn.CMul(size...)``: each sample times the weight element by element. Torch7 views the
    sample and the weight flat (its ``view(batchSize, -1)``), so the weight's sizes need not be
    the sample's: only their numbers of elements (or a weight of one element) must agree."""

    def __init__(self, size):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(size))
        bound = 1 / math.sqrt(self.weight.numel())
        nn.init.uniform_(self.weight, -bound, bound)

    def forward(self, x):
        return (x.reshape(x.shape[0], -1) * self.weight.reshape(1, -1)).reshape(x.shape)


class CAdd(nn.Module):
    """``nn.CAdd(size...)``: a bias of the given sizes added to each sample. A bias with as many
    dimensions as the batched input broadcasts over its size-1 dimensions (CAdd.lua's
    ``expandAs``: ``nn.CAdd(1, C, 1, 1)`` adds one value per plane); any other is added flat."""

    def __init__(self, size):
        super().__init__()
        self.bias = nn.Parameter(torch.empty(size))
        bound = 1 / math.sqrt(self.bias.numel())
        nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        if self.bias.dim() == x.dim():
            return x + self.bias
        return (x.reshape(x.shape[0], -1) + self.bias.reshape(1, -1)).reshape(x.shape)
