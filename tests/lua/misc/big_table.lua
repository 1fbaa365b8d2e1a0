-- A demo-style convnet whose second stage connects each of 96 maps to 3 of the 8 before it, drawn
-- at random: a connection table of 288 rows.
require 'nnx'

model = nn.Sequential()
model:add(nn.SpatialConvolution(1, 8, 5, 5))                           -- 1x16x16 -> 8x12x12
model:add(nn.Tanh())
model:add(nn.SpatialMaxPooling(2, 2, 2, 2))                            -- -> 8x6x6
model:add(nn.SpatialConvolutionMap(nn.tables.random(8, 96, 3), 3, 3))  -- -> 96x4x4
model:add(nn.Tanh())
model:add(nn.Reshape(96 * 4 * 4))
model:add(nn.Linear(96 * 4 * 4, 10))
