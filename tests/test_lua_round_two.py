"""The tracer on real-file habits, round two (issue 19 items 3-6): LuaJIT semantics, a file that
returns a table of builders (--call/--args), torch/image's kernel builders, and nn.Foo that
Torch7 itself would not have."""
import math

import pytest
from click.testing import CliRunner

from enet_port.cli import main
from enet_port.errors import LuaError
from enet_port.lua.tracer import parse_call, trace_lua
from enet_port.model.shapes import param_count
from conftest import ROOT

LUA = ROOT / "tests" / "lua" / "custom_modules"
TAIL = "\nreturn nn.Sequential():add(nn.ReLU())\n"


def printed(tmp_path, code):
    path = tmp_path / "model.lua"
    path.write_text(code + TAIL)
    return trace_lua(path).printed


def test_luajit_semantics(tmp_path):
    lines = printed(tmp_path, "local bit = require 'bit'\n"
                    "print(string.format('%s|%s|%5s', nil, true, nil), ('%d%%%s'):format(3, nil))\n"
                    "print(bit.band(12, 10), bit.bor(12, 10), bit.bxor(12, 10), bit.bnot(0), bit.lshift(1, 31),\n"
                    "      bit.rshift(-1, 28), bit.arshift(-16, 2), bit.tohex(255), bit.tohex(-1, -4), bit.rol(1, 33),\n"
                    "      bit.bswap(0x01020304), bit.tobit(2^32 + 5))\n"
                    "print(math.log(8, 2), math.pow(2, 10), table.unpack({1, 2}))")
    assert lines[0] == "nil|true|  nil\t3%nil"
    # bitop's documented results: 32-bit two's complement
    assert lines[1].split("\t") == ["8", "14", "6", "-1", "-2147483648", "15", "-4", "000000ff", "FFFF", "2",
                                    str(0x04030201), "5"]
    assert lines[2].split("\t") == ["3", "1024", "1", "2"]


def _gaussian1d(size, sigma=0.25, mean=0.5):  # image.gaussian1D's formula
    center = mean * size + 0.5
    return [math.exp(-(((i - center) / (sigma * size)) ** 2) / 2) for i in range(1, size + 1)]


def test_image_kernel_builders(tmp_path):
    lines = printed(tmp_path, "require 'image'\n"
                    "local function show(t) print(table.concat(t:totable(), ' ')) end\n"
                    "show(image.gaussian1D(5))\nshow(image.gaussian1D{size = 7, sigma = 0.2, normalize = true})\n"
                    "show(image.gaussian(3))\nshow(image.laplacian{size = 3, sigma = 0.3})\n"
                    "print(image.gaussian{width = 4, height = 2}:size(1), image.gaussian{width = 4, height = 2}:size(2))")
    values = [[float(v) for v in line.split()] for line in lines[:4]]
    assert values[0] == pytest.approx(_gaussian1d(5), rel=1e-12)
    seven = _gaussian1d(7, 0.2)
    assert values[1] == pytest.approx([v / sum(seven) for v in seven], rel=1e-12)
    g = [math.exp(-(((j - 2) / 0.75) ** 2 / 2 + ((i - 2) / 0.75) ** 2 / 2)) for i in (1, 2, 3) for j in (1, 2, 3)]
    assert values[2] == pytest.approx(g, rel=1e-12)
    q = [(((i - 2) / 0.9) ** 2 / 2 + ((j - 2) / 0.9) ** 2 / 2) for i in (1, 2, 3) for j in (1, 2, 3)]
    assert values[3] == pytest.approx([(1 - s) * math.exp(-s) for s in q], rel=1e-12)
    assert lines[4] == "2\t4"


def test_an_nn_module_the_file_never_defines_fails_as_in_torch7(tmp_path):
    path = tmp_path / "model.lua"
    path.write_text("require 'nn'\nlocal m = nn.Sequential()\nm:add(nn.SpatialConvolutionFancy(3, 8, 3, 3))\nreturn m\n")
    with pytest.raises(LuaError) as info:
        trace_lua(path)
    assert str(info.value) == (f"{path}:3: Torch7 itself would fail here (attempt to call field "
                               "'SpatialConvolutionFancy' (a nil value)): SpatialConvolutionFancy is not a module "
                               "of the package and the file neither defines nor requires it")


def test_a_table_of_builders_needs_call_and_takes_lua_args():
    path = LUA / "lstm_builders.lua"
    with pytest.raises(LuaError, match=r"returns a table of functions \(gates, lstm\); pick one with --call NAME"):
        trace_lua(path)
    trace = trace_lua(path, call=parse_call("lstm", "4, 8, 2, 0.5"))
    graph = trace.model
    assert graph.name == "nn.gModule" and len(graph.args[0]) == 5 and len(graph.args[1]) == 5
    # per layer: Linear(in, 4h) and Linear(h, 4h), h = 8; then Linear(h, 4): by hand
    expected = (4 + 1) * 32 + (8 + 1) * 32 + (8 + 1) * 32 + (8 + 1) * 32 + (8 + 1) * 4
    assert sum(param_count(n) for n in graph.walk()) == expected
    with pytest.raises(LuaError, match=r"--call build: no such function \(the file returns gates, lstm\)"):
        trace_lua(path, call=parse_call("build", None))


def test_the_one_builder_taking_opt_is_chosen_and_call_reaches_the_cli(tmp_path):
    path = tmp_path / "m.lua"
    path.write_text("local M = {}\nfunction M.helper(n) return n end\n"
                    "function M.build_model(opt)\n  return nn.Sequential():add(nn.Linear(opt.n or 3, 2))\nend\nreturn M\n")
    assert trace_lua(path, opt={"n": 5}).model.children[0].args == [5, 2]
    result = CliRunner().invoke(main, ["trace", str(path), "--call", "helper", "--args",
                                       "nn.SpatialConvolution(3, 4, 3, 3)", "--input", "3x8x8"])
    assert result.exit_code == 0, result.output
    assert "nn.SpatialConvolution(3, 4, 3, 3)  ->  4x6x6" in result.output



def test_a_refusal_in_another_file_of_the_folder_names_that_files_line(tmp_path):
    (tmp_path / "parts.lua").write_text("function createModel()\n  return nn.Sequential():add(nn.SpatialConvolution(3))\n"
                                        "end\n")
    path = tmp_path / "model.lua"
    path.write_text("require 'nn'\npaths.dofile('parts.lua')\n")
    with pytest.raises(LuaError) as info:
        trace_lua(path)  # createModel runs after the file: no line of model.lua is on the stack
    assert str(info.value).startswith(f"{tmp_path / 'parts.lua'}:2: nn.SpatialConvolution"), str(info.value)


def test_a_tensor_is_userdata_as_in_torch7(tmp_path):
    path = tmp_path / "model.lua"
    path.write_text("require 'nn'\nlocal Pick = torch.class('nn.Pick', 'nn.Module')\n"
                    "function Pick:updateOutput(input)\n"
                    "  if type(input) == 'table' then return input[1] end\n  return input:sigmoid()\nend\n"
                    "print(type(torch.zeros(2)), type(nn.ReLU()), type({}))\n"
                    "return nn.Sequential():add(nn.Pick())\n")
    trace = trace_lua(path)
    assert trace.printed == ["userdata\ttable\ttable"]
    assert [c.name for c in trace.model.children[0].children] == ["nn.Sigmoid"]
