-- fb.resnet.torch Trainer:learningRate for ImageNet: LR * 0.1^floor((epoch-1)/30), i.e. LR / 10
-- at epochs 31 and 61, with -weightDecay as given (fb.resnet.torch's default 1e-4), set on one
-- optimState every epoch (a new regime whose momentum fb.resnet.torch keeps).
-- -LR 0 means fb.resnet.torch's default 0.1 here.
function paramsForEpoch(epoch)
   local base = opt.LR ~= 0.0 and opt.LR or 0.1
   local decay = math.floor((epoch - 1) / 30)
   return { learningRate = base * math.pow(0.1, decay), weightDecay = opt.weightDecay }, true
end
