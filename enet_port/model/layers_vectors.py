"""Torch7's dimension and pair modules: Unsqueeze, Replicate, Select, Max, Min, CDivTable, MM,
DotProduct, PairwiseDistance, CosineDistance, and the containers MapTable and Bottle.

Ports the forward of torch/nn ``Unsqueeze.lua`` (a 1 inserted at ``pos`` after the leading
dims numInputDims leaves out), ``Replicate.lua`` (nf copies along ``dim``, one later in a batch
when ``ndim`` says so), ``Select.lua``, ``Max.lua``/``Min.lua`` (the dimension squeezed, a later
one when nInputDims says the input is batched), ``CMinTable.lua``, ``CDivTable.lua``, ``MM.lua`` (bmm of a batch),
``DotProduct.lua``, ``PairwiseDistance.lua`` ((sum |x1 - x2|^p)^(1/p), no epsilon),
``CosineDistance.lua`` (x1.x2 / sqrt((|x1|^2 + 1e-12)(|x2|^2 + 1e-12))), ``Euclidean.lua``,
``Cosine.lua``, ``Bilinear.lua`` (with their ``reset()``), ``MapTable.lua`` (its
one module, weights shared, on each entry) and ``Bottle.lua`` (leading dims fused into one).
Lua dims count the batch: the port's tensors always have one.
"""
import math

import torch
import torch.nn as nn

from .layers_tables import positive_dim


class Unsqueeze(nn.Module):
    def __init__(self, pos, num_input_dims):
        super().__init__()
        self.pos, self.num_input_dims = pos, num_input_dims

    def forward(self, x):
        offset = x.dim() - (self.num_input_dims if self.num_input_dims is not None else x.dim())
        return x.unsqueeze(offset + self.pos - 1)


class Replicate(nn.Module):
    def __init__(self, nf, dim, ndim):
        super().__init__()
        self.nf, self.dim, self.ndim = nf, dim, ndim

    def forward(self, x):
        dim = self.dim + int(self.ndim is not None and x.dim() > self.ndim)
        x = x.unsqueeze(dim - 1)
        return x.expand(*x.shape[:dim - 1], self.nf, *x.shape[dim:])


class Select(nn.Module):
    def __init__(self, dim, index):
        super().__init__()
        self.dim, self.index = dim, index

    def forward(self, x):
        dim = positive_dim(self.dim, x.dim())
        return x.select(dim, self.index - 1 if self.index > 0 else x.shape[dim] + self.index)


class Extremum(nn.Module):
    """``nn.Max`` / ``nn.Min(dimension, nInputDims)``: the values (Torch7 keeps the indices for
    the backward only)."""

    def __init__(self, largest, dim, n_input_dims):
        super().__init__()
        self.largest, self.dim, self.n_input_dims = largest, dim, n_input_dims

    def forward(self, x):
        dim = self.dim + int(self.dim > 0 and self.n_input_dims is not None and x.dim() == self.n_input_dims + 1)
        dim = positive_dim(dim, x.dim())
        return x.amax(dim) if self.largest else x.amin(dim)


class CMinTable(nn.Module):
    """``nn.CMinTable``: the element-wise minimum of a table."""

    def forward(self, xs):
        out = xs[0]
        for x in xs[1:]:
            out = torch.minimum(out, x)
        return out


class CDivTable(nn.Module):
    def forward(self, xs):
        return xs[0] / xs[1]


class MM(nn.Module):
    def __init__(self, trans_a, trans_b):
        super().__init__()
        self.trans_a, self.trans_b = trans_a, trans_b

    def forward(self, xs):
        a, b = xs
        return torch.bmm(a.transpose(1, 2) if self.trans_a else a, b.transpose(1, 2) if self.trans_b else b)


class DotProduct(nn.Module):
    def forward(self, xs):
        return (xs[0] * xs[1]).sum(1)


class PairwiseDistance(nn.Module):
    def __init__(self, p):
        super().__init__()
        self.p = float(p)

    def forward(self, xs):
        return (xs[0] - xs[1]).abs().pow(self.p).sum(1).pow(1 / self.p)


class CosineDistance(nn.Module):
    def forward(self, xs):
        a, b = xs
        return (a * b).sum(1) / torch.sqrt(((a * a).sum(1) + 1e-12) * ((b * b).sum(1) + 1e-12))


class Euclidean(nn.Module):
    """``nn.Euclidean(inputSize, outputSize)``: y_j = ||x - w_j||, w_j column j of the weight
    (inputSize x outputSize), U(+-1/sqrt(inputSize))."""

    def __init__(self, n_in, n_out):
        super().__init__()
        bound = 1 / math.sqrt(n_in)
        self.weight = nn.Parameter(torch.empty(n_in, n_out).uniform_(-bound, bound))

    def forward(self, x):
        return (x[:, :, None] - self.weight[None]).pow(2).sum(1).sqrt()


class Cosine(nn.Module):
    """``nn.Cosine(inputSize, outputSize)``: y_j = w_j.x / ((||w_j|| + 1e-12)(||x|| + 1e-12)), w_j
    row j of the weight (outputSize x inputSize), U(+-1/sqrt(outputSize)) (its weight:size(1))."""

    def __init__(self, n_in, n_out):
        super().__init__()
        bound = 1 / math.sqrt(n_out)
        self.weight = nn.Parameter(torch.empty(n_out, n_in).uniform_(-bound, bound))

    def forward(self, x):
        norms = (self.weight.norm(dim=1) + 1e-12)[None] * (x.norm(dim=1, keepdim=True) + 1e-12)
        return x @ self.weight.t() / norms


class Bilinear(nn.Bilinear):
    """``nn.Bilinear(inputSize1, inputSize2, outputSize, bias)``: y_k = x1' W_k x2 + b_k, PyTorch's
    layout (weight outputSize x inputSize1 x inputSize2); reset() U(+-1/sqrt(inputSize1))."""

    def __init__(self, n_in1, n_in2, n_out, bias):
        super().__init__(n_in1, n_in2, n_out, bias=bias)
        bound = 1 / math.sqrt(n_in1)
        with torch.no_grad():
            self.weight.uniform_(-bound, bound)
            if self.bias is not None:
                self.bias.uniform_(-bound, bound)

    def forward(self, xs):
        return super().forward(xs[0], xs[1])


class MapTable(nn.ModuleList):
    """Its one module on every entry of the table (Torch7's clones share its parameters)."""

    def forward(self, xs):
        return [self[0](x) for x in xs]


class Bottle(nn.ModuleList):
    """``nn.Bottle(module, nInputDim, nOutputDim)``: an input of more than nInputDim dims has its
    leading ones fused into the first, the module runs, and they are split again."""

    def __init__(self, n_input_dim):
        super().__init__()
        self.n_input_dim = n_input_dim

    def forward(self, x):
        batch_dims = x.dim() - self.n_input_dim + 1
        if batch_dims <= 1:
            return self[0](x)
        lead = x.shape[:batch_dims - 1]
        out = self[0](x.reshape(-1, *x.shape[batch_dims:]))
        return out.reshape(*lead, -1, *out.shape[1:])
