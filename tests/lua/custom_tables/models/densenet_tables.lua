-- A DenseNet-BC for ImageNet in the memory-efficient style (optMemory 3/4: the layers pass Lua
-- tables; optMemory below 3: plain Sequential layers concatenated by nn.Concat). opt.stages
-- (default {6, 12, 24, 16}: DenseNet-BC-121), opt.growthRate, opt.reduction, opt.bottleneck.
require 'nn'
require 'cudnn'
require 'models/dense_table_layer'

local function plainLayer(nChannels, opt)
   local branch = nn.Sequential()
   branch:add(cudnn.SpatialBatchNormalization(nChannels))
   branch:add(cudnn.ReLU(true))
   branch:add(cudnn.SpatialConvolution(nChannels, 4 * opt.growthRate, 1, 1, 1, 1, 0, 0))
   branch:add(cudnn.SpatialBatchNormalization(4 * opt.growthRate))
   branch:add(cudnn.ReLU(true))
   branch:add(cudnn.SpatialConvolution(4 * opt.growthRate, opt.growthRate, 3, 3, 1, 1, 1, 1))
   return nn.Concat(2):add(nn.Identity()):add(branch)
end

local function block(model, nChannels, n, opt)
   for i = 1, n do
      if opt.optMemory >= 3 then
         model:add(nn.TableDenseLayer(nChannels, opt))
      else
         model:add(plainLayer(nChannels, opt))
      end
      nChannels = nChannels + opt.growthRate
   end
   if opt.optMemory >= 3 then model:add(nn.JoinTable(2)) end
   return nChannels
end

local function createModel(opt)
   local stages = opt.stages or {6, 12, 24, 16}
   local nChannels = 2 * opt.growthRate
   local model = nn.Sequential()
   model:add(cudnn.SpatialConvolution(3, nChannels, 7, 7, 2, 2, 3, 3))
   model:add(cudnn.SpatialBatchNormalization(nChannels))
   model:add(cudnn.ReLU(true))
   model:add(nn.SpatialMaxPooling(3, 3, 2, 2, 1, 1))
   for i, n in ipairs(stages) do
      nChannels = block(model, nChannels, n, opt)
      model:add(cudnn.SpatialBatchNormalization(nChannels))
      model:add(cudnn.ReLU(true))
      if i < #stages then
         local nOut = math.floor(nChannels * opt.reduction)
         model:add(cudnn.SpatialConvolution(nChannels, nOut, 1, 1, 1, 1, 0, 0))
         model:add(cudnn.SpatialAveragePooling(2, 2))
         nChannels = nOut
      else
         model:add(cudnn.SpatialAveragePooling(7, 7))
         model:add(nn.Reshape(nChannels))
      end
   end
   model:add(nn.Linear(nChannels, opt.nClasses))
   for _, conv in pairs(model:findModules('cudnn.SpatialConvolution')) do
      conv.weight:normal(0, math.sqrt(2 / (conv.kW * conv.kH * conv.nOutputPlane)))
      conv.bias = nil
      conv.gradBias = nil
   end
   return model
end

return createModel
