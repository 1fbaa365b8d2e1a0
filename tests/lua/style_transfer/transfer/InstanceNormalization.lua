-- Per-sample, per-plane normalisation with a learned scale and shift, written for the tests
-- in the style of a style-transfer project's own module file.
local InstanceNorm, parent = torch.class('nn.InstanceNormalization', 'nn.Module')

function InstanceNorm:__init(planes, eps)
  parent.__init(self)
  self.nOutput = planes
  self.eps = eps or 1e-5
  self.weight = torch.Tensor(planes):uniform()
  self.bias = torch.Tensor(planes):zero()
  self.gradWeight = torch.Tensor(planes)
  self.gradBias = torch.Tensor(planes)
end

function InstanceNorm:updateOutput(input)
  local batch, planes = input:size(1), input:size(2)
  local flat = input:view(1, batch * planes, input:size(3), input:size(4))
  self.norm = self.norm or nn.SpatialBatchNormalization(batch * planes, self.eps)
  self.norm.weight:copy(self.weight:repeatTensor(batch))
  self.norm.bias:copy(self.bias:repeatTensor(batch))
  self.norm:training()
  self.output = self.norm:forward(flat):viewAs(input)
  return self.output
end
