-- Torch7 stand-ins for the tracer (enet_port/lua/tracer.py).
-- Called as a chunk with (fields, record_line, user_error); returns the packages a model file
-- can require. Modules record their Torch7 name, arguments, modifiers, children, post-build
-- changes and the user lines that built them; no tensor holds data except small 1-D ones.
local fields, record_line, user_error = ...
local trace = {modules = {}, criteria = {}}

local Tensor = {}
Tensor.__index = Tensor
Tensor.__metatable = "torch.Tensor"

local function new_tensor(sizes, data, owner, field)
  return setmetatable({_sizes = sizes, _data = data, _owner = owner, _field = field}, Tensor)
end

local function numel(sizes)
  local n = 1
  for _, s in ipairs(sizes) do n = n * s end
  return n
end

local function tensor_from(...)
  local first = ...
  if type(first) == "table" and getmetatable(first) ~= "torch.Tensor" then
    local data = {}
    for i, v in ipairs(first) do data[i] = v end
    return new_tensor({#data}, data)
  end
  local sizes = {...}
  if #sizes == 1 and sizes[1] <= 1e6 then
    local data = {}
    for i = 1, sizes[1] do data[i] = 0 end
    return new_tensor(sizes, data)
  end
  return new_tensor(sizes)
end

local function record_init(t, how, ...)
  if t._owner then t._owner.__t7.init[t._field] = {how, ...} end
  return t
end

local function map(t, f)
  if not t._data then return new_tensor(t._sizes) end
  local data = {}
  for i, v in ipairs(t._data) do data[i] = f(v, i) end
  return new_tensor(t._sizes, data)
end

local function binary(op)
  return function(a, b)
    if type(a) == "number" then return map(b, function(v) return op(a, v) end) end
    if type(b) == "number" then return map(a, function(v) return op(v, b) end) end
    return map(a, function(v, i) return op(v, b._data and b._data[i] or 0) end)
  end
end

function Tensor:size(d) if d then return self._sizes[d] end return self._sizes end
function Tensor:dim() return #self._sizes end
function Tensor:nElement() return numel(self._sizes) end
Tensor.numel = Tensor.nElement
function Tensor:fill(v)
  if self._data then for i = 1, #self._data do self._data[i] = v end end
  return record_init(self, "fill", v)
end
function Tensor:zero() return self:fill(0) end
function Tensor:normal(m, s) return record_init(self, "normal", m or 0, s or 1) end
function Tensor:uniform(a, b) return record_init(self, "uniform", a or 0, b or 1) end
function Tensor:sum()
  local s = 0
  for _, v in ipairs(self._data or {}) do s = s + v end
  return s
end
function Tensor:clone() return map(self, function(v) return v end) end
for _, name in ipairs({"float", "double", "cuda", "cl", "contiguous", "squeeze", "type"}) do
  Tensor[name] = function(self) return self end
end
function Tensor:copy(src) return self end
function Tensor:mul(v) return record_init(self, "mul", v) end
function Tensor:div(v) return record_init(self, "div", v) end
function Tensor:add(v) return record_init(self, "add", v) end
Tensor.__add = binary(function(a, b) return a + b end)
Tensor.__sub = binary(function(a, b) return a - b end)
Tensor.__mul = binary(function(a, b) return a * b end)
Tensor.__div = binary(function(a, b) return a / b end)
Tensor.__index = function(t, k)
  if type(k) == "number" then return t._data and t._data[k] end
  return Tensor[k]
end
Tensor.__newindex = function(t, k, v)
  if type(k) == "number" and t._data then t._data[k] = v else rawset(t, k, v) end
end

local function elementwise(f)
  return function(x)
    if type(x) == "number" then return f(x) end
    return map(x, f)
  end
end

-- modules ------------------------------------------------------------------------------
local Module = {}
Module.__metatable = "nn.Module"
Module.__index = Module

local function new_module(name, ...)
  local n = select("#", ...)
  local m = {__t7 = {name = name, args = {...}, n = n, mods = {}, init = {},
                     lines = record_line()}, modules = {}, __typename = name}
  local info = fields(name, m.__t7.args, n)
  if info then  -- nil for a name the registry does not know; the tracer reports it
    if info.error then user_error(info.error) end  -- Torch7's constructor would fail here too
    for k, v in pairs(info.values) do m[k] = v end
    for k, sizes in pairs(info.tensors) do m[k] = new_tensor(sizes, nil, m, k) end
    m.__t7.had_bias = info.tensors.bias ~= nil
  end
  m.output, m.gradInput = new_tensor({}), new_tensor({})
  trace.modules[#trace.modules + 1] = m
  return setmetatable(m, Module)
end

function Module:add(child, ...)
  if getmetatable(child) ~= "nn.Module" then error("add expects a module, got " .. type(child), 2) end
  self.modules[#self.modules + 1] = child
  child.__t7.add_lines = record_line()
  return self
end
function Module:insert(child, index) table.insert(self.modules, index or #self.modules + 1, child) return self end
function Module:remove(index) return table.remove(self.modules, index) end
function Module:get(i) return self.modules[i] end
function Module:size() return #self.modules end
local function modifier(name)
  return function(self, ...)
    table.insert(self.__t7.mods, {name, ...})
    if name == "noBias" then self.bias, self.gradBias = nil, nil end
    if name == "ceil" or name == "floor" then self.ceil_mode = name == "ceil" end
    return self
  end
end
Module.noBias, Module.ceil, Module.floor = modifier("noBias"), modifier("ceil"), modifier("floor")
Module.setNumInputDims = modifier("setNumInputDims")
for _, name in ipairs({"cuda", "float", "double", "cl", "training", "evaluate", "reset",
                       "clearState", "zeroGradParameters", "threads", "setMode", "share",
                       "fastest", "resetStatistics", "type"}) do
  Module[name] = function(self) return self end
end
function Module:listModules()
  local out = {self}
  for _, child in ipairs(self.modules) do
    for _, m in ipairs(child:listModules()) do out[#out + 1] = m end
  end
  return out
end
function Module:findModules(typename)
  local out = {}
  for _, m in ipairs(self:listModules()) do
    if m.__typename == typename then out[#out + 1] = m end
  end
  return out
end
function Module:apply(f) for _, m in ipairs(self:listModules()) do f(m) end end
function Module:parameters()
  local ps = {}
  for _, m in ipairs(self:listModules()) do
    if m.weight then ps[#ps + 1] = m.weight end
    if m.bias then ps[#ps + 1] = m.bias end
  end
  return ps, ps
end
function Module:getParameters() return new_tensor({0}), new_tensor({0}) end
function Module:__tostring()
  local t = self.__t7
  local args = {}
  for i = 1, t.n do args[i] = tostring(t.args[i]) end
  local s = t.name .. "(" .. table.concat(args, ", ") .. ")"
  for i, child in ipairs(self.modules) do
    s = s .. "\n  (" .. i .. "): " .. tostring(child):gsub("\n", "\n  ")
  end
  return s
end

local function package(prefix)
  return setmetatable({}, {__index = function(t, name)
    if type(name) ~= "string" or not name:match("^%u[%w_]*$") then return nil end
    local ctor = function(...) return new_module(prefix .. "." .. name, ...) end
    rawset(t, name, ctor)
    return ctor
  end})
end

local nn, cudnn = package("nn"), package("cudnn")
cudnn.version, cudnn.benchmark, cudnn.fastest = 5105, false, false
function cudnn.convert(model) return model end
local criterion = function(name) return function(...) 
  local c = new_module(name, ...)
  trace.criteria[#trace.criteria + 1] = c
  return c
end end
for _, name in ipairs({"ClassNLLCriterion", "CrossEntropyCriterion", "MSECriterion"}) do
  nn[name] = criterion("nn." .. name)
end
cudnn.SpatialCrossEntropyCriterion = criterion("cudnn.SpatialCrossEntropyCriterion")

local torch = {Tensor = tensor_from, FloatTensor = tensor_from, DoubleTensor = tensor_from,
               CudaTensor = tensor_from, LongTensor = tensor_from, ByteTensor = tensor_from,
               LongStorage = tensor_from}
function torch.zeros(...) return tensor_from(...) end
function torch.ones(...) return tensor_from(...):fill(1) end
torch.log, torch.exp = elementwise(math.log), elementwise(math.exp)
torch.sqrt, torch.abs = elementwise(math.sqrt), elementwise(math.abs)
function torch.setdefaulttensortype() end
function torch.manualSeed() end
function torch.setnumthreads() end
function torch.getnumthreads() return 1 end
function torch.type(x)
  if type(x) == "table" and x.__typename then return x.__typename end
  if type(x) == "table" and getmetatable(x) == "torch.Tensor" then return "torch.FloatTensor" end
  return type(x)
end
torch.typename = torch.type
function torch.isTensor(x) return type(x) == "table" and getmetatable(x) == "torch.Tensor" end

local moses = {}
function moses.bindn(f, ...)
  local bound = {...}
  local nb = select("#", ...)
  return function(...)
    local args = {}
    for i = 1, nb do args[i] = bound[i] end
    local n = select("#", ...)
    for i = 1, n do args[nb + i] = select(i, ...) end
    return f(unpack(args, 1, nb + n))
  end
end
function moses.bind(f, v) return function(...) return f(v, ...) end end

local cutorch = {}
function cutorch.getDeviceCount() return 1 end
function cutorch.setDevice() end
function cutorch.synchronize() end
function cutorch.manualSeedAll() end

local paths = {}
function paths.concat(...) return table.concat({...}, "/") end
function paths.filep() return false end
function paths.dirp() return false end

nn.DataParallelTable = function(...) return new_module("nn.DataParallelTable", ...) end

return {torch = torch, nn = nn, cudnn = cudnn, cunn = nn, cutorch = cutorch, paths = paths,
        moses = moses, image = {}, optim = {}, xlua = {}, trace = trace}
