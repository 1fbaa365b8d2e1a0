-- ENet V12 "fast" rule (reference/enet-facts.md): lr multiplied by 0.95^(epoch-1) every epoch,
-- WD 1e-4 up to epoch 7 and 0 after; epoch 1 behaves as in the V7 rule.
local lr

function paramsForEpoch(epoch)
   if opt.LR ~= 0.0 and epoch == 1 then
      lr = opt.LR
      return { }
   elseif epoch == 1 then
      lr = 0.1
      return { learningRate = lr, weightDecay = 1e-4 }
   end
   lr = lr * math.pow(0.95, epoch - 1)
   return { learningRate = lr, weightDecay = epoch <= 7 and 1e-4 or 0 }, true
end
