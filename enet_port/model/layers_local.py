"""Torch7's locally connected, adaptive-pooling and temporal subsampling layers.

Ports the forward of torch/nn ``SpatialConvolutionLocal.lua`` (THNN ``SpatialConvolutionLocal.c``:
each output position has its own kernels; weight oH x oW x nOut x nIn x kH x kW, bias nOut x oH
x oW; the unfolded columns ordered plane, kernel row, kernel column as THNN's ``unfolded_copy``
makes them), ``SpatialDilatedMaxPooling.lua`` (THNN: taps ``dilation`` apart, the ceil rule of
SpatialMaxPooling on the window's span), ``SpatialAdaptiveMaxPooling.lua`` and ``SpatialAdaptiveAveragePooling.lua`` (THNN:
output cell i covers rows floor(i*iH/oH) to ceil((i+1)*iH/oH), PyTorch's rule) and
``TemporalSubSampling.lua`` (THNN: bias[f] + weight[f] * the sum of kW frames of feature f),
with their ``reset()``.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .layers import Torch7MaxPool2d


class ConvolutionLocal(nn.Module):
    """``nn.SpatialConvolutionLocal(nIn, nOut, iW, iH, kW, kH, dW, dH, padW, padH)``."""

    def __init__(self, n_in, n_out, out_hw, kernel, stride, pad):
        super().__init__()
        self.kernel, self.stride, self.pad = kernel, stride, pad
        bound = 1 / math.sqrt(n_in * kernel[0] * kernel[1])
        self.weight = nn.Parameter(torch.empty(*out_hw, n_out, n_in, *kernel).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(n_out, *out_hw).uniform_(-bound, bound))

    def forward(self, x):
        cols = F.unfold(x, self.kernel, padding=self.pad, stride=self.stride)  # N x nIn*kH*kW x oH*oW
        oh, ow, n_out = self.weight.shape[:3]
        weight = self.weight.reshape(oh * ow, n_out, -1)
        out = torch.einsum("ncl,loc->nol", cols, weight)
        return out.reshape(x.shape[0], n_out, oh, ow) + self.bias


class DilatedMaxPool(Torch7MaxPool2d):
    """``nn.SpatialDilatedMaxPooling(kW, kH, dW, dH, padW, padH, dilationW, dilationH)``: the
    window's taps ``dilation`` apart; THNN's ceil rule on the window's span."""

    def __init__(self, kernel_size, stride, padding, dilation, ceil_mode):
        nn.MaxPool2d.__init__(self, kernel_size, stride, padding, dilation=dilation, ceil_mode=ceil_mode)


class AdaptiveMaxPool(nn.AdaptiveMaxPool2d):
    """``nn.SpatialAdaptiveMaxPooling(W, H)``."""


class AdaptiveAvgPool(nn.AdaptiveAvgPool2d):
    """``nn.SpatialAdaptiveAveragePooling(W, H)``."""


class TemporalSubSampling(nn.Module):
    """``nn.TemporalSubSampling(inputFrameSize, kW, dW)`` on N x T x F input; one weight and bias
    per feature, ~ U(+-1/sqrt(kW))."""

    def __init__(self, frame_size, kw, dw):
        super().__init__()
        self.kw, self.dw = kw, dw
        bound = 1 / math.sqrt(kw)
        self.weight = nn.Parameter(torch.empty(frame_size).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(frame_size).uniform_(-bound, bound))

    def forward(self, x):
        sums = F.avg_pool1d(x.transpose(1, 2), self.kw, self.dw).transpose(1, 2) * self.kw
        return sums * self.weight + self.bias
