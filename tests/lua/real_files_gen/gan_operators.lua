-- An image-to-image generator in the style of the GAN repositories built on nngraph's
-- operators: `-m` starts a graph (m()), `x - m` calls m on x, `{a, b} - m` on a table.
require 'nngraph'

function build_generator(nc_in, nc_out, nf)
   local x0 = - nn.Identity()
   local down1 = x0 - nn.SpatialConvolution(nc_in, nf, 4, 4, 2, 2, 1, 1)
   local down2 = down1 - nn.LeakyReLU(0.2, true)
                       - nn.SpatialConvolution(nf, nf * 2, 4, 4, 2, 2, 1, 1)
                       - nn.SpatialBatchNormalization(nf * 2)
   local up2 = down2 - nn.ReLU(true) - nn.SpatialFullConvolution(nf * 2, nf, 4, 4, 2, 2, 1, 1)
                     - nn.SpatialBatchNormalization(nf) - nn.Dropout(0.5)
   local skip = {up2, down1} - nn.JoinTable(2)
   local out = skip - nn.ReLU(true) - nn.SpatialFullConvolution(nf * 2, nc_out, 4, 4, 2, 2, 1, 1) - nn.Tanh()
   return nn.gModule({x0}, {out})
end

-- the same graph through calls, as nngraph's README writes it
function build_generator_calls(nc_in, nc_out, nf)
   local x0 = nn.Identity()()
   local down1 = nn.SpatialConvolution(nc_in, nf, 4, 4, 2, 2, 1, 1)(x0)
   local down2 = nn.SpatialBatchNormalization(nf * 2)(
      nn.SpatialConvolution(nf, nf * 2, 4, 4, 2, 2, 1, 1)(nn.LeakyReLU(0.2, true)(down1)))
   local up2 = nn.Dropout(0.5)(nn.SpatialBatchNormalization(nf)(
      nn.SpatialFullConvolution(nf * 2, nf, 4, 4, 2, 2, 1, 1)(nn.ReLU(true)(down2))))
   local skip = nn.JoinTable(2)({up2, down1})
   local out = nn.Tanh()(nn.SpatialFullConvolution(nf * 2, nc_out, 4, 4, 2, 2, 1, 1)(nn.ReLU(true)(skip)))
   return nn.gModule({x0}, {out})
end

-- a slip: a node on the right of `-`
function build_wrong(nc_in, nf)
   local a = - nn.SpatialConvolution(nc_in, nf, 3, 3)
   local b = - nn.SpatialConvolution(nc_in, nf, 3, 3)
   return nn.gModule({a}, {a - b})
end
