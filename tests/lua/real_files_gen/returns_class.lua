-- A model kept as a class whose constructor takes the project's config, as detection
-- projects write theirs; the file returns the class, the training script builds it.
local TwoHeads, parent = torch.class('nn.TwoHeads', 'nn.Sequential')

function TwoHeads:__init(config)
   parent.__init(self)
   self:add(nn.SpatialConvolution(3, config.width, 3, 3))
   self:add(nn.ReLU(true))
end

return nn.TwoHeads
