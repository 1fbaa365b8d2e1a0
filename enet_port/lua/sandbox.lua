-- The tracer's sandbox (enet_port/lua/tracer.py, run by enet_port/lua/child.py in a child process
-- under OS limits). Returns run(...), which executes one user file in a fresh environment holding
-- only pure Lua functions and the Torch7 stand-ins: no io, os beyond clocks, load*, dofile, debug,
-- getfenv/setfenv, coroutines or string.dump. A count hook enforces the time limit (the runtime's
-- allocator enforces memory); pcall cannot swallow either. What a count hook cannot stop (a loop
-- inside a C function such as string.find) the child's OS limits stop.
local LIMIT = "time limit exceeded"
local MAX_LINE = 1000  -- bytes of one print() line that reach Python
-- packages that are globals only once required (cuda-convnet2.torch's init.lua sets ccn2 = {});
-- the others (torch, nn, cudnn, ...) are set below, as th and the files' entry points load them
local GLOBAL_WHEN_REQUIRED = {ccn2 = true}

local function copy(t, without)
  local out = {}
  for k, v in pairs(t) do if k ~= without then out[k] = v end end
  return out
end

-- a Lua file of the model's folder as a chunk running in env (read: enet_port/lua/child.py)
local function user_chunk(read, name, as_module, env)
  local text, where = read(name, as_module)
  if text == nil then return nil, where end
  if text:byte(1) == 27 then return nil, "'" .. name .. "': precompiled Lua chunks are refused" end
  local chunk, err = loadstring(text, "@" .. where)
  if not chunk then error(err, 0) end
  return setfenv(chunk, env)
end

-- torch.class('w2nn.Foo', ...) sets the global w2nn.Foo, making the table w2nn when there is none,
-- as luaT's newmetatable does (nn.lua has put nn./cudnn./inn. classes in their packages already)
local function place_class(env, name, cls)
  local path = {}
  for part in name:gmatch("[^.]+") do path[#path + 1] = part end
  if #path == 2 and (path[1] == "nn" or path[1] == "cudnn" or path[1] == "inn") then return end
  local t = env
  for i = 1, #path - 1 do
    local inner = rawget(t, path[i])
    if inner == nil then inner = {}; rawset(t, path[i], inner) end
    if type(inner) ~= "table" then
      error("torch.class: " .. path[i] .. " of " .. name .. " is a " .. type(inner) .. ", not a table", 3)
    end
    t = inner
  end
  rawset(t, path[#path], cls)
end

local function make_env(pkgs, opt, nClasses, print_sink, state, read)
  local env = {}
  for _, k in ipairs({"assert", "error", "ipairs", "next", "pairs", "select", "tonumber",
                      "tostring", "type", "unpack", "rawequal", "rawget", "rawset",
                      "setmetatable", "_VERSION"}) do
    env[k] = _G[k]
  end
  env.math, env.table, env.string = copy(math), copy(table), copy(string, "dump")
  env.table.unpack = unpack  -- fb.resnet.torch files call table.unpack
  -- no environment reaches the file: every variable is unset, so soumith's one-line parser
  -- (`opt[k] = tonumber(os.getenv(k)) or os.getenv(k) or opt[k]`) keeps the defaults
  env.os = {time = os.time, clock = os.clock, date = os.date, getenv = function() return nil end}
  env.getmetatable = function(x) if type(x) ~= "string" then return getmetatable(x) end end
  -- Torch7 files free memory between steps (collectgarbage()) and print its count; stopping or
  -- tuning the collector is left out, as it would weaken the memory limit
  env.collectgarbage = function(what)
    if what == nil or what == "collect" or what == "count" then return collectgarbage(what) end
    return 0
  end
  -- a Torch7 tensor is userdata (custom modules test `type(input) == 'table'` for table inputs)
  env.type = function(x)
    local kind = type(x)
    if kind == "table" and rawequal(getmetatable(x), "torch.Tensor") then return "userdata" end
    return kind
  end
  local function guard(ok, ...)
    local err = ...
    if state.expired then error(LIMIT, 0) end
    if not ok and type(err) == "string" and err:find("not enough memory", 1, true) then error(err, 0) end
    return ok, ...
  end
  env.pcall = function(f, ...) return guard(pcall(f, ...)) end
  -- once the time is up the user's handler is not run: hooks are off inside it
  env.xpcall = function(f, h)
    return guard(xpcall(f, function(e) if state.expired then return e end return h(e) end))
  end
  env.print = function(...)
    if state.printed >= state.limits.printed then return end
    state.printed = state.printed + 1
    local parts = {}
    for i = 1, select("#", ...) do parts[i] = tostring((select(i, ...))) end
    local line = table.concat(parts, "\t")
    line = #line > MAX_LINE and line:sub(1, MAX_LINE) .. "..." or line
    print_sink((line:gsub("[^\t\32-\126]", function(c) return string.format("\\x%02x", c:byte()) end)))
  end
  local loaded = {}  -- package.loaded of the model's own Lua modules
  env.require = function(name)
    local pkg = pkgs[name] or loaded[name]
    if pkg ~= nil then
      if GLOBAL_WHEN_REQUIRED[name] then env[name] = pkg end
      return pkg
    end
    local chunk, why = user_chunk(read, name, true, env)
    if chunk == nil then
      error("module '" .. tostring(name) .. "' is not available in the tracer sandbox (" .. why .. ")", 2)
    end
    loaded[name] = true  -- as Lua's require, while the module runs and when it returns nothing
    local result = chunk(name)
    if result ~= nil then loaded[name] = result end
    return loaded[name]
  end
  -- Torch7's paths.dofile (relative to the model file's folder here, the only one readable)
  pkgs.paths.dofile = function(name, ...)
    local chunk, why = user_chunk(read, name, false, env)
    if chunk == nil then error("paths.dofile: " .. why, 2) end
    return chunk(...)
  end
  for _, k in ipairs({"torch", "nn", "cudnn", "cutorch", "paths", "image", "optim", "xlua", "nngraph", "inn", "bit", "sys"}) do
    env[k] = pkgs[k]
  end
  env.opt, env.nClasses = opt, nClasses
  local class = pkgs.torch.class
  pkgs.torch.class = function(name, ...)
    local cls, parent = class(name, ...)
    place_class(env, name, cls)
    return cls, parent
  end
  env.arg = {}  -- th's command-line arguments: none (torch.CmdLine's parse reads --opt instead)
  env.makeDataParallel = function(model) return model end
  env._G = env
  return env
end

-- The model leaves the sandbox as JSON text written here, inside the limits: nothing the user
-- built is walked from Python, and every field of the record is checked (a user file can reach
-- and change m.__t7). Strings are ASCII-escaped and cut, lists capped, nesting and count bounded.
local MAX_ARGS, MAX_STRING, MAX_MODS, MAX_INIT = 256, 64, 32, 16
local MAX_LIST = 4096  -- items of one list argument: the rows of a connection table (nn.tables)

local function json_string(s)
  if #s > MAX_STRING then s = s:sub(1, MAX_STRING) .. "..." end
  return '"' .. (s:gsub('[%c"\\\128-\255]', function(c) return string.format("\\u%04x", c:byte()) end)) .. '"'
end

local function json_number(v)
  if v ~= v then return "NaN" end
  if v == math.huge then return "Infinity" end
  if v == -math.huge then return "-Infinity" end
  if v == math.floor(v) and math.abs(v) < 2^53 then return string.format("%d", v) end
  return string.format("%.17g", v)
end

local function json_scalar(v, depth)
  local kind = type(v)
  if kind == "table" and (depth or 0) < 3 and getmetatable(v) == nil then  -- a pair of 2-D kernels nests 3 deep
    local parts = {}
    for i = 1, MAX_LIST + 1 do
      local x = rawget(v, i)
      if x == nil then break end
      if i > MAX_LIST or (type(x) ~= "number" and type(x) ~= "table") then return json_string("<table>") end
      parts[i] = json_scalar(x, (depth or 0) + 1)
    end
    return "[" .. table.concat(parts, ",") .. "]"
  end
  if kind == "number" then return json_number(v) end
  if kind == "boolean" then return tostring(v) end
  if kind == "string" then return json_string(v) end
  if v == nil then return "null" end
  return json_string("<" .. kind .. ">")
end

local function altered(name, what)
  error("the Torch7 record of a " .. name .. " module was altered (its field '" .. what .. "')", 0)
end

local function raw_table(t, name, what)
  if type(t) ~= "table" then altered(name, what) end
  return t
end

-- t[1..n] (nil included) as a JSON list of scalars
local function scalars(t, n, name, what)
  raw_table(t, name, what)
  local parts = {}
  for i = 1, n do parts[i] = json_scalar(rawget(t, i), what == "args" and 0 or 2) end
  return "[" .. table.concat(parts, ",") .. "]"
end

-- the leading values of a list, up to cap
local function leading(t, cap, name, what)
  raw_table(t, name, what)
  local n = 0
  while n < cap and rawget(t, n + 1) ~= nil do n = n + 1 end
  return scalars(t, n, name, what)
end

-- a recorded stack of user lines: the innermost and the outermost are all the tracer uses
local function line_ends(t, name, what)
  if t == nil then return "[]" end
  raw_table(t, name, what)
  local n, parts = #t, {}
  for _, i in ipairs(n > 1 and {1, n} or (n == 1 and {1} or {})) do
    local v = rawget(t, i)
    if type(v) ~= "number" or v ~= math.floor(v) or v < 0 or v > 1e9 then altered(name, what) end
    parts[#parts + 1] = json_number(v)
  end
  return "[" .. table.concat(parts, ",") .. "]"
end

local function export_init(init, name)
  raw_table(init, name, "init")
  local parts = {}
  for field, how in next, init do
    if type(field) ~= "string" or #parts >= MAX_INIT then altered(name, "init") end
    parts[#parts + 1] = json_string(field) .. ":" .. leading(how, 8, name, "init")
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

local function export_mods(mods, name)
  raw_table(mods, name, "mods")
  local parts = {}
  for i = 1, MAX_MODS + 1 do
    local mod = rawget(mods, i)
    if mod == nil then break end
    if i > MAX_MODS or type(rawget(raw_table(mod, name, "mods"), 1)) ~= "string" then altered(name, "mods") end
    parts[i] = leading(mod, 8, name, "mods")
  end
  return "[" .. table.concat(parts, ",") .. "]"
end

local function json_uid(v, name, what)
  if v == nil then return "null" end
  if type(v) ~= "number" or v ~= math.floor(v) or v < 0 or v > 1e9 then altered(name, what) end
  return json_number(v)
end

-- m:share(src, 'weight', ...) / src:clone('weight', ...): the source's uid and the fields
local function export_share(share, name)
  if share == nil then return "null" end
  raw_table(share, name, "share")
  return '{"uid":' .. json_uid(rawget(share, "uid"), name, "share") .. ',"fields":' ..
    leading(raw_table(rawget(share, "fields"), name, "share"), 16, name, "share") .. "}"
end

-- via: the record of the decorator m stands in for (its graph inputs and add line are m's)
local function export(m, state, depth, out, via)
  local t = type(m) == "table" and rawget(m, "__t7")
  local name = type(t) == "table" and rawget(t, "name")
  if type(name) ~= "string" then
    error("the model holds something that is not a Torch7 module: " .. type(m), 0)
  end
  if #name > 100 or not name:match("^[%a_][%w_.]*$") then altered("module", "name") end
  if state.path[m] then error("the model contains itself (" .. name .. ")", 0) end
  if rawget(t, "decorator") then  -- the module it decorates, in its place (model/decorators.py)
    local inner = rawget(m, "modules")
    state.path[m] = true
    export(type(inner) == "table" and rawget(inner, 1) or nil, state, depth, out, via or t)
    state.path[m] = nil
    return
  end
  if depth > state.limits.depth then
    error("the model nests modules deeper than " .. state.limits.depth .. " levels (" .. state.limits.depth_hint .. ")", 0)
  end
  state.count = state.count + 1
  if state.count > state.limits.modules then
    error("the model has more than " .. state.limits.modules .. " modules (" .. state.limits.modules_hint .. ")", 0)
  end
  local n = rawget(t, "n")
  if type(n) ~= "number" or n ~= math.floor(n) or n < 0 or n > MAX_ARGS then altered(name, "n") end
  state.path[m] = true
  local bias_removed = rawget(t, "had_bias") and rawget(m, "bias") == nil
  local inputs = rawget(via or t, "inputs") or rawget(t, "inputs")
  out[#out + 1] = '{"name":' .. json_string(name) .. ',"n":' .. json_number(n) ..
    ',"args":' .. scalars(rawget(t, "args"), n, name, "args") ..
    ',"mods":' .. export_mods(rawget(t, "mods"), name) .. ',"init":' .. export_init(rawget(t, "init"), name) ..
    ',"lines":' .. line_ends(rawget(t, "lines"), name, "lines") ..
    ',"add_lines":' .. line_ends(rawget(via or t, "add_lines") or rawget(t, "add_lines"), name, "add_lines") ..
    ',"bias_removed":' .. tostring(bias_removed and true or false) ..
    ',"uid":' .. json_uid(rawget(t, "uid"), name, "uid") .. ',"tie":' .. json_uid(rawget(t, "tie"), name, "tie") ..
    ',"share":' .. export_share(rawget(t, "share"), name) ..
    ',"inputs":' .. (inputs == nil and "[]" or leading(inputs, MAX_ARGS, name, "inputs")) ..
    ',"children":['
  local children = rawget(m, "modules")
  if type(children) == "table" then
    local i = 1
    while rawget(children, i) ~= nil do
      if i > 1 then out[#out + 1] = "," end
      export(rawget(children, i), state, depth + 1, out)
      i = i + 1
    end
  end
  out[#out + 1] = "]}"
  state.path[m] = nil
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

-- the opt fields the model's files read and --opt did not set (a project's opts.lua gave them
-- defaults: th main.lua -depth 100 sets the rest), named when the file then fails on a nil (not
-- on a method the stand-ins lack)
local function watch_opt(opt)
  local unset = {}
  setmetatable(opt, {__index = function(_, key)
    local info = debug.getinfo(2, "S")
    if type(key) == "string" and info and info.source:sub(1, 1) == "@" and not unset[key] then
      unset[key] = true
      unset[#unset + 1] = key
    end
  end})
  return unset
end

local function unset_hint(unset, message)
  local from_nil = message:find("nil", 1, true) or message:find("assertion failed", 1, true)
  if #unset == 0 or not from_nil or message:find("attempt to call", 1, true) then return "" end
  local names = {}
  for i = 1, math.min(#unset, 8) do names[i] = "opt." .. unset[i] end
  return " (the file read " .. table.concat(names, ", ") .. (#unset > 8 and ", ..." or "")
         .. ", which --opt does not set; a project's opts.lua or train.lua gives them defaults: give them with "
         .. "--opt KEY=VALUE)"
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
    local lr, wd = tonumber(rawget(p, "learningRate")), tonumber(rawget(p, "weightDecay"))
    rows[epoch] = '{"lr":' .. json_scalar(lr) .. ',"wd":' .. json_scalar(wd) .. ',"new_regime":' ..
      tostring(new_regime and true or false) .. ',"empty":' .. tostring(next(p) == nil) .. '}'
  end
  return "[" .. table.concat(rows, ",") .. "]"
end

local function export_model(model, how, criteria, limits, input)
  local out, state = {}, {path = {}, count = 0, limits = limits}
  out[1] = '{"how":' .. json_string(how) .. ',"input":' .. (input and json_scalar(input) or "null") .. ',"model":'
  export(model, state, 1, out)
  out[#out + 1] = ',"criteria":['
  for i, c in ipairs(criteria) do
    if i > 1 then out[#out + 1] = "," end
    export(c, state, 1, out)
  end
  out[#out + 1] = "]}"
  return table.concat(out)
end

-- job: "model" (trace the model the file builds) or "schedule" (call its paramsForEpoch); the
-- result is JSON text. limits: seconds, depth, modules, printed (and the hints their errors give)
-- inputs: the model's per-sample input ({sizes} or a {table} of them, lua/custom.lua), or nil;
-- find_class(name): the module name (for require) of the file of the model's folder that defines
-- the class, or nil
return function(job, source, chunkname, chunks, fields, opt, nClasses, nGPU, limits, print_sink, epochs, read, choice,
                inputs, find_class)
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
  -- inside a custom module's traced method (lua/custom.lua) the lines are the method's own, then
  -- those where the custom module was built (not those of the forward or export that traced it)
  -- (context.lines, set by lua/custom.lua with context.depth: the user lines on the stack then)
  local context = {depth = function() return #record_line() end}
  local function user_lines()
    local lines = record_line()
    if not context.lines then return lines end
    local inside = {}
    for i = 1, #lines - context.base do inside[i] = lines[i] end
    for _, line in ipairs(context.lines) do inside[#inside + 1] = line end
    return inside
  end
  -- at the innermost user line, as error(message, level) would; with no line of the model file
  -- running, at the innermost line of another file of its folder (chunks named "@relative path")
  local function user_error(message)
    local last = context.lines and context.last
    if last and #record_line() <= context.base then  -- no user frame inside the custom module's method
      error(last.source:sub(2) .. ":" .. last.line .. ": " .. message, 0)
    end
    local line = user_lines()[1]
    if line then error(chunkname .. ":" .. line .. ": " .. message, 0) end
    local level, info = 2, debug.getinfo(2, "Sl")
    while info and not (info.source:sub(1, 1) == "@" and info.currentline > 0) do
      level = level + 1
      info = debug.getinfo(level, "Sl")
    end
    if info then error(info.source:sub(2) .. ":" .. info.currentline .. ": " .. message, 0) end
    error(chunkname .. ":?: " .. message, 0)
  end
  chunks.context = context
  chunks.export = function(m)
    local out = {}
    export(m, {path = {}, count = 0, limits = limits}, 1, out)
    return table.concat(out)
  end
  local builders = chunks.builders()
  local luajit = chunks.luajit()  -- before make_env copies string and math
  string.format, math.log = luajit.format, luajit.log
  string.split = chunks.xlua().split  -- xlua's, which th loads: opt.arch:split(',')
  local pkgs = chunks.torch7(fields, user_lines, user_error, chunks)
  pkgs.bit = luajit.bit
  local th = chunks.sys(pkgs.paths, string.split, user_error, opt)  -- th's global sys, torch.CmdLine
  pkgs.sys, pkgs.torch.CmdLine, pkgs.cjson, pkgs.hdf5 = th.sys, th.CmdLine, th.cjson, th.hdf5
  local trace, resolve, set_class_loader = pkgs.trace, pkgs.resolve, pkgs.set_class_loader
  pkgs.trace, pkgs.resolve, pkgs.set_class_loader = nil, nil, nil  -- the record stays out of the user's reach
  local state = {expired = false, printed = 0, limits = limits}
  local env = make_env(pkgs, opt, nClasses, print_sink, state, read)
  -- nn.Foo or a global class (char-rnn's OneHot) that the file uses but never requires, defined
  -- by another file of its folder or of the project root above it: the project's entry point
  -- (main.lua, checkpoints.lua, train.lua) required that file before the model's
  local function load_class(name)
    local module = find_class(name)
    if module == nil then return false end
    env.require(module)
    return true
  end
  set_class_loader(load_class)
  chunks.global_classes()(env, load_class)
  local unset = watch_opt(opt)
  local chunk, err = loadstring(source, user_source)
  if not chunk then error(err, 0) end
  setfenv(chunk, env)
  local deadline = os.clock() + limits.seconds
  debug.sethook(function()
    if os.clock() > deadline then state.expired = true; error(LIMIT, 2) end
  end, "", 1000)
  local ok, out = pcall(function()
    evaluate_opt(env)
    if job == "schedule" then return run_schedule(env, chunk(), epochs) end
    local function call(f) return f(builders.argument(f, env, pkgs, user_source, source, nGPU)) end
    local model, how, input = builders.find_model(env, chunk(), call, choice, user_source, source)
    resolve(model, inputs)
    return export_model(model, how, trace.criteria, limits, input)
  end)
  debug.sethook()
  if not ok then
    if state.expired then error(LIMIT, 0) end
    -- no tostring(): a user __tostring would run here, after the hook is gone
    error(type(out) == "string" and out .. unset_hint(unset, out)
          or ("error object of type " .. type(out) .. " (not a string)"), 0)
  end
  return out
end
