-- A GoogLeNet builder in the convnet-benchmarks style, written for the tracer's tests: the file
-- returns a function of the backend table {SpatialConvolution, SpatialMaxPooling, ReLU, ...}.
-- Each inception joins its branches with nn.DepthConcat(2); the pooling branch pools 3x3 without
-- padding, so its output is two pixels smaller and DepthConcat centres it in zeros.
local function inception(planes, config, lib)
   local Conv, Pool, ReLU = lib[1], lib[2], lib[3]
   local join = nn.DepthConcat(2)
   join:add(nn.Sequential():add(Conv(planes, config[1], 1, 1)):add(ReLU(true)))
   for _, c in ipairs({{config[2], config[3], 3}, {config[4], config[5], 5}}) do
      local branch = nn.Sequential()
      branch:add(Conv(planes, c[1], 1, 1)):add(ReLU(true))
      branch:add(Conv(c[1], c[2], c[3], c[3], 1, 1, (c[3] - 1) / 2, (c[3] - 1) / 2)):add(ReLU(true))
      join:add(branch)
   end
   local pool = nn.Sequential():add(Pool(3, 3, 1, 1)):add(Conv(planes, config[6], 1, 1)):add(ReLU(true))
   join:add(pool)
   return join, config[1] + config[3] + config[5] + config[6]
end

local stages = {
   {64, 96, 128, 16, 32, 32}, {128, 128, 192, 32, 96, 64}, 'M',
   {192, 96, 208, 16, 48, 64}, {160, 112, 224, 24, 64, 64}, {128, 128, 256, 24, 64, 64},
   {112, 144, 288, 32, 64, 64}, {256, 160, 320, 32, 128, 128}, 'M',
   {256, 160, 320, 32, 128, 128}, {384, 192, 384, 48, 128, 128}}

return function(lib)
   local Conv, Pool, ReLU = lib[1], lib[2], lib[3]
   local model = nn.Sequential()
   model:add(Conv(3, 64, 7, 7, 2, 2, 3, 3)):add(ReLU(true))      -- 224 -> 112
   model:add(Pool(3, 3, 2, 2):ceil())                              -- 112 -> 56
   model:add(Conv(64, 64, 1, 1)):add(ReLU(true))
   model:add(Conv(64, 192, 3, 3, 1, 1, 1, 1)):add(ReLU(true))
   model:add(Pool(3, 3, 2, 2):ceil())                              -- 56 -> 28
   local planes = 192
   for _, config in ipairs(stages) do
      if config == 'M' then
         model:add(Pool(3, 3, 2, 2):ceil())                        -- 28 -> 14 -> 7
      else
         local block
         block, planes = inception(planes, config, lib)
         model:add(block)
      end
   end
   model:add(nn.SpatialAveragePooling(7, 7, 1, 1))
   model:add(nn.View(planes):setNumInputDims(3))
   model:add(nn.Linear(planes, 1000)):add(nn.LogSoftMax())
   return model, 'GoogleNet', {128, 3, 224, 224}
end
