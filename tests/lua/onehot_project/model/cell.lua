-- A stacked LSTM step in nngraph: inputs are the symbol ids, then (cell, hidden) of each layer;
-- outputs are (cell, hidden) of each layer, then the log-probabilities of the next symbol.
local cell = {}

local function gates(x, width, hidden, prev_c, prev_h, layer)
  local sums = nn.CAddTable()({nn.Linear(width, 4 * hidden)(x):annotate{name = 'in' .. layer},
                               nn.Linear(hidden, 4 * hidden)(prev_h)})
  local i, f, o, g = nn.SplitTable(2)(nn.Reshape(4, hidden)(sums)):split(4)
  local c = nn.CAddTable()({nn.CMulTable()({nn.Sigmoid()(f), prev_c}),
                            nn.CMulTable()({nn.Sigmoid()(i), nn.Tanh()(g)})})
  local h = nn.CMulTable()({nn.Sigmoid()(o), nn.Tanh()(c)})
  return c, h
end

function cell.build(symbols, hidden, layers)
  local ins, outs = {nn.Identity()()}, {}
  for l = 1, layers do
    ins[#ins + 1] = nn.Identity()()
    ins[#ins + 1] = nn.Identity()()
  end
  local x, width = Symbols(symbols)(ins[1]), symbols
  for l = 1, layers do
    local c, h = gates(x, width, hidden, ins[2 * l], ins[2 * l + 1], l)
    table.insert(outs, c)
    table.insert(outs, h)
    x, width = h, hidden
  end
  outs[#outs + 1] = nn.LogSoftMax()(nn.Linear(hidden, symbols)(x))
  return nn.gModule(ins, outs)
end

return cell
