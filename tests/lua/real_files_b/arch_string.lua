-- A style-transfer generator in the style of fast-neural-style's models.lua: a table of
-- builders, the architecture given as a comma-separated string read with xlua's string.split.
require 'nn'

local M = {}

local function conv_block(dim)
  local block = nn.Sequential()
  block:add(nn.SpatialConvolution(dim, dim, 3, 3, 1, 1, 1, 1))
  block:add(nn.SpatialBatchNormalization(dim))
  return block
end

function M.build_model(opt)
  local model, prev = nn.Sequential(), 3
  local layers = opt.arch:split(',')
  for i, v in ipairs(layers) do
    local kind, n = v:sub(1, 1), tonumber(v:sub(2))
    if kind == 'c' then
      model:add(nn.SpatialConvolution(prev, n, 3, 3, 1, 1, 1, 1))
    elseif kind == 'd' then
      model:add(nn.SpatialConvolution(prev, n, 3, 3, 2, 2, 1, 1))
    elseif kind == 'u' then
      model:add(nn.SpatialFullConvolution(prev, n, 3, 3, 2, 2, 1, 1, 1, 1))
    elseif kind == 'C' then
      model:add(conv_block(n))
    end
    if i < #layers then
      model:add(nn.SpatialBatchNormalization(n)):add(nn.ReLU(true))
    end
    prev = n
  end
  return model:add(nn.Tanh())
end

return M
