-- A sequence labeller in the rnn package's style: GRU and LSTM step modules in Sequencers
-- over a table of steps, then a SeqLSTM and a SeqGRU over the joined sequence (our own file, for the tests).
require 'rnn'

local inputSize, hiddenSize, nClass = 6, 8, 4

local model = nn.Sequential()
model:add(nn.SplitTable(1, 2))
model:add(nn.Sequencer(nn.GRU(inputSize, hiddenSize)))
model:add(nn.Sequencer(nn.LSTM(hiddenSize, hiddenSize, 9999, false)))
model:add(nn.Sequencer(nn.LSTM(hiddenSize, hiddenSize)))
model:add(nn.JoinTable(1, 1))
model:add(nn.View(-1, hiddenSize):setNumInputDims(1))
model:add(nn.SeqLSTM(hiddenSize, hiddenSize))
model:add(nn.SeqGRU(hiddenSize, nClass))

return model
