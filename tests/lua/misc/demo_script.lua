-- A demo-style training script: a coloured banner, options parsed with torch.CmdLine from th's
-- `arg`, the script's own name for its save folder, then the model the -model option picks.
require 'torch'
require 'nn'

local here, name = sys.fpath()
cmd = torch.CmdLine()
cmd:text()
cmd:text('Digits')
cmd:option('-save', name:gsub('%.lua$', ''), 'subdirectory to save/log experiments in')
cmd:option('-model', 'convnet', 'convnet | mlp')
cmd:option('-hidden', 32, 'hidden units of the mlp')
cmd:option('-full', false, 'use the whole data set')
cmd:text()
opt = cmd:parse(arg)
print(sys.COLORS.red .. '==> building ' .. opt.model .. ' in ' .. here .. '/' .. opt.save .. sys.COLORS.none)
sys.tic()

model = nn.Sequential()
if opt.model == 'convnet' then
   model:add(nn.SpatialConvolution(1, 6, 5, 5))     -- 1x16x16 -> 6x12x12
   model:add(nn.Tanh())
   model:add(nn.SpatialMaxPooling(2, 2, 2, 2))      -- -> 6x6x6
   model:add(nn.Reshape(6 * 6 * 6))
   model:add(nn.Linear(6 * 6 * 6, 10))
elseif opt.model == 'mlp' then
   model:add(nn.Reshape(256))
   model:add(nn.Linear(256, opt.hidden))
   model:add(nn.Tanh())
   model:add(nn.Linear(opt.hidden, 10))
else
   error('unknown model ' .. opt.model)
end
print('built in', sys.toc() >= 0, opt.full)
