-- rnn's nn.Recurrence around a step module of its own (our own file, the rnn examples' style): the
-- module gets {x[t], h[t-1]}, h[0] zeros.
require 'rnn'
local rm = nn.Sequential()
   :add(nn.ParallelTable()
      :add(nn.Linear(4, 6))
      :add(nn.Linear(6, 6)))
   :add(nn.CAddTable())
   :add(nn.Sigmoid())
return nn.Sequencer(nn.Recurrence(rm, 6, 1))
