-- dpnn's nn.Inception for the tracer (enet_port/lua/tracer.py). Lua counterpart:
-- Element-Research/dpnn Inception.lua (the version with pool and batchNorm, a subclass of
-- nn.Decorator), which OpenFace's models/openface/*.def.lua build their networks with. As in
-- dpnn, __init builds an nn.DepthConcat(2) of columns from its config and decorates it; the
-- tracer records those modules, and the decorator stands for its module (model/decorators.py).
-- Called as a chunk by torch7.lua with (nn, torch.class).
local nn, class = ...

local Inception, parent = class("nn.Inception", "nn.Decorator")

-- a convolution (its stride and padding as dpnn passes them), its batch normalisation, a transfer
local function add_conv(self, column, nIn, nOut, k, stride, pad)
  column:add(nn.SpatialConvolution(nIn, nOut, k, k, stride, stride, pad))
  if self.batchNorm then column:add(nn.SpatialBatchNormalization(nOut)) end
  column:add(self.transfer:clone())
end

-- the 1x1 reduction of column i (its stride: reduceStride[i], else 1)
local function add_reduce(self, column, i)
  local stride = self.reduceStride[i] or 1
  column:add(nn.SpatialConvolution(self.inputSize, self.reduceSize[i], 1, 1, stride, stride))
  if self.batchNorm then column:add(nn.SpatialBatchNormalization(self.reduceSize[i])) end
  column:add(self.transfer:clone())
end

-- dpnn's defaults: transfer ReLU, padding true, kernels {5, 3} of strides {1, 1}, a 3x3
-- stride-1 max pooling unless config.pool gives the pooling module itself (used, not cloned)
local function configure(self, config)
  self.inputSize, self.outputSize, self.reduceSize = config.inputSize, config.outputSize, config.reduceSize
  self.reduceStride = config.reduceStride or {}
  self.transfer = config.transfer or nn.ReLU()
  self.batchNorm = config.batchNorm
  self.padding = true
  if config.padding ~= nil then self.padding = config.padding end
  self.kernelSize = config.kernelSize or {5, 3}
  self.kernelStride = config.kernelStride or {1, 1}
  self.poolSize = config.poolSize or 3
  self.poolStride = config.poolStride or 1
  self.pool = config.pool or nn.SpatialMaxPooling(self.poolSize, self.poolSize, self.poolStride, self.poolStride)
end

-- columns: 1x1 reduce then kxk convolution for each kernel size; the pooling then (when
-- reduceSize has the entry) a 1x1 reduce; (when it has the next) a lone 1x1 reduce
function Inception:__init(config)
  configure(self, config)
  local depthConcat = nn.DepthConcat(2)
  for i = 1, #self.kernelSize do
    local column = nn.Sequential()
    add_reduce(self, column, i)
    local k = self.kernelSize[i]
    add_conv(self, column, self.reduceSize[i], self.outputSize[i], k, self.kernelStride[i],
             self.padding and math.floor(k / 2) or 0)
    depthConcat:add(column)
  end
  local column = nn.Sequential()
  column:add(self.pool)
  local i = #self.kernelSize + 1
  if self.reduceSize[i] then add_reduce(self, column, i) end
  depthConcat:add(column)
  i = i + 1
  if self.reduceSize[i] then
    column = nn.Sequential()
    add_reduce(self, column, i)
    depthConcat:add(column)
  end
  parent.__init(self, depthConcat)
end

return Inception
