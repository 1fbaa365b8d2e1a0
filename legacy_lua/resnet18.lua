-- ResNet-18 of fb.resnet.torch (models/resnet.lua, ImageNet, depth 18, shortcut type B) in the
-- imagenet-multiGPU.torch models/ convention: features, then a View/Linear/LogSoftMax classifier.
-- Written for enet-port from the facts in reference/torch7-facts.md; the init loop at the end
-- (ConvInit, BNInit, zero Linear bias) is fb.resnet.torch's and removes the convolution biases.
require 'nn'
require 'cudnn'

local Convolution = cudnn.SpatialConvolution
local Avg = cudnn.SpatialAveragePooling
local ReLU = cudnn.ReLU
local Max = nn.SpatialMaxPooling
local SBatchNorm = nn.SpatialBatchNormalization

function createModel(nGPU)
   local shortcutType = opt.shortcutType or 'B'
   local iChannels

   -- type B: a projection only where the number of planes changes
   local function shortcut(nInputPlane, nOutputPlane, stride)
      if shortcutType == 'C' or (shortcutType == 'B' and nInputPlane ~= nOutputPlane) then
         return nn.Sequential()
            :add(Convolution(nInputPlane, nOutputPlane, 1, 1, stride, stride))
            :add(SBatchNorm(nOutputPlane))
      end
      return nn.Identity()
   end

   local function basicblock(n, stride)
      local nInputPlane = iChannels
      iChannels = n

      local s = nn.Sequential()
      s:add(Convolution(nInputPlane,n,3,3,stride,stride,1,1))
      s:add(SBatchNorm(n))
      s:add(ReLU(true))
      s:add(Convolution(n,n,3,3,1,1,1,1))
      s:add(SBatchNorm(n))

      return nn.Sequential()
         :add(nn.ConcatTable()
            :add(s)
            :add(shortcut(nInputPlane, n, stride)))
         :add(nn.CAddTable(true))
         :add(ReLU(true))
   end

   local function layer(block, features, count, stride)
      local s = nn.Sequential()
      for i = 1, count do
         s:add(block(features, i == 1 and stride or 1))
      end
      return s
   end

   local features = nn.Sequential()
   iChannels = 64
   features:add(Convolution(3,64,7,7,2,2,3,3))
   features:add(SBatchNorm(64))
   features:add(ReLU(true))
   features:add(Max(3,3,2,2,1,1))
   features:add(layer(basicblock, 64, 2))
   features:add(layer(basicblock, 128, 2, 2))
   features:add(layer(basicblock, 256, 2, 2))
   features:add(layer(basicblock, 512, 2, 2))
   features:add(Avg(7, 7, 1, 1))

   local classifier = nn.Sequential()
   classifier:add(nn.View(512))
   classifier:add(nn.Linear(512, nClasses))
   classifier:add(nn.LogSoftMax())

   local model = nn.Sequential():add(features):add(classifier)

   for _, name in ipairs({'cudnn.SpatialConvolution', 'nn.SpatialConvolution'}) do
      for _, v in pairs(model:findModules(name)) do
         local n = v.kW * v.kH * v.nOutputPlane
         v.weight:normal(0, math.sqrt(2 / n))
         if cudnn.version >= 4000 then
            v.bias = nil
            v.gradBias = nil
         else
            v.bias:zero()
         end
      end
   end
   for _, v in pairs(model:findModules('nn.SpatialBatchNormalization')) do
      v.weight:fill(1)
      v.bias:zero()
   end
   for _, v in pairs(model:findModules('nn.Linear')) do
      v.bias:zero()
   end

   model:cuda()
   model.imageSize = 256
   model.imageCrop = 224
   return model
end
