-- A sequence GRU in the style of torch-rnn's later GRU.lua (our own file): weight (D + H) x 3H,
-- the gates u, r and the candidate over the whole sequence.
require 'torch'
require 'nn'

local layer, parent = torch.class('nn.GRU', 'nn.Module')

function layer:__init(input_dim, hidden_dim)
  parent.__init(self)
  self.input_dim, self.hidden_dim = input_dim, hidden_dim
  self.weight = torch.Tensor(input_dim + hidden_dim, 3 * hidden_dim):normal(0, 0.1)
  self.bias = torch.Tensor(3 * hidden_dim):normal(0, 0.1)
end

function layer:updateOutput(input)
  local N, T = input:size(1), input:size(2)
  self.output:resize(N, T, self.hidden_dim):zero()
  return self.output
end
