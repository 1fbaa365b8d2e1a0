"""Torch7's volumetric (3-D: planes x time x height x width) layers.

Ports the forward of torch/nn ``VolumetricMaxPooling.lua`` and ``VolumetricAveragePooling.lua``
(THNN's ceil rule, as the 2-D poolings': a last window that would start past the input is kept
unless the pooling is padded, over no input: -inf for the maximum, 0/0 = NaN for the average)
and the ``reset()`` of ``VolumetricConvolution.lua`` and ``VolumetricFullConvolution.lua``
(weight and bias ~ U(+-1/sqrt(kT*kW*kH*nInputPlane))). The convolutions are PyTorch's Conv3d and
ConvTranspose3d: THNN's VolumetricConvolutionMM is the same cross-correlation, weight nOut x nIn
x kT x kH x kW (the transposed one nIn x nOut x kT x kH x kW).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .layers import _BatchOfOne, _torch7_ceil_extent


def reset_volumetric(module, n_input_plane, kernel):
    bound = 1 / math.sqrt(n_input_plane * math.prod(kernel))
    with torch.no_grad():
        module.weight.uniform_(-bound, bound)
        if module.bias is not None:
            module.bias.uniform_(-bound, bound)


class _CeilRule3d:
    """PyTorch's 3-D pooling extended to THNN's ceil-mode output size (see layers._Torch7CeilRule)."""

    empty_value = None

    def forward(self, x):
        out = super().forward(x)
        if not self.ceil_mode:
            return out
        extra = [max(_torch7_ceil_extent(x.shape[i], k, d, p) - out.shape[i], 0)
                 for i, k, d, p in zip((-3, -2, -1), self.kernel_size, self.stride, self.padding)]
        if not any(extra):
            return out
        return F.pad(out, (0, extra[2], 0, extra[1], 0, extra[0]), value=self.empty_value)


class Torch7MaxPool3d(_CeilRule3d, nn.MaxPool3d):
    """``nn.VolumetricMaxPooling`` / ``cudnn.VolumetricMaxPooling``."""

    empty_value = float("-inf")


class Torch7AvgPool3d(_CeilRule3d, nn.AvgPool3d):
    """``nn.VolumetricAveragePooling`` / ``cudnn.VolumetricAveragePooling``."""

    empty_value = float("nan")


class Torch7BatchNorm3d(_BatchOfOne, nn.BatchNorm3d):
    """``nn.VolumetricBatchNormalization`` (BatchNormalization.lua with nDim = 5)."""
