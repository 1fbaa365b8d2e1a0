-- A GRU-style cell in nngraph (as in the Karpathy/char-rnn family's GRU.lua): x and prev_h in,
-- next_h out; two inputs of different sizes, so each --input must reach its own graph input.
require 'nn'
require 'nngraph'

local function gru(input_size, rnn_size)
  local x, prev_h = nn.Identity()(), nn.Identity()()
  local function sum(xv, hv) return nn.CAddTable()({nn.Linear(input_size, rnn_size)(xv), nn.Linear(rnn_size, rnn_size)(hv)}) end
  local update_gate = nn.Sigmoid()(sum(x, prev_h))
  local reset_gate = nn.Sigmoid()(sum(x, prev_h))
  local gated_hidden = nn.CMulTable()({reset_gate, prev_h})
  local hidden_candidate = nn.Tanh()(sum(x, gated_hidden))
  local zh = nn.CMulTable()({update_gate, hidden_candidate})
  local zhm1 = nn.CMulTable()({nn.AddConstant(1)(nn.MulConstant(-1)(update_gate)), prev_h})
  local next_h = nn.CAddTable()({zh, zhm1})
  return nn.gModule({x, prev_h}, {next_h})
end

return gru(opt and opt.input_size or 10, opt and opt.rnn_size or 6)
