-- A SqueezeNet builder written for the tracer's tests, in the style of the public Torch7 ports:
-- fire modules as a squeeze 1x1 convolution followed by nn.Concat(2) of the 1x1 and 3x3
-- expands, ceil-mode max pooling, a 1x1 convolution classifier and average pooling over 13x13.
-- opt.version picks 1.0 or 1.1; the file returns its builder (fb.resnet.torch's shape).
local function fire(inPlanes, squeeze, expand1, expand3)
   local block = nn.Sequential()
   block:add(nn.SpatialConvolution(inPlanes, squeeze, 1, 1)):add(nn.ReLU(true))
   local expand = nn.Concat(2)
   expand:add(nn.Sequential():add(nn.SpatialConvolution(squeeze, expand1, 1, 1)):add(nn.ReLU(true)))
   expand:add(nn.Sequential():add(nn.SpatialConvolution(squeeze, expand3, 3, 3, 1, 1, 1, 1)):add(nn.ReLU(true)))
   return block:add(expand)
end

local plans = {
   [1.0] = {stem = {96, 7}, fires = {{96, 16, 64}, {128, 16, 64}, {128, 32, 128}, 'M',
                                       {256, 32, 128}, {256, 48, 192}, {384, 48, 192}, {384, 64, 256}, 'M',
                                       {512, 64, 256}}},
   [1.1] = {stem = {64, 3}, fires = {{64, 16, 64}, {128, 16, 64}, 'M', {128, 32, 128}, {256, 32, 128}, 'M',
                                       {256, 48, 192}, {384, 48, 192}, {384, 64, 256}, {512, 64, 256}}},
}

local function createModel(opt)
   local plan = plans[opt.version or 1.0]
   local nClasses = opt.nClasses or 1000
   local model = nn.Sequential()
   model:add(nn.SpatialConvolution(3, plan.stem[1], plan.stem[2], plan.stem[2], 2, 2)):add(nn.ReLU(true))
   model:add(nn.SpatialMaxPooling(3, 3, 2, 2):ceil())
   for _, f in ipairs(plan.fires) do
      if f == 'M' then
         model:add(nn.SpatialMaxPooling(3, 3, 2, 2):ceil())
      else
         model:add(fire(f[1], f[2], f[3], f[3]))
      end
   end
   model:add(nn.Dropout(0.5))
   model:add(nn.SpatialConvolution(512, nClasses, 1, 1)):add(nn.ReLU(true))
   model:add(nn.SpatialAveragePooling(13, 13, 1, 1))
   model:add(nn.View(nClasses):setNumInputDims(3))
   return model
end

return createModel
