-- A tutorial-style script: globals for the sizes, a Gaussian normalisation kernel, L2 pooling,
-- and the first layer's filters shown when -visualize is set.
require 'torch'
require 'image'
require 'nn'

nstates = {8, 8}
kernel = image.gaussian1D(5)

model = nn.Sequential()
model:add(nn.SpatialConvolutionMM(3, nstates[1], 5, 5))          -- 3x16x16 -> 8x12x12
model:add(nn.Tanh())
model:add(nn.SpatialLPPooling(nstates[1], 2, 2, 2, 2, 2))        -- -> 8x6x6
model:add(nn.SpatialSubtractiveNormalization(nstates[1], kernel))
model:add(nn.SpatialConvolutionMM(nstates[1], nstates[2], 3, 3)) -- -> 8x4x4
model:add(nn.Reshape(nstates[2] * 4 * 4))
model:add(nn.Linear(nstates[2] * 4 * 4, 10))

if opt.visualize then
   image.display{image = model:get(1).weight, padding = 2, zoom = 4, legend = 'filters @ layer 1'}
end
