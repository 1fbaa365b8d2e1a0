-- Written for enet-port's tests in the style of a fb.resnet.torch-derived project whose model
-- file builds with a block class it never requires: the project's main.lua (through
-- checkpoints.lua) required models/twopathblock.lua before calling createModel.
local nn = require 'nn'

local function createModel(opt)
   local function stage(block, nIn, nOut, count, stride)
      local s = nn.Sequential()
      s:add(block(nIn, nOut, stride, opt.mix))
      for i = 2, count do
         s:add(block(nOut, nOut, 1, opt.mix))
      end
      return s
   end

   local model = nn.Sequential()
   model:add(nn.SpatialConvolution(3, 8, 3, 3, 1, 1, 1, 1))
   model:add(nn.SpatialBatchNormalization(8))
   model:add(stage(nn.TwoPathBlock, 8, 16, opt.count, 1))
   model:add(stage(nn.TwoPathBlock, 16, 32, opt.count, 2))
   model:add(nn.ReLU(true))
   model:add(nn.SpatialAveragePooling(16, 16, 1, 1))
   model:add(nn.View(32):setNumInputDims(3))
   model:add(nn.Linear(32, 10))
   return model
end

return createModel
