"""The tracer on a net of our own using the records of issue 19 round two
(tests/lua/records/round_two_net.lua, c3d.lua): import-lua, diff, the parameter count by hand and a forward."""
import json
import re

import torch

from conftest import ROOT
from enet_port.model.build import build
from test_lua_conventions import run

NET = ROOT / "tests" / "lua" / "records" / "round_two_net.lua"
C3D = ROOT / "tests" / "lua" / "records" / "c3d.lua"


def test_round_two_records_trace_and_count(tmp_path):
    out = tmp_path / "net.json"
    code, output = run("import-lua", NET, "--input", "3x8x8", "-o", out)
    assert code == 0, output
    entries = json.loads(out.read_text())["features"]
    bottle, mapper = entries[7], entries[10]
    assert [list(bottle)[0], bottle["children"][0]["nn.Linear"]] == ["nn.Bottle", [8, 5]]
    assert [list(mapper)[0], mapper["children"][0]["nn.Linear"]] == ["nn.MapTable", [5, 6]]
    code, output = run("diff", out, NET, "--input", "3x8x8")
    assert code == 0 and output.startswith("identical"), output
    # conv 3->8 3x3 (216 + 8), CMul 8x8x8 (512), CAdd 1x8x1x1 (8), Bottle's Linear 8->5 (45, once),
    # MapTable's Linear 5->6 (36, shared by both entries), Linear 4->2 (10)
    model = build(out).eval()
    assert sum(p.numel() for p in model.parameters()) == 224 + 512 + 8 + 45 + 36 + 10 == 835
    with torch.no_grad():
        assert model(torch.randn(2, 3, 8, 8)).shape == (2, 2)


def test_c3d_traces_with_its_clip_size_and_counts(tmp_path):
    out = tmp_path / "c3d.json"
    code, output = run("import-lua", C3D, "-o", out)  # no --input: a volumetric convolution implies 16x112x112
    assert code == 0, output
    assert json.loads(out.read_text())["input"] == [3, 16, 112, 112]
    code, output = run("summary", out)
    assert code == 0, output
    # tests/test_modules_volumetric.py's count by hand: 27,653,184 + 2,752 + 52,335,079
    assert re.search(r"^total\s+79,991,015 ", output, re.M), output
    assert "512x1x4x4" in output  # pool5, padded 0, 1, 1
