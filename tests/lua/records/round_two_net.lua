-- A net of our own using the records of issue 19 round two, written as torch/nn users write them.
require 'nn'

local net = nn.Sequential()
net:add(nn.SpatialConvolution(3, 8, 3, 3, 1, 1, 1, 1))
net:add(nn.CMul(8, 8, 8))          -- a weight per element of the 8x8x8 sample
net:add(nn.CAdd(1, 8, 1, 1))       -- a bias per plane
net:add(nn.SoftPlus(2))
net:add(nn.RReLU(0.1, 0.3))
net:add(nn.SpatialLogSoftMax())
net:add(nn.Max(2))                 -- over the planes: 8x8
net:add(nn.Bottle(nn.Linear(8, 5)))  -- each of the 8 rows: 8x5
net:add(nn.SplitTable(2))
net:add(nn.NarrowTable(1, 2))
net:add(nn.MapTable(nn.Linear(5, 6)))
net:add(nn.CosineDistance())
net:add(nn.Unsqueeze(2))
net:add(nn.Replicate(4, 2))        -- 4x1
net:add(nn.View(4))
net:add(nn.Linear(4, 2))
return net
