-- paramsForEpoch of imagenet-multiGPU.torch train.lua with its default regime table (ENet V2).
-- A manual -LR turns the table off; the first epoch of a row starts a new regime.
local regimes = {
   -- start, end,    LR,   WD,
   {  1,     18,   1e-2,   5e-4, },
   { 19,     29,   5e-3,   5e-4  },
   { 30,     43,   1e-3,   0 },
   { 44,     52,   5e-4,   0 },
   { 53,    1e8,   1e-4,   0 },
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
