-- Custom modules (torch.class with their own updateOutput or forward) for the tracer
-- (enet_port/lua/tracer.py). Lua counterpart: the class's own Lua, run by Torch7's Module:forward
-- inside the model's forward pass. Called as a chunk by torch7.lua with an api table; returns
-- resolve(model, input).
-- Once the file has built the model, the model is walked in forward order from its input (the
-- --input sizes: {sizes = per-sample shape}, or a {table} of them for a graph's inputs), through
-- Sequential, Concat, ConcatTable, ParallelTable and nngraph containers; every other module's
-- output comes from the shape rules. Each custom module met runs its method on stand-ins of the
-- structure that reaches it (a symbolic tensor of lua/symbolic.lua, or a Lua table of them, of
-- the true sizes where they are known) and becomes what its operations recorded: an nn.gModule
-- with one input per stand-in tensor and one output per tensor it returns (an input passed
-- through is an output), an nn.Sequential when the operations form a chain, nn.Identity when it
-- returns its input.
local api = ...
local nn, is_tensor, is_module, user_error = api.nn, api.is_tensor, api.is_module, api.user_error
local Module, context = api.Module, api.context
local S = api.chunks.symbolic(api)
api.chunks.symbolic_sizes(api, S)
api.chunks.symbolic_index(api, S)
local is_sym, node_of = S.is_sym, S.node_of

-- the custom class's own method (updateOutput or forward) between cls and its Torch7 ancestor
local function own_method(m)
  local c = getmetatable(m)
  while c and not api.builtin[c] and c ~= Module do
    if rawget(c, "updateOutput") then return rawget(c, "updateOutput") end
    if rawget(c, "forward") then return rawget(c, "forward") end
    c = getmetatable(c).__index
  end
end

local function is_custom(m)
  local t = rawget(m, "__t7")
  return type(t) == "table" and rawget(t, "custom") and not rawget(t, "tracing")  -- raw: a file can alter it
end

-- stand-ins for what reaches a custom module; the graph input node of each tensor joins inputs
local function stand_in(value, inputs)
  if value ~= nil and value.table then
    local items = {}
    for i, item in ipairs(value.table) do
      if item.table then user_error("the tracer does not support a custom module that receives a table of tables") end
      items[i] = stand_in(item, inputs)
    end
    return items
  end
  local node = nn.Identity()()
  inputs[#inputs + 1] = node
  return S.wrap(node, value and value.sizes)
end

-- the output of the traced method: a symbolic tensor or a Lua table of them
local function output_nodes(out)
  if is_sym(out) then return {node_of(out, "the output")} end
  if type(out) ~= "table" or is_tensor(out) or is_module(out) then
    user_error("the custom module's updateOutput gives no tensor the tracer can follow")
  end
  local nodes = {}
  for i, x in ipairs(out) do nodes[i] = node_of(x, "item " .. i .. " of the output") end
  if #nodes == 0 then user_error("the custom module's updateOutput gives an empty table") end
  return nodes
end

-- the modules between the one input and the one output when each reads the one before, else nil
local function chain(inputs, outputs)
  if #inputs ~= 1 or #outputs ~= 1 then return nil end
  local list, node = {}, outputs[1]
  while node ~= inputs[1] do
    if #node.parents ~= 1 then return nil end
    table.insert(list, 1, node.module)
    node = node.parents[1]
  end
  return list
end

-- what the traced method returned, as the walk passes it on: where the shape rules cannot size
-- it, its structure still reaches the next module ({} for a tensor of unknown sizes)
local function structure(out)
  if is_sym(out) then return S.sample_of(out) or {} end
  local items = {}
  for i, x in ipairs(out) do items[i] = structure(x) end
  return {table = items}
end

local function replace(m, name, args, children)
  local t = m.__t7
  t.name, t.args, t.n, t.mods, t.init, t.custom = name, args, #args, {}, {}, nil
  t.had_bias, t.tie, t.share = nil, nil, nil
  rawset(m, "modules", children)
end

-- f(...) with context.last: the last line of a user file run (a refusal inside a tail call,
-- `return input:view(-1)`, has no user line on the stack); the time limit's count hook stays
local function with_last_line(f, ...)
  local hook, mask, count = debug.gethook()
  local saved = context.last
  debug.sethook(function(event, line)
    if event ~= "line" then return hook and hook(event) end
    local source = debug.getinfo(2, "S").source
    if source:sub(1, 1) == "@" then context.last = {source = source, line = line} end
  end, "l", count or 0)
  local out = f(...)
  debug.sethook(hook, mask, count)
  context.last = saved
  return out
end

local function trace_custom(m, value)
  local method = own_method(m)
  if type(method) ~= "function" then user_error("a custom module lost its updateOutput") end
  local saved, saved_base = context.lines, context.base
  context.base = context.depth()
  local lines = rawget(m.__t7, "lines")
  context.lines = type(lines) == "table" and lines or {}
  m.__t7.tracing = true
  -- traced as in evaluation (model:evaluate()): a training-only path draws random numbers
  -- (shake-shake's per-sample alphas) that no module of the spec can hold
  local train = rawget(m, "train")
  rawset(m, "train", false)
  local inputs = {}
  local out = with_last_line(method, m, stand_in(value, inputs))
  rawset(m, "train", train)
  if out == nil then out = rawget(m, "output") end
  local outputs = output_nodes(out)
  local modules = chain(inputs, outputs)
  if modules and #modules == 0 then
    replace(m, "nn.Identity", {}, {})
  elseif modules then
    replace(m, "nn.Sequential", {}, modules)
  else
    local graph = nn.gModule(inputs, outputs)
    replace(m, "nn.gModule", graph.__t7.args, graph.modules)
  end
  m.__t7.tracing = nil
  context.lines, context.base = saved, saved_base
  return structure(out)
end

local walk_module, holds_custom = api.chunks.custom_walk({is_custom = is_custom, trace = trace_custom, is_module = is_module,
                                            shape = S.shape})
S.before_apply = function(module, value) walk_module(module, value) end

-- Module:forward on an input of known sizes (torch.zeros(1, 4, 84, 84)): the output's sizes
-- from the shape rules (a DQN sizes its Linear from net:forward(...):nElement()), the first
-- size the batch when the rest fits; a model the rules cannot size gives a tensor of unknown sizes
local function sized_forward(self, input)
  local sizes, saved = input._sizes, S.batch
  if holds_custom(self) then
    S.batch = sizes[1]
    walk_module(self, #sizes > 1 and {sizes = {select(2, unpack(sizes))}} or nil)
    S.batch = saved
  end
  local answer = api.shape(api.export(self), sizes)
  if answer == nil then return nil end
  if answer.error then user_error(":forward(): " .. answer.error) end
  if answer.sizes then return api.new_tensor(answer.sizes) end
  local out = {}
  for i, s in ipairs(answer.table) do out[i] = api.new_tensor(s) end
  return out
end

-- Module:forward on a symbolic tensor (or a table of them): the module becomes a node of the
-- graph being traced, and its output (self.net1.output) the node's
local forward = Module.forward
for _, name in ipairs({"forward", "updateOutput"}) do
  Module[name] = function(self, input, ...)
    local out
    if is_sym(input) then
      out = S.apply(self, input)
    elseif type(input) == "table" and not is_tensor(input) and not is_module(input) and is_sym(input[1]) then
      out = S.apply(self, unpack(input))
    elseif is_tensor(input) and #input._sizes > 0 then
      out = sized_forward(self, input)
    end
    if out == nil then return forward(self, input, ...) end
    rawset(self, "output", out)
    return out
  end
end

-- every custom module of the model traced, in forward order from the model's input
return function(model, input)
  S.batch = 1
  if holds_custom(model) then walk_module(model, input) end
end
