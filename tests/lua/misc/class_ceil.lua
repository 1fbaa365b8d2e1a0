-- An ImageNet-project model file that sets ceil on the pooling class before building: Torch7's
-- method then sets the class table's ceil_mode, and each instance's __init sets its own to false.
function createModel(nGPU)
   nn.SpatialMaxPooling:ceil()

   local features = nn.Sequential()
   features:add(nn.SpatialConvolution(3, 4, 3, 3))   -- 11 -> 9
   features:add(nn.ReLU(true))
   features:add(nn.SpatialMaxPooling(2, 2, 2, 2))    -- 9 -> 4 (floor: the instance's own mode)
   features = makeDataParallel(features, nGPU)

   local classifier = nn.Sequential()
   classifier:add(nn.View(4 * 4 * 4))
   classifier:add(nn.Linear(4 * 4 * 4, nClasses))
   return nn.Sequential():add(features):add(classifier)
end
