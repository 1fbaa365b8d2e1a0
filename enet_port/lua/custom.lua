-- Custom modules (torch.class with their own updateOutput or forward) for the tracer
-- (enet_port/lua/tracer.py). Lua counterpart: the class's own Lua, run by Torch7's Module:forward.
-- Called as a chunk by torch7.lua with an api table; returns resolve(model).
-- The class's method runs on a symbolic stand-in tensor (a graph node of lua/nngraph.lua): each
-- operation it performs on it (narrow, torch.cat, add, cmul, mul, a child's forward, ...) adds
-- the Torch7 module that computes the same (nn.Narrow, nn.JoinTable, nn.CAddTable, nn.CMulTable,
-- nn.MulConstant, the child itself), so the custom module leaves the sandbox as an nn.gModule, or
-- as an nn.Sequential when the operations form a chain. An operation the stand-ins do not know
-- is refused at its Lua line, naming it.
local api = ...
local Tensor, nn, is_tensor, is_module, user_error = api.Tensor, api.nn, api.is_tensor, api.is_module, api.user_error
local Module, context = api.Module, api.context

local function is_sym(x) return is_tensor(x) and (rawget(x, "_node") ~= nil or rawget(x, "_zero") == true) end
local function wrap(node) return setmetatable({_sizes = {}, _node = node}, Tensor) end

local function refuse(what)
  user_error("the tracer does not support " .. what .. " inside a custom module's updateOutput")
end

local function node_of(x, what)
  if not is_sym(x) or rawget(x, "_zero") then refuse(what .. " on a tensor the tracer cannot follow") end
  return x._node
end

-- module(parents) on the nodes of the symbolic tensors; a tensor used twice passes once through
-- an nn.Identity (nngraph refuses the same node twice in one call)
local function apply(module, ...)
  local parents, seen = {}, {}
  for i = 1, select("#", ...) do
    local node = node_of((select(i, ...)), module.__t7.name)
    if seen[node] then node = nn.Identity()(node) end
    seen[node], parents[i] = true, node
  end
  return wrap(module(#parents == 1 and parents[1] or parents))
end

local function become(self, result)  -- in-place: the tensor now holds the result
  rawset(self, "_node", result._node)
  rawset(self, "_zero", nil)
  return self
end

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
  return become(self, wrap(node_of(source, ":copy()")))
end)
either("clone", function(self) return wrap(node_of(self, ":clone()")) end)
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

local size, dim, nElement = Tensor.size, Tensor.dim, Tensor.nElement
function Tensor:size(d)
  if is_sym(self) then refuse(":size() (sizes are not known while the custom module is traced)") end
  return size(self, d)
end
function Tensor:dim()
  if is_sym(self) then refuse(":dim()") end
  return dim(self)
end
function Tensor:nElement()
  if is_sym(self) then refuse(":nElement()") end
  return nElement(self)
end
Tensor.numel = Tensor.nElement

-- torch.cat(a, b, dim) and torch.cat({a, b, ...}, dim): nn.JoinTable(dim)
local function cat(a, b, d)
  local list = a
  if is_tensor(a) then list, d = {a, b}, d else d = b end
  if type(d) ~= "number" then refuse("torch.cat without a dimension") end
  return apply(nn.JoinTable(d), unpack(list))
end
local torch = api.torch
local function torch_op(name, symbolic)
  local numeric = torch[name]
  torch[name] = function(a, ...)
    local first = is_tensor(a) and a or nil
    if is_sym(a) or is_sym((...)) or (type(a) == "table" and not first and is_sym(a[1])) then return symbolic(a, ...) end
    if numeric == nil then user_error("the tracer does not support torch." .. name .. "() outside a custom module") end
    return numeric(a, ...)
  end
end
torch_op("cat", cat)
torch_op("add", function(a, b, c) return sum(wrap(node_of(a, "torch.add()")), b, c) end)
torch_op("cmul", function(a, b) return apply(nn.CMulTable(), a, b) end)
torch_op("cmax", function(a, c) return wrap(node_of(a, "torch.cmax()")):cmax(c) end)
torch_op("clamp", function(a, low, high) return wrap(node_of(a, "torch.clamp()")):clamp(low, high) end)
for method in pairs(ACTIVATIONS) do
  torch_op(method, function(a)
    local x = wrap(node_of(a, "torch." .. method .. "()"))
    return x[method](x)
  end)
end

-- the custom class's own method (updateOutput or forward) between cls and its Torch7 ancestor
local function own_method(m)
  local c = getmetatable(m)
  while c and not api.builtin[c] and c ~= Module do
    if rawget(c, "updateOutput") then return rawget(c, "updateOutput") end
    if rawget(c, "forward") then return rawget(c, "forward") end
    c = getmetatable(c).__index
  end
end

-- the output of the traced method: a symbolic tensor or a Lua table of them
local function output_nodes(out)
  if is_sym(out) then return {node_of(out, "the output")} end
  if type(out) ~= "table" or is_tensor(out) or is_module(out) then
    user_error("the custom module's updateOutput gives no tensor the tracer can follow")
  end
  local nodes = {}
  for i, x in ipairs(out) do nodes[i] = node_of(x, "item " .. i .. " of the output") end
  return nodes
end

-- the modules between the input and the one output when each reads the one before, else nil
local function chain(input, outputs)
  if #outputs ~= 1 then return nil end
  local list, node = {}, outputs[1]
  while node ~= input do
    if #node.parents ~= 1 then return nil end
    table.insert(list, 1, node.module)
    node = node.parents[1]
  end
  return list
end

local function replace(m, name, args, children)
  local t = m.__t7
  t.name, t.args, t.n, t.mods, t.init, t.custom = name, args, #args, {}, {}, nil
  t.had_bias, t.tie, t.share = nil, nil, nil
  rawset(m, "modules", children)
end

local function trace_custom(m, method)
  local saved, saved_base = context.lines, context.base
  context.base = context.depth()
  local lines = rawget(m.__t7, "lines")
  context.lines = type(lines) == "table" and lines or {}
  local input_node = nn.Identity()()
  local out = method(m, wrap(input_node))
  if out == nil then out = rawget(m, "output") end
  local outputs = output_nodes(out)
  local modules = chain(input_node, outputs)
  if modules and #modules == 0 then
    replace(m, "nn.Identity", {}, {})
  elseif modules then
    replace(m, "nn.Sequential", {}, modules)
  else
    local graph = nn.gModule({input_node}, outputs)
    replace(m, "nn.gModule", graph.__t7.args, graph.modules)
  end
  context.lines, context.base = saved, saved_base
end

-- every custom module of the model traced, innermost last (a traced module's children are walked)
local function resolve(m, seen)
  seen = seen or {}
  if not is_module(m) or seen[m] then return end
  seen[m] = true
  local t = rawget(m, "__t7")
  if type(t) == "table" and rawget(t, "custom") then  -- raw: a file can put a metatable on the record
    local method = own_method(m)
    if type(method) ~= "function" then user_error("a custom module lost its updateOutput") end
    trace_custom(m, method)
  end
  local children = rawget(m, "modules")
  if type(children) == "table" then
    for _, child in ipairs(children) do resolve(child, seen) end
  end
end

-- Module:forward on an input of known sizes (torch.zeros(1, 4, 84, 84)): the output's sizes
-- from the shape rules (a DQN sizes its Linear from net:forward(...):nElement()); a model the
-- rules cannot size (a module they do not know) gives a tensor of unknown sizes
local function sized_forward(self, input)
  resolve(self)
  local answer = api.shape(api.export(self), input._sizes)
  if answer == nil then return nil end
  if answer.error then user_error(":forward(): " .. answer.error) end
  if answer.sizes then return api.new_tensor(answer.sizes) end
  local out = {}
  for i, sizes in ipairs(answer.table) do out[i] = api.new_tensor(sizes) end
  return out
end

-- Module:forward on a symbolic tensor: the module becomes a node of the graph being traced
local forward = Module.forward
for _, name in ipairs({"forward", "updateOutput"}) do
  Module[name] = function(self, input, ...)
    if is_sym(input) then return apply(self, input) end
    if type(input) == "table" and not is_tensor(input) and is_sym(input[1]) then return apply(self, unpack(input)) end
    if is_tensor(input) and #input._sizes > 0 then
      local out = sized_forward(self, input)
      if out ~= nil then rawset(self, "output", out) return out end
    end
    return forward(self, input, ...)
  end
end

return resolve
