-- A DenseNet-BC for ImageNet written as the DenseNet authors' memory-efficient configuration is:
-- each layer is a torch.class whose updateOutput concatenates its input with BN-ReLU-conv of it.
-- opt.blocks (default {6, 12, 24, 16}: DenseNet-BC-121), opt.growthRate, opt.reduction.
require 'nn'
require 'cudnn'

local DenseLayer, parent = torch.class('nn.DenseLayerBC', 'nn.Container')

function DenseLayer:__init(nChannels, growthRate)
   parent.__init(self)
   self.train = true
   self.net = nn.Sequential()
   self.net:add(cudnn.SpatialBatchNormalization(nChannels))
   self.net:add(cudnn.ReLU(true))
   self.net:add(cudnn.SpatialConvolution(nChannels, 4 * growthRate, 1, 1, 1, 1, 0, 0):noBias())
   self.net:add(cudnn.SpatialBatchNormalization(4 * growthRate))
   self.net:add(cudnn.ReLU(true))
   self.net:add(cudnn.SpatialConvolution(4 * growthRate, growthRate, 3, 3, 1, 1, 1, 1):noBias())
   self.modules = {self.net}
end

function DenseLayer:updateOutput(input)
   self.output = torch.cat(input, self.net:forward(input), 2)
   return self.output
end

local function transition(model, nIn, nOut)
   model:add(cudnn.SpatialBatchNormalization(nIn))
   model:add(cudnn.ReLU(true))
   model:add(cudnn.SpatialConvolution(nIn, nOut, 1, 1, 1, 1, 0, 0):noBias())
   model:add(cudnn.SpatialAveragePooling(2, 2))
end

function createModel(opt)
   local blocks = opt.blocks or {6, 12, 24, 16}
   local growthRate, reduction = opt.growthRate or 32, opt.reduction or 0.5
   local nChannels = 2 * growthRate
   local model = nn.Sequential()
   model:add(cudnn.SpatialConvolution(3, nChannels, 7, 7, 2, 2, 3, 3):noBias())
   model:add(cudnn.SpatialBatchNormalization(nChannels))
   model:add(cudnn.ReLU(true))
   model:add(nn.SpatialMaxPooling(3, 3, 2, 2, 1, 1))
   for i, n in ipairs(blocks) do
      for _ = 1, n do
         model:add(nn.DenseLayerBC(nChannels, growthRate))
         nChannels = nChannels + growthRate
      end
      if i < #blocks then
         local nOut = math.floor(nChannels * reduction)
         transition(model, nChannels, nOut)
         nChannels = nOut
      end
   end
   model:add(cudnn.SpatialBatchNormalization(nChannels))
   model:add(cudnn.ReLU(true))
   model:add(cudnn.SpatialAveragePooling(7, 7, 1, 1))
   model:add(nn.View(nChannels):setNumInputDims(3))
   model:add(nn.Linear(nChannels, opt.nClasses))
   return model
end
