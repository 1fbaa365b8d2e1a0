-- Symbolic stand-in tensors for tracing custom modules (lua/custom.lua). Lua counterpart: the
-- torch.Tensor methods and torch.* functions a custom module's updateOutput calls on its input.
-- Called as a chunk with custom.lua's api; returns the symbolic core (wrap, apply, refuse, ...).
-- A symbolic tensor is a graph node of lua/nngraph.lua, with the sizes Torch7 would give it
-- (batch first, then the per-sample shape from the shape rules, enet_port/model/shapes.py) when
-- they can be known. Each operation on it (narrow, add, cmul, mul, a child's forward, ...) adds
-- the Torch7 module that computes the same (nn.Narrow, nn.CAddTable, nn.CMulTable,
-- nn.MulConstant, the child itself); an operation the stand-ins do not know is refused at its
-- Lua line, naming it.
local api = ...
local Tensor, nn, is_tensor, user_error = api.Tensor, api.nn, api.is_tensor, api.user_error
local S = {batch = 1}  -- batch: the first size of every symbolic tensor while a module is traced

local function is_sym(x) return is_tensor(x) and (rawget(x, "_node") ~= nil or rawget(x, "_zero") == true) end

-- a symbolic tensor on node, of the per-sample sizes sample (nil: not known)
local function wrap(node, sample)
  local sizes = {}
  if sample then
    sizes[1] = S.batch
    for i, s in ipairs(sample) do sizes[i + 1] = s end
  end
  return setmetatable({_sizes = sizes, _node = node, _known = sample and true or nil}, Tensor)
end

local function refuse(what)
  user_error("the tracer does not support " .. what .. " inside a custom module's updateOutput")
end

local function node_of(x, what)
  if not is_sym(x) or rawget(x, "_zero") then refuse(what .. " on a tensor the tracer cannot follow") end
  return x._node
end

-- the per-sample value the shape rules take for tensors xs: one tensor, or a table of several
local function sample_of(x)
  if not rawget(x, "_known") then return nil end
  local sample = {}
  for i = 2, #x._sizes do sample[i - 1] = x._sizes[i] end
  return {sizes = sample}
end
local function value_of(xs)
  if #xs == 1 then return sample_of(xs[1]) end
  local items = {}
  for i, x in ipairs(xs) do
    items[i] = sample_of(x)
    if items[i] == nil then return nil end
  end
  return {table = items}
end

-- the output of module for the per-sample input value; nil where it is not known, also where
-- Torch7's forward would fail (a wrong --input for the model: the shape checks that follow the
-- trace report it at the module's line, and a size read is refused at its own)
function S.shape(module, value)
  if value == nil then return nil end
  local out = api.chunks.sample_shape(api.export(module), value)
  if out ~= nil and out.error then return nil end
  return out
end

-- a node's output as symbolic tensors: a Lua table of them (nn.SelectTable each) for a table
local function output(node, value)
  if value == nil or value.sizes then return wrap(node, value and value.sizes) end
  local items = {}
  for i, item in ipairs(value.table) do items[i] = output(nn.SelectTable(i)(node), item) end
  return items
end

-- module(parents) on the nodes of the symbolic tensors; a tensor used twice passes once through
-- an nn.Identity (nngraph refuses the same node twice in one call). S.before_apply traces the
-- custom modules inside module first, on these sizes (lua/custom.lua).
local function apply(module, ...)
  local xs, parents, seen = {...}, {}, {}
  for i = 1, select("#", ...) do
    local node = node_of(xs[i], module.__t7.name)
    if seen[node] then node = nn.Identity()(node) end
    seen[node], parents[i] = true, node
  end
  local value = value_of(xs)
  if S.before_apply then S.before_apply(module, value) end
  local node = module(#parents == 1 and parents[1] or parents)
  return output(node, S.shape(module, value))
end

-- in-place: the tensor now holds the result; Torch7 would also change the tensor a view is of,
-- which the stand-ins do not follow
local function become(self, result)
  if not is_sym(result) then refuse("writing a table of tensors into a tensor") end
  if rawget(self, "_view") then refuse("an in-place operation on a part of a tensor (a :narrow() or :split() view)") end
  rawset(self, "_node", result._node)
  rawset(self, "_sizes", result._sizes)
  rawset(self, "_known", rawget(result, "_known"))
  rawset(self, "_zero", nil)
  return self
end

-- x itself, as a new symbolic tensor (x:clone(), torch.cmax(x, c) before the in-place operation)
local function alias(x, what) return wrap(node_of(x, what), rawget(x, "_known") and sample_of(x).sizes) end

local function scaled(x, c)
  if c == 1 then return x end
  return apply(nn.MulConstant(c), x)
end

-- x + c*y (Torch7 add(value), add(tensor), add(value, tensor))
local function sum(x, a, b)
  if type(a) == "number" and b == nil then
    if rawget(x, "_zero") then refuse("adding a number to a zeroed tensor") end
    return apply(nn.AddConstant(a), x)
  end
  local c, y = 1, a
  if type(a) == "number" then c, y = a, b end
  if rawget(x, "_zero") then return scaled(y, c) end
  return apply(nn.CAddTable(), x, scaled(y, c))
end

local plain = {}
for _, name in ipairs({"add", "mul", "div", "copy", "fill", "zero", "clone", "resize"}) do plain[name] = Tensor[name] end

-- the methods whose stand-in on ordinary tensors stays, with a symbolic meaning beside it
local function either(name, symbolic)
  Tensor[name] = function(self, ...)
    for i = 1, select("#", ...) do if is_sym((select(i, ...))) then return symbolic(self, ...) end end
    if is_sym(self) then return symbolic(self, ...) end
    return plain[name](self, ...)
  end
end

either("add", function(self, a, b)
  if not is_sym(self) and not rawget(self, "_zeroed") then refuse(":add() into a tensor the tracer cannot follow") end
  if not is_sym(self) then rawset(self, "_zero", true) end
  return become(self, sum(self, a, b))
end)
either("mul", function(self, c)
  if type(c) ~= "number" then refuse(":mul() by a tensor (use :cmul())") end
  return become(self, scaled(self, c))
end)
either("div", function(self, c)
  if type(c) ~= "number" then refuse(":div() by a tensor") end
  return become(self, scaled(self, 1 / c))
end)
either("copy", function(self, source)
  if is_sym(self) and rawget(self, "_view") then refuse("writing into a part of a tensor (:narrow():copy())") end
  return become(self, alias(source, ":copy()"))
end)
either("clone", function(self) return alias(self, ":clone()") end)
-- x:set(y): x now views all of y, as :copy() makes x hold y (waifu2x's output:set(input:clamp(0, 1)))
Tensor.set = function(self, source)
  if not is_sym(self) and not is_sym(source) then refuse(":set() of a tensor the tracer cannot follow") end
  return become(self, alias(source, ":set()"))
end
Tensor.fill = function(self, v)
  if is_sym(self) then refuse(":fill()") end
  rawset(self, "_zeroed", v == 0 or nil)
  return plain.fill(self, v)
end
Tensor.zero = function(self)
  if is_sym(self) then rawset(self, "_node", nil); rawset(self, "_zero", true); return self end
  return Tensor.fill(self, 0)
end

function Tensor:resizeAs() return self end
function Tensor:resize(...)  -- a symbolic tensor keeps its shape; a plain one (a kernel) is resized
  if is_sym(self) then return self end
  return plain.resize(self, ...)
end
function Tensor:cmul(other) return become(self, apply(nn.CMulTable(), self, other)) end
function Tensor:csub(other) return become(self, apply(nn.CSubTable(), self, other)) end
function Tensor:narrow(dim, index, size)
  local out = apply(nn.Narrow(dim, index, size), self)
  rawset(out, "_view", true)
  return out
end
-- max(x, c) is nn.Threshold(c, c) (y = x where x > c, else c); nn.ReLU for c = 0
function Tensor:cmax(c)
  if type(c) ~= "number" then refuse(":cmax() of two tensors") end
  return become(self, apply(c == 0 and nn.ReLU() or nn.Threshold(c, c), self))
end
function Tensor:clamp(low, high)
  if high == math.huge then return self:cmax(low) end
  return become(self, apply(nn.HardTanh(low, high), self))
end
local ACTIVATIONS = {sigmoid = "Sigmoid", tanh = "Tanh", abs = "Abs", sqrt = "Sqrt", exp = "Exp", log = "Log"}
for method, name in pairs(ACTIVATIONS) do
  Tensor[method] = function(self) return become(self, apply(nn[name](), self)) end
end

local function binary(symbolic, numeric)
  return function(a, b)
    if is_sym(a) or is_sym(b) then return symbolic(a, b) end
    return numeric(a, b)
  end
end
Tensor.__add = binary(function(a, b)
  if type(a) == "number" then a, b = b, a end
  return sum(a, b)
end, Tensor.__add)
Tensor.__sub = binary(function(a, b)
  if type(b) == "number" then return sum(a, -b) end
  if type(a) == "number" then return sum(scaled(b, -1), a) end
  return apply(nn.CSubTable(), a, b)
end, Tensor.__sub)
Tensor.__mul = binary(function(a, b)
  if type(a) == "number" then a, b = b, a end
  if type(b) ~= "number" then refuse("the product of two tensors (matrix product; :cmul() multiplies elementwise)") end
  return scaled(a, b)
end, Tensor.__mul)
Tensor.__div = binary(function(a, b)
  if type(b) ~= "number" then refuse("dividing by a tensor") end
  return scaled(a, 1 / b)
end, Tensor.__div)
Tensor.__unm = function(a) return scaled(a, -1) end

local torch = api.torch
-- torch.NAME(a, ...) with a symbolic meaning when a tensor argument is symbolic
local function torch_op(name, symbolic)
  local numeric = torch[name]
  torch[name] = function(a, ...)
    local first = is_tensor(a) and a or nil
    if is_sym(a) or is_sym((...)) or (type(a) == "table" and not first and is_sym(a[1])) then return symbolic(a, ...) end
    if numeric == nil then user_error("the tracer does not support torch." .. name .. "() outside a custom module") end
    return numeric(a, ...)
  end
end
torch_op("add", function(a, b, c) return sum(alias(a, "torch.add()"), b, c) end)
torch_op("cmul", function(a, b) return apply(nn.CMulTable(), a, b) end)
torch_op("cmax", function(a, c) return alias(a, "torch.cmax()"):cmax(c) end)
torch_op("clamp", function(a, low, high) return alias(a, "torch.clamp()"):clamp(low, high) end)
for method in pairs(ACTIVATIONS) do
  torch_op(method, function(a)
    local x = alias(a, "torch." .. method .. "()")
    return x[method](x)
  end)
end

S.is_sym, S.wrap, S.refuse, S.node_of, S.apply, S.become = is_sym, wrap, refuse, node_of, apply, become
S.sample_of = sample_of
return S
