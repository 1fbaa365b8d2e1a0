-- A word-level tagger in the rnn package's style: word indices -> embeddings -> an LSTM per step
-- -> tag scores per step.
require 'rnn'

local vocab, embed, hidden, tags = 50, 6, 8, 4
model = nn.Sequential()
model:add(nn.LookupTable(vocab, embed))
model:add(nn.Sequencer(nn.Sequential()
   :add(nn.FastLSTM(embed, hidden))
   :add(nn.Linear(hidden, tags))
   :add(nn.LogSoftMax())))
