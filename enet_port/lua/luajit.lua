-- LuaJIT 2.1 behaviour that Torch7 model files rely on, for the tracer's Lua 5.1
-- (enet_port/lua/tracer.py; NOTES.md lists each difference). Lua counterparts: LuaJIT's
-- lib_string.c (string.format's %s takes any value through tostring), lib_math.c (math.log with
-- a base) and lib_bit.c (the bit module: 32-bit operations on numbers).
local format, log, floor = string.format, math.log, math.floor
local TWO32, TWO31 = 4294967296, 2147483648

local function luajit_format(fmt, ...)
  local args, n, i = {...}, select("#", ...), 0
  if type(fmt) == "string" then
    for conversion in fmt:gmatch("%%[%-+ #0]*%d*%.?%d*([%a%%])") do
      if conversion ~= "%" then
        i = i + 1
        if conversion == "s" and i <= n and type(args[i]) ~= "string" and type(args[i]) ~= "number" then
          args[i] = tostring(args[i])
        end
      end
    end
  end
  return format(fmt, unpack(args, 1, n))
end

local function luajit_log(x, base)
  if base == nil then return log(x) end
  return log(x) / log(base)
end

local bit = {}
function bit.tobit(x)
  x = floor(x) % TWO32
  if x >= TWO31 then x = x - TWO32 end
  return x
end
local function unsigned(x) return bit.tobit(x) % TWO32 end

local function bitwise(op)
  return function(a, ...)
    local r = unsigned(a)
    for k = 1, select("#", ...) do
      local x, y, out, p = r, unsigned((select(k, ...))), 0, 1
      for _ = 1, 32 do
        local xb, yb = x % 2, y % 2
        if op(xb, yb) then out = out + p end
        x, y, p = (x - xb) / 2, (y - yb) / 2, p * 2
      end
      r = out
    end
    return bit.tobit(r)
  end
end
bit.band = bitwise(function(x, y) return x == 1 and y == 1 end)
bit.bor = bitwise(function(x, y) return x == 1 or y == 1 end)
bit.bxor = bitwise(function(x, y) return x ~= y end)
function bit.bnot(x) return bit.tobit(-1 - bit.tobit(x)) end
function bit.lshift(x, n) return bit.tobit(unsigned(x) * 2 ^ (n % 32)) end
function bit.rshift(x, n) return bit.tobit(floor(unsigned(x) / 2 ^ (n % 32))) end
function bit.arshift(x, n) return bit.tobit(floor(bit.tobit(x) / 2 ^ (n % 32))) end
function bit.rol(x, n)
  n = n % 32
  return bit.bor(bit.lshift(x, n), bit.rshift(x, 32 - n))
end
function bit.ror(x, n) return bit.rol(x, 32 - n % 32) end
function bit.bswap(x)
  local u, out = unsigned(x), 0
  for _ = 1, 4 do
    out = out * 256 + u % 256
    u = floor(u / 256)
  end
  return bit.tobit(out)
end
function bit.tohex(x, n)
  n = n or 8
  local hex = format(n < 0 and "%08X" or "%08x", unsigned(x))
  local width = math.min(math.abs(n), 8)
  return hex:sub(9 - width)
end

return {format = luajit_format, log = luajit_log, bit = bit}
