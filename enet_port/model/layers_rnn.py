"""The ``rnn`` package's modules (Element-Research/rnn): ``Sequencer``, ``Recursor``,
``FastLSTM``, ``MaskZero``; and torch/nn's ``LookupTable``, the word embedding such models start with.

Ports the forward semantics of ``FastLSTM.lua`` (``buildModel``: i2g = Linear(inputSize,
4*outputSize), o2g = LinearNoBias(outputSize, 4*outputSize); their sum, read as 4 x outputSize,
gives the input gate (sigmoid), the hidden candidate (tanh), the forget gate (sigmoid) and the
output gate (sigmoid); c = i*g + f*c_prev, h = o*tanh(c); the first step starts from zeros),
``AbstractRecurrent.lua`` (each forward is one time step; ``forget()`` goes back to the start),
``Sequencer.lua`` (its module once per element of a sequence, forgetting first unless told to
remember), ``Recursor.lua`` (its module as a step module) and ``MaskZero.lua`` (the output rows
of the samples whose input is all zeros are zeroed). A sequence tensor is batch-first here:
N x T x ... (rnn's Sequencer takes T x N x ...); a table of T tensors of N x ... works as in rnn.
``LookupTable.lua``: row i of the nIndex x nOutput weight for index i, counted from 1 as in Lua.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class StepModule(nn.Module):
    """An rnn ``AbstractRecurrent``: one time step per forward, its state kept between forwards
    until :meth:`forget` (FastLSTM here; GRU and LSTM in layers_recurrent.py)."""

    def forget(self):
        self.state = None


class FastLSTM(StepModule):
    """``nn.FastLSTM(inputSize, outputSize)``: one time step per forward; the state is kept
    between forwards until :meth:`forget`, as in rnn."""

    def __init__(self, input_size, output_size):
        super().__init__()
        self.output_size = output_size
        bound_i, bound_o = 1 / math.sqrt(input_size), 1 / math.sqrt(output_size)  # Linear's reset()
        self.i2g_weight = nn.Parameter(torch.empty(4 * output_size, input_size).uniform_(-bound_i, bound_i))
        self.i2g_bias = nn.Parameter(torch.empty(4 * output_size).uniform_(-bound_i, bound_i))
        self.o2g_weight = nn.Parameter(torch.empty(4 * output_size, output_size).uniform_(-bound_o, bound_o))
        self.forget()

    def forward(self, x):
        if self.state is None:
            zeros = x.new_zeros(x.shape[0], self.output_size)
            self.state = (zeros, zeros)
        h, c = self.state
        gates = x @ self.i2g_weight.t() + self.i2g_bias + h @ self.o2g_weight.t()
        i, g, f, o = gates.view(x.shape[0], 4, self.output_size).unbind(1)
        c = torch.sigmoid(i) * torch.tanh(g) + torch.sigmoid(f) * c
        h = torch.sigmoid(o) * torch.tanh(c)
        self.state = (h, c)
        return h


def forget(module):
    """``AbstractRecurrent:forget()`` of every recurrent module inside ``module``."""
    for m in module.modules():
        if isinstance(m, StepModule):
            m.forget()


class Recursor(nn.ModuleList):
    """``nn.Recursor(module)``: its module, one time step per forward."""

    def forward(self, x):
        return self[0](x)


class Sequencer(nn.ModuleList):
    """``nn.Sequencer(module)``: its module over the time dimension (dim 1 of N x T x ...), or
    over a table of steps; rnn's default ``remember('neither')`` forgets before each sequence."""

    def forward(self, x):
        forget(self)
        steps = x if isinstance(x, (list, tuple)) else x.unbind(1)
        outs = [self[0](step) for step in steps]
        return outs if isinstance(x, (list, tuple)) else torch.stack(outs, 1)


def _mask(value, zero_rows):
    if isinstance(value, (list, tuple)):
        return [_mask(v, zero_rows) for v in value]
    return value * (~zero_rows).to(value.dtype).view(-1, *[1] * (value.dim() - 1))


def _first_tensor(value):
    return _first_tensor(value[0]) if isinstance(value, (list, tuple)) else value


class MaskZero(nn.ModuleList):
    """``nn.MaskZero(module, nInputDim)``: samples whose (first) input is all zeros get zeros."""

    def forward(self, x):
        first = _first_tensor(x)
        zero_rows = first.reshape(first.shape[0], -1).norm(dim=1) == 0
        return _mask(self[0](x), zero_rows)


class OneHot(nn.Module):
    """dpnn's ``OneHot.lua`` (from char-rnn's ``util/OneHot.lua``): 1-based class indices ->
    one-hot rows of ``output_size``, the output the input's sizes plus one (``scatter`` along the
    new last dimension). An index outside 1..n fails, as Torch7's scatter and index do; the input
    gets no gradient (updateGradInput gives zeros)."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        index = x.detach().long()
        # no values to check on meta tensors (sizes only) or while torch.export traces
        if x.device.type != "meta" and not torch.compiler.is_compiling() and (
                not torch.equal(index.to(x.dtype), x.detach())
                or index.numel() and (index.min() < 1 or index.max() > self.output_size)):
            raise ValueError(f"nn.OneHot({self.output_size}): the input must hold whole indices 1..{self.output_size}")
        return nn.functional.one_hot(index - 1, self.output_size).to(torch.get_default_dtype())


class LookupTable(nn.Module):
    """``nn.LookupTable(nIndex, nOutput, paddingValue, maxNorm, normType)``: indices (counted from
    1, Torch7's; any dtype, read as whole numbers) -> their weight rows. No gradient reaches the
    row of ``paddingValue`` (0: none); ``maxNorm`` renormalises the rows read, in place, as
    LookupTable:renorm does before each forward (the p-norm of ``normType``, 2 when nil)."""

    def __init__(self, n_index, n_output, padding_value=0, max_norm=None, norm_type=None):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_index, n_output).normal_(0, 1))  # LookupTable:reset()
        self.padding = padding_value - 1 if padding_value else None
        self.max_norm, self.norm_type = max_norm, norm_type or 2

    def forward(self, x):
        return F.embedding(x.long() - 1, self.weight, self.padding, self.max_norm, self.norm_type)


class LookupTableMaskZero(LookupTable):
    """rnn's ``nn.LookupTableMaskZero(nIndex, nOutput)`` (LookupTableMaskZero.lua): a LookupTable of
    nIndex + 1 rows read at index + 1, whose first row is zeroed before each forward, so index 0
    (padding) gives zeros. Here the rows read for index 0 are masked instead of the weight being
    written in place (the same output, and row 1 gets no gradient either way)."""

    def __init__(self, n_index, n_output):
        super().__init__(n_index + 1, n_output)

    def forward(self, x):
        index = x.long()
        return F.embedding(index, self.weight) * (index != 0).unsqueeze(-1).to(self.weight.dtype)
