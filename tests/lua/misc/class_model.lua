-- A model defined as a class, as language-model projects write it: the training script builds it
-- with a table of settings; its forward runs the network it built.
require 'torch'
require 'nn'
local utils = require 'class_utils'

local Tagger, parent = torch.class('nn.TinyTagger', 'nn.Module')

function Tagger:__init(kwargs)
  parent.__init(self)
  local V = utils.get_kwarg(kwargs, 'vocab_size')
  local D = utils.get_kwarg(kwargs, 'wordvec_size', 4)
  local C = utils.get_kwarg(kwargs, 'num_tags')
  self.net = nn.Sequential()
  self.net:add(nn.LookupTable(V, D))
  self.net:add(nn.TemporalConvolution(D, 2 * D, 3))
  self.net:add(nn.Tanh())
  self.net:add(nn.TemporalConvolution(2 * D, C, 1))
end

function Tagger:updateOutput(input)
  self.output = self.net:forward(input)
  return self.output
end

function Tagger:parameters()
  return self.net:parameters()
end
