"""jcjohnson/torch-rnn's sequence modules: ``LSTM.lua``, ``VanillaRNN.lua``, ``TemporalAdapter.lua``.

Ports the forward of each: the whole sequence per forward, N x T x D in, N x T x H out (torch-rnn
is batch-first, as the port's sequence tensors are). LSTM.lua: weight (D + H) x 4H, its first D
rows Wx, the rest Wh; a = x Wx + h Wh + b read as 4 blocks of H: i, f, o (sigmoid), g (tanh);
c = f * c_prev + i * g, h = o * tanh(c). VanillaRNN.lua: weight (D + H) x H, h = tanh(x Wx +
h_prev Wh + b). Both start from zero states: torch-rnn's ``remember_states`` (set by
LanguageModel) carries the last states into the next forward, but ``sample.lua`` and
``LanguageModel:sample`` call ``resetStates()`` first, so one forward from zeros is what a loaded
checkpoint computes. TemporalAdapter.lua: its module over the N*T rows of N x T x A.
"""
import math

import torch
import torch.nn as nn


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


class TemporalAdapter(nn.ModuleList):
    """torch-rnn's ``nn.TemporalAdapter(module)``: N x T x A -> its module on N*T x A -> N x T x B."""

    def forward(self, x):
        n, t = x.shape[:2]
        out = self[0](x.reshape(n * t, *x.shape[2:]))
        return out.reshape(n, t, *out.shape[1:])
