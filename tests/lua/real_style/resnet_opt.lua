-- A residual network builder in the fb.resnet.torch style, written for the tracer's tests:
-- a local builder called with opt and returned, cudnn/nn aliases, shortcut types A/B/C,
-- bottleneck blocks, weight initialisation that removes the convolution biases.
local nn = require 'nn'
require 'cunn'

local Conv = cudnn.SpatialConvolution
local BN = nn.SpatialBatchNormalization
local ReLU = cudnn.ReLU

local function build(opt)
   local depth, kind = opt.depth, opt.shortcutType or 'B'
   local planes

   local function skip(nIn, nOut, stride)
      if kind == 'C' or (kind == 'B' and nIn ~= nOut) then
         return nn.Sequential():add(Conv(nIn, nOut, 1, 1, stride, stride)):add(BN(nOut))
      elseif nIn ~= nOut then
         -- zero channels appended to a strided identity
         return nn.Sequential()
            :add(nn.SpatialAveragePooling(1, 1, stride, stride))
            :add(nn.Concat(2):add(nn.Identity()):add(nn.MulConstant(0)))
      end
      return nn.Identity()
   end

   local function residual(body, nIn, nOut, stride)
      return nn.Sequential()
         :add(nn.ConcatTable():add(body):add(skip(nIn, nOut, stride)))
         :add(nn.CAddTable(true))
         :add(ReLU(true))
   end

   local function basic(n, stride)
      local nIn = planes
      planes = n
      local body = nn.Sequential()
      body:add(Conv(nIn, n, 3, 3, stride, stride, 1, 1)):add(BN(n)):add(ReLU(true))
      body:add(Conv(n, n, 3, 3, 1, 1, 1, 1)):add(BN(n))
      return residual(body, nIn, n, stride)
   end

   local function bottleneck(n, stride)
      local nIn = planes
      planes = 4 * n
      local body = nn.Sequential()
      body:add(Conv(nIn, n, 1, 1, 1, 1, 0, 0)):add(BN(n)):add(ReLU(true))
      body:add(Conv(n, n, 3, 3, stride, stride, 1, 1)):add(BN(n)):add(ReLU(true))
      body:add(Conv(n, 4 * n, 1, 1, 1, 1, 0, 0)):add(BN(4 * n))
      return residual(body, nIn, 4 * n, stride)
   end

   local function stage(block, n, count, stride)
      local s = nn.Sequential()
      for i = 1, count do s:add(block(n, i == 1 and stride or 1)) end
      return s
   end

   local net = nn.Sequential()
   if opt.dataset == 'imagenet' then
      local configs = {[18] = {{2, 2, 2, 2}, 512, basic}, [34] = {{3, 4, 6, 3}, 512, basic},
                       [50] = {{3, 4, 6, 3}, 2048, bottleneck}, [101] = {{3, 4, 23, 3}, 2048, bottleneck},
                       [152] = {{3, 8, 36, 3}, 2048, bottleneck}}
      assert(configs[depth], 'no such depth: ' .. tostring(depth))
      local counts, width, block = table.unpack(configs[depth])
      planes = 64
      net:add(Conv(3, 64, 7, 7, 2, 2, 3, 3)):add(BN(64)):add(ReLU(true))
      net:add(nn.SpatialMaxPooling(3, 3, 2, 2, 1, 1))
      for i, n in ipairs({64, 128, 256, 512}) do net:add(stage(block, n, counts[i], i == 1 and 1 or 2)) end
      net:add(cudnn.SpatialAveragePooling(7, 7, 1, 1))
      net:add(nn.View(width):setNumInputDims(3))
      net:add(nn.Linear(width, 1000))
   elseif opt.dataset == 'cifar10' then
      local n = (depth - 2) / 6
      planes = 16
      net:add(Conv(3, 16, 3, 3, 1, 1, 1, 1)):add(BN(16)):add(ReLU(true))
      net:add(stage(basic, 16, n, 1)):add(stage(basic, 32, n, 2)):add(stage(basic, 64, n, 2))
      net:add(cudnn.SpatialAveragePooling(8, 8, 1, 1))
      net:add(nn.View(64):setNumInputDims(3))
      net:add(nn.Linear(64, 10))
   else
      error('unknown dataset: ' .. tostring(opt.dataset))
   end

   for _, name in ipairs({'cudnn.SpatialConvolution', 'nn.SpatialConvolution'}) do
      for _, m in pairs(net:findModules(name)) do
         m.weight:normal(0, math.sqrt(2 / (m.kW * m.kH * m.nOutputPlane)))
         if cudnn.version >= 4000 then m.bias, m.gradBias = nil, nil end
      end
   end
   for _, m in pairs(net:findModules('nn.SpatialBatchNormalization')) do
      m.weight:fill(1)
      m.bias:zero()
   end
   net:cuda()
   net:get(1).gradInput = nil
   return net
end

return build
