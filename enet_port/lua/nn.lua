-- Torch7's nn classes for the tracer (enet_port/lua/tracer.py): torch.class, nn.Module and its
-- methods, clone/share, and nngraph's m(node) calls and nn.gModule.
-- Called as a chunk by torch7.lua with (fields, record_line, user_error, tensors, nngraph, trace,
-- the name set of nn_names.lua, the argument readers of nn_args.lua); returns the nn/cudnn/inn/ccn2 packages, torch.class and nngraph.
-- As in Torch7 each nn.X is a class table (nn.X.__index == nn.X, methods patchable on it),
-- instances have it as metatable, and nn.X(...) runs nn.X.__init. A module records its Torch7
-- name and arguments (__t7); a module
-- passed to another's constructor (nn.SpatialMaxUnpooling(pool)) is a tie, not an argument, and
-- a decorator's (nn.Decorator(m), model/decorators.py) is its one child, exported in its place.
local fields, record_line, user_error, tensors, nngraph_chunk, trace, TORCH_NN, args_chunk = ...
local new_tensor, is_tensor, copy_tensor = tensors.new, tensors.is, tensors.copy
local modules = setmetatable({}, {__mode = "k"})  -- every module instance
local classes, builtin = {}, {}  -- name -> class table; builtin[class]: a Torch7 class, not torch.class
local uid = 0
local Module, GraphNode = {}, {}
local ARRAY_MAX = 256
local CRITERIA = {["nn.ClassNLLCriterion"] = true, ["nn.CrossEntropyCriterion"] = true,
                  ["nn.MSECriterion"] = true, ["cudnn.SpatialCrossEntropyCriterion"] = true}

local function is_module(x) return type(x) == "table" and modules[x] == true end

local plain_list, argument_value, positional = args_chunk.values(is_tensor, is_module, ARRAY_MAX)

local nn  -- the nn package, made below
local decorate, wrap, recurrent = args_chunk.module_args({
  fields = fields, user_error = user_error, record_line = record_line, new_tensor = new_tensor,
  is_module = is_module, plain_list = plain_list, nn = function() return nn end,
  uid = function() return uid end, next_uid = function() uid = uid + 1; return uid end})

local function record(m, name, ...)
  local n, given = positional(name, select("#", ...), {...})
  if name == "nn.Recurrent" then return recurrent(m, name, n, given) end
  if wrap(m, name, n, given) then return m end
  uid = uid + 1
  local args, tie = {}, nil
  for i = 1, n do
    local v = given[i]
    if is_module(v) then tie = v.__t7.uid; v = nil else v = argument_value(v) end
    args[i] = v
  end
  if tie then n = 0; args = {} end  -- nn.SpatialMaxUnpooling(pool): the pool is its only argument
  local info = fields(name, args, n)
  if info and info.decorator then return decorate(m, name, given[1]) end
  local t = {name = name, args = args, n = n, mods = {}, init = {}, lines = record_line(), uid = uid, tie = tie}
  m.__t7, m.modules = t, rawget(m, "modules") or {}
  if info then  -- nil for a name the registry does not know; the tracer reports it
    if info.error then user_error(info.error) end  -- Torch7's constructor would fail here too
    for k, v in pairs(info.values) do m[k] = v end
    for k, sizes in pairs(info.tensors) do m[k] = new_tensor(sizes, nil, m, k) end
    t.had_bias = info.tensors.bias ~= nil
  end
  -- a custom class's __init may have set them (a table output: DenseNet's DenseConnectLayerCustom)
  m.output, m.gradInput = rawget(m, "output") or new_tensor({}), rawget(m, "gradInput") or new_tensor({})
  if CRITERIA[name] then trace.criteria[#trace.criteria + 1] = m end
  return m
end

-- classes ------------------------------------------------------------------------------
-- a custom class (torch.class) with its own updateOutput or forward is traced through that method
-- (lua/custom.lua) when the model leaves the sandbox; one without is traced as its nearest
-- Torch7 ancestor, and refused when that is nn.Module or nn.Container (nothing to compute)
local function check_custom(cls, obj)
  local c = cls
  while c and c ~= Module and not builtin[c] do
    if rawget(c, "updateOutput") ~= nil or rawget(c, "forward") ~= nil then
      if rawget(obj, "__t7") == nil then record(obj, cls.__typename) end
      obj.__t7.custom = true
      obj.__t7.decorator = nil  -- a decorator subclass with its own forward is traced through it
      return
    end
    c = getmetatable(c).__index
  end
  if c == nil or c.__typename == "nn.Module" or c.__typename == "nn.Container" then
    user_error("the tracer does not support the custom module " .. cls.__typename ..
               " (torch.class of " .. (c and c.__typename or "no class") .. " without its own updateOutput)")
  end
  if rawget(obj, "__t7") == nil then record(obj, c.__typename) end  -- its __init did not call its parent's
end

-- a project's own class (torch.class) whose name has a record flagged port_of (model/modules_style.py:
-- fast-neural-style's nn.InstanceNormalization, nn.ShaveImage, nn.TotalVariation) is taken as that
-- record: its arguments recorded as for a built-in, its own __init and updateOutput never run
-- (or, its name being a package's, as the record port_name names: torch-rnn's own nn.LSTM)
local function ported(cls)
  if builtin[cls] then return nil end
  local info = fields(cls.__typename, {}, 0)
  if info ~= nil and info.port_name ~= nil then return info.port_name end
  return info ~= nil and info.port == true and cls.__typename or nil
end

local function construct(cls, ...)
  local obj = setmetatable({}, cls)
  modules[obj] = true
  local port = ported(cls)
  if port then return record(obj, port, ...) end
  obj:__init(...)
  if not builtin[cls] then check_custom(cls, obj) end
  if rawget(obj, "__t7") == nil then record(obj, cls.__typename) end
  return obj
end

local function new_class(name, parent, is_builtin)
  -- nngraph's operators: -m is m(), x - m is m(x) (Lua 5.1 passes __unm its operand twice)
  local cls = {__typename = name, __call = function(...) return GraphNode.call(...) end,
               __unm = function(m) return GraphNode.call(m) end,
               __sub = function(prev, nxt) return GraphNode.__sub(prev, nxt) end,
               __tostring = function(m) return Module.__tostring(m) end}
  cls.__index = cls
  setmetatable(cls, {__index = parent, __call = construct, __tostring = function() return name end})
  classes[name], builtin[cls] = cls, is_builtin or nil
  if is_builtin then cls.__init = function(self, ...) record(self, name, ...) end end
  return cls
end

-- TORCH_NN (lua/nn_names.lua): torch/nn's own modules and those cunn/nnx/dpnn/rnn add to nn; any
-- other nn.X the file neither defines nor requires is nil, as in Torch7

-- set by the sandbox: runs the file of the model's folder that defines a class the model file
-- uses but never requires (the project's entry point required it); true when one did
local class_loader = function() return false end

local function package(prefix)
  return setmetatable({}, {__index = function(t, name)
    if type(name) ~= "string" or not name:match("^%u[%w_]*$") then return nil end
    local info = not TORCH_NN[name] and fields(prefix .. "." .. name, {}, 0)
    if prefix == "nn" and not TORCH_NN[name] and (info == nil or info.port) then  -- a port: the file must define it
      if class_loader(prefix .. "." .. name) then return rawget(t, name) end
      return nil
    end
    local cls = new_class(prefix .. "." .. name, Module, true)
    rawset(t, name, cls)
    return cls
  end})
end

local cudnn, inn, ccn2
nn, cudnn, inn, ccn2 = package("nn"), package("cudnn"), package("inn"), package("ccn2")
local packages = {nn = nn, cudnn = cudnn, inn = inn, ccn2 = ccn2}
rawset(nn, "gModule", new_class("nn.gModule", Module, true))  -- nngraph.lua gives its __init
for _, base in ipairs({"Module", "Container"}) do
  local cls = new_class("nn." .. base, Module, true)
  cls.__init = function() end
  rawset(nn, base, cls)
end

-- torch.class('nn.Foo', 'nn.Sequential'): a custom class, traced as its Torch7 ancestor
local function torch_class(name, parent_name)
  if type(name) ~= "string" then error("torch.class expects a class name", 2) end
  local parent = parent_name and classes[parent_name]
  if parent_name and not parent then
    local pkg, base = parent_name:match("^(%a+)%.(%u[%w_]*)$")
    parent = pkg and packages[pkg] and packages[pkg][base]
    if not parent then user_error("the tracer does not support torch.class with parent " .. tostring(parent_name)) end
  end
  local cls = new_class(name, parent or Module, false)
  if not parent then cls.__init = function() end end
  local pkg, base = name:match("^(%a+)%.(%u[%w_]*)$")
  if pkg and packages[pkg] then rawset(packages[pkg], base, cls) end
  return cls, parent
end

-- module methods -----------------------------------------------------------------------
Module.__index = Module
function Module:add(child, ...)
  if not is_module(child) then error("add expects a module, got " .. type(child), 2) end
  self.modules[#self.modules + 1] = child
  child.__t7.add_lines = record_line()
  return self
end
function Module:insert(child, index) table.insert(self.modules, index or #self.modules + 1, child) return self end
function Module:remove(index) return table.remove(self.modules, index) end
function Module:get(i) return self.modules[i] end
function Module:size() return #self.modules end
-- called on a class (e-lab's `nn.SpatialMaxPooling:ceil()` before building), Torch7's method sets
-- the field on the class table, which each instance's __init overrides (ceil_mode = false): no
-- module changes, so nothing is recorded
local function modifier(name)
  return function(self, ...)
    if not is_module(self) then
      if name == "ceil" or name == "floor" then rawset(self, "ceil_mode", name == "ceil") end
      return self
    end
    table.insert(self.__t7.mods, {name, ...})
    if name == "noBias" then self.bias, self.gradBias = nil, nil end
    if name == "ceil" or name == "floor" then self.ceil_mode = name == "ceil" end
    return self
  end
end
Module.noBias, Module.ceil, Module.floor = modifier("noBias"), modifier("ceil"), modifier("floor")
Module.setNumInputDims = modifier("setNumInputDims")
for _, name in ipairs({"cuda", "float", "double", "cl", "training", "evaluate", "reset",
                       "clearState", "zeroGradParameters", "threads", "setMode", "fastest",
                       "resetStatistics", "type", "updateParameters", "inplace"}) do
  Module[name] = function(self) return self end
end
-- running the model: the tracer computes nothing; the output is a tensor of unknown size
for _, name in ipairs({"forward", "updateOutput", "backward", "updateGradInput"}) do
  Module[name] = function(self) return new_tensor({}) end
end
function Module:accGradParameters() end
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

-- Torch7 m:share(src, 'weight', ...): the tensors named are src's
function Module:share(source, ...)
  if not is_module(source) then user_error("share expects a module") end
  if select("#", ...) > 0 then self.__t7.share = {uid = source.__t7.uid, fields = {...}} end
  return self
end

-- a deep copy of a module (Torch7 clones by serializing): new records, new tensors, ties
-- and shares inside the copy point into the copy
local function deep_copy(v, memo, uids)
  if type(v) ~= "table" then return v end
  if memo[v] then return memo[v] end
  if classes[rawget(v, "__typename") or ""] == v or packages[v] then return v end
  if is_tensor(v) then
    local t = copy_tensor(v)
    memo[v] = t
    t._owner = deep_copy(v._owner, memo, uids)
    return t
  end
  local out = {}
  memo[v] = out
  if is_module(v) then modules[out] = true end
  for k, x in pairs(v) do out[deep_copy(k, memo, uids)] = deep_copy(x, memo, uids) end
  local mt = getmetatable(v)
  if type(mt) == "table" then setmetatable(out, mt) end
  if is_module(v) then
    uid = uid + 1
    uids[v.__t7.uid], out.__t7.uid = uid, uid
  end
  return out
end

function Module:clone(...)
  local uids = {}
  local copy = deep_copy(self, {}, uids)
  for _, m in ipairs(copy:listModules()) do
    local t = m.__t7
    if t.tie then t.tie = uids[t.tie] or t.tie end
    if t.share then t.share = {uid = uids[t.share.uid] or t.share.uid, fields = t.share.fields} end
  end
  if select("#", ...) > 0 then copy:share(self, ...) end
  return copy
end

local graph = nngraph_chunk({GraphNode = GraphNode, nn = nn, is_module = is_module, user_error = user_error,
                             record_line = record_line, record = record, new_tensor = new_tensor})

return {nn = nn, cudnn = cudnn, inn = inn, ccn2 = ccn2, class = torch_class, nngraph = graph, Module = Module, builtin = builtin,
        is_module = is_module, getmetatable = function(name) return classes[name] end,
        set_class_loader = function(f) class_loader = f end}
