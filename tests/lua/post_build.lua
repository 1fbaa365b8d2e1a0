-- createModel with the usual after-construction code: init loops, a cudnn version check,
-- removed biases, setNumInputDims, apply and listModules.
require 'nn'
require 'cudnn'

function createModel(nGPU)
   local features = nn.Sequential()
   local planes = 3
   for i = 1, opt.depth do
      features:add(nn.SpatialConvolution(planes, 16, 3, 3, 1, 1, 1, 1))
      features:add(nn.ReLU(true))
      planes = 16
   end
   features:add(nn.SpatialAveragePooling(56, 56, 56, 56))

   local classifier = nn.Sequential()
   classifier:add(nn.View(16 * 4 * 4):setNumInputDims(3))
   classifier:add(nn.Linear(16 * 4 * 4, nClasses))
   classifier:add(nn.LogSoftMax())
   local model = nn.Sequential():add(features):add(classifier)

   for _, m in ipairs(model:findModules('nn.SpatialConvolution')) do
      m.weight:normal(0, math.sqrt(2 / (m.kW * m.kH * m.nOutputPlane)))
      if cudnn.version >= 4000 then m.bias = nil end
   end
   local seen = 0
   model:apply(function(m) seen = seen + 1 end)
   assert(seen == #model:listModules(), 'apply and listModules disagree')
   model:get(2):get(2).bias:zero()
   print(model)
   return model
end
