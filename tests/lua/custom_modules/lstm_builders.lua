-- A char-rnn-style file: returns a table of builders; LSTM.lstm(input_size, rnn_size, n, dropout)
-- builds an nngraph cell taking x and (prev_c, prev_h) per layer.
require 'nn'
require 'nngraph'

local LSTM = {}

function LSTM.gates(sums, rnn_size)
  local function gate(k) return nn.Narrow(2, (k - 1) * rnn_size + 1, rnn_size)(sums) end
  return nn.Sigmoid()(gate(1)), nn.Sigmoid()(gate(2)), nn.Sigmoid()(gate(3)), nn.Tanh()(gate(4))
end

function LSTM.lstm(input_size, rnn_size, n, dropout)
  dropout = dropout or 0
  local inputs = {nn.Identity()()}
  for _ = 1, n do
    table.insert(inputs, nn.Identity()())
    table.insert(inputs, nn.Identity()())
  end
  local x, outputs = inputs[1], {}
  for L = 1, n do
    local prev_c, prev_h = inputs[2 * L], inputs[2 * L + 1]
    local size = L == 1 and input_size or rnn_size
    if L > 1 then x = outputs[#outputs] end
    if L > 1 and dropout > 0 then x = nn.Dropout(dropout)(x) end
    local sums = nn.CAddTable()({nn.Linear(size, 4 * rnn_size)(x), nn.Linear(rnn_size, 4 * rnn_size)(prev_h)})
    local in_gate, forget_gate, out_gate, in_transform = LSTM.gates(sums, rnn_size)
    local next_c = nn.CAddTable()({nn.CMulTable()({forget_gate, prev_c}), nn.CMulTable()({in_gate, in_transform})})
    local next_h = nn.CMulTable()({out_gate, nn.Tanh()(next_c)})
    table.insert(outputs, next_c)
    table.insert(outputs, next_h)
  end
  local proj = nn.Linear(rnn_size, input_size)(outputs[#outputs])
  table.insert(outputs, nn.LogSoftMax()(proj))
  return nn.gModule(inputs, outputs)
end

return LSTM
