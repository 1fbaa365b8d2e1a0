if upnn then return upnn end
upnn = {}
require 'UnitRange'
return upnn
