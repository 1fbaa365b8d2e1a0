-- A super-resolution net in the style of a project that keeps its modules in its own package
-- table (lib/upnn.lua): classes made with torch.class('upnn.X', ...) are reached as upnn.X.
require 'upnn'

local M = {}

local function Conv(backend, nin, nout, k)
   if backend == 'cudnn' then return cudnn.SpatialConvolution(nin, nout, k, k, 1, 1, 0, 0) end
   return nn.SpatialConvolutionMM(nin, nout, k, k, 1, 1, 0, 0)
end

local function Deconv(backend, nin, nout)
   if backend == 'cudnn' then return cudnn.SpatialFullConvolution(nin, nout, 4, 4, 2, 2, 3, 3) end
   return nn.SpatialFullConvolution(nin, nout, 4, 4, 2, 2, 3, 3)
end

function M.create(backend, ch)
   local model = nn.Sequential()
   model:add(Conv(backend, ch, 8, 3))
   model:add(nn.LeakyReLU(0.1, true))
   model:add(Conv(backend, 8, 16, 3))
   model:add(nn.LeakyReLU(0.1, true))
   model:add(Deconv(backend, 16, ch):noBias())
   model:add(upnn.UnitRange())
   model:add(nn.View(-1):setNumInputDims(3))
   return model
end

return M
