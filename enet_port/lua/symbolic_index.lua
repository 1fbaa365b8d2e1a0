-- Rows of an identity matrix picked by the input: a one-hot encoding (lua/symbolic.lua's stand-ins).
-- Lua counterpart: torch.eye, the casts :long()/:int()/:byte() and Tensor:index as char-rnn's
-- util/OneHot.lua updateOutput calls them: self._eye = torch.eye(n) in __init, then
-- self._eye:float():index(1, input:long()), which is dpnn's nn.OneHot(n) (1-based indices ->
-- one-hot rows). Called as a chunk with custom.lua's api and the symbolic core.
-- torch.eye(n) is a plain n x n tensor marked as the identity; :float(), :double() and :type()
-- return a plain tensor itself (lua/torch7.lua), so the mark stays. Any other :index is refused
-- at its line.
local api, S = ...
local Tensor, nn, torch = api.Tensor, api.nn, api.torch
local is_sym, refuse, apply = S.is_sym, S.refuse, S.apply

function torch.eye(n, m)
  if type(n) ~= "number" or n < 1 or n ~= math.floor(n) or (m ~= nil and type(m) ~= "number") then
    api.user_error("bad argument #1 to 'eye' (torch.eye(n [, m]) with whole positive sizes)")
  end
  local eye = api.new_tensor({n, m or n})
  if m == nil or m == n then rawset(eye, "_eye", n) end
  return eye
end

-- a cast of a symbolic tensor holds the same values (indices stay whole numbers): an alias
for _, name in ipairs({"long", "int", "short", "byte", "char"}) do
  Tensor[name] = function(self)
    if not is_sym(self) then return self end
    return S.wrap(S.node_of(self, ":" .. name .. "()"), rawget(self, "_known") and S.sample_of(self).sizes)
  end
end

function Tensor:index(dim, index)
  if rawget(self, "_eye") and dim == 1 and is_sym(index) then
    return apply(nn.OneHot(rawget(self, "_eye")), index)
  end
  if is_sym(self) or is_sym(index) then
    refuse(":index() other than the rows of torch.eye(n) picked by the input (a one-hot encoding, "
           .. "torch.eye(n):index(1, input))")
  end
  api.user_error("the tracer does not support :index() (on a tensor no model input reaches)")
end
