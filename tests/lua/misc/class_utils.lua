-- Helpers of a language-model project: settings from a table with defaults, JSON files.
local cjson = require 'cjson'
local utils = {}

function utils.get_kwarg(kwargs, name, default)
  local value = (kwargs or {})[name]
  if value == nil then value = default end
  assert(value ~= nil, string.format('"%s" expected and not given', name))
  return value
end

function utils.read_json(path)
  local f = io.open(path, 'r')
  local text = f:read('*all')
  f:close()
  return cjson.decode(text)
end

return utils
