-- A plain tanh RNN in torch-rnn's style (our own file): weight (D + H) x H.
require 'torch'
require 'nn'

local layer, parent = torch.class('nn.VanillaRNN', 'nn.Module')

function layer:__init(input_dim, hidden_dim)
  parent.__init(self)
  self.input_dim, self.hidden_dim = input_dim, hidden_dim
  self.weight = torch.Tensor(input_dim + hidden_dim, hidden_dim):normal(0, 0.1)
  self.bias = torch.Tensor(hidden_dim):zero()
end

function layer:updateOutput(input)
  local N, T = input:size(1), input:size(2)
  self.output:resize(N, T, self.hidden_dim):zero()
  return self.output
end
