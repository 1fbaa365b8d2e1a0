-- A character model in torch-rnn's style (our own file): embedding, three recurrent layers of the
-- project's own classes, a batch normalisation and the scores, each over all N*T steps.
require 'nn'
require 'LSTM'
require 'VanillaRNN'
require 'GRU'
require 'TemporalAdapter'

local V, D, H = 12, 5, 16

local net = nn.Sequential()
net:add(nn.LookupTable(V, D))
net:add(nn.LSTM(D, H))
net:add(nn.TemporalAdapter(nn.BatchNormalization(H)))
net:add(nn.Dropout(0.5))
net:add(nn.VanillaRNN(H, H))
net:add(nn.GRU(H, H))
net:add(nn.TemporalAdapter(nn.Linear(H, V)))

return net
