-- Kaixhin/nninit for the tracer (enet_port/lua/tracer.py): `require 'nninit'` and
-- module:init(accessor, initialiser, ...). Lua counterpart: nninit's init.lua, which adds
-- nn.Module.init and the initialisers (copy, constant, addConstant, mulConstant, normal,
-- addNormal, uniform, addUniform, eye, xavier, kaiming, orthogonal, sparse, convolutionAware).
-- Nothing structural changes: the tensor's module records the call in its init record (as
-- :normal()/:fill() on a parameter do, torch7.lua), and init returns the module for chaining.
-- Called as a chunk by torch7.lua with nn.Module; returns the nninit package.
local Module = ...
local nninit = {}

local INITIALISERS = {"copy", "constant", "addConstant", "mulConstant", "normal", "addNormal", "uniform",
                      "addUniform", "eye", "xavier", "kaiming", "orthogonal", "sparse", "convolutionAware"}
for _, name in ipairs(INITIALISERS) do
  nninit[name] = function(module, tensor, ...)
    local owner, field = type(tensor) == "table" and rawget(tensor, "_owner"), type(tensor) == "table" and rawget(tensor, "_field")
    if owner and type(field) == "string" then owner.__t7.init[field] = {"nninit." .. name, ...} end
    return module
  end
end

-- the accessor: a field name, {field, index} (a part of it: recorded on the field) or a function
local function accessed(module, accessor)
  if type(accessor) == "string" then return module[accessor] end
  if type(accessor) == "table" then return module[accessor[1]] end
  if type(accessor) == "function" then return accessor(module) end
  error("nninit: the accessor must be a string, a table or a function", 3)
end

function Module:init(accessor, initialiser, ...)
  if type(initialiser) ~= "function" then error("nninit: the initialiser must be a function", 2) end
  initialiser(self, accessed(self, accessor), ...)
  return self
end

return nninit
