-- A face-embedding network in the style of OpenFace's model definitions (a FaceNet NN4 stem,
-- dpnn Inception blocks with batch normalisation, an L2-normalised embedding), smaller, with
-- a 48x48 input. Written for enet-port's tests; like OpenFace's files it leaves requiring dpnn
-- to the training script and reads opt.embSize.

imgDim = 48

function createModel()
   local net = nn.Sequential()

   net:add(nn.SpatialConvolutionMM(3, 16, 7, 7, 2, 2, 3, 3))
   net:add(nn.SpatialBatchNormalization(16))
   net:add(nn.ReLU())
   net:add(nn.SpatialMaxPooling(3, 3, 2, 2, 1, 1))
   net:add(nn.SpatialCrossMapLRN(5, 0.0001, 0.75))

   -- (3a): four columns; the pooling column comes out 5x5 and is padded to 12x12
   net:add(nn.Inception{
      inputSize = 16,
      kernelSize = {3, 5},
      kernelStride = {1, 1},
      outputSize = {24, 8},
      reduceSize = {12, 4, 8, 16},
      pool = nn.SpatialMaxPooling(3, 3, 2, 2),
      batchNorm = true
   })

   -- (3b): an L2 pooling column
   net:add(nn.Inception{
      inputSize = 56,
      kernelSize = {3, 5},
      kernelStride = {1, 1},
      outputSize = {24, 16},
      reduceSize = {16, 8, 16, 24},
      pool = nn.SpatialLPPooling(56, 2, 3, 3),
      batchNorm = true
   })

   -- (3c): stride 2, neither a 1x1 column nor a reduction after the pooling
   net:add(nn.Inception{
      inputSize = 80,
      kernelSize = {3, 5},
      kernelStride = {2, 2},
      outputSize = {32, 16},
      reduceSize = {24, 8, nil, nil},
      pool = nn.SpatialMaxPooling(3, 3, 2, 2),
      batchNorm = true
   })

   -- (5a): one convolution column
   net:add(nn.Inception{
      inputSize = 128,
      kernelSize = {3},
      kernelStride = {1},
      outputSize = {48},
      reduceSize = {32, 32, 48},
      pool = nn.SpatialLPPooling(128, 2, 3, 3),
      batchNorm = true
   })

   net:add(nn.SpatialAveragePooling(6, 6))
   net:add(nn.View(128))
   net:add(nn.Linear(128, opt.embSize))
   net:add(nn.Normalize(2))

   return net
end
