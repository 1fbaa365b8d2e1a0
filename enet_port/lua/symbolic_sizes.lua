-- Sizes of the symbolic stand-in tensors (lua/symbolic.lua) and the operations that need them.
-- Lua counterpart: torch.Tensor's size, dim, nElement, view, viewAs, reshape, transpose and
-- torch.cat (all its forms) on the tensors a custom module's updateOutput receives.
-- Called as a chunk with custom.lua's api and the symbolic core. A symbolic tensor's sizes are
-- Torch7's: the batch first (S.batch), then the per-sample shape the shape rules give; reading
-- the sizes of one whose sizes cannot be known is refused at its line. A view keeps the batch
-- (its first size is the batch, or -1) and becomes nn.View of the per-sample sizes; :reshape
-- nn.Reshape; :transpose(a, b) nn.Transpose({a, b}); torch.cat nn.JoinTable.
local api, S = ...
local Tensor, nn, is_tensor, torch = api.Tensor, api.nn, api.is_tensor, api.torch
local is_sym, refuse, apply, become = S.is_sym, S.refuse, S.apply, S.become

local function known_sizes(x, what)
  if not rawget(x, "_known") then
    refuse(what .. " of a tensor whose sizes are not known (the --input sizes do not reach it: a module before it "
           .. "the shape rules cannot size)")
  end
  return x._sizes
end

-- Torch7's size() is a LongStorage: indexable, # gives its length, :size() too, :totable()
local Storage = {__index = {size = function(s) return #s end, totable = function(s) return {unpack(s)} end}}
local function storage(sizes) return setmetatable({unpack(sizes)}, Storage) end

local function numel(sizes)
  local n = 1
  for _, s in ipairs(sizes) do n = n * s end
  return n
end

-- replace a method of every tensor by its symbolic meaning on symbolic tensors
local function on_symbolic(name, symbolic)
  local plain = Tensor[name]
  Tensor[name] = function(self, ...)
    if is_sym(self) then return symbolic(self, ...) end
    if plain == nil then api.user_error("the tracer does not support :" .. name .. "() (on a tensor no model input reaches)") end
    return plain(self, ...)
  end
end

on_symbolic("size", function(self, d)
  local sizes = known_sizes(self, ":size()")
  if d == nil then return storage(sizes) end
  if type(d) ~= "number" or sizes[d] == nil then api.user_error("bad argument #1 to 'size' (dimension " ..
    tostring(d) .. " out of range of a " .. #sizes .. "D tensor)") end
  return sizes[d]
end)
on_symbolic("dim", function(self) return #known_sizes(self, ":dim()") end)
on_symbolic("nDimension", function(self) return #known_sizes(self, ":nDimension()") end)
on_symbolic("nElement", function(self) return numel(known_sizes(self, ":nElement()")) end)
Tensor.numel = Tensor.nElement

-- a view's sizes (numbers, or one LongStorage/table of them) with -1 filled in, checked
local function view_sizes(x, what, ...)
  local args = {...}
  if #args == 1 and type(args[1]) == "table" then args = is_tensor(args[1]) and (args[1]._data or {}) or args[1] end
  local sizes, total, known, free = {}, numel(known_sizes(x, what)), 1, nil
  for i, s in ipairs(args) do
    if type(s) ~= "number" or s ~= math.floor(s) or (s < 1 and s ~= -1) or (s == -1 and free) then
      api.user_error(what .. ": sizes must be positive integers, one of them may be -1")
    end
    sizes[i] = s
    if s == -1 then free = i else known = known * s end
  end
  if free then sizes[free] = total / known end
  if #sizes == 0 or numel(sizes) ~= total or sizes[free or 1] ~= math.floor(sizes[free or 1]) then
    api.user_error(what .. ": Torch7 cannot view a " .. table.concat(x._sizes, "x") .. " tensor as " ..
                   table.concat(args, "x") .. " (the sizes that reach it follow from --input)")
  end
  if sizes[1] ~= S.batch then
    refuse(what .. " that mixes the samples of a batch (its first size must be the batch, input:size(1), or -1)")
  end
  return {select(2, unpack(sizes))}
end

local function viewed(self, what, module, ...)
  local sample = view_sizes(self, what, ...)
  if #sample == 0 then refuse(what .. " to one number per sample (a tensor of the batch alone)") end
  return apply(nn[module](unpack(sample)), self)
end
on_symbolic("view", function(self, ...) return viewed(self, ":view()", "View", ...) end)
on_symbolic("viewAs", function(self, other)
  if not is_tensor(other) then refuse(":viewAs() of something that is not a tensor") end
  return viewed(self, ":viewAs()", "View", other:size())
end)
on_symbolic("reshape", function(self, ...) return viewed(self, ":reshape()", "Reshape", ...) end)
on_symbolic("transpose", function(self, a, b) return apply(nn.Transpose({a, b}), self) end)

-- x:split(size [, dim]) and x:chunk(n [, dim]) (torch.split/torch.chunk; dim 1 by default): Torch7's
-- parts are views of x. Along the batch, the stand-in's one sample is one part, x itself, so an
-- in-place operation on it is one on x (a per-sample scaling, slice:mul(c[i])): traced on the first
-- sample, it stands for every sample. Along another dimension each part is nn.Narrow, read-only.
local function parts(self, what, dim, size_of)
  dim = dim or 1
  local sizes = known_sizes(self, what)
  if type(dim) ~= "number" or sizes[dim] == nil then
    api.user_error(what .. ": dimension " .. tostring(dim) .. " out of range of a " .. #sizes .. "D tensor")
  end
  local size = size_of(sizes[dim])
  if type(size) ~= "number" or size < 1 or size ~= math.floor(size) then
    api.user_error(what .. ": the size of a part must be a positive integer")
  end
  if dim == 1 then
    if size < sizes[1] then refuse(what .. " of a batch of " .. sizes[1] .. " samples into parts") end
    return {self}
  end
  local out = {}
  for first = 1, sizes[dim], size do out[#out + 1] = self:narrow(dim, first, math.min(size, sizes[dim] - first + 1)) end
  return out
end
on_symbolic("split", function(self, size, dim) return parts(self, ":split()", dim, function() return size end) end)
on_symbolic("chunk", function(self, n, dim)
  return parts(self, ":chunk()", dim, function(total) return type(n) == "number" and math.ceil(total / n) or n end)
end)
for _, name in ipairs({"split", "chunk"}) do
  local numeric = torch[name]
  torch[name] = function(x, ...)
    if is_sym(x) then return x[name](x, ...) end
    if numeric == nil then api.user_error("the tracer does not support torch." .. name .. "() outside a custom module") end
    return numeric(x, ...)
  end
end

-- x[i] on a tensor selects along its first dimension, the batch
local index = Tensor.__index
Tensor.__index = function(t, k)
  if type(k) == "number" and is_sym(t) then refuse("indexing a tensor (x[" .. k .. "] selects along the batch)") end
  return index(t, k)
end

-- torch.cat(a, b[, dim]), torch.cat({a, b, ...}[, dim]) and the forms writing into a result,
-- torch.cat(result, a, b[, dim]), torch.cat(result, {a, ...}[, dim]), result:cat(...): Torch7's
-- dimension defaults to the last one
local function cat_parts(...)
  local args = {...}
  local result
  if is_tensor(args[1]) and ((type(args[2]) == "table" and not is_tensor(args[2])) or is_tensor(args[3])) then
    result = table.remove(args, 1)
  end
  if is_tensor(args[1]) then return result, {args[1], args[2]}, args[3] end
  return result, args[1], args[2]
end

local function symbolic_list(list)
  if type(list) ~= "table" or is_tensor(list) then return false end
  for _, x in ipairs(list) do if is_sym(x) then return true end end
  return false
end

local numeric_cat = torch.cat
local function cat(...)
  local result, list, dim = cat_parts(...)
  if not symbolic_list(list) then
    if numeric_cat == nil then api.user_error("the tracer does not support torch.cat() outside a custom module") end
    return numeric_cat(...)
  end
  if dim == nil or dim == -1 then dim = #known_sizes(list[1], "torch.cat without a dimension") end
  if type(dim) ~= "number" then refuse("torch.cat with a dimension that is not a number") end
  local joined = apply(nn.JoinTable(dim), unpack(list))
  if result then return become(result, joined) end
  return joined
end
torch.cat = cat
Tensor.cat = function(self, ...) return cat(self, ...) end
