-- A script in the style of the GAN training files: defaults overridden from the environment,
-- a seed drawn from torch's generator, then the networks.
opt = {
   nz = 16,
   ngf = 8,
   batchSize = 4,
}
for k, v in pairs(opt) do opt[k] = tonumber(os.getenv(k)) or os.getenv(k) or opt[k] end
opt.manualSeed = torch.random(1, 10000)
torch.manualSeed(opt.manualSeed)

model = nn.Sequential()
model:add(nn.View(opt.nz, 1, 1):setNumInputDims(1))
model:add(nn.SpatialFullConvolution(opt.nz, opt.ngf * 2, 4, 4))
model:add(nn.SpatialBatchNormalization(opt.ngf * 2)):add(nn.ReLU(true))
model:add(nn.SpatialFullConvolution(opt.ngf * 2, 3, 4, 4, 2, 2, 1, 1))
model:add(nn.Tanh())
