-- A small CIFAR network in the style of 2015 model files: batch normalisation built with 0
-- planes (torch/nn of 2015: no affine transform, planes taken from the first input).
require 'cunn'
require 'cudnn'
local Convolution = cudnn.SpatialConvolution
local Max = cudnn.SpatialMaxPooling

local features = nn.Sequential()
features:add(Convolution(3, 16, 5, 5, 1, 1, 2, 2))     -- 3x32x32 -> 16x32x32
features:add(cudnn.ReLU(true))
features:add(Max(2, 2, 2, 2))                           -- -> 16x16x16
features:add(nn.SpatialBatchNormalization(0))
features:add(Convolution(16, 32, 3, 3, 1, 1, 1, 1))     -- -> 32x16x16
features:add(nn.SpatialBatchNormalization(0, 1e-3))
features:add(Max(2, 2, 2, 2))                           -- -> 32x8x8

-- sized by a forward pass, as files of the time did
local nFeatures = features:forward(torch.zeros(1, 3, 32, 32)):nElement()

local classifier = nn.Sequential()
classifier:add(nn.View(nFeatures))
classifier:add(nn.Linear(nFeatures, 64))
classifier:add(nn.Threshold(0, 1e-6))
classifier:add(nn.BatchNormalization(0))
classifier:add(nn.Linear(64, nClasses))
classifier:add(nn.LogSoftMax())

for _, m in ipairs(features.modules) do
   if torch.type(m) == 'nn.SpatialBatchNormalization' then
      assert(m.weight == nil and m.bias == nil, 'no affine transform')
   end
end

return nn.Sequential():add(features):add(classifier)
