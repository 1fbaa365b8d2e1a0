-- A VGG builder in the imagenet-multiGPU.torch style written for the tracer's tests: a global
-- createModel(nGPU), the configuration letter from opt, Threshold activations and a branch
-- pair made with :clone() (separate weights) inside a Concat.
function createModel(nGPU)
   local plans = {A = {64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'},
                  D = {64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'}}
   local features = nn.Sequential()
   local planes = 3
   for _, v in ipairs(plans[opt.modelType or 'A']) do
      if v == 'M' then
         features:add(nn.SpatialMaxPooling(2, 2, 2, 2))
      else
         features:add(nn.SpatialConvolution(planes, v, 3, 3, 1, 1, 1, 1)):add(nn.Threshold(0, 1e-6))
         planes = v
      end
   end
   local classifier = nn.Sequential():add(nn.View(512 * 7 * 7))
   classifier:add(nn.Linear(512 * 7 * 7, 4096)):add(nn.Threshold(0, 1e-6)):add(nn.Dropout(0.5))
   classifier:add(nn.Linear(4096, 4096)):add(nn.Threshold(0, 1e-6)):add(nn.Dropout(0.5))
   classifier:add(nn.Linear(4096, nClasses))
   if opt.twin then  -- two towers over the features, the second a deep copy of the first
      local tower = nn.Sequential():add(nn.SpatialConvolution(512, 8, 1, 1)):add(nn.ReLU(true))
      local twin = tower:clone()
      for _, m in ipairs(twin:findModules('nn.SpatialConvolution')) do m:reset() end
      features:add(nn.Concat(2):add(tower):add(twin))
      classifier.modules[1] = nn.View(16 * 7 * 7)
      classifier.modules[2] = nn.Linear(16 * 7 * 7, 4096)
   end
   local model = nn.Sequential():add(features):add(classifier)
   model.imageSize, model.imageCrop = 256, 224
   return model
end
