-- The seed's "linear" rule (ENet V6): lr lives across calls and shrinks by (1 - epoch/nEpochs)
-- each epoch; weight decay from a table. Epoch 1 returns no parameters, so the optimState keeps
-- -LR (0 unless given) for that epoch.
local lr
local wd_regimes = {
   -- start, end,   WD,
   {  1,     18,  5e-4, },
   { 19,     29,  5e-4  },
   { 30,     43,    0 },
   { 44,     52,    0 },
   { 53,    1e8,    0 },
}

function paramsForEpoch(epoch)
   if opt.LR ~= 0.0 and epoch == 1 then -- if manually specified
      lr = opt.LR
      return { }
   elseif epoch == 1 then
      lr = 0.1
      return { }
   end
   lr = lr * (1 - epoch / opt.nEpochs)
   for _, row in ipairs(wd_regimes) do
      if epoch >= row[1] and epoch <= row[2] then
         return { learningRate = lr, weightDecay = row[3] }, true
      end
   end
end
