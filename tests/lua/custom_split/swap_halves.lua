-- A class that swaps the two halves of its planes (x:split along dimension 2, or x:chunk), then
-- joins them the other way round.
require 'nn'

local Swap, parent = torch.class('nn.SwapHalves', 'nn.Module')

function Swap:__init(useChunk)
   parent.__init(self)
   self.useChunk = useChunk
end

function Swap:updateOutput(input)
   local parts
   if self.useChunk then
      parts = input:chunk(2, 2)
   else
      parts = torch.split(input, input:size(2) / 2, 2)
   end
   self.output = torch.cat(parts[2], parts[1], 2)
   return self.output
end

local model = nn.Sequential()
model:add(nn.SpatialConvolution(3, 6, 3, 3, 1, 1, 1, 1))
model:add(nn.SwapHalves(opt.chunk == 'true'))
model:add(nn.SpatialConvolution(6, 2, 1, 1))
return model
