-- Runs a module made for N x A minibatches over N x T x A sequences (our own file, torch-rnn's idea).
require 'nn'

local layer, parent = torch.class('nn.TemporalAdapter', 'nn.Module')

function layer:__init(module)
  self.view_in = nn.View(1, -1):setNumInputDims(3)
  self.view_out = nn.View(1, -1):setNumInputDims(2)
  self.net = nn.Sequential():add(self.view_in):add(module):add(self.view_out)
end

function layer:updateOutput(input)
  local N, T = input:size(1), input:size(2)
  self.view_in:resetSize(N * T, -1)
  self.view_out:resetSize(N, T, -1)
  self.output = self.net:forward(input)
  return self.output
end
