-- How the tracer's nn classes (enet_port/lua/nn.lua) write a constructor's arguments into a
-- module's record: Lua tables of numbers, stand-in tensors holding numbers (image.gaussian
-- kernels) and nnx's named-argument tables; and modules given as arguments (decorators, rnn's
-- containers of a module, nn.Recurrent's five). Returns {values = f(is_tensor, is_module,
-- ARRAY_MAX) -> plain_list, argument_value, positional; module_args = f(ctx) -> decorate, wrap,
-- recurrent}, ctx holding nn.lua's fields, user_error, record_line, new_tensor, is_module,
-- plain_list, nn() and its module counter (uid(), next_uid()).
local function values(is_tensor, is_module, ARRAY_MAX)
  -- a Lua table of numbers (or of such tables) as an argument value: nn.Transpose({2, 3})
  local function plain_list(v, depth)
    if type(v) ~= "table" or is_tensor(v) or is_module(v) or getmetatable(v) ~= nil then return nil end
    local out = {}
    for i = 1, ARRAY_MAX + 1 do
      local x = rawget(v, i)
      if x == nil then break end
      if i > ARRAY_MAX then return nil end
      if type(x) == "table" and depth < 2 then x = plain_list(x, depth + 1) end
      if type(x) ~= "number" and type(x) ~= "table" then return nil end
      out[i] = x
    end
    return out
  end

  -- a 1-D or 2-D stand-in tensor holding numbers (an image.gaussian kernel) as a Lua list of rows
  local function tensor_list(v)
    if not is_tensor(v) or not v._data or #v._sizes < 1 or #v._sizes > 2 then return nil end
    if #v._sizes == 1 then return plain_list(v._data, 1) end
    local rows, width = {}, v._sizes[2]
    for i = 1, v._sizes[1] do
      local row = {}
      for j = 1, width do row[j] = v._data[(i - 1) * width + j] end
      rows[i] = row
    end
    return rows
  end

  -- a table of such tensors (nnx SpatialNormalization's pair of kernels {kv, kh}) as a list of them
  local function tensor_table(v)
    if type(v) ~= "table" or getmetatable(v) ~= nil or rawget(v, 1) == nil then return nil end
    local out = {}
    for i, x in ipairs(v) do
      out[i] = tensor_list(x)
      if out[i] == nil or i > ARRAY_MAX then return nil end
    end
    return out
  end

  -- xlua.unpack's classes (nnx) also take one table of named arguments:
  -- nn.SpatialNormalization{nInputPlane = 3, kernel = k} is nn.SpatialNormalization(3, k)
  local NAMED_ARGS = {["nn.SpatialNormalization"] = {"nInputPlane", "kernel", "threshold"}}

  local function positional(name, n, args)
    local names, first = NAMED_ARGS[name], args[1]
    if not names or n ~= 1 or type(first) ~= "table" or getmetatable(first) ~= nil or rawget(first, 1) ~= nil then
      return n, args
    end
    local out = {}
    for i, key in ipairs(names) do out[i] = rawget(first, key) end
    return #names, out
  end

  -- an argument as the record keeps it: a list when it is one of the above, else the value itself
  local function argument_value(v)
    return tensor_list(v) or tensor_table(v) or plain_list(v, 1) or v
  end

  return plain_list, argument_value, positional
end

local function module_args(ctx)
  local fields, user_error, record_line = ctx.fields, ctx.user_error, ctx.record_line
  local new_tensor, is_module, plain_list = ctx.new_tensor, ctx.is_module, ctx.plain_list

  -- a decorator (model/decorators.py: Decorator.lua keeps module and modules = {module}) records
  -- the module it decorates as its one child; the export puts that module in its place
  local function decorate(m, name, module)
    if not is_module(module) then user_error(name .. " expects the module it decorates as its first argument") end
    m.module, m.modules = module, {module}
    m.__t7 = {name = name, args = {}, n = 0, mods = {}, init = {}, lines = record_line(), uid = ctx.uid(),
              decorator = true}
    m.output, m.gradInput = new_tensor({}), new_tensor({})
    return m
  end

  -- rnn's nn.Sequencer(m), nn.Recursor(m, rho), nn.MaskZero(m, nInputDim): a container of the
  -- registry whose first argument is a module holds it as its one child (the spec's form, model/
  -- modules_rnn.py); the other arguments are its own
  local function wrap(m, name, n, given)
    if n == 0 or not is_module(given[1]) then return nil end
    local args = {}
    for i = 2, n do args[i - 1] = plain_list(given[i], 1) or given[i] end
    local info = fields(name, args, n - 1)
    if not (info and info.container) then return nil end
    if info.error then user_error(info.error) end
    m.__t7 = {name = name, args = args, n = n - 1, mods = {}, init = {}, lines = record_line(),
              uid = ctx.next_uid()}
    m.module, m.modules = given[1], {given[1]}
    m.output, m.gradInput = new_tensor({}), new_tensor({})
    return m
  end

  -- rnn's nn.Recurrent(start, input, feedback, transfer, rho, merge) (Recurrent.lua): its modules
  -- {start, input, feedback, transfer, merge} are its children (a number as start is nn.Add(start);
  -- transfer and merge default to nn.Sigmoid() and nn.CAddTable()); rho is its one argument
  local function recurrent(m, name, n, given)
    local nn = ctx.nn()
    local start, input, feedback = given[1], given[2], given[3]
    if type(start) == "number" then start = nn.Add(start) end
    if not (is_module(start) and is_module(input) and is_module(feedback)) then
      user_error(name .. " expects a start size or module, then input and feedback modules")
    end
    local rho = given[5]
    local info = fields(name, {rho}, rho ~= nil and 1 or 0)
    if info and info.error then user_error(info.error) end
    m.__t7 = {name = name, args = {rho}, n = rho ~= nil and 1 or 0, mods = {}, init = {}, lines = record_line(),
              uid = ctx.next_uid()}
    m.modules = {start, input, feedback, given[4] or nn.Sigmoid(), given[6] or nn.CAddTable()}
    m.output, m.gradInput = new_tensor({}), new_tensor({})
    return m
  end

  return decorate, wrap, recurrent
end

return {values = values, module_args = module_args}
