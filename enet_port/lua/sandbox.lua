-- The tracer's sandbox (enet_port/luatrace.py). Returns run(...), which executes one user file
-- in a fresh environment holding only pure Lua functions and the Torch7 stand-ins: no io, os
-- beyond clocks, load*, dofile, debug, getfenv/setfenv, coroutines or string.dump. A count hook
-- enforces the time limit (the runtime's allocator enforces memory); pcall cannot swallow either.
local LIMIT = "time limit exceeded"

local function copy(t, without)
  local out = {}
  for k, v in pairs(t) do if k ~= without then out[k] = v end end
  return out
end

local function make_env(pkgs, opt, nClasses, print_sink, state)
  local env = {}
  for _, k in ipairs({"assert", "error", "ipairs", "next", "pairs", "select", "tonumber",
                      "tostring", "type", "unpack", "rawequal", "rawget", "rawset",
                      "setmetatable", "_VERSION"}) do
    env[k] = _G[k]
  end
  env.math, env.table, env.string = copy(math), copy(table), copy(string, "dump")
  env.table.unpack = unpack  -- fb.resnet.torch files call table.unpack
  env.os = {time = os.time, clock = os.clock, date = os.date}
  env.getmetatable = function(x) if type(x) ~= "string" then return getmetatable(x) end end
  local function guard(ok, ...)
    local err = ...
    if state.expired then error(LIMIT, 0) end
    if not ok and type(err) == "string" and err:find("not enough memory", 1, true) then error(err, 0) end
    return ok, ...
  end
  env.pcall = function(f, ...) return guard(pcall(f, ...)) end
  env.xpcall = function(f, h) return guard(xpcall(f, h)) end
  env.print = function(...)
    local parts = {}
    for i = 1, select("#", ...) do parts[i] = tostring((select(i, ...))) end
    print_sink(table.concat(parts, "\t"))
  end
  env.require = function(name)
    local pkg = pkgs[name]
    if pkg == nil then error("module '" .. tostring(name) .. "' is not available in the tracer sandbox", 2) end
    return pkg
  end
  for _, k in ipairs({"torch", "nn", "cudnn", "cutorch", "paths", "image", "optim", "xlua"}) do
    env[k] = pkgs[k]
  end
  env.opt, env.nClasses = opt, nClasses
  env.makeDataParallel = function(model) return model end
  env._G = env
  return env
end

local function export_value(v)
  local kind = type(v)
  if kind == "number" or kind == "boolean" or kind == "string" then return v end
  if v == nil then return nil end
  return "<" .. kind .. ">"
end

local function export(m, path)
  local t = type(m) == "table" and rawget(m, "__t7")
  if type(t) ~= "table" or type(t.name) ~= "string" then
    error("the model holds something that is not a Torch7 module: " .. type(m), 0)
  end
  if path[m] then error("the model contains itself (" .. t.name .. ")", 0) end
  path[m] = true
  local out = {name = t.name, n = t.n, args = {}, mods = {}, children = {}, init = {},
               lines = t.lines, add_lines = t.add_lines,
               bias_removed = t.had_bias and rawget(m, "bias") == nil}
  for i = 1, t.n do out.args[i] = export_value(t.args[i]) end
  for i, mod in ipairs(t.mods) do
    out.mods[i] = {}
    for j, v in ipairs(mod) do out.mods[i][j] = export_value(v) end
  end
  for field, how in pairs(t.init) do out.init[field] = {unpack(how)} end
  local children = rawget(m, "modules")
  for i, child in ipairs(type(children) == "table" and children or {}) do
    out.children[i] = export(child, path)
  end
  path[m] = nil
  return out
end

local function find_model(env, result, nGPU)
  if type(env.createModel) == "function" then return env.createModel(nGPU), "createModel" end
  if type(result) == "table" and rawget(result, "__t7") then return result, "return" end
  if type(result) == "table" and type(rawget(result, "model")) == "table" then return result.model, "return" end
  if type(env.model) == "table" then return env.model, "model" end
  error("no model: the file neither defines createModel(nGPU) nor returns or sets a model", 0)
end

-- --opt key=lua:EXPR sets opt.key to a Lua value (a table, a tensor) built in the sandbox
local function evaluate_opt(env)
  for k, v in pairs(env.opt) do
    if type(v) == "string" and v:sub(1, 4) == "lua:" then
      local f, err = loadstring("return " .. v:sub(5), "=--opt " .. k)
      if not f then error(err, 0) end
      env.opt[k] = setfenv(f, env)()
    end
  end
end

local function run_schedule(env, result, epochs)
  local rule = type(result) == "function" and result or env.paramsForEpoch
  if type(rule) ~= "function" then
    error("no schedule: the file neither returns nor defines paramsForEpoch(epoch)", 0)
  end
  local rows = {}
  for epoch = 1, epochs do
    local params, new_regime = rule(epoch)
    local p = type(params) == "table" and params or {}
    rows[epoch] = {lr = tonumber(rawget(p, "learningRate")), wd = tonumber(rawget(p, "weightDecay")),
                   new_regime = new_regime and true or false, empty = next(p) == nil}
  end
  return rows
end

-- job: "model" (trace the model the file builds) or "schedule" (call its paramsForEpoch)
return function(job, source, chunkname, torch7_chunk, fields, opt, nClasses, nGPU, seconds, print_sink, epochs)
  if source:byte(1) == 27 then error("precompiled Lua chunks are refused", 0) end
  local user_source = "@" .. chunkname
  local function record_line()
    local lines, level = {}, 2
    while true do
      local info = debug.getinfo(level, "Sl")
      if not info then break end
      if info.source == user_source and info.currentline > 0 then lines[#lines + 1] = info.currentline end
      level = level + 1
    end
    return lines
  end
  local pkgs = torch7_chunk(fields, record_line, print_sink)
  local trace = pkgs.trace
  pkgs.trace = nil  -- the record stays out of the user's reach
  local state = {expired = false}
  local env = make_env(pkgs, opt, nClasses, print_sink, state)
  local chunk, err = loadstring(source, user_source)
  if not chunk then error(err, 0) end
  setfenv(chunk, env)
  local deadline = os.clock() + seconds
  debug.sethook(function()
    if os.clock() > deadline then state.expired = true; error(LIMIT, 2) end
  end, "", 1000)
  local ok, out = pcall(function()
    evaluate_opt(env)
    if job == "schedule" then return run_schedule(env, chunk(), epochs) end
    local model, how = find_model(env, chunk(), nGPU)
    local criteria = {}
    for i, c in ipairs(trace.criteria) do criteria[i] = export(c, {}) end
    return {model = export(model, {}), how = how, criteria = criteria}
  end)
  debug.sethook()
  if not ok then
    if state.expired then error(LIMIT, 0) end
    error(type(out) == "string" and out or ("error object of type " .. type(out)), 0)
  end
  return out
end
