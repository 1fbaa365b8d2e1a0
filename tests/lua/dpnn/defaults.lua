-- dpnn's nn.Inception with its defaults (kernels {5, 3}, strides {1, 1}, a 3x3 stride-1 max
-- pooling, ReLU transfer, padding, no batch normalisation), and one with every option given.
-- Written for enet-port's tests.
require 'nn'
require 'dpnn'

local net = nn.Sequential()
net:add(nn.Inception{inputSize = 3, outputSize = {4, 6}, reduceSize = {2, 3, 5, 7}})
net:add(nn.Decorator(nn.Inception{
   inputSize = 22,
   outputSize = {8},
   reduceSize = {6, 4, 2},
   reduceStride = {2, 1, 2},
   kernelSize = {3},
   kernelStride = {1},
   transfer = nn.Tanh(),
   padding = false,
   poolSize = 2,
   poolStride = 2
}))
return net
