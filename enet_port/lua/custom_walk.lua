-- The walk in forward order that brings custom modules their input (lua/custom.lua). Lua
-- counterpart: the containers' updateOutput (torch/nn Sequential.lua, Concat.lua,
-- ConcatTable.lua, ParallelTable.lua, nngraph gmodule.lua) passing values to their children.
-- Called as a chunk with {is_custom, trace, is_module, shape}; returns walk(module, value) and
-- holds_custom(module).
-- A value is what a module receives, per sample: {sizes = {...}} for a tensor, {table = {...}}
-- for a Lua table of them, {} for a tensor of unknown sizes, nil where nothing is known. A
-- module without custom modules inside answers through the shape rules alone; a container with
-- some passes each child what Torch7 passes it; any other module holding custom modules traces
-- them on inputs of unknown sizes.
local api = ...
local is_custom, trace, is_module, shape = api.is_custom, api.trace, api.is_module, api.shape

local CHAIN = {["nn.Sequential"] = true, ["nn.DataParallelTable"] = true}
local SAME_INPUT = {["nn.Concat"] = true, ["nn.DepthConcat"] = true, ["nn.ConcatTable"] = true}

local function children_of(m)
  local children = rawget(m, "modules")
  return type(children) == "table" and children or {}
end

local function holds_custom(m, seen)
  if not is_module(m) or seen[m] then return false end
  seen[m] = true
  if is_custom(m) then return true end
  for _, child in ipairs(children_of(m)) do
    if holds_custom(child, seen) then return true end
  end
  return false
end

local function item(value, i)
  return value ~= nil and value.table ~= nil and value.table[i] or nil
end

local walk

-- nngraph's gModule: nodes in creation order, each given its parents' outputs (args: the
-- 0-based positions of the inputs and outputs; a node's __t7.inputs: its parents' positions)
local function walk_graph(m, value)
  local t = m.__t7
  local inputs, given, outputs = type(t.args[1]) == "table" and t.args[1] or {}, {}, {}
  for i, position in ipairs(inputs) do given[position] = #inputs == 1 and value or item(value, i) end
  for i, child in ipairs(children_of(m)) do
    local t_child = is_module(child) and rawget(child, "__t7")
    local parents, input = type(t_child) == "table" and rawget(t_child, "inputs") or {}, given[i - 1]
    if input == nil and #parents == 1 then
      input = outputs[parents[1]]
    elseif input == nil and #parents > 1 then
      local items = {}
      for j, p in ipairs(parents) do items[j] = outputs[p] end
      input = #items == #parents and {table = items} or nil
    end
    outputs[i - 1] = walk(child, input)
  end
end

local walking = {}
walk = function(m, value)
  if not is_module(m) or walking[m] then return nil end
  if not holds_custom(m, {}) then return shape(m, value) end
  if is_custom(m) then
    local traced = trace(m, value)
    return shape(m, value) or traced
  end
  walking[m] = true
  local name, children = m.__t7.name, children_of(m)
  if CHAIN[name] or rawget(m.__t7, "decorator") then
    for _, child in ipairs(children) do value = walk(child, value) end
    walking[m] = nil
    return value
  end
  for i, child in ipairs(children) do
    if SAME_INPUT[name] then walk(child, value)
    elseif name == "nn.ParallelTable" then walk(child, item(value, i))
    elseif name ~= "nn.gModule" then walk(child, nil) end
  end
  if name == "nn.gModule" then walk_graph(m, value) end
  walking[m] = nil
  return shape(m, value)
end

return walk, function(m) return holds_custom(m, {}) end
