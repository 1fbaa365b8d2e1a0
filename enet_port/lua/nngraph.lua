-- nngraph for the tracer (enet_port/lua/tracer.py): m(node) and m({a, b}) make graph nodes (so do
-- nngraph's operators -m and node - m, {a, b} - m),
-- nn.Identity()() a graph input, nn.gModule(inputs, outputs) gathers the nodes its outputs read.
-- Called as a chunk by nn.lua; the gModule's record is the graph Node form of
-- enet_port/model/tree.py: its modules are the graph's nodes in creation order, its two
-- arguments the 0-based positions of the inputs and outputs, each module's __t7.inputs the
-- positions of the nodes it was called on. Lua counterpart: nngraph's node.lua and gmodule.lua.
local api = ...
local GraphNode, nn, is_module, user_error = api.GraphNode, api.nn, api.is_module, api.user_error
GraphNode.__index = GraphNode
local nodes = setmetatable({}, {__mode = "k"})
local serial = 0

local function is_node(x) return type(x) == "table" and nodes[x] == true end

local function parents_of(name, input)
  if input == nil then return {} end
  if is_node(input) then return {input} end
  if type(input) ~= "table" or is_module(input) then
    user_error("nngraph: " .. name .. " is called on a " .. type(input) .. ", not on graph nodes")
  end
  local parents = {}
  for i, p in ipairs(input) do
    if not is_node(p) then user_error("nngraph: " .. name .. " is called on a table whose item " .. i .. " is not a graph node") end
    for j = 1, i - 1 do  -- nngraph's node.lua asserts it
      if parents[j] == p then user_error("nngraph: Don't pass the same input twice (" .. name .. ", items " .. j .. " and " .. i .. ")") end
    end
    parents[i] = p
  end
  return parents
end

-- Lua's m(input): nngraph's Module:__call__
function GraphNode.call(m, input)
  local t = m.__t7
  local parents = parents_of(t.name, input)
  if t.called then
    user_error("the tracer does not support calling one module on two graph nodes (" .. t.name .. ")")
  end
  t.called = true
  serial = serial + 1
  local node = setmetatable({module = m, parents = parents, serial = serial, data = {module = m}}, GraphNode)
  nodes[node] = true
  return node
end
-- nngraph's prev - m (a node, or a table of nodes, then a module): m(prev), so
-- `-nn.A() - nn.B() - {x, y} - ...` chains nodes as nngraph's Module.__sub__ and Node.__sub__ do
function GraphNode.__sub(prev, m)
  if not is_module(m) then
    user_error("nngraph: the right of `-` must be a module (`node - module` calls the module on the node), not a " ..
               (is_node(m) and "graph node" or type(m)))
  end
  return GraphNode.call(m, prev)
end
function GraphNode:annotate() return self end
function GraphNode:label() return self.module.__t7.name end
function GraphNode:split(n)
  local out = {}
  for i = 1, n do out[i] = nn.SelectTable(i)(self) end
  return unpack(out)
end

local function node_list(value, what)
  if is_node(value) then return {value} end
  if type(value) ~= "table" then user_error("nn.gModule: " .. what .. " must be a table of graph nodes") end
  local out = {}
  for i, n in ipairs(value) do
    if not is_node(n) then user_error("nn.gModule: item " .. i .. " of the " .. what .. " is not a graph node") end
    out[i] = n
  end
  if #out == 0 then user_error("nn.gModule: no " .. what) end
  return out
end

-- every node the outputs read, in creation order (an order in which parents come first)
local function reached(outputs)
  local seen, stack, order = {}, {}, {}
  for i, o in ipairs(outputs) do stack[i] = o end
  while #stack > 0 do
    local n = table.remove(stack)
    if not seen[n] then
      seen[n], order[#order + 1] = true, n
      for _, p in ipairs(n.parents) do stack[#stack + 1] = p end
    end
  end
  table.sort(order, function(a, b) return a.serial < b.serial end)
  return order
end

local function positions(list, position)
  local out = {}
  for i, n in ipairs(list) do out[i] = position[n] end
  return out
end

nn.gModule.__init = function(self, inputs, outputs)
  inputs, outputs = node_list(inputs, "inputs"), node_list(outputs, "outputs")
  local order, position, is_input = reached(outputs), {}, {}
  for i, n in ipairs(order) do position[n] = i - 1 end
  for _, n in ipairs(inputs) do
    if position[n] == nil then user_error("the tracer does not support a graph input that no output reads") end
    if #n.parents > 0 then user_error("the tracer does not support a graph input that reads other nodes") end
    is_input[n] = true
  end
  local children = {}
  for i, n in ipairs(order) do
    if #n.parents == 0 and not is_input[n] then
      user_error("nngraph: a " .. n.module.__t7.name .. " node reads no node and is not one of nn.gModule's inputs")
    end
    n.module.__t7.inputs = positions(n.parents, position)
    children[i] = n.module
  end
  api.record(self, "nn.gModule", positions(inputs, position), positions(outputs, position))
  self.modules = children
end

return {annotateNodes = function() end, setDebug = function() end}
