-- The seed's rule for ENet V7 (after fb.resnet.torch, suggested by SangPil Kim): lr multiplied
-- by 0.9^(epoch-1) every epoch, WD 1e-4. Epoch 1 returns parameters but no new-regime flag, so
-- train.lua ignores them and epoch 1 runs at -LR.
local lr

function paramsForEpoch(epoch)
   if opt.LR ~= 0.0 and epoch == 1 then -- if manually specified
      lr = opt.LR
      return { }
   elseif epoch == 1 then
      lr = 0.1
      return { learningRate = lr, weightDecay = 1e-4 }
   end
   lr = lr * math.pow(0.9, epoch - 1)
   return { learningRate = lr, weightDecay = 1e-4 }, true
end
