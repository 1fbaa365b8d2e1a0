-- A symbol id (1..count) -> its one-hot row, read off a cached identity matrix.
local Symbols, parent = torch.class('Symbols', 'nn.Module')

function Symbols:__init(count)
  parent.__init(self)
  self.outputSize = count
  self._eye = torch.eye(count)
end

function Symbols:updateOutput(ids)
  local n = ids:size(1)
  self.output:resize(n, self.outputSize):zero()
  local rows = self._eye:double():index(1, ids:long())
  self.output:copy(rows)
  return self.output
end
