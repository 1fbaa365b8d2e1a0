-- Passes its input through; its backward would add a smoothness gradient of this strength.
local TV, parent = torch.class('nn.TotalVariation', 'nn.Module')

function TV:__init(strength)
  parent.__init(self)
  self.strength = strength
end

function TV:updateOutput(input)
  self.output = input
  return self.output
end

function TV:updateGradInput(input, gradOutput)
  local h, w = input:size(3), input:size(4)
  self.gradInput = gradOutput:clone()
  return self.gradInput
end
