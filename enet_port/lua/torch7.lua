-- Torch7 stand-ins for the tracer (enet_port/lua/tracer.py).
-- Called as a chunk with (fields, record_line, user_error, chunks: the compiled nn.lua and
-- nngraph.lua); returns the packages a model file can require. Modules record their Torch7 name, arguments, modifiers, children, post-build
-- changes and the user lines that built them; no tensor holds data except small 1-D ones.
local fields, record_line, user_error, chunks = ...
local trace = {modules = {}, criteria = {}}

local Tensor = {}
Tensor.__index = Tensor
Tensor.__metatable = "torch.Tensor"

local function new_tensor(sizes, data, owner, field)
  return setmetatable({_sizes = sizes, _data = data, _owner = owner, _field = field}, Tensor)
end

local function numel(sizes)
  local n = 1
  for _, s in ipairs(sizes) do n = n * s end
  return n
end

local function tensor_from(...)
  local first = ...
  if type(first) == "table" and getmetatable(first) == "torch.Tensor" and select("#", ...) == 1 and first._data then
    return new_tensor(first._data)  -- torch.Tensor(torch.LongStorage({...})): those sizes
  end
  if type(first) == "table" and getmetatable(first) ~= "torch.Tensor" then
    local data = {}
    for i, v in ipairs(first) do data[i] = v end
    return new_tensor({#data}, data)
  end
  local sizes = {...}
  if #sizes == 1 and sizes[1] <= 1e6 then
    local data = {}
    for i = 1, sizes[1] do data[i] = 0 end
    return new_tensor(sizes, data)
  end
  return new_tensor(sizes)
end

local function record_init(t, how, ...)
  if t._owner then t._owner.__t7.init[t._field] = {how, ...} end
  return t
end

local function map(t, f)
  if not t._data then return new_tensor(t._sizes) end
  local data = {}
  for i, v in ipairs(t._data) do data[i] = f(v, i) end
  return new_tensor(t._sizes, data)
end

local function binary(op)
  return function(a, b)
    if type(a) == "number" then return map(b, function(v) return op(a, v) end) end
    if type(b) == "number" then return map(a, function(v) return op(v, b) end) end
    return map(a, function(v, i) return op(v, b._data and b._data[i] or 0) end)
  end
end

function Tensor:size(d) if d then return self._sizes[d] end return self._sizes end
function Tensor:dim() return #self._sizes end
function Tensor:nElement() return numel(self._sizes) end
Tensor.numel = Tensor.nElement
function Tensor:fill(v)
  if self._data then for i = 1, #self._data do self._data[i] = v end end
  return record_init(self, "fill", v)
end
function Tensor:zero() return self:fill(0) end
function Tensor:normal(m, s) return record_init(self, "normal", m or 0, s or 1) end
function Tensor:uniform(a, b) return record_init(self, "uniform", a or 0, b or 1) end
function Tensor:sum()
  local s = 0
  for _, v in ipairs(self._data or {}) do s = s + v end
  return s
end
function Tensor:clone() return map(self, function(v) return v end) end
for _, name in ipairs({"float", "double", "cuda", "cl", "contiguous", "squeeze", "type"}) do
  Tensor[name] = function(self) return self end
end
function Tensor:copy(src) return self end
function Tensor:totable()
  local out = {}
  for i, v in ipairs(self._data or {}) do out[i] = v end
  return out
end
-- resize keeps the elements when their number stays (image.gaussian1D(5):resize(5, 1), nnx's tests)
function Tensor:resize(...)
  local sizes = {...}
  if type(sizes[1]) == "table" then sizes = sizes[1]._data or sizes[1] end
  if numel(sizes) ~= numel(self._sizes) then self._data = nil end
  self._sizes = sizes
  return self
end
function Tensor:t()
  if #self._sizes ~= 2 then error("t() expects a 2D tensor", 2) end
  local rows, cols = self._sizes[1], self._sizes[2]
  if not self._data then return new_tensor({cols, rows}) end
  local data = {}
  for i = 1, rows do
    for j = 1, cols do data[(j - 1) * rows + i] = self._data[(i - 1) * cols + j] end
  end
  return new_tensor({cols, rows}, data)
end
function Tensor:mul(v) return record_init(self, "mul", v) end
function Tensor:div(v) return record_init(self, "div", v) end
function Tensor:add(v) return record_init(self, "add", v) end
Tensor.__add = binary(function(a, b) return a + b end)
Tensor.__sub = binary(function(a, b) return a - b end)
Tensor.__mul = binary(function(a, b) return a * b end)
Tensor.__div = binary(function(a, b) return a / b end)
Tensor.__index = function(t, k)
  if type(k) == "number" then return t._data and t._data[k] end
  return Tensor[k]
end
Tensor.__newindex = function(t, k, v)
  if type(k) == "number" and t._data then t._data[k] = v else rawset(t, k, v) end
end

local function elementwise(f)
  return function(x)
    if type(x) == "number" then return f(x) end
    return map(x, f)
  end
end

-- modules: nn.lua (classes, clone/share) and nngraph.lua ---------------------------------
local function copy_tensor(t)
  local out = map(t, function(v) return v end)
  out._owner, out._field = t._owner, t._field
  return out
end
local function is_tensor(x) return type(x) == "table" and getmetatable(x) == "torch.Tensor" end
local classes = chunks.nn(fields, record_line, user_error,
                          {new = new_tensor, is = is_tensor, copy = copy_tensor}, chunks.nngraph, trace,
                          chunks.nn_names(), chunks.nn_args())
local nn, cudnn = classes.nn, classes.cudnn
cudnn.version, cudnn.benchmark, cudnn.fastest = 5105, false, false
chunks.dpnn(nn, classes.class)  -- nn.Inception, built as dpnn builds it (OpenFace's files never require dpnn)
function cudnn.convert(model) return model end  -- nn.X and cudnn.X compute the same

-- torch/nn's nn.tables (SpatialConvolutionMap.lua): connection tables as N x 2 tensors of
-- {input plane, output plane} rows, filled in the Lua loops' order; random() draws with Lua's
-- math.random, so its planes differ from Torch7's (its shape does not)
local function pairs_tensor(rows)
  local data = {}
  for _, row in ipairs(rows) do data[#data + 1], data[#data + 2] = row[1], row[2] end
  return new_tensor({#rows, 2}, data)
end
local function randperm(n)
  local perm = {}
  for i = 1, n do perm[i] = i end
  for i = n, 2, -1 do
    local j = math.random(i)
    perm[i], perm[j] = perm[j], perm[i]
  end
  return perm
end
local tables = {}
function tables.full(nin, nout)
  local rows = {}
  for j = 1, nout do for i = 1, nin do rows[#rows + 1] = {i, j} end end
  return pairs_tensor(rows)
end
function tables.oneToOne(n)
  local rows = {}
  for i = 1, n do rows[i] = {i, i} end
  return pairs_tensor(rows)
end
function tables.random(nin, nout, nto)
  local rows, perm, chunk, chunks = {}, randperm(nin), 0, math.floor(nin / nto)
  for out = 1, nout do
    for k = 1, nto do rows[#rows + 1] = {perm[chunk * nto + k], out} end
    chunk = chunk + 1
    if chunk == chunks then perm, chunk = randperm(nin), 0 end
  end
  return pairs_tensor(rows)
end
rawset(nn, "tables", tables)

local torch = {Tensor = tensor_from, FloatTensor = tensor_from, DoubleTensor = tensor_from,
               CudaTensor = tensor_from, LongTensor = tensor_from, ByteTensor = tensor_from,
               LongStorage = tensor_from}
function torch.zeros(...) return tensor_from(...) end
function torch.ones(...) return tensor_from(...):fill(1) end
torch.randn, torch.rand, torch.FloatStorage = torch.zeros, torch.zeros, tensor_from
function torch.range(a, b, step)
  local data = {}
  for v = a, b, step or 1 do data[#data + 1] = v end
  return new_tensor({#data}, data)
end
torch.class, torch.getmetatable = classes.class, classes.getmetatable
torch.log, torch.exp = elementwise(math.log), elementwise(math.exp)
torch.sqrt, torch.abs = elementwise(math.sqrt), elementwise(math.abs)
function torch.setdefaulttensortype() end
function torch.manualSeed() end
-- a draw from torch's generator, the lowest it can give (a seed a file picks, as dcgan.torch's
-- torch.random(1, 10000), changes no structure; the trace stays the same on every run)
function torch.random(a, b)
  if b ~= nil then return a end
  return 1
end
function torch.setnumthreads() end
function torch.getnumthreads() return 1 end
function torch.type(x)
  if classes.is_module(x) then return x.__typename end
  if type(x) == "table" and getmetatable(x) == "torch.Tensor" then return "torch.FloatTensor" end
  return type(x)
end
torch.typename = torch.type
function torch.load()  -- a stored model: the file builds on weights and structure the tracer cannot see
  user_error("the tracer does not support torch.load() (the file builds on a stored model; "
             .. "a .t7 file is imported with `enet-port import-t7`)")
end
function torch.isTensor(x) return type(x) == "table" and getmetatable(x) == "torch.Tensor" end
local resolve = chunks.custom({Tensor = Tensor, nn = nn, torch = torch, is_tensor = is_tensor, new_tensor = new_tensor,
                               is_module = classes.is_module, user_error = user_error, Module = classes.Module,
                               builtin = classes.builtin, context = chunks.context, shape = chunks.shape,
                               export = chunks.export, chunks = chunks})

local moses = {}
function moses.bindn(f, ...)
  local bound = {...}
  local nb = select("#", ...)
  return function(...)
    local args = {}
    for i = 1, nb do args[i] = bound[i] end
    local n = select("#", ...)
    for i = 1, n do args[nb + i] = select(i, ...) end
    return f(unpack(args, 1, nb + n))
  end
end
function moses.bind(f, v) return function(...) return f(v, ...) end end

local cutorch = {}
function cutorch.getDeviceCount() return 1 end
function cutorch.setDevice() end
function cutorch.synchronize() end
function cutorch.manualSeedAll() end

local paths = {}
function paths.concat(...) return table.concat({...}, "/") end
function paths.filep() return false end
function paths.dirp() return false end
function paths.dirname(p) return p:find("/") and (p:gsub("/[^/]*$", "")) or "." end
function paths.basename(p) return (p:gsub("^.*/", "")) end


-- require 'nnx' (and cunn, dpnn, rnn) returns nn, which those packages extend with their modules
return {torch = torch, nn = nn, cudnn = cudnn, cunn = nn, nnx = nn, dpnn = nn, rnn = nn, inn = classes.inn, ccn2 = classes.ccn2, nngraph = classes.nngraph, cutorch = cutorch, paths = paths,
        moses = moses, image = chunks.image(new_tensor), optim = {}, xlua = {}, trace = trace, resolve = resolve,
        nninit = chunks.nninit(classes.Module), set_class_loader = classes.set_class_loader}
