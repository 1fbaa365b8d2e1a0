-- C3D (Tran et al. 2015) as a Torch7 user writes it: 3x3x3 convolutions on 16-frame 112x112
-- clips, Sports-1M's 487 classes. Our own file, in the style of the public ports.
require 'nn'

local function block(net, nIn, nOut, convs)
  for i = 1, convs do
    net:add(nn.VolumetricConvolution(i == 1 and nIn or nOut, nOut, 3, 3, 3, 1, 1, 1, 1, 1, 1))
    net:add(nn.ReLU(true))
  end
end

local net = nn.Sequential()
block(net, 3, 64, 1)
net:add(nn.VolumetricMaxPooling(1, 2, 2, 1, 2, 2))
block(net, 64, 128, 1)
net:add(nn.VolumetricMaxPooling(2, 2, 2, 2, 2, 2))
block(net, 128, 256, 2)
net:add(nn.VolumetricMaxPooling(2, 2, 2, 2, 2, 2))
block(net, 256, 512, 2)
net:add(nn.VolumetricMaxPooling(2, 2, 2, 2, 2, 2))
block(net, 512, 512, 2)
net:add(nn.VolumetricMaxPooling(2, 2, 2, 2, 2, 2, 0, 1, 1))
net:add(nn.View(512 * 1 * 4 * 4))
net:add(nn.Linear(8192, 4096)):add(nn.ReLU(true)):add(nn.Dropout(0.5))
net:add(nn.Linear(4096, 4096)):add(nn.ReLU(true)):add(nn.Dropout(0.5))
net:add(nn.Linear(4096, 487))
return net
