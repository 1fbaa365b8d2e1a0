-- Written for enet-port's tests: a two-branch residual block class (branches mixed by constants
-- at test time, a projection skip where the width changes), defined in its own file.
require 'nn'

local TwoPathBlock, parent = torch.class('nn.TwoPathBlock', 'nn.Container')

local function branch(nIn, nOut, stride, weight)
   return nn.Sequential()
      :add(nn.ReLU(true))
      :add(nn.SpatialConvolution(nIn, nOut, 3, 3, stride, stride, 1, 1))
      :add(nn.SpatialBatchNormalization(nOut))
      :add(nn.ReLU(true))
      :add(nn.SpatialConvolution(nOut, nOut, 3, 3, 1, 1, 1, 1))
      :add(nn.SpatialBatchNormalization(nOut))
      :add(nn.MulConstant(weight))
end

function TwoPathBlock:__init(nIn, nOut, stride, mix)
   parent.__init(self)
   self.net1 = branch(nIn, nOut, stride, mix)
   self.net2 = branch(nIn, nOut, stride, 1 - mix)
   self.skip = nn.Sequential()
   if nIn == nOut then
      self.skip:add(nn.Identity())
   else
      self.skip:add(nn.ReLU(true))
      self.skip:add(nn.SpatialConvolution(nIn, nOut, 1, 1, stride, stride))
      self.skip:add(nn.SpatialBatchNormalization(nOut))
   end
   self.modules = {self.net1, self.net2, self.skip}
end

function TwoPathBlock:updateOutput(input)
   local skip = self.skip:forward(input)
   self.output:resizeAs(skip):copy(skip)
   self.output:add(self.net1:forward(input))
   self.output:add(self.net2:forward(input))
   return self.output
end
