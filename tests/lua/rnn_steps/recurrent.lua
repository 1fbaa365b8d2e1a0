-- A simple recurrent network in the rnn package's example style (our own file): nn.Recurrent's
-- start size, input and feedback layers and transfer, a Recursor-free Sequencer over the steps.
require 'rnn'

local nIndex, hiddenSize, rho = 10, 6, 5

local r = nn.Recurrent(
   hiddenSize, nn.LookupTable(nIndex, hiddenSize),
   nn.Linear(hiddenSize, hiddenSize), nn.Sigmoid(),
   rho
)

local rnn = nn.Sequential()
   :add(r)
   :add(nn.Linear(hiddenSize, nIndex))
   :add(nn.LogSoftMax())

return nn.Sequencer(rnn)
