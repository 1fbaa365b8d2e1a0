-- A benchmark-style builder written for the tracer's tests: the file returns a function of
-- the backend table {SpatialConvolution, SpatialMaxPooling, ReLU, layout, name} and that
-- function returns the model, its name and the batch size it is timed with. The network is
-- the one-weird-trick AlexNet (64-192-384-256-256 planes).
local function owt(lib)
   local Conv, Pool, ReLU = lib[1], lib[2], lib[3]
   local features = nn.Sequential()
   local plan = {{3, 64, 11, 4, 2, true}, {64, 192, 5, 1, 2, true}, {192, 384, 3, 1, 1},
                 {384, 256, 3, 1, 1}, {256, 256, 3, 1, 1, true}}
   for _, p in ipairs(plan) do
      features:add(Conv(p[1], p[2], p[3], p[3], p[4], p[4], p[5], p[5])):add(ReLU(true))
      if p[6] then features:add(Pool(3, 3, 2, 2)) end
   end
   local classifier = nn.Sequential():add(nn.View(256 * 6 * 6))
   for _, sizes in ipairs({{256 * 6 * 6, 4096}, {4096, 4096}}) do
      classifier:add(nn.Dropout(0.5)):add(nn.Linear(sizes[1], sizes[2])):add(nn.Threshold(0, 1e-6))
   end
   classifier:add(nn.Linear(4096, 1000))
   return nn.Sequential():add(features):add(classifier), 'OWT', {64, 3, 224, 224}
end

return owt
