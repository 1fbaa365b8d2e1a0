"""Torch7 table and tensor-shape modules.

Ports the forward semantics of torch/nn ``CMulTable.lua``, ``CSubTable.lua``, ``CMaxTable.lua``,
``ParallelTable.lua``, ``Parallel.lua``, ``SelectTable.lua``, ``NarrowTable.lua``,
``FlattenTable.lua``, ``DepthConcat.lua``, ``Reshape.lua``, ``Narrow.lua``, ``Sum.lua`` (and ``Mean.lua``),
``Squeeze.lua`` and ``Transpose.lua``. Dimensions are Lua's: 1-based, counted on the tensor the
module receives (batch included) unless ``nInputDims`` says the input is batched; every class
takes the Lua numbers and converts them itself.
"""
import torch
import torch.nn as nn


class CMulTable(nn.Module):
    """``nn.CMulTable``: the element-wise product of a table."""

    def forward(self, xs):
        out = xs[0]
        for x in xs[1:]:
            out = out * x
        return out


class CSubTable(nn.Module):
    """``nn.CSubTable``: ``input[1] - input[2]``."""

    def forward(self, xs):
        return xs[0] - xs[1]


class CMaxTable(nn.Module):
    """``nn.CMaxTable``: the element-wise maximum of a table."""

    def forward(self, xs):
        out = xs[0]
        for x in xs[1:]:
            out = torch.maximum(out, x)
        return out


class ParallelTable(nn.ModuleList):
    """``nn.ParallelTable``: the i-th module gets the i-th element of the input table."""

    def forward(self, xs):
        return [module(x) for module, x in zip(self, xs)]


class Parallel(nn.ModuleList):
    """``nn.Parallel(inputDimension, outputDimension)``: module i gets
    ``input:select(inputDimension, i)``; the outputs are joined along ``outputDimension``."""

    def __init__(self, input_dim, output_dim):
        super().__init__()
        self.input_dim, self.output_dim = input_dim, output_dim

    def forward(self, x):
        outs = [module(x.select(self.input_dim - 1, i)) for i, module in enumerate(self)]
        return torch.cat(outs, self.output_dim - 1)


class SelectTable(nn.Module):
    """``nn.SelectTable(index)``: one element; a negative index counts from the end."""

    def __init__(self, index):
        super().__init__()
        self.index = index

    def forward(self, xs):
        return xs[self.index - 1 if self.index > 0 else len(xs) + self.index]


class NarrowTable(nn.Module):
    """``nn.NarrowTable(offset, length)``: ``length`` elements from ``offset``."""

    def __init__(self, offset, length):
        super().__init__()
        self.offset, self.length = offset, length

    def forward(self, xs):
        return list(xs[self.offset - 1:self.offset - 1 + self.length])


class DepthConcat(nn.ModuleList):
    """``nn.DepthConcat(dim)``: Concat whose branch outputs may differ in the other dimensions;
    each sits in a zero-filled output of the largest sizes, starting at Lua's
    ``floor((largest - size) / 2) + 1`` (so an odd difference puts the extra zero after it)."""

    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        outs = [branch(x) for branch in self]
        join = self.dim - 1
        largest = [max(o.shape[d] for o in outs) for d in range(outs[0].dim())]
        return torch.cat([_centre(o, largest, join) for o in outs], join)


def _centre(x, largest, join):
    pads = []  # F.pad's order: last dimension first, (before, after) each
    for d in reversed(range(x.dim())):
        extra = 0 if d == join else largest[d] - x.shape[d]
        pads += [extra // 2, extra - extra // 2]
    return torch.nn.functional.pad(x, pads)


def flatten_table(value):
    """Depth-first list of the tensors in nested tables (FlattenTable's order)."""
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in flatten_table(item)]
    return [value]


class FlattenTable(nn.Module):
    """``nn.FlattenTable``: nested tables become one flat table."""

    def forward(self, xs):
        return flatten_table(xs)


class Reshape(nn.Module):
    """``nn.Reshape(sizes..., batchMode)``: with batchMode nil or true the first dimension is
    the batch (Torch7 also keeps a batch of one here, unlike View); false views the whole input."""

    def __init__(self, sizes, batch_mode):
        super().__init__()
        self.sizes, self.batch_mode = tuple(sizes), batch_mode

    def forward(self, x):
        if self.batch_mode is False:
            return x.reshape(self.sizes)
        return x.reshape(x.shape[0], *self.sizes)


def positive_dim(dim, ndim):
    """Lua dim (negative counts from the end) -> 0-based index."""
    return ndim + dim if dim < 0 else dim - 1


class Narrow(nn.Module):
    """``nn.Narrow(dimension, offset, length)``: a negative length stops |length| - 1 before
    the end (``size - offset + length + 2`` elements)."""

    def __init__(self, dim, offset, length):
        super().__init__()
        self.dim, self.offset, self.length = dim, offset, length

    def forward(self, x):
        dim = positive_dim(self.dim, x.dim())
        length = self.length
        if length < 0:
            length = x.shape[dim] - self.offset + length + 2
        return x.narrow(dim, self.offset - 1, length)


class Sum(nn.Module):
    """``nn.Sum(dimension, nInputDims, sizeAverage, squeeze)`` and ``nn.Mean``."""

    def __init__(self, dim, n_input_dims, size_average, squeeze):
        super().__init__()
        self.dim, self.n_input_dims = dim, n_input_dims
        self.size_average, self.squeeze = size_average, squeeze

    def forward(self, x):
        dim = self.dim
        if dim > 0 and self.n_input_dims is not None and x.dim() == self.n_input_dims + 1:
            dim += 1
        dim = positive_dim(dim, x.dim())
        out = x.mean(dim, keepdim=True) if self.size_average else x.sum(dim, keepdim=True)
        return out.squeeze(dim) if self.squeeze and out.dim() > 1 else out


class Squeeze(nn.Module):
    """``nn.Squeeze(dim, numInputDims)``. Without ``dim`` Torch7 also drops a batch of one
    unless numInputDims is set; we always keep the batch (NOTES.md, deviations)."""

    def __init__(self, dim, num_input_dims):
        super().__init__()
        self.dim, self.num_input_dims = dim, num_input_dims

    def forward(self, x):
        if self.dim is None:
            keep = [x.shape[0]] + [s for s in x.shape[1:] if s != 1]
            return x.reshape(keep)
        dim = self.dim
        if self.num_input_dims is not None and x.dim() == self.num_input_dims + 1:
            dim += 1
        return x.squeeze(dim - 1)


class Transpose(nn.Module):
    """``nn.Transpose({a, b}, ...)``: the swaps in order; with ``setNumInputDims(n)`` the dims
    count from the last n (Transpose.lua's offset ``input:nDimension() - n``)."""

    def __init__(self, pairs, num_input_dims):
        super().__init__()
        self.pairs, self.num_input_dims = [tuple(p) for p in pairs], num_input_dims

    def forward(self, x):
        shift = 0 if self.num_input_dims is None else x.dim() - self.num_input_dims
        for a, b in self.pairs:
            x = x.transpose(a - 1 + shift, b - 1 + shift)
        return x.contiguous()
