require 'nn'
local model = nn.Sequential()
model:add(nn.SpatialConvolution(3, 8, 3, 3))
model:add(nn.SpatialFractionalMaxPooling(2, 2, 0.5, 0.5))
return model
