"""Causes found on the second corpus of real Torch7 model files (issue 19, part B), each on a
file of our own written in the style of the public ones (tests/lua/real_files_b). Expected values
come from torch/nn's rules and the layer sizes, never from our output."""
import json

import torch

from enet_port.model.build import build
from conftest import ROOT
from test_lua_conventions import run

LUA = ROOT / "tests" / "lua" / "real_files_b"


def conv(cin, cout, k):
    return cout * cin * k * k + cout


def linear(cin, cout):
    return cout * cin + cout


def test_batchnorm_of_zero_planes_is_the_2015_non_affine_one(tmp_path):
    out = tmp_path / "m.json"
    code, output = run("import-lua", LUA / "bn_zero.lua", "--nClasses", 10, "--input", "3x32x32", "-o", out)
    assert code == 0, output
    spec = json.loads(out.read_text())
    norms = [e[k] for e in spec["features"] + spec["classifier"] for k in e if k.endswith("BatchNormalization")]
    # planes of each module's input: 16 after the first pooling, 32 after the second convolution
    # (its own eps kept), 64 after the hidden Linear; no affine transform, as torch/nn had for 0
    assert norms == [[16, 1e-5, 0.1, False], [32, 1e-3, 0.1, False], [64, 1e-5, 0.1, False]]
    code, output = run("diff", out, LUA / "bn_zero.lua", "--nClasses", 10)
    assert code == 0 and output.startswith("identical"), output
    model = build(out).eval()
    assert sum(p.numel() for p in model.parameters()) == \
        conv(3, 16, 5) + conv(16, 32, 3) + linear(32 * 8 * 8, 64) + linear(64, 10)
    with torch.no_grad():
        assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)


def test_cudnn_batchnorm_of_zero_planes_is_refused(tmp_path):
    lua = tmp_path / "m.lua"
    lua.write_text("require 'cudnn'\nlocal m = nn.Sequential()\nm:add(cudnn.SpatialBatchNormalization(0))\nreturn m\n")
    code, output = run("import-lua", lua)
    assert code != 0 and "m.lua:3" in output and "nOutput must be at least 1" in output, output


def test_a_spec_with_zero_planes_is_refused_in_one_line(tmp_path):
    spec = tmp_path / "s.json"
    spec.write_text(json.dumps({"name": "s", "recipe": "regimes-55", "classes": 10, "input": [3, 8, 8], "features": [
        {"nn.SpatialConvolution": [3, 4, 3, 3]}, {"nn.SpatialBatchNormalization": [0]}], "classifier": []}))
    code, output = run("summary", spec)
    assert code != 0 and output.strip().count("\n") == 0, output
    assert "features[1]" in output and "takes its planes from its first input" in output, output


def test_xlua_string_split_as_th_has_it(tmp_path):
    from enet_port.lua.tracer import trace_lua
    lua = tmp_path / "m.lua"
    lua.write_text("print(table.concat(('a,,b,'):split(','), '|'), #(',a'):split(','),\n"
                   "      table.concat(string.split('x y  z', ' +'), '|'))\n"
                   "return nn.Sequential():add(nn.ReLU())\n")
    # torch/xlua's string.split: an empty first piece is left out, inner ones kept, none after
    # a trailing separator; the separator is a Lua pattern
    assert trace_lua(lua).printed == ["a||b\t1\tx|y|z"]


def test_a_builder_reading_its_architecture_string(tmp_path):
    out = tmp_path / "m.json"
    opts = ("--call", "build_model", "--opt", "arch=c16,d32,C32,u16,c3", "--input", "3x16x16")
    code, output = run("import-lua", LUA / "arch_string.lua", *opts, "-o", out)
    assert code == 0, output
    model = build(out).eval()
    bn = 2  # weight and bias per plane
    expected = conv(3, 16, 3) + bn * 16 + conv(16, 32, 3) + bn * 32 + conv(32, 32, 3) + bn * 32 + bn * 32 \
        + conv(32, 16, 3) + bn * 16 + conv(16, 3, 3)
    assert sum(p.numel() for p in model.parameters()) == expected
    with torch.no_grad():
        assert model(torch.randn(1, 3, 16, 16)).shape == (1, 3, 16, 16)


def test_a_tutorial_that_shows_its_filters_builds_the_same_model(tmp_path):
    out = tmp_path / "m.json"
    code, output = run("import-lua", LUA / "tutorial_style.lua", "--opt", "visualize=true", "--input", "3x16x16",
                       "-o", out)
    assert code == 0, output
    model = build(out).eval()
    # two convolutions and a Linear; the pooling and the normalisation learn nothing
    assert sum(p.numel() for p in model.parameters()) == conv(3, 8, 5) + conv(8, 8, 3) + linear(128, 10)
    with torch.no_grad():
        assert model(torch.randn(2, 3, 16, 16)).shape == (2, 10)


def test_a_global_the_file_never_defines_is_torch7s_own_failure(tmp_path):
    lua = tmp_path / "cell.lua"
    lua.write_text("local M = {}\nfunction M.cell(n)\n  local x = nn.Identity()()\n"
                   "  local h = Embed(n)(x)\n  return nn.gModule({x}, {h})\nend\nreturn M\n")
    code, output = run("import-lua", lua, "--call", "cell", "--args", "4")
    assert code != 0 and output.count("\n") == 1, output
    assert f"{lua}:4: Torch7 itself would fail here (attempt to call global 'Embed' (a nil value)): " \
           "the file neither defines nor requires Embed" in output, output


def test_a_global_table_the_file_never_sets_is_torch7s_own_failure(tmp_path):
    lua = tmp_path / "models.lua"
    lua.write_text("\nif params.model == 'linear' then\n  model = nn.Sequential()\nend\n")
    code, output = run("import-lua", lua)
    assert code != 0 and f"{lua}:2: Torch7 itself would fail here (attempt to index global 'params' (a nil value)): " \
        "the file neither defines nor requires params" in output, output


def test_a_lua_global_the_sandbox_leaves_out_is_not_called_torch7s_failure(tmp_path):
    lua = tmp_path / "m.lua"
    lua.write_text("local f = io.open('x')\nreturn nn.Sequential()\n")
    code, output = run("import-lua", lua)
    assert code != 0 and "attempt to index global 'io'" in output and "Torch7 itself" not in output, output


def test_collectgarbage_runs_as_in_torch7_but_cannot_stop_the_collector(tmp_path):
    from enet_port.lua.tracer import trace_lua
    lua = tmp_path / "m.lua"
    lua.write_text("collectgarbage()\nprint(collectgarbage('count') > 0, collectgarbage('stop'))\n"
                   "return nn.Sequential():add(nn.ReLU())\n")
    assert trace_lua(lua).printed == ["true\t0"]


def test_the_input_size_a_file_declares_is_the_default(tmp_path):
    out = tmp_path / "m.json"
    code, output = run("import-lua", LUA / "declared_input.lua", "--nClasses", 10, "-o", out)
    assert code == 0, output
    assert "declares its input size (InputSize): the spec is for 3x19x19" in output
    spec = json.loads(out.read_text())
    assert spec["input"] == [3, 19, 19]
    model = build(out).eval()
    # conv 3->8 and 8->16 (3x3, with biases), two affine BNs, Linear 16->10
    assert sum(p.numel() for p in model.parameters()) == conv(3, 8, 3) + 16 + conv(8, 16, 3) + 32 + linear(16, 10)
    code, output = run("import-lua", LUA / "declared_input.lua", "--input", "3x32x32")
    assert code != 0 and "for a 3x32x32 input (--input)" in output, output


def test_a_declared_input_out_of_shape_is_not_used(tmp_path):
    lua = tmp_path / "m.lua"
    lua.write_text("return {model = nn.Sequential():add(nn.ReLU()), InputSize = {3, 0, 'x'}}\n")
    out = tmp_path / "m.json"
    code, output = run("import-lua", lua, "-o", out)
    assert code == 0 and json.loads(out.read_text())["input"] == [3, 224, 224], output


def test_zero_planes_after_the_classifier_follow_the_class_count(tmp_path):
    out = tmp_path / "m.json"
    code, output = run("import-lua", LUA / "bn_zero_head.lua", "--nClasses", 7, "--input", "3x4x4", "-o", out)
    assert code == 0, output
    spec = json.loads(out.read_text())
    norm = next(e["nn.BatchNormalization"] for e in spec["features"] if "nn.BatchNormalization" in e)
    assert norm == ["$nClasses", 1e-5, 0.1, False]
    code, output = run("summary", out, "--classes", 5, "--json")
    assert code == 0 and json.loads(output)["params"] == 48 * 5 + 5, output
