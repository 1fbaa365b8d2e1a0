-- The entry point of this test project (run from this folder, as char-rnn's train.lua is): it
-- loads the class the cell file uses without requiring it, then builds the cell.
require 'nn'
require 'nngraph'
require 'util.Symbols'
local cell = require 'model.cell'
return cell.build(11, 6, 2)
