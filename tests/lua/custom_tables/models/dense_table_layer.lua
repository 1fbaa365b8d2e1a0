-- A DenseNet layer written as the DenseNet authors' memory-efficient configuration is (optMemory
-- 3 and 4): a torch.class that passes a Lua table down the block. The first layer of a block
-- gets a tensor and returns {input, new}; each next layer gets the table, copies its items into
-- its output, concatenates them into a buffer (torch.cat(buffer, table, 2)), runs BN-ReLU on
-- it and reads that child's .output for the rest; nn.JoinTable(2) after the block joins them.
-- optMemory 4 also keeps a copy of the first BN's running statistics.
require 'nn'
require 'cudnn'
local nninit = require 'nninit'

local TableDenseLayer, parent = torch.class('nn.TableDenseLayer', 'nn.Container')

function TableDenseLayer:__init(nChannels, opt)
   parent.__init(self)
   self.opt = opt
   self.norm = nn.Sequential()
   self.norm:add(cudnn.SpatialBatchNormalization(nChannels))
   self.norm:add(cudnn.ReLU(true))
   self.conv = nn.Sequential()
   local width = nChannels
   if opt.bottleneck then
      width = 4 * opt.growthRate
      self.conv:add(cudnn.SpatialConvolution(nChannels, width, 1, 1, 1, 1, 0, 0)
                       :init('weight', nninit.kaiming, {gain = 'relu'}))
      self.conv:add(cudnn.SpatialBatchNormalization(width))
      self.conv:add(cudnn.ReLU(true))
   end
   self.conv:add(cudnn.SpatialConvolution(width, opt.growthRate, 3, 3, 1, 1, 1, 1))
   self.buffer = torch.Tensor():type(opt.tensorType)
   self.mean_copy = torch.Tensor():type(opt.tensorType)
   self.var_copy = torch.Tensor():type(opt.tensorType)
   self.output = {}
   self.gradInput = {}
   self.modules = {self.norm, self.conv}
end

function TableDenseLayer:updateOutput(input)
   if type(input) == 'table' then
      local n = #input
      for i = 1, n do self.output[i] = input[i] end
      torch.cat(self.buffer, input, 2)
      self.norm:forward(self.buffer)
      self.output[n + 1] = self.conv:forward(self.norm.output)
   else
      self.output[1] = input
      self.output[2] = self.conv:forward(self.norm:forward(input))
   end
   if self.opt.optMemory == 4 then
      local bn = self.norm:get(1)
      self.mean_copy:resizeAs(bn.running_mean):copy(bn.running_mean)
      self.var_copy:resizeAs(bn.running_var):copy(bn.running_var)
   end
   return self.output
end
