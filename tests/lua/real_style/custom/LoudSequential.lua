-- A torch.class subclass of nn.Sequential with its own updateGradInput only.
local LoudSequential, parent = torch.class('nn.LoudSequential', 'nn.Sequential')

function LoudSequential:updateGradInput(input, gradOutput)
   return parent.updateGradInput(self, input, gradOutput)
end
