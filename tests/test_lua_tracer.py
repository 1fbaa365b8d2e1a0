"""The tracer runs real Lua: both file shapes, after-construction code, options, the sandbox."""
import json

import pytest
from click.testing import CliRunner

from enet_port.model.build import build
from enet_port.cli import main
from enet_port.errors import LuaError
from enet_port.lua.tracer import trace_lua
from enet_port.model.shapes import param_count
from conftest import ROOT

LUA = ROOT / "tests" / "lua"


def line_of(path, text):
    """1-based number of the only line of ``path`` containing ``text``."""
    hits = [i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line]
    assert len(hits) == 1, hits
    return hits[0]


def test_script_returning_a_table_with_a_wrapped_model():
    path = LUA / "script_style.lua"
    trace = trace_lua(path, opt={"dataclasses": "abc", "nGPU": 2})
    model = trace.model  # DataParallelTable unwrapped
    assert [n.name for n in model.children] == [
        "cudnn.SpatialConvolution", "nn.Sequential", "nn.Sequential", "nn.PReLU"]
    first, second = model.children[1], model.children[2]
    assert first.children[0].args == [8, 8, 5, 1, 1, 1, 2, 0] and ("noBias",) in first.children[0].modifiers
    assert [c.args[0] for c in (first.children[2], second.children[2])] == [0.01, 0.1]  # closure counter
    assert len(first.children) == 3 and second.children[3].modifiers == [("ceil",)]
    call_line = line_of(path, "model:add(wide(8, i == 2))")
    built_line = line_of(path, "s:add(cudnn.SpatialConvolution(planes")
    assert first.children[0].where == f"{path}:{call_line} (line {built_line})"
    assert model.children[3].args == []  # PReLU() with one shared slope
    assert [c.name for c in trace.criteria] == ["cudnn.SpatialCrossEntropyCriterion"]
    assert trace.printed[0] == "==> here is the model:" and "nn.PReLU()" in trace.printed[1]


def test_after_construction_code_is_kept():
    path = LUA / "post_build.lua"
    trace = trace_lua(path, nClasses=7, opt={"depth": 3})
    convs = [n for n in trace.model.walk() if n.name == "nn.SpatialConvolution"]
    assert len(convs) == 3 and all(("noBias",) in c.modifiers for c in convs)
    assert convs[0].init["weight"][0] == "normal"
    assert convs[0].init["weight"][2] == pytest.approx((2 / (3 * 3 * 16)) ** 0.5)
    view, linear = trace.model.children[1].children[:2]
    assert view.modifiers == [("setNumInputDims", 3)] and linear.args == [256, 7]
    assert linear.init["bias"] == ["fill", 0]
    assert sum(param_count(n) for n in trace.model.walk()) == 3 * 16 * 9 + 2 * 16 * 16 * 9 + 256 * 7 + 7


def test_import_lua_round_trip_builds_the_traced_parameter_count(tmp_path):
    out = tmp_path / "post_build.json"
    args = ["import-lua", str(LUA / "post_build.lua"), "--opt", "depth=2", "--nClasses", "7", "-o", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "sets the weights of" in result.stderr
    spec = json.loads(out.read_text())
    assert spec["classifier"][1]["nn.Linear"] == [256, "$nClasses"]
    again = CliRunner().invoke(main, ["diff", str(out), str(LUA / "post_build.lua"), "--opt", "depth=2",
                                      "--nClasses", "7"])
    assert again.exit_code == 0 and again.stdout.startswith("identical")
    traced = trace_lua(LUA / "post_build.lua", nClasses=7, opt={"depth": 2})
    model = build(out, classes=7)
    assert sum(p.numel() for p in model.parameters()) == sum(param_count(n) for n in traced.model.walk())


@pytest.mark.parametrize("name", ["enet_v2", "enet_v12", "enet_v14", "resnet18"])
def test_import_lua_of_legacy_files_diffs_identical(tmp_path, name):
    out = tmp_path / f"{name}.json"
    lua = ROOT / "legacy_lua" / f"{name}.lua"
    assert CliRunner().invoke(main, ["import-lua", str(lua), "-o", str(out)]).exit_code == 0
    result = CliRunner().invoke(main, ["diff", str(out), str(lua)])
    assert result.exit_code == 0, result.output
    if name.startswith("enet"):  # ENet blocks are recognised, not expanded
        assert all(len(e) == 2 for e in json.loads(out.read_text())["features"][4:-1])


def test_unknown_module_is_reported_by_name_and_line(tmp_path):
    path = LUA / "unknown_module.lua"
    trace = trace_lua(path)
    line = line_of(path, "TemporalRowConvolution")
    assert trace.unknown == [("nn.TemporalRowConvolution", f"{path}:{line}")]
    out = tmp_path / "x.json"
    result = CliRunner().invoke(main, ["import-lua", str(path), "-o", str(out)])
    assert result.exit_code == 2 and not out.exists()
    assert result.stderr.strip() == (f"enet-port: {path}:{line}: unknown Torch7 module "
                                     "nn.TemporalRowConvolution: a spec cannot hold it")


HOSTILE = {
    "io": ('local f = io.open("{canary}", "w") f:write("x")', "attempt to index global 'io'"),
    "os_execute": ('os.execute("touch {canary}")', "attempt to call field 'execute'"),
    "require_c": ('local lfs = require "lfs"', "module 'lfs' is not available"),
    "load": ('loadstring("x = 1")()', "attempt to call global 'loadstring'"),
    "dofile": ('dofile("{canary}")', "attempt to call global 'dofile'"),
    "getfenv": ("local g = getfenv(0)", "attempt to call global 'getfenv'"),
    "string_dump": ("local s = string.dump(print)", "attempt to call field 'dump'"),
    "syntax": ("local x = = 1", "unexpected symbol near '='"),
    "runtime": ("local m = nn.Sequential()\nlocal y = m.missing + 1", "attempt to perform arithmetic"),
    "no_model": ("local x = 1", "no model: the file neither defines createModel"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_or_broken_files_fail_in_one_line_and_touch_nothing(tmp_path, name):
    canary = tmp_path / "canary"
    code, message = HOSTILE[name]
    path = tmp_path / f"{name}.lua"
    path.write_text(code.format(canary=canary) + "\n")
    result = CliRunner().invoke(main, ["diff", str(ROOT / "specs" / "v2.json"), str(path)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"enet-port: {path}") and message in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # nothing written


@pytest.mark.parametrize("code", ["while true do end",
                                  "while true do pcall(function() while true do end end) end"])
def test_time_limit_cannot_be_escaped(tmp_path, code):
    path = tmp_path / "spin.lua"
    path.write_text(code)
    with pytest.raises(LuaError, match="time limit exceeded"):
        trace_lua(path, seconds=0.5)


def test_memory_limit(tmp_path):
    path = tmp_path / "hog.lua"
    path.write_text('local t = {} for i = 1, 1e8 do t[i] = string.rep("x", 64) .. i end')
    with pytest.raises(LuaError, match="memory limit of 32 MiB exceeded"):
        trace_lua(path, seconds=30, max_memory=32 << 20)


def test_trace_command_sizes_every_module_from_torch7_rules():
    result = CliRunner().invoke(main, ["trace", str(ROOT / "legacy_lua" / "resnet18.lua")])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[-1] == "total parameters: 11,689,512"  # torchvision's resnet18
    assert "cudnn.SpatialConvolution(3, 64, 7, 7, 2, 2, 3, 3):noBias()  ->  64x112x112  params 9408" in lines[2]
    unknown = CliRunner().invoke(main, ["trace", str(LUA / "unknown_module.lua")])
    line = line_of(LUA / "unknown_module.lua", "TemporalRowConvolution")
    assert f"unknown Torch7 module nn.TemporalRowConvolution at {LUA / 'unknown_module.lua'}:{line}" in unknown.stderr


def test_a_model_without_classifier_round_trips_as_a_flat_spec(tmp_path):
    lua, out = LUA / "script_style.lua", tmp_path / "flat.json"
    opts = ["--opt", "dataclasses=lua:{'a','b','c'}", "--opt", "nGPU=2"]
    assert CliRunner().invoke(main, ["import-lua", str(lua), *opts, "-o", str(out)]).exit_code == 0
    spec = json.loads(out.read_text())
    assert spec["classifier"] == [] and len(spec["features"]) == 4
    assert CliRunner().invoke(main, ["diff", str(out), str(lua), *opts]).stdout.startswith("identical")
    summary = CliRunner().invoke(main, ["summary", str(out), "--json"])
    layers = json.loads(summary.stdout)["layers"]
    # conv 3->8 3x3/2 pad 1 on 224: 112x112; then two 5x1 blocks, the second pooled (ceil) to 56x56
    assert [l["output_shape"] for l in layers] == [[8, 112, 112], [8, 112, 112], [8, 56, 56], [8, 56, 56]]
