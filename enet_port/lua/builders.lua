-- How the tracer finds the model a file builds (enet_port/lua/tracer.py, called by sandbox.lua):
-- createModel, a returned builder or model, a global model, a returned table of builders
-- (--call NAME, --args), and what a builder is called with. Lua counterparts: imagenet-multiGPU's
-- and fb.resnet.torch's createModel calls, char-rnn's LSTM.lstm(...) calls in train.lua.

-- the name of f's first parameter, read from the line that defines it (Lua 5.1 cannot list a
-- function's parameters); nil for a function of another file
local function first_parameter(f, user_source, source)
  local info = debug.getinfo(f, "S")
  if info.source ~= user_source or info.linedefined <= 0 then return nil end
  local n = 0
  for line in (source .. "\n"):gmatch("([^\n]*)\n") do
    n = n + 1
    if n == info.linedefined then return line:match("function[%s%w_.:]*%(%s*([%a_][%w_]*)") end
  end
end

-- What a builder function is called with, by the name of its first parameter (Lua 5.1 cannot
-- list a function's parameters: the name is read from the line that defines it): nGPU
-- (imagenet-multiGPU.torch createModel(nGPU)), lib (convnet-benchmarks: the backend table
-- {SpatialConvolution, SpatialMaxPooling, ReLU, layout, name}, cudnn's or, with --opt lib=nn,
-- nn's), nClasses, else opt (fb.resnet.torch and wide-residual-networks createModel(opt)).
local function argument(f, env, pkgs, user_source, source, nGPU)
  local name = first_parameter(f, user_source, source) or "opt"
  if name:lower():find("gpu") then return nGPU end
  if name:lower():find("class") then return env.nClasses end
  if name == "lib" or name == "libs" or name == "backend" then
    local nn, cudnn = pkgs.nn, pkgs.cudnn
    if env.opt.lib == "nn" then return {nn.SpatialConvolutionMM, nn.SpatialMaxPooling, nn.ReLU, "BDHW", "nn"} end
    return {cudnn.SpatialConvolution, cudnn.SpatialMaxPooling, cudnn.ReLU, "BDHW", "cudnn"}
  end
  return env.opt
end

-- the functions of a returned table (char-rnn's `return LSTM`, `return M` with M.build_model)
local function builders(result)
  local names = {}
  if type(result) ~= "table" or getmetatable(result) ~= nil then return names end
  for k, v in pairs(result) do
    if type(k) == "string" and type(v) == "function" then names[#names + 1] = k end
  end
  table.sort(names)
  return names
end

local function no_model(result)
  local names = builders(result)
  local found = #names > 0 and (": the file returns a table of functions (" .. table.concat(names, ", ") ..
                                "); pick one with --call NAME, its arguments with --args") or ""
  local class = type(result) == "table" and rawget(result, "__typename")
  if type(class) == "string" then  -- deepmask's `return nn.DeepMask`: its entry point builds one
    found = ": the file returns the class " .. class .. ", not a model (a file that builds one, e.g. `return " ..
            class .. "(config)`, imports it)"
  end
  error("no model: the file neither defines createModel, returns a builder function or a model, nor sets model" .. found, 0)
end

-- a dotted NAME through the file's globals: nn.LanguageModel, a class the file defines (torch-rnn,
-- neuraltalk2: their train.lua builds it), called as Torch7 calls a class, which runs its __init
local function dotted(env, name)
  local v = env
  for part in name:gmatch("[^.]+") do
    if type(v) ~= "table" then return nil end
    v = v[part]
  end
  if type(v) == "table" and type(rawget(v, "__init")) == "function" then
    return function(...) return v(...) end
  end
  return v
end

-- --call NAME (a function of the returned table, else a global, else a class) with --args (Lua values)
local function chosen(env, result, choice, call)
  local f = type(result) == "table" and getmetatable(result) == nil and rawget(result, choice.name) or nil
  if type(f) ~= "function" then f = rawget(env, choice.name) end
  if type(f) ~= "function" and choice.name:find(".", 1, true) then f = dotted(env, choice.name) end
  if type(f) ~= "function" then
    local names = builders(result)
    error("--call " .. choice.name .. ": no such function" ..
          (#names > 0 and (" (the file returns " .. table.concat(names, ", ") .. ")") or ""), 0)
  end
  if choice.args == nil then return (call(f)) end
  local args, err = loadstring("return " .. choice.args, "=--args")
  if not args then error(err, 0) end
  return (f(setfenv(args, env)()))
end

-- the input size a returned table declares (eladhoffer's ImageNet-Training: InputSize = {3, 299,
-- 299}, read by its Main.lua), or nil: 1 to 3 whole positive numbers
local function declared_input(result)
  local v = rawget(result, "InputSize")
  if type(v) ~= "table" or getmetatable(v) ~= nil then return nil end
  local sizes = {}
  for i = 1, 4 do
    local x = rawget(v, i)
    if x == nil then break end
    if type(x) ~= "number" or x < 1 or x > 2^24 or x ~= math.floor(x) then return nil end
    sizes[i] = x
  end
  if #sizes == 0 or #sizes > 3 then return nil end
  return sizes
end

local function find_model(env, result, call, choice, user_source, source)
  if choice.name then return chosen(env, result, choice, call), "call" end
  if type(env.createModel) == "function" then return (call(env.createModel)), "createModel" end
  if type(result) == "function" then return (call(result)), "return" end
  if type(result) == "table" and rawget(result, "__t7") then return result, "return" end
  if type(result) == "table" and type(rawget(result, "model")) == "table" then
    return result.model, "return", declared_input(result)
  end
  if type(env.model) == "table" then return env.model, "model" end
  local takes_opt = {}
  for _, name in ipairs(builders(result)) do
    if first_parameter(result[name], user_source, source) == "opt" then takes_opt[#takes_opt + 1] = name end
  end
  if #takes_opt == 1 then return (call(result[takes_opt[1]])), "return" end
  no_model(result)
end

return {find_model = find_model, argument = argument}
