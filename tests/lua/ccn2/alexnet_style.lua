-- An AlexNet ("one weird trick" widths) built of cuda-convnet2 modules, in the style of the
-- imagenet-multiGPU *_ccn2.lua files: the features run in ccn2's planes x H x W x batch layout
-- between a pair of nn.Transpose, then the classifier as usual.
require 'cudnn'
require 'ccn2'

function createModel(nGPU)
   local features = nn.Sequential()
   features:add(nn.Transpose({1,4},{1,3},{1,2}))          -- B x 3 x 224 x 224 -> 3 x 224 x 224 x B
   features:add(ccn2.SpatialConvolution(3, 64, 11, 4, 0, 1, 4))
   features:add(cudnn.ReLU(true))
   features:add(ccn2.SpatialMaxPooling(3, 2))
   features:add(ccn2.SpatialConvolution(64, 192, 5, 1, 2, 1, 3))
   features:add(cudnn.ReLU(true))
   features:add(ccn2.SpatialMaxPooling(3, 2))
   features:add(ccn2.SpatialConvolution(192, 384, 3, 1, 1))
   features:add(cudnn.ReLU(true))
   features:add(ccn2.SpatialConvolution(384, 256, 3, 1, 1))
   features:add(cudnn.ReLU(true))
   features:add(ccn2.SpatialConvolution(256, 256, 3, 1, 1))
   features:add(cudnn.ReLU(true))
   features:add(ccn2.SpatialMaxPooling(3, 2))
   features:add(nn.Transpose({4,1},{4,2},{4,3}))          -- back to B x 256 x 6 x 6
   features = makeDataParallel(features, nGPU)

   local classifier = nn.Sequential()
   classifier:add(nn.View(256 * 6 * 6))
   classifier:add(nn.Dropout(0.5))
   classifier:add(nn.Linear(256 * 6 * 6, 4096))
   classifier:add(nn.ReLU(true))
   classifier:add(nn.Dropout(0.5))
   classifier:add(nn.Linear(4096, 4096))
   classifier:add(nn.ReLU(true))
   classifier:add(nn.Linear(4096, nClasses))
   classifier:add(nn.LogSoftMax())
   return nn.Sequential():add(features):add(classifier)
end
