"""Layers for the modules jcjohnson/fast-neural-style defines in its own files:
``fast_neural_style/InstanceNormalization.lua`` (also DmitryUlyanov/texture_nets'
``InstanceNormalization.lua``, which it is based on) and ``fast_neural_style/ShaveImage.lua``.
``nn.TotalVariation`` needs no layer: its forward is the identity.
"""
import torch
import torch.nn as nn

from . import layers


class InstanceNormalization(nn.Module):
    """``nn.InstanceNormalization(nOutput, eps, momentum, affine)``: each sample's each plane
    normalised with its own mean and biased variance, then scaled and shifted per plane.

    Torch7 computes it with an inner ``nn.SpatialBatchNormalization(N * C)`` over the input
    viewed as 1 x N*C x H x W, which it keeps as ``self.bn``, not in ``self.modules``: ``:evaluate()``
    never reaches it (fast-neural-style even calls ``self.bn:training()`` before each forward;
    texture_nets overrides ``evaluate`` to do nothing), so the running statistics it keeps are
    never used and the output is the same in training and evaluation."""

    def __init__(self, n_output, eps=1e-5, affine=True):
        super().__init__()
        self.eps = eps
        self.register_parameter("weight", nn.Parameter(torch.empty(n_output)) if affine else None)
        self.register_parameter("bias", nn.Parameter(torch.empty(n_output)) if affine else None)
        if affine:
            layers.reset_batchnorm(self)  # __init: weight ~ U(0, 1), bias = 0, as for Torch7's BN

    @property
    def affine(self):
        return self.weight is not None

    def forward(self, x):
        mean = x.mean(dim=(2, 3), keepdim=True)
        var = x.var(dim=(2, 3), unbiased=False, keepdim=True)  # BN's training statistics: biased
        out = (x - mean) / torch.sqrt(var + self.eps)
        if self.weight is None:
            return out
        return out * self.weight.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)


class ShaveImage(nn.Module):
    """``nn.ShaveImage(size)``: ``size`` rows and columns cut from each border of H and W
    (``input[{{}, {}, {s + 1, H - s}, {s + 1, W - s}}]``)."""

    def __init__(self, size):
        super().__init__()
        self.size = size

    def forward(self, x):
        s = self.size
        return x[:, :, s:x.shape[2] - s, s:x.shape[3] - s]
