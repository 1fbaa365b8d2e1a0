"""Causes found on the third corpus of real Torch7 model files (issue 19, round two: GAN, super-
resolution and segmentation projects), each on a file of our own written in the style of the
public ones (tests/lua/real_files_gen). Expected values come from torch/nn's rules, the layer
sizes and independent PyTorch forwards, never from our output."""
import json

import pytest
import torch
import torch.nn.functional as F

from enet_port.model.build import build
from conftest import ROOT
from test_lua_conventions import run

LUA = ROOT / "tests" / "lua" / "real_files_gen"


def conv(cin, cout, k, bias=True):
    return cout * cin * k * k + (cout if bias else 0)


def import_lua(tmp_path, path, *args):
    out = tmp_path / "m.json"
    code, output = run("import-lua", path, *args, "-o", out)
    assert code == 0, output
    return json.loads(out.read_text()), out


def without_lines(value):
    """The spec without its Lua source lines (the two files differ only there)."""
    if isinstance(value, dict):
        return {k: without_lines(v) for k, v in value.items() if k != "lua"}
    if isinstance(value, list):
        return [without_lines(v) for v in value]
    return value


def count(spec_path):
    return sum(p.numel() for p in build(spec_path).parameters())


def test_nngraph_operators_build_the_graph_the_calls_build(tmp_path):
    args = ("--args", "3, 2, 8", "--input", "3x16x16")
    ops, ops_path = import_lua(tmp_path, LUA / "gan_operators.lua", "--call", "build_generator", *args)
    calls, _ = import_lua(tmp_path, LUA / "gan_operators.lua", "--call", "build_generator_calls", *args)
    assert without_lines(ops) == without_lines(calls)
    # conv 3->8, conv 8->16 + BN(16), full conv 16->8 + BN(8), full conv (8+8)->2, all 4x4 with biases
    assert count(ops_path) == conv(3, 8, 4) + conv(8, 16, 4) + 2 * 16 + conv(16, 8, 4) + 2 * 8 + conv(16, 2, 4)
    with torch.no_grad():
        assert build(ops_path).eval()(torch.randn(2, 3, 16, 16)).shape == (2, 2, 16, 16)


def test_a_node_on_the_right_of_minus_is_refused_in_one_line(tmp_path):
    code, output = run("import-lua", LUA / "gan_operators.lua", "--call", "build_wrong", "--args", "3, 4")
    assert code != 0 and output.strip().count("\n") == 0, output
    assert "gan_operators.lua:35" in output and "the right of `-` must be a module" in output, output


@pytest.mark.parametrize("backend", ["cunn", "cudnn"])
def test_a_class_of_the_projects_own_package_table(tmp_path, backend):
    # torch.class('upnn.UnitRange', 'nn.Module') sets upnn.UnitRange; its updateOutput's
    # output:set(input:clamp(0, 1)) is a HardTanh(0, 1)
    spec, path = import_lua(tmp_path, LUA / "lib" / "upnet.lua", "--call", "create",
                            "--args", f"'{backend}', 3", "--input", "3x12x12")
    full = f"{backend if backend == 'cudnn' else 'nn'}.SpatialFullConvolution"
    assert full in json.dumps(spec) and "nn.HardTanh" in json.dumps(spec)
    model = build(path).eval()
    assert count(path) == conv(3, 8, 3) + conv(8, 16, 3) + conv(16, 3, 4, bias=False)
    convs = [m for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))]
    x = torch.randn(2, 3, 12, 12)
    y = F.leaky_relu(F.conv2d(x, convs[0].weight, convs[0].bias), 0.1)
    y = F.leaky_relu(F.conv2d(y, convs[1].weight, convs[1].bias), 0.1)
    y = F.conv_transpose2d(y, convs[2].weight, None, stride=2, padding=3).clamp(0, 1)  # 8 -> (8-1)*2-6+4 = 12
    with torch.no_grad():
        out = model(x)
    assert out.shape == (2, 3 * 12 * 12)
    assert torch.allclose(out, y.reshape(2, -1), atol=1e-6)


@pytest.mark.parametrize("name,args,expected", [
    ("nn.HardTanh", [], (-1.0, 1.0)), ("nn.HardTanh", [-2, 0.5], (-2.0, 0.5)), ("nn.Clamp", [0, 6], (0.0, 6.0))])
def test_hardtanh_and_clamp_records_forward_as_torch7(tmp_path, name, args, expected):
    spec = tmp_path / "s.json"
    spec.write_text(json.dumps({"name": "s", "recipe": "regimes-55", "classes": 10, "input": [4],
                                "features": [{name: args}], "classifier": []}))
    x = torch.linspace(-3, 7, 40).view(10, 4)
    with torch.no_grad():  # HardTanh.lua: min_val where x < min_val, max_val where x > max_val, else x
        low, high = torch.tensor(expected[0]), torch.tensor(expected[1])
        assert torch.equal(build(spec).eval()(x), torch.where(x < low, low, torch.where(x > high, high, x)))


def test_hardtanh_refuses_max_not_above_min(tmp_path):
    spec = tmp_path / "s.json"
    spec.write_text(json.dumps({"name": "s", "recipe": "regimes-55", "classes": 10, "input": [4],
                                "features": [{"nn.HardTanh": [1, 1]}], "classifier": []}))
    code, output = run("summary", spec)
    assert code != 0 and "max_value must be larger than min_value" in output, output


def test_environment_parser_and_seed_of_a_training_script(tmp_path):
    # no variable is set in the sandbox: opt keeps its defaults; torch.random gives a seed
    spec, path = import_lua(tmp_path, LUA / "env_script.lua", "--input", "16")
    assert count(path) == conv(16, 16, 4) + 2 * 16 + conv(16, 3, 4)
    with torch.no_grad():
        assert build(path).eval()(torch.randn(2, 16)).shape == (2, 3, 8, 8)


def test_a_file_returning_a_class_is_told_apart(tmp_path):
    code, output = run("import-lua", LUA / "returns_class.lua")
    assert code != 0 and output.strip().count("\n") == 0, output
    assert "returns the class nn.TwoHeads, not a model" in output, output
    built = tmp_path / "build.lua"  # the entry point's way: the class called with its config
    built.write_text("local TwoHeads = paths.dofile('returns_class.lua')\nreturn TwoHeads({width = 4})\n")
    (tmp_path / "returns_class.lua").write_text((LUA / "returns_class.lua").read_text())
    spec, path = import_lua(tmp_path, built, "--input", "3x8x8")
    assert count(path) == conv(3, 4, 3)


def test_a_class_of_a_package_that_is_not_a_table_is_refused_at_its_line(tmp_path):
    lua = tmp_path / "m.lua"
    lua.write_text("upnn = 5\nlocal C = torch.class('upnn.Foo', 'nn.Module')\nreturn nn.Sequential()\n")
    code, output = run("import-lua", lua)
    assert code != 0 and output.strip().count("\n") == 0, output
    assert "m.lua:2" in output and "upnn of upnn.Foo is a number, not a table" in output, output
