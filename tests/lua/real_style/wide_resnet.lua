-- A wide-residual-networks style builder written for the tracer's tests: `return createModel`
-- with createModel(opt), depth 6n+4 and opt.widen_factor on CIFAR (32x32), pre-activation
-- basic blocks (BN-ReLU-conv, twice) whose shortcut is a 1x1 convolution when the width or
-- stride changes, convolutions without bias, and an nn.CAddTable join.
local Convolution, Avg, ReLU = nn.SpatialConvolution, nn.SpatialAveragePooling, nn.ReLU
local SBatchNorm = nn.SpatialBatchNormalization

local function createModel(opt)
   local depth, k = opt.depth or 16, opt.widen_factor or 2
   assert((depth - 4) % 6 == 0, 'depth should be 6n+4')
   local n = (depth - 4) / 6
   local widths = {16, 16 * k, 32 * k, 64 * k}

   local function block(nIn, nOut, stride)
      local residual = nn.Sequential()
      residual:add(SBatchNorm(nIn)):add(ReLU(true))
      residual:add(Convolution(nIn, nOut, 3, 3, stride, stride, 1, 1):noBias())
      residual:add(SBatchNorm(nOut)):add(ReLU(true))
      if opt.dropout and opt.dropout > 0 then residual:add(nn.Dropout(opt.dropout)) end
      residual:add(Convolution(nOut, nOut, 3, 3, 1, 1, 1, 1):noBias())
      local shortcut = nIn == nOut and stride == 1 and nn.Identity()
                       or Convolution(nIn, nOut, 1, 1, stride, stride):noBias()
      return nn.Sequential():add(nn.ConcatTable():add(residual):add(shortcut)):add(nn.CAddTable(true))
   end

   local function group(nIn, nOut, stride)
      local g = nn.Sequential():add(block(nIn, nOut, stride))
      for _ = 2, n do g:add(block(nOut, nOut, 1)) end
      return g
   end

   local model = nn.Sequential()
   model:add(Convolution(3, widths[1], 3, 3, 1, 1, 1, 1):noBias())
   model:add(group(widths[1], widths[2], 1))   -- 32x32
   model:add(group(widths[2], widths[3], 2))   -- 16x16
   model:add(group(widths[3], widths[4], 2))   -- 8x8
   model:add(SBatchNorm(widths[4])):add(ReLU(true))
   model:add(Avg(8, 8, 1, 1)):add(nn.View(widths[4]):setNumInputDims(3))
   model:add(nn.Linear(widths[4], opt.num_classes or 10))
   return model
end

return createModel
