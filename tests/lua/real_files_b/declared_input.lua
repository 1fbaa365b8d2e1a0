-- An Inception-style file that returns its model in a table with the input size it was made for
-- (eladhoffer's ImageNet-Training: InputSize, read by Main.lua); its last pooling fits that size only.
require 'nn'

local function ConvBN(nIn, nOut, k, s)
    local m = nn.Sequential()
    m:add(nn.SpatialConvolution(nIn, nOut, k, k, s, s, 0, 0))
    m:add(nn.SpatialBatchNormalization(nOut, 1e-3, nil, true))
    m:add(nn.ReLU(true))
    return m
end

local model = nn.Sequential()
model:add(ConvBN(3, 8, 3, 2))                    -- 3x19x19 -> 8x9x9
model:add(ConvBN(8, 16, 3, 1))                   -- -> 16x7x7
model:add(nn.SpatialAveragePooling(7, 7, 1, 1))  -- -> 16x1x1
model:add(nn.View(-1):setNumInputDims(3))
model:add(nn.Linear(16, 10))

return {
  model = model,
  rescaleImgSize = 24,
  InputSize = {3, 19, 19}
}
