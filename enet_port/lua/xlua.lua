-- xlua's additions to Lua's string library, for the tracer (enet_port/lua/sandbox.lua). Lua
-- counterpart: torch/xlua init.lua, loaded by Torch7's th and by the image and optim packages,
-- so model files call opt.arch:split(',') (fast-neural-style) as if Lua had it.
local find, sub, insert = string.find, string.sub, table.insert

-- string.split(str, pattern): the pieces between matches of the Lua pattern, an empty first
-- piece left out, the text after the last match kept when not empty
local function split(str, pattern)
  local pieces, last, whole = {}, 1, "(.-)" .. pattern
  local s, e, piece = find(str, whole, 1)
  while s do
    if s ~= 1 or piece ~= "" then insert(pieces, piece) end
    last = e + 1
    s, e, piece = find(str, whole, last)
  end
  if last <= #str then insert(pieces, sub(str, last)) end
  return pieces
end

return {split = split}
