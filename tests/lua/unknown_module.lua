require 'nn'
local model = nn.Sequential()
model:add(nn.SpatialConvolution(3, 8, 3, 3))
model:add(nn.TemporalRowConvolution(8, 3))
return model
