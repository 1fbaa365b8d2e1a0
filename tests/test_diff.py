"""``enet-port diff`` finds one changed number, one missing line or one swapped kernel size, at
the right spec path and Lua line."""
import json

from click.testing import CliRunner

from enet_port.cli import main
from conftest import ROOT, spec_json
from test_lua_tracer import line_of


def run_diff(spec, lua):
    result = CliRunner().invoke(main, ["diff", str(spec), str(lua)])
    assert result.exit_code == 1, result.output
    return result.stdout.strip().splitlines()


def write_spec(tmp_path, name, change):
    data = spec_json(ROOT / "specs" / name)
    change(data)
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def test_one_changed_number(tmp_path):
    lua = ROOT / "legacy_lua" / "enet_v7.lua"
    index = len(spec_json(ROOT / "specs" / "v7.json")["features"]) - 1
    spec = write_spec(tmp_path, "v7.json", lambda d: d["features"][index].__setitem__(
        "cudnn.SpatialAveragePooling", [7, 7, 2, 2, 0, 0]))
    lines = run_diff(spec, lua)
    line = line_of(lua, "features:add(cudnn.SpatialAveragePooling(7, 7, 1, 1, 0, 0))")
    assert len(lines) == 2 and lines[-1].startswith("1 difference(s)")
    assert lines[0].startswith(f"{spec}: features[{index}]: cudnn.SpatialAveragePooling(7, 7, 2, 2, 0, 0)")
    assert f"|  {lua}:{line}: cudnn.SpatialAveragePooling(7, 7, 1, 1, 0, 0)" in lines[0]
    assert lines[0].endswith("[arguments differ]")


def test_one_missing_line(tmp_path):
    lua = ROOT / "legacy_lua" / "enet_v12.lua"
    spec = write_spec(tmp_path, "v12.json", lambda d: d["features"].pop(6))  # bottleneck(128, 128)
    lines = run_diff(spec, lua)
    line = line_of(lua, "features:add(bottleneck(128, 128))")
    assert lines[0].startswith("(missing in the spec)")
    assert f"|  {lua}:{line} (line " in lines[0] and lines[0].endswith("[only in the Lua file]")
    # the Lua counter gave the 6th bottleneck p = 0.1; without the line, the spec's 6th is one later
    assert any("nn.SpatialDropout(0.01)" in l and "nn.SpatialDropout(0.1)" in l for l in lines[1:])


def test_one_swapped_kernel_size(tmp_path):
    original = (ROOT / "legacy_lua" / "enet_v3.lua").read_text()
    lua = tmp_path / "enet_v3.lua"
    lua.write_text(original.replace("internal, asymetric, 1, 1, 1, pad, 0", "internal, 1, asymetric, 1, 1, pad, 0"))
    lines = run_diff(ROOT / "specs" / "v3.json", lua)
    conv_line = line_of(lua, "internal, 1, asymetric, 1, 1, pad, 0")
    call_line = [i for i, l in enumerate(lua.read_text().splitlines(), 1) if "wbottleneck(128, 128)" in l][0]
    assert len(lines) == 1 + 4  # two wbottlenecks in each of the two passes
    assert lines[0].startswith(f"{ROOT / 'specs' / 'v3.json'}: features[9] > 1 > 1 > 4: "
                               "cudnn.SpatialConvolution(32, 32, 5, 1, 1, 1, 2, 0):noBias()")
    assert f"|  {lua}:{call_line} (line {conv_line}): cudnn.SpatialConvolution(32, 32, 1, 5, 1, 1, 2, 0)" in lines[0]


def test_nclasses_reaches_both_sides():
    result = CliRunner().invoke(main, ["diff", str(ROOT / "specs/v7.json"), str(ROOT / "legacy_lua/enet_v7.lua"),
                                       "--nClasses", "10"])
    assert result.exit_code == 0 and result.stdout.startswith("identical")
