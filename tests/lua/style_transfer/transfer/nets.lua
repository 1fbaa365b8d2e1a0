-- A small image transformation network: downsample, residual blocks cut by ShaveImage on the
-- skip path (the convolutions are unpadded), upsample, tanh scaled, total variation at the end.
require 'nn'
require 'transfer.ShaveImage'
require 'transfer.InstanceNormalization'
require 'transfer.TotalVariation'

local nets = {}

local function residual(planes)
  local body = nn.Sequential()
  body:add(nn.SpatialConvolution(planes, planes, 3, 3))
  body:add(nn.InstanceNormalization(planes))
  body:add(nn.ReLU(true))
  body:add(nn.SpatialConvolution(planes, planes, 3, 3))
  body:add(nn.InstanceNormalization(planes))
  local branches = nn.ConcatTable():add(body):add(nn.ShaveImage(2))
  return nn.Sequential():add(branches):add(nn.CAddTable())
end

function nets.build_model(opt)
  local width = opt.width or 8
  local model = nn.Sequential()
  model:add(nn.SpatialConvolution(3, width, 5, 5, 1, 1, 2, 2))
  model:add(nn.InstanceNormalization(width))
  model:add(nn.ReLU(true))
  model:add(nn.SpatialConvolution(width, 2 * width, 3, 3, 2, 2, 1, 1))
  model:add(nn.InstanceNormalization(2 * width))
  model:add(nn.ReLU(true))
  for i = 1, opt.blocks or 2 do
    model:add(residual(2 * width))
  end
  model:add(nn.SpatialFullConvolution(2 * width, width, 3, 3, 2, 2, 1, 1, 1, 1))
  model:add(nn.InstanceNormalization(width))
  model:add(nn.ReLU(true))
  model:add(nn.SpatialConvolution(width, 3, 5, 5, 1, 1, 2, 2))
  model:add(nn.Tanh())
  model:add(nn.MulConstant(opt.scale))
  model:add(nn.TotalVariation(opt.tv))
  return model
end

return nets
