-- paramsForEpoch of imagenet-multiGPU.torch train.lua with its faster table of the seed (ENet V3).
-- A manual -LR turns the table off; the first epoch of a row starts a new regime.
local regimes = {
   -- start, end,    LR,   WD,
   {  1,     10,   1e-2,   5e-4, },
   { 11,     15,   5e-3,   5e-4  },
   { 16,     20,   1e-3,   0 },
   { 21,     30,   5e-4,   0 },
   { 31,    1e8,   1e-4,   0 },
}

function paramsForEpoch(epoch)
   if opt.LR ~= 0.0 then -- if manually specified
      return { }
   end
   for _, row in ipairs(regimes) do
      if epoch >= row[1] and epoch <= row[2] then
         return { learningRate = row[3], weightDecay = row[4] }, epoch == row[1]
      end
   end
end
