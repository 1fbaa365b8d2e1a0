-- A script in the style of ENet's encoder.lua: builds a local model, wraps it for several
-- GPUs, computes class weights with tensors and returns {model = ..., loss = ...}.
require 'nn'
require 'cunn'
require 'cudnn'
local _ = require 'moses'

local classes = opt.dataclasses
local model = nn.Sequential()

local count = 0
local function block(kernel, planes, pool)
   count = count + 1
   local s = nn.Sequential()
   s:add(cudnn.SpatialConvolution(planes, planes, kernel, 1, 1, 1, (kernel - 1) / 2, 0):noBias())
   s:add(nn.SpatialBatchNormalization(planes, 1e-3))
   s:add(nn.SpatialDropout(count < 2 and 0.01 or 0.1))
   if pool then s:add(nn.SpatialMaxPooling(2, 2, 2, 2):ceil()) end
   return s
end
local wide = _.bindn(block, 5)

model:add(cudnn.SpatialConvolution(3, 8, 3, 3, 2, 2, 1, 1))
for i = 1, 2 do
   model:add(wide(8, i == 2))
end
model:add(nn.PReLU())

local gpus = {}
for i = 1, opt.nGPU do gpus[i] = i end
model = nn.DataParallelTable(1, true, true):add(model:cuda(), gpus)

local hist = torch.Tensor({10, 30, 60})
local norm = hist / hist:sum()
local weights = torch.Tensor(#classes):fill(1)
for i = 1, #classes do
   weights[i] = 1 / torch.log(1.2 + norm[i])
end
local loss = cudnn.SpatialCrossEntropyCriterion(weights)
print('==> here is the model:')
print(model)
return {model = model, loss = loss}
