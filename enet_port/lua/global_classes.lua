-- Global classes for the tracer's sandbox (lua/sandbox.lua). Lua counterpart: torch7's
-- torch.class(name, parent) for a name without a package (char-rnn's util/OneHot.lua:
-- torch.class('OneHot', 'nn.Module')), which sets the global of that name; and a project's entry
-- point (char-rnn's train.lua) that required such a file before the model file reads the global.
-- Returns install(env, torch, load_class); load_class(name) runs the file of the model's project
-- that defines the class (lua/classfiles.py), true when one did.
-- a capitalised global the file reads but never set is looked up once
return function(env, torch, load_class)
  local class, tried = torch.class, {}
  torch.class = function(name, ...)
    local cls, parent = class(name, ...)
    if type(name) == "string" and name:match("^[%a_][%w_]*$") then rawset(env, name, cls) end
    return cls, parent
  end
  setmetatable(env, {__index = function(t, name)
    if type(name) ~= "string" or not name:match("^%u[%w_]*$") or tried[name] then return nil end
    tried[name] = true
    if load_class(name) then return rawget(t, name) end
  end})
end
