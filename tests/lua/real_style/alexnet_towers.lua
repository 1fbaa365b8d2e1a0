-- An AlexNet builder in the imagenet-multiGPU.torch style, written for the tracer's tests: a
-- global createModel(nGPU), the original two-GPU split as two towers in a Concat, the second
-- tower made with :clone() of the first (separate weights), Threshold activations and a
-- LogSoftMax. Krizhevsky's 48/128/192/192/128 planes per tower, not torchvision's layout.
function createModel(nGPU)
   assert(nGPU == 1, 'one GPU: the towers are joined by nn.Concat')
   local features = nn.Concat(2)
   local tower = nn.Sequential()
   tower:add(nn.SpatialConvolution(3, 48, 11, 11, 4, 4, 2, 2))    -- 224 -> 55
   tower:add(nn.ReLU(true))
   tower:add(nn.SpatialMaxPooling(3, 3, 2, 2))                     -- 55 -> 27
   tower:add(nn.SpatialConvolution(48, 128, 5, 5, 1, 1, 2, 2))     -- 27 -> 27
   tower:add(nn.ReLU(true))
   tower:add(nn.SpatialMaxPooling(3, 3, 2, 2))                     -- 27 -> 13
   for _, p in ipairs({{128, 192}, {192, 192}, {192, 128}}) do
      tower:add(nn.SpatialConvolution(p[1], p[2], 3, 3, 1, 1, 1, 1)):add(nn.ReLU(true))
   end
   tower:add(nn.SpatialMaxPooling(3, 3, 2, 2))                     -- 13 -> 6
   local twin = tower:clone()
   features:add(tower):add(twin)

   local classifier = nn.Sequential()
   classifier:add(nn.View(256 * 6 * 6))
   classifier:add(nn.Dropout(0.5)):add(nn.Linear(256 * 6 * 6, 4096)):add(nn.Threshold(0, 1e-6))
   classifier:add(nn.Dropout(0.5)):add(nn.Linear(4096, 4096)):add(nn.Threshold(0, 1e-6))
   classifier:add(nn.Linear(4096, nClasses)):add(nn.LogSoftMax())
   return nn.Sequential():add(features):add(classifier)
end
