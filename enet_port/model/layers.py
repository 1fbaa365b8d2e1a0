"""Torch7 ``nn`` modules that PyTorch lacks or implements differently.

Ports the forward semantics of torch/nn ``SpatialDropout.lua``, ``Dropout.lua`` (v1),
``Padding.lua``, ``JoinTable.lua``, ``ConcatTable.lua``, ``CAddTable.lua``, ``View.lua`` and
``BatchNormalization.lua`` (its batch-of-one rule), plus each module's ``reset()`` initialisation.
Lua dimensions are 1-based and count the batch only where Torch7 says so; every class here takes
the Lua numbers and does the conversion itself, so a spec never holds a PyTorch index.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class Torch7Dropout(nn.Module):
    """``nn.SpatialDropout(p)`` (per channel) or ``nn.Dropout(p, v1, inplace, stochasticInference)``.

    v1 (and SpatialDropout) keeps survivors unscaled in training and multiplies by ``1 - p`` in
    evaluation, the reverse of ``nn.Dropout2d``; v2 divides survivors by ``1 - p`` in training and
    passes evaluation through. ``stochastic`` (Dropout's stochasticInference) keeps dropping in
    evaluation, as ``updateOutput``'s ``if self.train or self.stochastic_inference`` does.
    """

    def __init__(self, p, per_channel, v2=False, stochastic=False):
        super().__init__()
        self.p = float(p)
        self.per_channel, self.v2, self.stochastic = per_channel, v2, stochastic

    def forward(self, x):
        if self.p == 0:
            return x
        if not (self.training or self.stochastic):
            return x if self.v2 else x * (1.0 - self.p)
        shape = x.shape[:2] + (1,) * (x.dim() - 2) if self.per_channel else x.shape
        keep = torch.empty(shape, device=x.device, dtype=x.dtype).bernoulli_(1.0 - self.p)
        return x * (keep / (1.0 - self.p) if self.v2 else keep)

    def extra_repr(self):
        return f"p={self.p}, per_channel={self.per_channel}, v2={self.v2}, stochastic={self.stochastic}"


class Padding(nn.Module):
    """``nn.Padding(dim, pad, nInputDim, value, index)``: ``|pad|`` entries of ``value``.

    pad > 0 inserts counting ``index`` from the end (index 1 = append); pad < 0 counts from the
    start (index 1 = prepend). ``dim`` moves up by one when the input has a batch dimension.
    """

    def __init__(self, dim, pad, n_input_dim=None, value=0.0, index=1):
        super().__init__()
        self.dim, self.pad, self.n_input_dim = dim, pad, n_input_dim
        self.value, self.index = float(value), index

    def forward(self, x):
        dim = self.dim - 1
        if self.n_input_dim is not None and x.dim() != self.n_input_dim:
            dim += 1
        size = list(x.shape)
        size[dim] = abs(self.pad)
        filler = x.new_full(size, self.value)
        n = x.shape[dim]
        cut = n - (self.index - 1) if self.pad > 0 else self.index - 1
        head, tail = x.narrow(dim, 0, cut), x.narrow(dim, cut, n - cut)
        return torch.cat([head, filler, tail], dim)

    def extra_repr(self):
        return f"dim={self.dim}, pad={self.pad}, nInputDim={self.n_input_dim}, value={self.value}"


class JoinTable(nn.Module):
    """``nn.JoinTable(dim, nInputDims)``: concatenate a list along Lua dimension ``dim``."""

    def __init__(self, dim, n_input_dims=None):
        super().__init__()
        self.dim, self.n_input_dims = dim, n_input_dims

    def forward(self, xs):
        dim = self.dim - 1
        if self.dim < 0:
            dim = xs[0].dim() + self.dim
        elif self.n_input_dims is not None and xs[0].dim() == self.n_input_dims + 1:
            dim += 1
        return torch.cat(list(xs), dim)


class Sequential(nn.Sequential):
    """``nn.Sequential``, with torch's forward written out here so that it lives outside torch's
    own files. ``Module.compile()`` on torch 2.11 (the H100 machine's) does not start a trace at
    a frame in torch's files (``Module._call_impl``, ``nn.Sequential.forward``): it started one at
    each of our containers inside instead, past dynamo's recompile limit, and V7 trained 30%
    slower compiled than eager (BENCHMARKS.md). A root forward in this file is one frame, one graph."""

    def forward(self, x):
        for module in self:
            x = module(x)
        return x


class ConcatTable(nn.ModuleList):
    """``nn.ConcatTable``: every branch sees the same input; the output is the list of results."""

    def forward(self, x):
        return [branch(x) for branch in self]


class Concat(nn.ModuleList):
    """``nn.Concat(dim)``: every branch sees the input; outputs joined along Lua dim ``dim``
    of the batched tensor (``nn.Concat(2)`` joins channels)."""

    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return torch.cat([branch(x) for branch in self], self.dim - 1)


class CAddTable(nn.Module):
    """``nn.CAddTable``: the element-wise sum of a list."""

    def forward(self, xs):
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out


class View(nn.Module):
    """``nn.View(sizes...)``: reshape each sample; the batch dimension is always kept.

    Torch7 drops the batch dimension for a batch of one (it infers the batch from the element
    count); PyTorch code expects (N, ...) so we keep it (NOTES.md, deviations).
    """

    def __init__(self, *sizes):
        super().__init__()
        self.sizes = tuple(int(s) for s in sizes)

    def forward(self, x):
        return x.reshape(x.shape[0], *self.sizes)

    def extra_repr(self):
        return ", ".join(str(s) for s in self.sizes)


class _BatchOfOne:
    """Torch7 BatchNormalization: in training a batch of one uses and keeps the running stats."""

    def forward(self, x):
        if self.training and x.shape[0] == 1:
            return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                                False, 0.0, self.eps)
        return super().forward(x)


class Torch7BatchNorm2d(_BatchOfOne, nn.BatchNorm2d):
    """``nn.SpatialBatchNormalization``."""


class Torch7BatchNorm1d(_BatchOfOne, nn.BatchNorm1d):
    """``nn.BatchNormalization``."""


def reset_uniform_fan_in(module, fan_in):
    """Torch7 ``reset()`` of convolutions and Linear: weight and bias ~ U(+-1/sqrt(fan_in))."""
    bound = 1.0 / math.sqrt(fan_in)
    with torch.no_grad():
        module.weight.uniform_(-bound, bound)
        if module.bias is not None:
            module.bias.uniform_(-bound, bound)


def reset_batchnorm(module):
    """Torch7 BN ``reset()``: gamma ~ U(0, 1), beta = 0 (PyTorch sets gamma = 1)."""
    if module.affine:
        with torch.no_grad():
            module.weight.uniform_(0.0, 1.0)
            module.bias.zero_()


def _torch7_ceil_extent(size, k, d, pad):
    """THNN's ceil-mode output size (see :func:`enet_port.model.shapes.out_size`)."""
    out = math.ceil((size + 2 * pad - k) / d) + 1
    if pad and (out - 1) * d >= size + pad:
        out -= 1
    return out


class _Torch7CeilRule:
    """PyTorch's ceil mode always drops a last window that starts past the input; THNN drops
    it only when the pooling is padded, and otherwise emits it over no input at all: -inf for
    max pooling, 0/0 = NaN for average pooling. Extend PyTorch's output to THNN's size."""

    empty_value = None

    def forward(self, x):
        out = super().forward(x)
        if not self.ceil_mode:
            return out
        (kh, kw), (dh, dw), (ph, pw), (lh, lw) = (_pair(v) for v in (self.kernel_size, self.stride, self.padding,
                                                                     getattr(self, "dilation", 1)))
        # a dilated window spans dilation * (k - 1) + 1 (nn.SpatialDilatedMaxPooling)
        extra_h = _torch7_ceil_extent(x.shape[-2], lh * (kh - 1) + 1, dh, ph) - out.shape[-2]
        extra_w = _torch7_ceil_extent(x.shape[-1], lw * (kw - 1) + 1, dw, pw) - out.shape[-1]
        if extra_h <= 0 and extra_w <= 0:
            return out
        return F.pad(out, (0, max(extra_w, 0), 0, max(extra_h, 0)), value=self.empty_value)


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


class Torch7MaxPool2d(_Torch7CeilRule, nn.MaxPool2d):
    """``nn.SpatialMaxPooling`` with THNN's ceil rule.

    A tied ``nn.SpatialMaxUnpooling`` sets ``keep_indices``: the forward pass then also keeps
    the argmax indices and the input size, as Torch7's pooling keeps ``indices``, ``iheight``
    and ``iwidth`` for it. Such a pooling has kernel = stride, so the ceil rule never adds a window.
    """

    empty_value = float("-inf")
    keep_indices = False

    def forward(self, x):
        if not self.keep_indices:
            return super().forward(x)
        out, self.indices = F.max_pool2d(x, self.kernel_size, self.stride, self.padding,
                                         ceil_mode=self.ceil_mode, return_indices=True)
        self.input_size = tuple(x.shape[-2:])
        return out


class Torch7AvgPool2d(_Torch7CeilRule, nn.AvgPool2d):
    """``nn.SpatialAveragePooling`` (count_include_pad unless ``:setCountExcludePad()``) with
    THNN's ceil rule."""

    empty_value = float("nan")

    def __init__(self, kernel_size, stride, padding, ceil_mode, count_include_pad=True):
        super().__init__(kernel_size, stride, padding, ceil_mode=ceil_mode, count_include_pad=count_include_pad)
