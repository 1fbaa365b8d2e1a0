"""import-lua without --input (issue 19 item 11 for Lua files): 3x224x224, else what the first
module implies (the DQN's Reshape(4, 84, 84)), else the first usual image side the shape rules
accept (a CIFAR model's 32x32); where none fits, the refusal for 224x224 as before. Files: those
of tests/lua written for other tests; counts from the layer sizes, not from our output."""
import pytest
from click.testing import CliRunner

from enet_port.cli import main
from enet_port.errors import LuaError
from enet_port.lua.importer import import_lua
from enet_port.model.build import build
from conftest import ROOT
from test_lua_real_style import wide_resnet

LUA = ROOT / "tests" / "lua"


def test_a_cifar_model_is_recorded_at_32x32(tmp_path):
    # 224 -> 224 -> 112 -> 56 reaches Avg(8, 8) as 49x49 maps, which View(128) refuses; 32 -> 8x8
    out = tmp_path / "wrn.json"
    result = CliRunner().invoke(main, ["import-lua", str(LUA / "real_style" / "wide_resnet.lua"), "--opt", "depth=16",
                                       "--opt", "widen_factor=2", "--nClasses", "10", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "no --input given and the model does not take 3x224x224; the spec records 3x32x32" in result.stderr
    model = build(out)
    assert sum(p.numel() for p in model.parameters()) == wide_resnet(16, 2)


def test_a_first_reshape_gives_the_input():
    spec, trace = import_lua(LUA / "custom_modules" / "dqn_style.lua")
    assert spec["input"] == [4, 84, 84]


def test_a_model_no_usual_size_fits_is_refused_for_224(tmp_path):
    path = tmp_path / "odd.lua"
    path.write_text("require 'nn'\nlocal m = nn.Sequential()\nm:add(nn.SpatialConvolution(3, 8, 3, 3))\n"
                    "m:add(nn.View(8 * 10 * 10))\nm:add(nn.Linear(800, 10))\nreturn m\n")
    with pytest.raises(LuaError, match=r"odd\.lua:4: nn\.View\(800\) cannot view 8x222x222 .*, for a 3x224x224 input "
                                      r"\(the default: no --input given, and no usual side \(32, 28, .*\) fits either\)$"):
        import_lua(path)
    spec, _ = import_lua(path, input_shape=(3, 12, 12))
    assert spec["input"] == [3, 12, 12]


def test_a_failure_names_the_opt_fields_the_file_read_unset(tmp_path):
    # fb.resnet.torch-style: opts.lua gave optMemory and reduction defaults; run alone they are nil
    path = tmp_path / "dense.lua"
    path.write_text("require 'nn'\nlocal function createModel(opt)\n  local m = nn.Sequential()\n"
                    "  local r = opt.reduction\n  if opt.optMemory >= 3 then m:add(nn.Identity()) end\n"
                    "  return m\nend\nreturn createModel\n")
    with pytest.raises(LuaError) as info:
        import_lua(path, opt={"depth": 40})
    assert str(info.value) == (f"{path}:5: attempt to compare number with nil (the file read opt.reduction, "
                               "opt.optMemory, which --opt does not set; a project's opts.lua or train.lua gives "
                               "them defaults: give them with --opt KEY=VALUE)")


def test_a_missing_method_is_not_blamed_on_unset_opt_fields(tmp_path):
    path = tmp_path / "net.lua"
    path.write_text("require 'nn'\nreturn function(opt)\n  local w = opt.width or 4\n"
                    "  return nn.Sequential():frobnicate(w)\nend\n")
    with pytest.raises(LuaError) as info:
        import_lua(path)
    assert str(info.value).endswith("the tracer does not support :frobnicate() "
                                    "(Lua: attempt to call method 'frobnicate' (a nil value))")
