-- A small cuda-convnet2 stack for a 3x64x64 input: a strided convolution whose last filter
-- positions run past the image, grouped convolutions, max and average pooling whose last windows
-- are cut at the edge, and cross-map normalizations (odd, even and blocked windows).
require 'nn'
require 'ccn2'

local net = nn.Sequential()
net:add(nn.Transpose({1,4},{1,3},{1,2}))
net:add(ccn2.SpatialConvolution(3, 32, 11, 4))               -- 64 -> 15
net:add(nn.ReLU())
net:add(ccn2.SpatialCrossResponseNormalization(5, 0.01, 0.75))
net:add(ccn2.SpatialMaxPooling(2))                             -- 15 -> 8
net:add(ccn2.SpatialConvolution(32, 64, 3, 2, 1, 2))           -- 8 -> 5, two groups
net:add(nn.Tanh())
net:add(ccn2.SpatialCrossResponseNormalization(4, 0.02, 0.5, 2))
net:add(ccn2.SpatialAvgPooling(3))                             -- 5 -> 2
net:add(ccn2.SpatialCrossResponseNormalization(8, 0.05, 0.6, 1, true))
net:add(nn.Transpose({4,1},{4,2},{4,3}))
net:add(nn.View(64 * 2 * 2))
net:add(nn.Linear(64 * 2 * 2, 10))
return net
