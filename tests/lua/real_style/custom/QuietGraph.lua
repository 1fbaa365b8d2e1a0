-- A torch.class subclass of nn.gModule that changes only the backward pass (as memory-saving
-- variants do): the tracer traces it as an nn.gModule.
require 'nngraph'
local QuietGraph, parent = torch.class('nn.QuietGraph', 'nn.gModule')

function QuietGraph:accGradParameters(input, gradOutput, scale)
   parent.accGradParameters(self, input, gradOutput, scale)
   collectgarbage()
end
