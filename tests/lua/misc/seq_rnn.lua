-- An rnn-package example: a stack of LSTMs over each step of a sequence, a classifier per step.
require 'rnn'

local inputSize, hiddenSize, nClass = 6, 8, 4
local step = nn.Sequential()
   :add(nn.FastLSTM(inputSize, hiddenSize))
   :add(nn.FastLSTM(hiddenSize, hiddenSize))
   :add(nn.Linear(hiddenSize, nClass))
   :add(nn.LogSoftMax())
model = nn.Sequencer(step)
