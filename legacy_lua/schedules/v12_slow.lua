-- ENet V12 "slow" rule (reference/enet-facts.md): lr held to epoch 15 with WD 1e-4, then
-- multiplied by 0.95^(epoch-15) every epoch with WD 0; every epoch after the first is a new regime.
local lr

function paramsForEpoch(epoch)
   if opt.LR ~= 0.0 and epoch == 1 then
      lr = opt.LR
      return { }
   elseif epoch == 1 then
      lr = 0.1
      return { learningRate = lr, weightDecay = 1e-4 }
   elseif epoch <= 15 then
      return { learningRate = lr, weightDecay = 1e-4 }, true
   end
   lr = lr * math.pow(0.95, epoch - 15)
   return { learningRate = lr, weightDecay = 0 }, true
end
