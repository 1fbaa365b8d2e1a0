"""``diff`` compares what the Lua file returns (issue 22, item 4): an nngraph file returning a bare
nn.gModule is "identical" to the spec ``import-lua`` wrote for it."""
import json

from click.testing import CliRunner

from enet_port.cli import main

GRAPH = """require 'nngraph'
local x = nn.Identity()()
local c1 = nn.SpatialConvolution(3, 8, 3, 3, 1, 1, 1, 1)(x)
local r = nn.ReLU()(c1)
local p = nn.SpatialAveragePooling(32, 32)(r)
local v = nn.View(8)(p)
local out = nn.LogSoftMax()(nn.Linear(8, $nClasses)(v))
return nn.gModule({x}, {out})
"""


def test_a_bare_gmodule_file_is_identical_to_its_import(tmp_path):
    lua = tmp_path / "graph.lua"
    lua.write_text(GRAPH.replace("$nClasses", "opt and opt.nClasses or 10"))
    spec = tmp_path / "graph.json"
    imported = CliRunner().invoke(main, ["import-lua", str(lua), "--input", "3x32x32", "-o", str(spec)])
    assert imported.exit_code == 0, imported.output
    same = CliRunner().invoke(main, ["diff", str(spec), str(lua)])
    assert same.exit_code == 0 and same.stdout.startswith("identical:"), same.output
    data = json.loads(spec.read_text())
    nodes = data["features"][0]["nn.gModule"]["nodes"]
    relu = next(n for n in nodes if "nn.ReLU" in n)
    relu["nn.Tanh"] = relu.pop("nn.ReLU")
    spec.write_text(json.dumps(data))
    other = CliRunner().invoke(main, ["diff", str(spec), str(lua)])
    assert other.exit_code == 1 and "1 difference(s)" in other.stdout, other.output
    assert "nn.Tanh()" in other.stdout and "graph.lua:4: nn.ReLU()" in other.stdout
