"""Custom modules traced in forward order with what reaches them (issue 19 item 1): Lua tables
passed between custom modules (DenseNet's memory-efficient layers), torch.cat into a result, a
child's .output, and the true sizes inside a custom module. Files: tests/lua/custom_tables."""
import pytest
import torch
import torchvision
from click.testing import CliRunner

from enet_port.cli import main
from enet_port.errors import LuaError
from enet_port.lua.tracer import parse_opt, torch7_table, trace_lua
from enet_port.model.build import build
from conftest import ROOT, copy_torchvision_weights
from test_lua_custom_modules import IndependentDenseNet

LUA = ROOT / "tests" / "lua" / "custom_tables"
DENSENET = LUA / "models" / "densenet_tables.lua"
OPTS = {"bottleneck": "lua:true", "reduction": 0.5, "tensorType": "torch.CudaTensor"}


def options(**extra):
    out = []
    for key, value in {**OPTS, **extra}.items():
        out += ["--opt", f"{key}={value}"]
    return out


def opt(**extra):
    return parse_opt(options(**extra)[1::2])


@pytest.mark.parametrize("memory", [3, 4])
def test_densenet_bc_121_passing_tables_has_torchvisions_count(memory):
    trace = trace_lua(DENSENET, opt=opt(growthRate=32, optMemory=memory), input_shape=(3, 224, 224))
    rows, problem = torch7_table(trace, (3, 224, 224))
    assert problem is None
    assert sum(r["params"] or 0 for r in rows) == sum(p.numel() for p in torchvision.models.densenet121().parameters())
    first, second = trace.model.children[4:6]  # a tensor in, {input, new} out; then {a, b} in, {a, b, new} out
    assert first.name == "nn.gModule" and first.args == [[0], [0, 2]]
    assert [c.name for c in first.children] == ["nn.Identity", "nn.Sequential", "nn.Sequential"]
    assert second.name == "nn.gModule" and second.args == [[0, 1], [0, 1, 4]]
    assert [c.name for c in second.children] == ["nn.Identity", "nn.Identity", "nn.JoinTable", "nn.Sequential",
                                                 "nn.Sequential"]
    assert second.children[2].args == [2] and second.children[2].inputs == [0, 1]
    assert second.origin.line == 41 and second.origin.inner_line == 22  # block(...) in createModel; its model:add
    joins = [n for n in trace.model.children if n.name == "nn.JoinTable"]
    assert len(joins) == 4


def test_densenet_passing_tables_forward_equals_an_independent_model(tmp_path):
    out = tmp_path / "densenet.json"
    result = CliRunner().invoke(main, ["import-lua", str(DENSENET), "-o", str(out), "--input", "3x56x56",
                                       "--nClasses", "5", *options(growthRate=4, optMemory=3, stages="lua:{2, 3}")])
    assert result.exit_code == 0, result.output
    assert "sets the weights of" in result.output  # the nninit call and the normal() of the convolutions
    ours = build(out).eval()
    theirs = IndependentDenseNet([2, 3], 4, 5).eval()
    assert len(copy_torchvision_weights(ours, theirs)) == 1 + 1 + 2 * 4 + 2 + 3 * 4 + 2
    x = torch.randn(2, 3, 56, 56)
    torch.testing.assert_close(ours(x), theirs(x), rtol=1e-5, atol=1e-5)


SIZED = """require 'nn'
local Head, parent = torch.class('nn.SizedHead', 'nn.Module')
function Head:updateOutput(input)
  assert(input:dim() == 4 and #input:size() == 4 and input:size():size() == 4)
  local n, c = input:size(1), input:size(2)
  local flat = input:size(2) * input:size(3) * input:size(4)
  assert(input:nElement() == n * flat)
  if not self.fc then self.fc = nn.Linear(flat, 10) end
  self.output = self.fc:forward(input:view(n, -1))
  return self.output
end
local m = nn.Sequential()
m:add(nn.SpatialConvolution(3, 4, 3, 3, 1, 1, 1, 1))
m:add(nn.SizedHead())
return m
"""


def test_a_custom_module_reads_the_sizes_of_its_input(tmp_path):
    path = tmp_path / "model.lua"
    path.write_text(SIZED)
    trace = trace_lua(path, input_shape=(3, 8, 6))
    head = trace.model.children[1]
    assert head.name == "nn.Sequential" and [c.name for c in head.children] == ["nn.View", "nn.Linear"]
    assert head.children[0].args == [4 * 8 * 6] and head.children[1].args == [4 * 8 * 6, 10]
    rows, problem = torch7_table(trace, (3, 8, 6))
    assert problem is None and rows[0]["output_shape"] == (10,)
    assert sum(r["params"] or 0 for r in rows) == (3 * 9 * 4 + 4) + (192 * 10 + 10)


@pytest.mark.parametrize("body,line,message", [
    ("local c = input:size(2)\n  return input", 3, r"does not support :size\(\) of a tensor whose sizes are not known"),
    ("return input:view(-1)", 3, r"does not support :view\(\) of a tensor whose sizes are not known")])
def test_reading_sizes_that_cannot_be_known_is_refused_at_its_line(tmp_path, body, line, message):
    path = tmp_path / "model.lua"
    path.write_text("local Mine = torch.class('nn.Mine', 'nn.Module')\nfunction Mine:updateOutput(input)\n"
                    f"  {body}\nend\nreturn nn.Sequential():add(nn.Mine())\n")
    with pytest.raises(LuaError, match=message) as caught:
        trace_lua(path)  # no input sizes: nothing reaches the module
    assert caught.value.where.endswith(f"model.lua:{line}")


def test_a_view_that_mixes_the_samples_is_refused_at_its_line(tmp_path):
    path = tmp_path / "model.lua"
    path.write_text("local Mine = torch.class('nn.Mine', 'nn.Module')\nfunction Mine:updateOutput(input)\n"
                    "  local x = input:view(-1)\n  return x\nend\nreturn nn.Sequential():add(nn.Mine())\n")
    with pytest.raises(LuaError, match="mixes the samples of a batch") as caught:
        trace_lua(path, input_shape=(3, 4, 4))
    assert caught.value.where.endswith("model.lua:3")


CONTAINERS = """require 'nn'
require 'nngraph'
local nninit = require 'nninit'
local Join, parent = torch.class('nn.JoinInto', 'nn.Module')
function Join:__init() parent.__init(self); self.output = torch.Tensor() end
function Join:updateOutput(input)
  assert(type(input) == 'table' and #input == 2 and input[1]:size(3) == input[2]:size(3))
  self.output:cat(input[1], input[2], 2)
  return self.output
end
local Swap = torch.class('nn.SwapHW', 'nn.Module')
function Swap:updateOutput(input) assert(input:dim() == 4) return input:transpose(3, 4) end
local Flat = torch.class('nn.FlatLinear', 'nn.Module')
function Flat:__init(nOut) self.nOut = nOut end
function Flat:updateOutput(input)
  self.fc = self.fc or nn.Linear(input:nElement() / input:size(1), self.nOut)
  return self.fc:forward(input:view(input:size(1), -1))
end
local m = nn.Sequential()
m:add(nn.SpatialConvolution(3, 2, 1, 1):init('weight', nninit.xavier):init('bias', nninit.constant, 0))
m:add(nn.ConcatTable():add(nn.Identity()):add(nn.SpatialConvolution(2, 3, 1, 1)))
m:add(nn.JoinInto())
m:add(nn.ConcatTable():add(nn.SwapHW()):add(nn.Identity()))
m:add(nn.ParallelTable():add(nn.SwapHW()):add(nn.Identity()))
m:add(nn.CAddTable())
local x = nn.Identity()()
m:add(nn.gModule({x}, {nn.FlatLinear(7)(nn.ReLU()(x))}))
return m
"""


def test_custom_modules_inside_containers_and_graphs_get_what_torch7_passes_them(tmp_path):
    """A custom module after a ConcatTable gets its table (joined with result:cat(a, b, 2)); inside
    a ConcatTable, a ParallelTable and an nngraph graph it gets its own input, with sizes."""
    path = tmp_path / "model.lua"
    path.write_text(CONTAINERS)
    out = tmp_path / "model.json"
    result = CliRunner().invoke(main, ["import-lua", str(path), "-o", str(out), "--input", "3x4x6"])
    assert result.exit_code == 0, result.output
    trace = trace_lua(path, input_shape=(3, 4, 6))
    conv, _, join, pair, parallel, _, graph = trace.model.children
    assert conv.init == {"weight": ["nninit.xavier"], "bias": ["nninit.constant", 0]}  # recorded, nothing built
    assert join.name == "nn.gModule" and join.args == [[0, 1], [2]] and join.children[2].args == [2]
    assert [c.children[0].name for c in (pair, parallel)] == ["nn.Sequential"] * 2
    assert pair.children[0].children[0].args == [[3, 4]]  # nn.Transpose({3, 4})
    flat = graph.children[2]
    assert [c.name for c in flat.children] == ["nn.View", "nn.Linear"] and flat.children[1].args == [5 * 4 * 6, 7]
    rows, problem = torch7_table(trace, (3, 4, 6))
    assert problem is None and rows[0]["output_shape"] == (7,)
    assert sum(r["params"] or 0 for r in rows) == (3 * 2 + 2) + (2 * 3 + 3) + (120 * 7 + 7)
    ours = build(out).eval()
    conv1, conv2 = [m for m in ours.modules() if isinstance(m, torch.nn.Conv2d)]
    linear = next(m for m in ours.modules() if isinstance(m, torch.nn.Linear))
    x = torch.randn(2, 3, 4, 6)
    y = conv1(x)
    joined = torch.cat([y, conv2(y)], 1)
    expected = linear(torch.relu(2 * joined).flatten(1))  # swapped twice + itself
    torch.testing.assert_close(ours(x), expected)


@pytest.mark.parametrize("body,modules", [
    ("return input:reshape(input:size(1), input:nElement() / input:size(1))", [("nn.Reshape", [72])]),
    ("return input:transpose(3, 4):viewAs(input)", [("nn.Transpose", [[3, 4]]), ("nn.View", [3, 4, 6])]),
    ("return input:view(-1, input:size(2), 24)", [("nn.View", [3, 24])])])
def test_views_keep_the_batch_and_become_modules_of_the_sample_sizes(tmp_path, body, modules):
    path = tmp_path / "model.lua"
    path.write_text("local Mine = torch.class('nn.Mine', 'nn.Module')\nfunction Mine:updateOutput(input)\n"
                    f"  {body}\nend\nreturn nn.Sequential():add(nn.Mine())\n")
    traced = trace_lua(path, input_shape=(3, 4, 6)).model.children[0]
    assert [(c.name, c.args) for c in traced.children] == modules


def test_without_sizes_the_tables_between_custom_modules_keep_their_structure():
    """No --input (or one the rules cannot follow): each layer still gets the table the one
    before returned, as stand-ins of unknown sizes."""
    sized = trace_lua(DENSENET, opt=opt(growthRate=8, optMemory=3, stages="lua:{3}"), input_shape=(3, 56, 56))
    unsized = trace_lua(DENSENET, opt=opt(growthRate=8, optMemory=3, stages="lua:{3}"))
    assert [n.args for n in unsized.model.children[4:7]] == [[[0], [0, 2]], [[0, 1], [0, 1, 4]],
                                                              [[0, 1, 2], [0, 1, 2, 5]]]
    assert unsized.model == sized.model


def test_torch_cat_without_a_dimension_joins_along_the_last_one(tmp_path):
    """Torch7's torch.cat(a, b) with no dimension joins along the last one: the width of a batch of
    3x4x6 samples (dimension 4 of the 4-D tensor the custom module receives)."""
    path = tmp_path / "model.lua"
    path.write_text("local Mine = torch.class('nn.Mine', 'nn.Module')\nfunction Mine:updateOutput(input)\n"
                    "  return torch.cat(input, input)\nend\nreturn nn.Sequential():add(nn.Mine())\n")
    trace = trace_lua(path, input_shape=(3, 4, 6))
    joins = [c for c in trace.model.children[0].children if c.name == "nn.JoinTable"]
    assert [j.args for j in joins] == [[4]]
    rows, problem = torch7_table(trace, (3, 4, 6))
    assert problem is None and rows[0]["output_shape"] == (3, 4, 12)
