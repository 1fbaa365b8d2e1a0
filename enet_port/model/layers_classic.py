"""Torch7's early modules (the tutorials' and demos' convnets and sequence models).

Ports the forward semantics of torch/nn ``Square.lua``, ``Sqrt.lua`` (THNN ``Sqrt.c``: eps is
not used in the forward), ``Abs.lua``, ``Power.lua``, ``SpatialSubSampling.lua`` (THNN: bias[c] +
weight[c] * the window's sum), ``SpatialConvolutionMap.lua`` (THNN: for each row k of the
connection table, a valid cross-correlation of input plane ``connTable[k][1]`` with
``weight[k]`` added to output plane ``connTable[k][2]``), ``SpatialLPPooling.lua`` (Power or
Square, SpatialAveragePooling, Power(1/p) or Sqrt), ``TemporalConvolution.lua`` (weight
outputFrameSize x (kW * inputFrameSize), frame-major), ``TemporalMaxPooling.lua``,
``SplitTable.lua`` and nnx's ``SpatialClassifier.lua`` (its classifier at every pixel), with the
modules' ``reset()``.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class Power(nn.Module):
    """``nn.Power(p)``: ``output:pow(p)``."""

    def __init__(self, p):
        super().__init__()
        self.p = float(p)

    def forward(self, x):
        return torch.pow(x, self.p)

    def extra_repr(self):
        return str(self.p)


class Square(nn.Module):
    """``nn.Square``: THNN multiplies x by itself."""

    def forward(self, x):
        return x * x


class Sqrt(nn.Module):
    """``nn.Sqrt(b)``: THNN's forward is sqrt(x); ``eps`` (b) never enters it."""

    def forward(self, x):
        return torch.sqrt(x)


class Abs(nn.Module):
    """``nn.Abs``."""

    def forward(self, x):
        return x.abs()


class SubSampling(nn.Module):
    """``nn.SpatialSubSampling(nInputPlane, kW, kH, dW, dH)``: one weight and bias per plane."""

    def __init__(self, planes, kernel, stride):
        super().__init__()
        self.kernel, self.stride = kernel, stride
        bound = 1 / math.sqrt(kernel[0] * kernel[1])
        self.weight = nn.Parameter(torch.empty(planes).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(planes).uniform_(-bound, bound))

    def forward(self, x):
        sums = F.avg_pool2d(x, self.kernel, self.stride) * (self.kernel[0] * self.kernel[1])
        return sums * self.weight[:, None, None] + self.bias[:, None, None]


class ConvolutionMap(nn.Module):
    """``nn.SpatialConvolutionMap(connTable, kW, kH, dW, dH)``: each connection is its own
    kH x kW kernel; a depth-wise convolution of the connected input planes, summed into the
    output planes (a pair listed twice adds twice, as THNN's loop does)."""

    def __init__(self, table, kernel, stride):
        super().__init__()
        pairs = torch.tensor(table, dtype=torch.long) - 1
        self.register_buffer("sources", pairs[:, 0], persistent=False)
        self.register_buffer("targets", pairs[:, 1], persistent=False)
        self.planes_out, self.stride = int(pairs[:, 1].max()) + 1, stride
        self.weight = nn.Parameter(torch.empty(len(table), *kernel))
        self.bias = nn.Parameter(torch.empty(self.planes_out))
        self.reset(kernel)

    def reset(self, kernel):
        """Torch7's reset(): each kernel and bias ~ U(+-1/sqrt(kW*kH*fan_in of its output plane))."""
        fan_in = torch.bincount(self.targets, minlength=self.planes_out).clamp(min=1).double()
        bounds = 1 / torch.sqrt(kernel[0] * kernel[1] * fan_in)
        with torch.no_grad():
            noise = torch.rand_like(self.weight) * 2 - 1
            self.weight.copy_(noise * bounds[self.targets][:, None, None])
            self.bias.copy_((torch.rand_like(self.bias) * 2 - 1) * bounds)

    def forward(self, x):
        per_kernel = F.conv2d(x[:, self.sources], self.weight[:, None], stride=self.stride, groups=len(self.sources))
        out = per_kernel.new_zeros(x.shape[0], self.planes_out, *per_kernel.shape[2:])
        out = out.index_add(1, self.targets, per_kernel)
        return out + self.bias[:, None, None]


class LPPooling(nn.Module):
    """``nn.SpatialLPPooling(nInputPlane, p, kW, kH, dW, dH)``: (mean of x^p over the window)^(1/p)."""

    def __init__(self, p, kernel, stride):
        super().__init__()
        self.p, self.kernel, self.stride = float(p), kernel, stride

    def forward(self, x):
        powered = x * x if self.p == 2 else torch.pow(x, self.p)
        mean = F.avg_pool2d(powered, self.kernel, self.stride)
        return torch.sqrt(mean) if self.p == 2 else torch.pow(mean, 1 / self.p)


class TemporalConvolution(nn.Module):
    """``nn.TemporalConvolution(inputFrameSize, outputFrameSize, kW, dW)`` on N x T x F input;
    Torch7's weight row o holds kW frames one after the other (index k*inputFrameSize + c)."""

    def __init__(self, frame_in, frame_out, kw, dw):
        super().__init__()
        self.frame_in, self.kw, self.dw = frame_in, kw, dw
        bound = 1 / math.sqrt(kw * frame_in)
        self.weight = nn.Parameter(torch.empty(frame_out, kw * frame_in).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(frame_out).uniform_(-bound, bound))

    def forward(self, x):
        kernel = self.weight.view(self.weight.shape[0], self.kw, self.frame_in).transpose(1, 2)
        return F.conv1d(x.transpose(1, 2), kernel, self.bias, stride=self.dw).transpose(1, 2)


class TemporalMaxPooling(nn.Module):
    """``nn.TemporalMaxPooling(kW, dW)`` on N x T x F input: the maximum of each feature over
    windows of kW frames."""

    def __init__(self, kw, dw):
        super().__init__()
        self.kw, self.dw = kw, dw

    def forward(self, x):
        return F.max_pool1d(x.transpose(1, 2), self.kw, self.dw).transpose(1, 2)


class SplitTable(nn.Module):
    """``nn.SplitTable(dimension, nInputDims)``: the slices along a Lua dim as a table."""

    def __init__(self, dim, n_input_dims):
        super().__init__()
        self.dim, self.n_input_dims = dim, n_input_dims

    def forward(self, x):
        if self.dim < 0:
            dim = x.dim() + self.dim
        else:
            dim = self.dim - 1 + int(self.n_input_dims is not None and x.dim() == self.n_input_dims + 1)
        return list(x.unbind(dim))


class SpatialClassifier(nn.ModuleList):
    """nnx ``nn.SpatialClassifier(classifier)``: the classifier applied to the K features of
    every pixel of a K x H x W map, its N outputs put back as N x H x W. nnx takes one 3-D map;
    a batch is classified map by map."""

    def forward(self, x):
        n, k, h, w = x.shape
        rows = x.reshape(n, k, h * w).transpose(1, 2).reshape(n * h * w, k)
        out = self[0](rows)
        return out.reshape(n, h * w, -1).transpose(1, 2).reshape(n, -1, h, w)


class SpatialLinear(nn.Module):
    """nnx ``nn.SpatialLinear(fanin, fanout)`` (its planes-first version, C ``SpatialLinear_updateOutput``):
    output plane k = bias[k] + sum over l of weight[k][l] * input plane l, a 1x1 convolution; weight
    fanout x fanin. ``reset()`` draws both from U(+-1/sqrt(weight:size(1))), that is 1/sqrt(fanout)."""

    def __init__(self, fanin, fanout):
        super().__init__()
        bound = 1 / math.sqrt(fanout)
        self.weight = nn.Parameter(torch.empty(fanout, fanin).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(fanout).uniform_(-bound, bound))

    def forward(self, x):
        return F.conv2d(x, self.weight[:, :, None, None], self.bias)
