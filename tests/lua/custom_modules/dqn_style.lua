-- A DQN-style network: a parameter-free activation class of its own, and the Linear sized from a
-- forward pass of the convolutional part (net:forward(torch.zeros(...)):nElement()).
require 'nn'

local Rectifier = torch.class('nn.HalfRectifier', 'nn.Module')

function Rectifier:updateOutput(input)
   return self.output:resizeAs(input):copy(input):cmax(0)
end

return function(args)
   args = args or {}
   local input_dims = args.input_dims or {4, 84, 84}
   local net = nn.Sequential()
   net:add(nn.Reshape(unpack(input_dims)))
   net:add(nn.SpatialConvolution(input_dims[1], 32, 8, 8, 4, 4, 1))
   net:add(nn.HalfRectifier())
   net:add(nn.SpatialConvolution(32, 64, 4, 4, 2, 2))
   net:add(nn.HalfRectifier())
   net:add(nn.SpatialConvolution(64, 64, 3, 3, 1, 1))
   net:add(nn.HalfRectifier())
   local nel = net:forward(torch.zeros(1, unpack(input_dims))):nElement()
   net:add(nn.Reshape(nel))
   net:add(nn.Linear(nel, 512))
   net:add(nn.HalfRectifier())
   net:add(nn.Linear(512, args.n_actions or 18))
   return net
end
