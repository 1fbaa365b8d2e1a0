"""jcjohnson/torch-rnn's sequence modules: ``LSTM.lua``, ``VanillaRNN.lua``, ``GRU.lua``, ``TemporalAdapter.lua``
(and rnn's ``SeqLSTM.lua``, adapted from torch-rnn's LSTM); the rnn package's step modules
``GRU.lua`` and ``LSTM.lua``.

Ports the forward of each: the whole sequence per forward, N x T x D in, N x T x H out (torch-rnn
is batch-first, as the port's sequence tensors are). LSTM.lua: weight (D + H) x 4H, its first D
rows Wx, the rest Wh; a = x Wx + h Wh + b read as 4 blocks of H: i, f, o (sigmoid), g (tanh);
c = f * c_prev + i * g, h = o * tanh(c). VanillaRNN.lua: weight (D + H) x H, h = tanh(x Wx +
h_prev Wh + b). Both start from zero states: torch-rnn's ``remember_states`` (set by
LanguageModel) carries the last states into the next forward, but ``sample.lua`` and
``LanguageModel:sample`` call ``resetStates()`` first, so one forward from zeros is what a loaded
checkpoint computes. TemporalAdapter.lua: its module over the N*T rows of N x T x A.

rnn's GRU.lua (``buildModel``, p = 0): i2g = Linear(in, 2 out), o2g = LinearNoBias(out, 2 out);
their sum read as 2 x out gives r and z (sigmoid); h~ = tanh(Linear(in, out)(x) +
LinearNoBias(out, out)(r * s)); s' = (1 - z) * h~ + z * s. rnn's LSTM.lua (``buildGate``,
``buildHidden``, ``buildModel``): input, forget and output gates are each sigmoid(Linear(in,
out)(x) + LinearNoBias(out, out)(h) + CMul(out)(c)), the input and forget gates with the
previous cell c, the output gate with the new one (the peephole connections; ``cell2gate``
false leaves the CMul out); hidden = tanh(Linear(x) + LinearNoBias(h)); c' = f * c + i * hidden,
h' = o * tanh(c'). Both are step modules (AbstractRecurrent): one step per forward from zeros.
"""
import math

import torch
import torch.nn as nn

from .layers_rnn import StepModule


class _Sequence(nn.Module):
    """The weight and bias of torch-rnn's ``__init``/``reset``: weight ~ N(0, 1/sqrt(D + H))."""

    def __init__(self, input_dim, hidden_dim, gates):
        super().__init__()
        self.input_dim, self.hidden_dim = input_dim, hidden_dim
        std = 1 / math.sqrt(input_dim + hidden_dim)
        self.weight = nn.Parameter(torch.empty(input_dim + hidden_dim, gates * hidden_dim).normal_(0, std))
        self.bias = nn.Parameter(torch.zeros(gates * hidden_dim))

    def _split(self):
        return self.weight[:self.input_dim], self.weight[self.input_dim:]


class LSTM(_Sequence):
    """torch-rnn's ``nn.LSTM(input_dim, hidden_dim)``; its ``reset`` sets the forget-gate bias to 1."""

    def __init__(self, input_dim, hidden_dim):
        super().__init__(input_dim, hidden_dim, 4)
        with torch.no_grad():
            self.bias[hidden_dim:2 * hidden_dim] = 1

    def forward(self, x):
        wx, wh = self._split()
        n, hidden = x.shape[0], self.hidden_dim
        h = c = x.new_zeros(n, hidden)
        ax = x @ wx + self.bias  # all steps' input part at once, as LSTM.lua's one addmm
        outs = []
        for t in range(x.shape[1]):
            a = ax[:, t] + h @ wh
            i, f, o = torch.sigmoid(a[:, :3 * hidden]).split(hidden, 1)
            c = f * c + i * torch.tanh(a[:, 3 * hidden:])
            h = o * torch.tanh(c)
            outs.append(h)
        return torch.stack(outs, 1)


class VanillaRNN(_Sequence):
    """torch-rnn's ``nn.VanillaRNN(input_dim, hidden_dim)``."""

    def __init__(self, input_dim, hidden_dim):
        super().__init__(input_dim, hidden_dim, 1)

    def forward(self, x):
        wx, wh = self._split()
        h = x.new_zeros(x.shape[0], self.hidden_dim)
        outs = []
        for t in range(x.shape[1]):
            h = torch.tanh(x[:, t] @ wx + self.bias + h @ wh)
            outs.append(h)
        return torch.stack(outs, 1)


class SequenceGRU(_Sequence):
    """torch-rnn's ``nn.GRU(input_dim, hidden_dim)`` (its GRU.lua): weight (D + H) x 3H, bias 3H
    (``reset``: both N(0, 1/sqrt(D + H))); a = x Wx + b; u, r = sigmoid(a[:2H] + h Wh[:, :2H]);
    hc = tanh(a[2H:] + (r * h) Wh[:, 2H:]); h' = (1 - u) * h + u * hc, from zeros. ``seq_gru``:
    rnn's SeqGRU.lua, the same layout with the gates the other way round (r first, then u) and
    h' = (1 - u) * hc + u * h; its reset zeroes the bias but for 1s in the second block."""

    def __init__(self, input_dim, hidden_dim, seq_gru=False):
        super().__init__(input_dim, hidden_dim, 3)
        self.seq_gru = seq_gru
        with torch.no_grad():
            if seq_gru:
                self.bias[hidden_dim:2 * hidden_dim] = 1
            else:
                self.bias.normal_(0, 1 / math.sqrt(input_dim + hidden_dim))

    def forward(self, x):
        wx, wh = self._split()
        hidden = self.hidden_dim
        h = x.new_zeros(x.shape[0], hidden)
        ax = x @ wx + self.bias
        outs = []
        for t in range(x.shape[1]):
            u, r = torch.sigmoid(ax[:, t, :2 * hidden] + h @ wh[:, :2 * hidden]).split(hidden, 1)
            if self.seq_gru:  # SeqGRU.lua reads the first block as r and keeps u of the old state
                u, r = r, u
            hc = torch.tanh(ax[:, t, 2 * hidden:] + (r * h) @ wh[:, 2 * hidden:])
            h = (1 - u) * hc + u * h if self.seq_gru else (1 - u) * h + u * hc
            outs.append(h)
        return torch.stack(outs, 1)


class TemporalAdapter(nn.ModuleList):
    """torch-rnn's ``nn.TemporalAdapter(module)``: N x T x A -> its module on N*T x A -> N x T x B."""

    def forward(self, x):
        n, t = x.shape[:2]
        out = self[0](x.reshape(n * t, *x.shape[2:]))
        return out.reshape(n, t, *out.shape[1:])


def _uniform(rows, cols, fan_in):
    """Linear's ``reset()``: U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    bound = 1 / math.sqrt(fan_in)
    return nn.Parameter(torch.empty(*((rows, cols) if cols else (rows,))).uniform_(-bound, bound))


class GRU(StepModule):
    """rnn's ``nn.GRU(inputSize, outputSize)`` (p = 0)."""

    def __init__(self, input_size, output_size):
        super().__init__()
        self.output_size = output_size
        self.i2g_weight, self.i2g_bias = _uniform(2 * output_size, input_size, input_size), \
            _uniform(2 * output_size, 0, input_size)
        self.o2g_weight = _uniform(2 * output_size, output_size, output_size)
        self.i2h_weight, self.i2h_bias = _uniform(output_size, input_size, input_size), \
            _uniform(output_size, 0, input_size)
        self.o2h_weight = _uniform(output_size, output_size, output_size)
        self.forget()

    def forward(self, x):
        s = self.state if self.state is not None else x.new_zeros(x.shape[0], self.output_size)
        gates = torch.sigmoid(x @ self.i2g_weight.t() + self.i2g_bias + s @ self.o2g_weight.t())
        r, z = gates.split(self.output_size, 1)
        hidden = torch.tanh(x @ self.i2h_weight.t() + self.i2h_bias + (r * s) @ self.o2h_weight.t())
        self.state = (1 - z) * hidden + z * s
        return self.state


class PeepholeLSTM(StepModule):
    """rnn's ``nn.LSTM(inputSize, outputSize, rho, cell2gate)``: its four Linear and four
    LinearNoBias kept as one 4*out block each, in the order input gate, forget gate, hidden,
    output gate; ``c2g_weight`` the three CMul peepholes (input, forget, output gate)."""

    def __init__(self, input_size, output_size, cell2gate=True):
        super().__init__()
        self.output_size = output_size
        self.i2g_weight, self.i2g_bias = _uniform(4 * output_size, input_size, input_size), \
            _uniform(4 * output_size, 0, input_size)
        self.o2g_weight = _uniform(4 * output_size, output_size, output_size)
        # CMul's reset(): U(-1/sqrt(n), 1/sqrt(n)) of its n = out elements
        self.c2g_weight = _uniform(3 * output_size, 0, output_size) if cell2gate else None
        self.forget()

    def forward(self, x):
        zeros = x.new_zeros(x.shape[0], self.output_size)
        h, c = self.state if self.state is not None else (zeros, zeros)
        a = (x @ self.i2g_weight.t() + self.i2g_bias + h @ self.o2g_weight.t()).split(self.output_size, 1)
        peep = self.c2g_weight.split(self.output_size) if self.c2g_weight is not None else (0, 0, 0)
        i, f = torch.sigmoid(a[0] + peep[0] * c), torch.sigmoid(a[1] + peep[1] * c)
        c = f * c + i * torch.tanh(a[2])
        h = torch.sigmoid(a[3] + peep[2] * c) * torch.tanh(c)
        self.state = (h, c)
        return h


class Recurrent(StepModule, nn.ModuleList):
    """rnn's ``nn.Recurrent(start, input, feedback, transfer, rho, merge)`` (Recurrent.lua): its
    children start, input, feedback, transfer, merge (its ``modules`` order). The first step is
    transfer(start(input(x))), each later one transfer(merge{input(x), feedback(h)})."""

    def __init__(self):
        super().__init__()
        self.forget()

    def forward(self, x):
        start, inp, feedback, transfer, merge = self
        if self.state is None:
            out = transfer(start(inp(x)))
        else:
            out = transfer(merge([inp(x), feedback(self.state)]))
        self.state = out
        return out


class Recurrence(StepModule, nn.ModuleList):
    """rnn's ``nn.Recurrence(recurrentModule, outputSize, nInputDim)`` (Recurrence.lua): each step
    its module on {x, previous output}, the first previous output zeros of outputSize."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size
        self.forget()

    def forward(self, x):
        prev = self.state if self.state is not None else x.new_zeros(x.shape[0], self.output_size)
        self.state = self[0]([x, prev])
        return self.state
