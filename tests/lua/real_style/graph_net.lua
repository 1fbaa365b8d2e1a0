-- An nngraph network written for the tracer's tests: residual units as nn.gModule graphs
-- (one of them a torch.class subclass loaded with paths.dofile), a two-input graph, an
-- unpooling tied to its pooling, a clone sharing weights and a forward pass on a random input.
require 'nn'
require 'nngraph'
paths.dofile('custom/QuietGraph.lua')
paths.dofile('custom/LoudSequential.lua')

local function unit(planes, quiet)
   local x = nn.Identity()()
   local c1 = cudnn.SpatialConvolution(planes, planes, 3, 3, 1, 1, 1, 1)(x)
   local b1 = nn.SpatialBatchNormalization(planes)(c1)
   local r1 = cudnn.ReLU(true)(b1)
   local c2 = nn.SpatialConvolution(planes, planes, 3, 3, 1, 1, 1, 1)(r1)
   local sum = nn.CAddTable()({c2, x})
   local out = nn.ReLU(true)(sum)
   if quiet then return nn.QuietGraph({x}, {out}) end
   return nn.gModule({x}, {out})
end

function createModel(opt)
   local planes = opt.planes or 8
   local model = nn.LoudSequential()
   model:add(nn.SpatialConvolution(3, planes, 3, 3, 1, 1, 1, 1))
   local pool = nn.SpatialMaxPooling(2, 2, 2, 2)
   model:add(pool)
   model:add(unit(planes, false))
   model:add(unit(planes, true))
   model:add(nn.SpatialMaxUnpooling(pool))

   -- two inputs, two outputs, a node split into its table entries
   local a, b = nn.Identity()(), nn.Identity()()
   local pair = nn.ConcatTable():add(nn.Identity()):add(nn.MulConstant(0.5))(a)
   local left, right = pair:split(2)
   local mixed = nn.CMulTable()({left, b})
   local join = nn.gModule({a, b}, {mixed, right})
   local head = nn.Sequential():add(nn.ConcatTable():add(nn.Identity()):add(nn.Identity())):add(join)
   model:add(head):add(nn.JoinTable(2))

   model:add(nn.SpatialConvolution(2 * planes, planes, 1, 1))
   local conv = nn.SpatialConvolution(planes, planes, 1, 1)
   model:add(conv):add(nn.Tanh())
   model:add(conv:clone('weight', 'bias', 'gradWeight', 'gradBias'))
   model:add(nn.SpatialAveragePooling(4, 4, 4, 4)):add(nn.View(planes * 4 * 4))
   model:add(nn.Linear(planes * 16, opt.nClasses))

   local output = model:forward(torch.randn(2, 3, 16, 16))
   print('output', output:size())
   return model
end
