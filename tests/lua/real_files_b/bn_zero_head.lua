-- A 2015-style head: the class scores are normalised by a BatchNormalization(0), whose planes
-- are then the class count.
require 'nn'
local model = nn.Sequential()
model:add(nn.View(3 * 4 * 4))
model:add(nn.Linear(3 * 4 * 4, nClasses))
model:add(nn.BatchNormalization(0))
model:add(nn.LogSoftMax())
return model
