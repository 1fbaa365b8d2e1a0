-- A shake-shake network in the image-level style: each branch ends in a class that scales every
-- sample of the batch by its own constant, through tensor:split(1, 1); the block sets those
-- constants in its updateOutput (random per sample while training, 0.5 at test time).
-- Returns a builder of opt (opt.width base width, opt.batchSize the constants' length).
require 'nn'

local ScaleEach, parent = torch.class('nn.ScaleEach', 'nn.Module')

function ScaleEach:__init(constants)
   parent.__init(self)
   self.constants = constants
end

local function scale_each(tensor, constants)
   for i, sample in ipairs(tensor:split(1, 1)) do
      sample:mul(constants[i])
   end
   return tensor
end

function ScaleEach:updateOutput(input)
   self.output:resizeAs(input):copy(input)
   scale_each(self.output, self.constants)
   return self.output
end

local Block, blockParent = torch.class('nn.ImageShakeBlock', 'nn.Container')

local function branch(nIn, nOut, stride, batchSize)
   local b = nn.Sequential()
   b:add(nn.ReLU(false))
   b:add(nn.SpatialConvolution(nIn, nOut, 3, 3, stride, stride, 1, 1):noBias())
   b:add(nn.SpatialBatchNormalization(nOut))
   b:add(nn.ReLU(true))
   b:add(nn.SpatialConvolution(nOut, nOut, 3, 3, 1, 1, 1, 1):noBias())
   b:add(nn.SpatialBatchNormalization(nOut))
   b:add(nn.ScaleEach(torch.ones(batchSize)))
   return b
end

function Block:__init(nIn, nOut, stride, batchSize)
   blockParent.__init(self)
   self.train = true
   self.batchSize = batchSize
   self.left, self.right = branch(nIn, nOut, stride, batchSize), branch(nIn, nOut, stride, batchSize)
   if nIn == nOut and stride == 1 then
      self.shortcut = nn.Identity()
   else
      self.shortcut = nn.Sequential()
         :add(nn.SpatialConvolution(nIn, nOut, 1, 1, stride, stride):noBias())
         :add(nn.SpatialBatchNormalization(nOut))
   end
   self.modules = {self.left, self.right, self.shortcut}
end

function Block:updateOutput(input)
   if self.train then
      local alpha = torch.rand(self.batchSize)
      self.left.modules[7].constants = alpha
      self.right.modules[7].constants = torch.ones(self.batchSize) - alpha
   else
      self.left.modules[7].constants = torch.ones(self.batchSize) * 0.5
      self.right.modules[7].constants = torch.ones(self.batchSize) * 0.5
   end
   local shortcut = self.shortcut:forward(input)
   self.output:resizeAs(shortcut):copy(shortcut)
   self.output:add(self.left:forward(input))
   self.output:add(self.right:forward(input))
   return self.output
end

return function(opt)
   local width, batchSize = opt.width or 16, opt.batchSize or 128
   local model = nn.Sequential()
   model:add(nn.SpatialConvolution(3, 16, 3, 3, 1, 1, 1, 1):noBias())
   model:add(nn.SpatialBatchNormalization(16))
   local nIn = 16
   for stage, nOut in ipairs({width, 2 * width, 4 * width}) do
      model:add(nn.ImageShakeBlock(nIn, nOut, stage > 1 and 2 or 1, batchSize))
      nIn = nOut
   end
   model:add(nn.ReLU(true))
   model:add(nn.SpatialAveragePooling(8, 8))
   model:add(nn.View(nIn):setNumInputDims(3))
   model:add(nn.Linear(nIn, opt.nClasses or 10))
   return model
end
