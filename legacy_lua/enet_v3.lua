-- ENet V3 (also V6, which trains the same model with another LR rule) as an ImageNet classifier, in the imagenet-multiGPU.torch models/ convention.
-- Written for enet-port from the "Training ENet on ImageNet" post and the facts of ENet's
-- encoder.lua bottleneck (seed, second listing). `enet-port diff specs/v3.json legacy_lua/enet_v3.lua` proves the spec is this file.
require 'nn'
require 'cudnn'
local _ = require 'moses'

-- every bottleneck built by this file shares one counter, as in ENet: the first five drop 1%
-- of their channels, all later ones 10%
local ct = 0

local function _bottleneck(internal_scale, use_relu, asymetric, dilated, input, output, downsample)
   local internal = output / internal_scale
   local stride = downsample and 2 or 1

   local main = nn.Sequential()
   main:add(cudnn.SpatialConvolution(input, internal, stride, stride, stride, stride, 0, 0):noBias())
   main:add(nn.SpatialBatchNormalization(internal, 1e-3))
   if use_relu then main:add(nn.PReLU(internal)) end
   if asymetric then
      local pad = (asymetric - 1) / 2
      main:add(cudnn.SpatialConvolution(internal, internal, asymetric, 1, 1, 1, pad, 0):noBias())
      main:add(cudnn.SpatialConvolution(internal, internal, 1, asymetric, 1, 1, 0, pad))
   elseif dilated then
      main:add(nn.SpatialDilatedConvolution(internal, internal, 3, 3, 1, 1, dilated, dilated, dilated, dilated))
   else
      main:add(cudnn.SpatialConvolution(internal, internal, 3, 3, 1, 1, 1, 1))
   end
   main:add(nn.SpatialBatchNormalization(internal, 1e-3))
   if use_relu then main:add(nn.PReLU(internal)) end
   main:add(cudnn.SpatialConvolution(internal, output, 1, 1, 1, 1, 0, 0):noBias())
   main:add(nn.SpatialBatchNormalization(output, 1e-3))
   main:add(nn.SpatialDropout(ct < 5 and 0.01 or 0.1))
   ct = ct + 1
   local shortcut = nn.Sequential()
   shortcut:add(nn.Identity())
   if downsample then shortcut:add(nn.SpatialMaxPooling(2, 2, 2, 2)) end
   if input ~= output then shortcut:add(nn.Padding(1, output - input, 3)) end

   local branches = nn.ConcatTable():add(main):add(shortcut)
   return nn.Sequential():add(branches):add(nn.CAddTable()):add(nn.PReLU(output))
end

local bottleneck = _.bindn(_bottleneck, 4, true, false, false)
local cbottleneck = _.bindn(_bottleneck, 4, true, false, false)
local ibottleneck = _.bindn(_bottleneck, 1, true, false, false)
local wbottleneck = _.bindn(_bottleneck, 4, true, 5, false)
local xbottleneck = _.bindn(_bottleneck, 4, true, 7, false)
local dbottleneck = _.bindn(_bottleneck, 4, true, false, 2)
local xdbottleneck = _.bindn(_bottleneck, 4, true, false, 4)
local xxdbottleneck = _.bindn(_bottleneck, 4, true, false, 8)
local xxxdbottleneck = _.bindn(_bottleneck, 4, true, false, 16)
local xxxxdbottleneck = _.bindn(_bottleneck, 4, true, false, 32)

function createModel(nGPU)
   local features = nn.Sequential()

   local initial_block = nn.ConcatTable(2)
   initial_block:add(cudnn.SpatialConvolution(3, 13, 3, 3, 2, 2, 1, 1))
   initial_block:add(cudnn.SpatialMaxPooling(2, 2, 2, 2))

   features:add(initial_block) -- size of 112x112
   features:add(nn.JoinTable(2)) -- can't use Concat, because SpatialConvolution needs contiguous gradOutput
   features:add(nn.SpatialBatchNormalization(16, 1e-3))
   features:add(nn.PReLU(16))
   features:add(bottleneck(16, 64, true)) -- size of 56x56
   for i = 1,4 do
      features:add(bottleneck(64, 64))
   end
   features:add(bottleneck(64, 128, true)) -- size of 28x28

   -- pass 1:
   features:add(cbottleneck(128, 128))
   features:add(dbottleneck(128, 128))
   features:add(wbottleneck(128, 128))
   features:add(xdbottleneck(128, 128))
   features:add(cbottleneck(128, 128))
   features:add(xxdbottleneck(128, 128))
   features:add(wbottleneck(128, 128))
   features:add(xxxdbottleneck(128, 256))
   features:add(bottleneck(256, 256, true)) -- size of 14x14

   -- pass 2:
   features:add(cbottleneck(256, 256))
   features:add(dbottleneck(256, 256))
   features:add(wbottleneck(256, 256))
   features:add(xdbottleneck(256, 256))
   features:add(cbottleneck(256, 256))
   features:add(xxdbottleneck(256, 256))
   features:add(wbottleneck(256, 256))
   features:add(xxxdbottleneck(256, 512))
   features:add(bottleneck(512, 512, true)) -- size of 7x7

   features:add(cudnn.SpatialAveragePooling(7, 7, 1, 1, 0, 0)) -- global average pooling 1x1
   features:cuda()
   features = makeDataParallel(features, nGPU) -- defined in util.lua

   local classifier = nn.Sequential()
   classifier:add(nn.View(512))
   classifier:add(nn.Linear(512, nClasses))
   classifier:add(nn.LogSoftMax())
   classifier:cuda()

   local model = nn.Sequential():add(features):add(classifier)
   model.imageSize = 256
   model.imageCrop = 224
   return model
end
