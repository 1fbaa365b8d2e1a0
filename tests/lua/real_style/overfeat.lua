-- An OverFeat (fast) builder in the imagenet-multiGPU.torch style, written for the tracer's
-- tests: a global createModel(nGPU) that sets model.imageSize and model.imageCrop (221: the
-- crop the five-by-five classifier input needs), Threshold activations and a LogSoftMax.
function createModel(nGPU)
   local features = nn.Sequential()
   features:add(nn.SpatialConvolution(3, 96, 11, 11, 4, 4)):add(nn.ReLU(true))  -- 221 -> 53
   features:add(nn.SpatialMaxPooling(2, 2, 2, 2))                                -- 53 -> 26
   features:add(nn.SpatialConvolution(96, 256, 5, 5, 1, 1)):add(nn.ReLU(true))   -- 26 -> 22
   features:add(nn.SpatialMaxPooling(2, 2, 2, 2))                                -- 22 -> 11
   for _, p in ipairs({{256, 512}, {512, 1024}, {1024, 1024}}) do
      features:add(nn.SpatialConvolution(p[1], p[2], 3, 3, 1, 1, 1, 1)):add(nn.ReLU(true))
   end
   features:add(nn.SpatialMaxPooling(2, 2, 2, 2))                                -- 11 -> 5

   local classifier = nn.Sequential():add(nn.View(1024 * 5 * 5))
   classifier:add(nn.Dropout(0.5)):add(nn.Linear(1024 * 5 * 5, 3072)):add(nn.Threshold(0, 1e-6))
   classifier:add(nn.Dropout(0.5)):add(nn.Linear(3072, 4096)):add(nn.Threshold(0, 1e-6))
   classifier:add(nn.Linear(4096, nClasses)):add(nn.LogSoftMax())

   local model = nn.Sequential():add(features):add(classifier)
   model.imageSize, model.imageCrop = 256, 221
   return model
end
