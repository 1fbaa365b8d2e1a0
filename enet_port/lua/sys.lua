-- What Torch7's th sets up before a script runs, for the tracer (enet_port/lua/sandbox.lua): the
-- global `sys` (torch/sys init.lua, which declares `sys = {}`; th loads xlua, which requires it)
-- and torch.CmdLine (torch7 CmdLine.lua) with th's empty `arg`. Demo and tutorial scripts print
-- sys.COLORS banners and parse their options with CmdLine before building the model. Also the
-- packages of data files (lua-cjson, torch-hdf5) that a model's helper files require.
-- Called with (paths, split, user_error, opt): opt is the sandbox's raw --opt table.
local paths, split, user_error, opt = ...

local sys = {split = split, dirname = paths.dirname, concat = paths.concat, OS = "linux"}
-- torch/sys's ANSI codes, as it defines them (the tracer's print shows ESC as \x1b)
sys.COLORS = {none = "\27[0m"}
for i, name in ipairs({"black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"}) do
  sys.COLORS[name] = "\27[0;3" .. (i - 1) .. "m"
  sys.COLORS[name:sub(1, 1):upper() .. name:sub(2)] = "\27[1;3" .. (i - 1) .. "m"
  sys.COLORS["_" .. name] = "\27[4" .. (i - 1) .. "m"
end
sys.clock = os.clock
local started = 0
function sys.tic() started = os.clock() end
function sys.toc() return os.clock() - started end  -- toc(true) also prints it in Torch7
function sys.uname() return "linux" end
function sys.isNaN(x) return x ~= x end
function sys.sleep() end
sys.usleep = sys.sleep
-- the file running: its folder and name, as sys.fpath splits its path (relative here: the
-- tracer reads only the model's folder)
function sys.fpath()
  local source = debug.getinfo(2, "S").source:gsub("^@", "")
  return paths.dirname(source), paths.basename(source)
end
-- a shell command: the tracer runs none (sys.execute, sys.fexecute, sys.ls ... in Torch7)
for _, name in ipairs({"execute", "fexecute", "ls", "ll", "la", "lla"}) do
  sys[name] = function() user_error("the tracer does not support sys." .. name .. "() (it runs a shell command)") end
end

-- torch.CmdLine: option(name, default, help) declares -name; parse(arg) returns the defaults, each
-- replaced by the --opt value of the same name (as `th file.lua -name value` would give it)
local CmdLine = {}
CmdLine.__index = CmdLine
local function new_cmdline() return setmetatable({options = {}, order = {}}, CmdLine) end
function CmdLine:option(name, default)
  if type(name) ~= "string" then
    user_error("torch.CmdLine:option: the option name must be a string, got " .. type(name))
  end
  local key = name:gsub("^%-+", "")
  if self.options[key] == nil then self.order[#self.order + 1] = key end
  self.options[key] = {default = default}
end
function CmdLine:parse()
  local out = {}
  for _, key in ipairs(self.order) do
    local given = rawget(opt, key)
    if given ~= nil then out[key] = given else out[key] = self.options[key].default end
  end
  return out
end
for _, name in ipairs({"text", "argument", "addTime", "log", "silent", "help"}) do CmdLine[name] = function() end end
function CmdLine:string(prefix) return prefix end

-- lua-cjson and torch-hdf5 read and write data, never the model: requiring them works (torch-rnn's
-- util/utils.lua requires cjson for its JSON helpers); calling them is refused at the user's line
local function data_package(pkg)
  return setmetatable({}, {__index = function(_, key)
    return function()
      user_error("the tracer does not support " .. pkg .. "." .. tostring(key) .. "() (it reads or writes data files)")
    end
  end})
end

return {sys = sys, CmdLine = new_cmdline, cjson = data_package("cjson"), hdf5 = data_package("hdf5")}
