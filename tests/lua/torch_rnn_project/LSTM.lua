-- A sequence LSTM in torch-rnn's style (our own file): the whole N x T x D sequence per forward,
-- one (D + H) x 4H weight, gates i, f, o, g.
require 'torch'
require 'nn'

local layer, parent = torch.class('nn.LSTM', 'nn.Module')

function layer:__init(input_dim, hidden_dim)
  parent.__init(self)
  self.input_dim, self.hidden_dim = input_dim, hidden_dim
  self.weight = torch.Tensor(input_dim + hidden_dim, 4 * hidden_dim):normal(0, 0.1)
  self.bias = torch.Tensor(4 * hidden_dim):zero()
  self.remember_states = false
end

function layer:updateOutput(input)
  local N, T = input:size(1), input:size(2)
  local D, H = self.input_dim, self.hidden_dim
  local Wx, Wh = self.weight[{{1, D}}], self.weight[{{D + 1, D + H}}]
  self.output:resize(N, T, H):zero()
  for t = 1, T do
    local gates = torch.mm(input[{{}, t}], Wx)
    -- the gate arithmetic, step by step
  end
  return self.output
end
