-- Global classes for the tracer's sandbox (lua/sandbox.lua). Lua counterpart: a project's entry
-- point (char-rnn's train.lua) that required a class file (util/OneHot.lua:
-- torch.class('OneHot', 'nn.Module'), which sets the global OneHot: sandbox.lua's place_class)
-- before the model file reads the global.
-- Returns install(env, load_class); load_class(name) runs the file of the model's project
-- that defines the class (lua/classfiles.py), true when one did.
-- a capitalised global the file reads but never set is looked up once
return function(env, load_class)
  local tried = {}
  setmetatable(env, {__index = function(t, name)
    if type(name) ~= "string" or not name:match("^%u[%w_]*$") or tried[name] then return nil end
    tried[name] = true
    if load_class(name) then return rawget(t, name) end
  end})
end
