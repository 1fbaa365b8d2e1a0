-- keeps the output in [0, 1], writing it into its own buffer
local UnitRange, parent = torch.class('upnn.UnitRange', 'nn.Module')

function UnitRange:__init()
   parent.__init(self)
end

function UnitRange:updateOutput(input)
   self.output:set(input:clamp(0, 1))
   return self.output
end
