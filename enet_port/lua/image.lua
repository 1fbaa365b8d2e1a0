-- The torch/image package's kernel builders for the tracer (enet_port/lua/tracer.py), with its
-- formulas (image/init.lua: image.gaussian1D, image.gaussian, image.laplacian; the 2-D gaussian's
-- C kernel computes the same). Tutorials build normalisation kernels with them
-- (nn.SpatialContrastiveNormalization(1, image.gaussian1D(7))). Arguments as dok.unpack takes
-- them: positional, or one table of named ones. Called as a chunk with the tensor constructor.
local new_tensor = ...

local function arguments(list, names, defaults)
  local given = list
  if #list == 1 and type(list[1]) == "table" and getmetatable(list[1]) == nil then
    given = {}
    for i, name in ipairs(names) do given[i] = list[1][name] end
  end
  local out = {}  -- a string default names the argument it defaults to (dok's defaulta)
  for i, name in ipairs(names) do
    local value, default = given[i], defaults[name]
    if value == nil then
      if type(default) == "string" then value = out[default] else value = default end
    end
    out[name] = value
  end
  return out
end

local function finish(sizes, values, normalize)
  if normalize then
    local total = 0
    for _, v in ipairs(values) do total = total + v end
    for i, v in ipairs(values) do values[i] = v / total end
  end
  return new_tensor(sizes, values)
end

local image = {}
function image.gaussian1D(...)
  local a = arguments({...}, {"size", "sigma", "amplitude", "normalize", "mean"},
                      {size = 3, sigma = 0.25, amplitude = 1, normalize = false, mean = 0.5})
  local center, values = a.mean * a.size + 0.5, {}
  for i = 1, a.size do
    values[i] = a.amplitude * math.exp(-(((i - center) / (a.sigma * a.size)) ^ 2 / 2))
  end
  return finish({a.size}, values, a.normalize)
end

local NAMES_2D = {"size", "sigma", "amplitude", "normalize", "width", "height", "sigma_horz", "sigma_vert",
                  "mean_horz", "mean_vert"}
local function defaults_2d(sigma)
  return {size = 3, sigma = sigma, amplitude = 1, normalize = false, width = "size", height = "size",
          sigma_horz = "sigma", sigma_vert = "sigma", mean_horz = 0.5, mean_vert = 0.5}
end

-- value(row distance, column distance) over a height x width grid, row-major
local function grid(a, value)
  local cx, cy, values = a.mean_horz * a.width + 0.5, a.mean_vert * a.height + 0.5, {}
  for i = 1, a.height do
    for j = 1, a.width do
      values[#values + 1] = value(i, j, cx, cy)
    end
  end
  return finish({a.height, a.width}, values, a.normalize)
end

function image.gaussian(...)
  local a = arguments({...}, NAMES_2D, defaults_2d(0.25))
  return grid(a, function(i, j, cx, cy)
    return a.amplitude * math.exp(-(((j - cx) / (a.sigma_horz * a.width)) ^ 2 / 2
                                    + ((i - cy) / (a.sigma_vert * a.height)) ^ 2 / 2))
  end)
end

-- image.laplacian measures the row index from the horizontal centre, as image/init.lua does
function image.laplacian(...)
  local a = arguments({...}, NAMES_2D, defaults_2d(0.1))
  return grid(a, function(i, j, cx, cy)
    local xsq = ((i - cx) / (a.sigma_horz * a.width)) ^ 2 / 2
    local ysq = ((j - cy) / (a.sigma_vert * a.height)) ^ 2 / 2
    return (1 - (xsq + ysq)) * a.amplitude * math.exp(-(xsq + ysq))
  end)
end

-- image.display shows pictures (a tutorial's first-layer filters) in a window: the model is the
-- same without it, so here it shows nothing and returns no window
function image.display() end

return image
