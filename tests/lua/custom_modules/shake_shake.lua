-- A shake-shake residual network in the style of the CIFAR shake-shake code: a torch.class block
-- with two residual branches and a shortcut, the branches mixed by alpha (0.5 at test time).
-- Returns a builder of opt (opt.depth blocks per stage, opt.width base width).
require 'nn'

local ShakeBlock, parent = torch.class('nn.ShakeShakeBlock', 'nn.Container')

local function branch(nIn, nOut, stride)
   local b = nn.Sequential()
   b:add(nn.ReLU(false))
   b:add(nn.SpatialConvolution(nIn, nOut, 3, 3, stride, stride, 1, 1):noBias())
   b:add(nn.SpatialBatchNormalization(nOut))
   b:add(nn.ReLU(true))
   b:add(nn.SpatialConvolution(nOut, nOut, 3, 3, 1, 1, 1, 1):noBias())
   b:add(nn.SpatialBatchNormalization(nOut))
   return b
end

function ShakeBlock:__init(nIn, nOut, stride)
   parent.__init(self)
   self.train = false
   self.branch1, self.branch2 = branch(nIn, nOut, stride), branch(nIn, nOut, stride)
   if nIn == nOut and stride == 1 then
      self.shortcut = nn.Identity()
   else
      self.shortcut = nn.Sequential()
         :add(nn.SpatialConvolution(nIn, nOut, 1, 1, stride, stride):noBias())
         :add(nn.SpatialBatchNormalization(nOut))
   end
   self.modules = {self.branch1, self.branch2, self.shortcut}
end

function ShakeBlock:updateOutput(input)
   local alpha = self.train and torch.uniform() or 0.5
   local b1 = self.branch1:forward(input)
   local b2 = self.branch2:forward(input)
   self.output = self.shortcut:forward(input):clone()
   self.output:add(alpha, b1):add(1 - alpha, b2)
   return self.output
end

return function(opt)
   local depth, width = opt.depth or 2, opt.width or 16
   local model = nn.Sequential()
   model:add(nn.SpatialConvolution(3, 16, 3, 3, 1, 1, 1, 1):noBias())
   model:add(nn.SpatialBatchNormalization(16))
   local nIn = 16
   for stage, nOut in ipairs({width, 2 * width, 4 * width}) do
      for i = 1, depth do
         model:add(nn.ShakeShakeBlock(nIn, nOut, (stage > 1 and i == 1) and 2 or 1))
         nIn = nOut
      end
   end
   model:add(nn.ReLU(true))
   model:add(nn.SpatialAveragePooling(8, 8))
   model:add(nn.View(nIn):setNumInputDims(3))
   model:add(nn.Linear(nIn, opt.nClasses or 10))
   return model
end
