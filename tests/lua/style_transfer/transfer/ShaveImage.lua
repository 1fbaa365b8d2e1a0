-- Crops the same number of rows and columns from every border of an image batch.
local Shave, parent = torch.class('nn.ShaveImage', 'nn.Module')

function Shave:__init(size)
  parent.__init(self)
  self.size = size
end

function Shave:updateOutput(input)
  local h, w, s = input:size(3), input:size(4), self.size
  self.output = input:narrow(3, s + 1, h - 2 * s):narrow(4, s + 1, w - 2 * s):clone()
  return self.output
end
