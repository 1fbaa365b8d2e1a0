"""``require 'ccn2'``: cuda-convnet2's Torch7 modules in Lua model files (issue 19, part B).

Files of our own in the style of imagenet-multiGPU's ``*_ccn2.lua`` (tests/lua/ccn2): the
features between ``nn.Transpose({1,4},{1,3},{1,2})`` and ``nn.Transpose({4,1},{4,2},{4,3})``
run in ccn2's planes x height x width x batch layout. Expected counts and sizes are worked out
by hand from cuda-convnet2.torch's rules (weight (planes/groups*k*k) x nOut plus nOut biases;
sides ceil((2p + H - k) / d + 1)) and torchvision's AlexNet; the forward of the small stack is
checked against tests/ccn2_reference.py, written from the formulas."""
import sys
from pathlib import Path

import pytest
import torch
import torchvision
from click.testing import CliRunner

from enet_port.cli import main
from enet_port.model.build import build
from enet_port.model.summary import summarize
from conftest import ROOT

sys.path.insert(0, str(Path(__file__).parent))
import ccn2_reference as ref  # noqa: E402

LUA = ROOT / "tests" / "lua" / "ccn2"


def import_lua(tmp_path, lua, *options):
    out = tmp_path / "model.json"
    result = CliRunner().invoke(main, ["import-lua", str(lua), "-o", str(out), *options])
    return result, out


def test_alexnet_style_counts_by_hand_and_torchvision(tmp_path):
    # 3*121*64 + 64 = 23,296; 64*25*192 + 192 = 307,392; 192*9*384 + 384 = 663,936;
    # 384*9*256 + 256 = 884,992; 256*9*256 + 256 = 590,080; 9216*4096 + 4096 = 37,752,832;
    # 4096*4096 + 4096 = 16,781,312; 4096*1000 + 1000 = 4,097,000
    expected = 23296 + 307392 + 663936 + 884992 + 590080 + 37752832 + 16781312 + 4097000
    assert expected == 61100840 == sum(p.numel() for p in torchvision.models.alexnet().parameters())
    result, spec = import_lua(tmp_path, LUA / "alexnet_style.lua")
    assert result.exit_code == 0, result.output
    summary = summarize(spec)
    assert summary["params"] == expected
    rows = {r["index"]: r for r in summary["layers"]}
    # 224 -> ceil(213/4 + 1) = 55 -> ceil(52/2 + 1) = 27 -> 27 -> 13 -> 13 -> 6, batch last
    sides = [(1, 64, 55), (3, 64, 27), (4, 192, 27), (6, 192, 13), (7, 384, 13), (11, 256, 13), (13, 256, 6)]
    for index, planes, side in sides:
        row = rows[f"features[{index}]"]
        assert (row["output_shape"], row["batch_dim"]) == ([planes, side, side], 3), row
    assert rows["features[14]"]["output_shape"] == [256, 6, 6] and "batch_dim" not in rows["features[14]"]
    # MACs of the first convolution: 64 planes x 55 x 55 outputs x 3*11*11 each
    assert rows["features[1]"]["macs"] == 64 * 55 * 55 * 363
    y = build(spec).eval()(torch.randn(2, 3, 224, 224))
    assert y.shape == (2, 1000)


def test_small_stack_sizes_and_forward(tmp_path):
    result, spec = import_lua(tmp_path, LUA / "small_stack.lua", "--input", "3x64x64")
    assert result.exit_code == 0, result.output
    # conv 3*121*32 + 32 = 11,648; grouped conv 16*9*64 + 64 = 9,280; Linear 256*10 + 10 = 2,570
    summary = summarize(spec)
    assert summary["params"] == 11648 + 9280 + 2570
    # 64 -> ceil(53/4 + 1) = 15 (nn's floor: 14) -> ceil(13/2 + 1) = 8 (floor: 7)
    # -> ceil((2 + 8 - 3)/2 + 1) = 5 -> ceil(2/3 + 1) = 2 (floor: 1)
    shapes = [r["output_shape"] for r in summary["layers"]]
    assert shapes[1] == [32, 15, 15] and shapes[4] == [32, 8, 8] and shapes[5] == [64, 5, 5]
    assert shapes[8] == [64, 2, 2] and shapes[12] == [10]
    # the grouped convolution's MACs: 64 x 5 x 5 outputs, each over 32/2 planes x 3 x 3
    assert summary["layers"][5]["macs"] == 64 * 5 * 5 * 16 * 9
    model = build(spec).eval()
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    linear = [m for m in model.modules() if isinstance(m, torch.nn.Linear)][0]
    x = torch.randn(3, 3, 64, 64, dtype=torch.float64)
    model = model.double()
    with torch.no_grad():
        got = model(x)
        w = [c.weight.permute(1, 2, 3, 0).reshape(-1, c.weight.shape[0]) for c in convs]  # ccn2's layout
        h = ref.conv(x, w[0], convs[0].bias, 11, 4, 0, 1).clamp(min=0)
        h = ref.pool(ref.cross_map_norm(h, 5, 0.01, 0.75, 1.0), 2, 2, False)
        h = ref.cross_map_norm(ref.conv(h, w[1], convs[1].bias, 3, 2, 1, 2).tanh(), 4, 0.02, 0.5, 2.0)
        h = ref.cross_map_norm(ref.pool(h, 3, 3, True), 8, 0.05, 0.6, 1.0, blocked=True)
        expected = linear(h.reshape(3, -1))
    torch.testing.assert_close(got, expected)


def test_ccn2_is_a_global_only_once_required(tmp_path):
    lua = tmp_path / "net.lua"
    lua.write_text("require 'nn'\nlocal m = nn.Sequential()\nm:add(nn.Transpose({1,4},{1,3},{1,2}))\n"
                   "m:add(ccn2.SpatialMaxPooling(2))\nm:add(nn.Transpose({4,1},{4,2},{4,3}))\nreturn m\n")
    result, _ = import_lua(tmp_path, lua, "--input", "3x32x32")
    assert result.exit_code == 2 and f"{lua}:4: Torch7 itself would fail here" in result.output, result.output
    assert "global 'ccn2'" in result.output, result.output
    lua.write_text("require 'ccn2'\n" + lua.read_text())
    result, _ = import_lua(tmp_path, lua, "--input", "3x32x32")
    assert result.exit_code == 0, result.output


BAD = [
    # Torch7's own constructor assertion
    ("ccn2.SpatialConvolution(3, 24, 5)", "multiple of 16"),  # 24: a multiple of 8 is not enough
    # filterActs' assertions with groups: 4 planes in 2 groups leave 2 colours a filter
    ("ccn2.SpatialConvolution(4, 32, 5, 1, 0, 2)", "with 2 groups"),
    ("ccn2.SpatialConvolution(6, 32, 5)", "1, 2, 3 or a multiple of 4"),
    # a torch/nn convolution given the batch-last tensor would read the batch as a row
    ("nn.SpatialConvolution(3, 16, 3, 3)", "3x32x32xB"),
]


@pytest.mark.parametrize("module, words", BAD)
def test_refused_at_the_line_in_one_line(tmp_path, module, words):
    lua = tmp_path / "net.lua"
    lua.write_text("require 'ccn2'\nlocal m = nn.Sequential()\nm:add(nn.Transpose({1,4},{1,3},{1,2}))\n"
                   f"m:add({module})\nm:add(nn.Transpose({{4,1}},{{4,2}},{{4,3}}))\nreturn m\n")
    result, _ = import_lua(tmp_path, lua, "--input", "3x32x32")
    assert result.exit_code == 2 and result.output.count("\n") == 1, result.output
    assert f"{lua}:4:" in result.output and words in result.output, result.output


def test_a_non_square_image_is_refused(tmp_path):
    # the Lua code reads the height only (oH for both sides): a 32x40 image has no ccn2 output
    result, _ = import_lua(tmp_path, LUA / "small_stack.lua", "--input", "3x32x40")
    assert result.exit_code == 2 and "small_stack.lua:9:" in result.output, result.output
    assert "square" in result.output, result.output


def test_a_ccn2_module_without_the_transpose_is_refused(tmp_path):
    lua = tmp_path / "net.lua"
    lua.write_text("require 'ccn2'\nlocal m = nn.Sequential()\nm:add(ccn2.SpatialMaxPooling(2))\nreturn m\n")
    result, _ = import_lua(tmp_path, lua, "--input", "3x32x32")
    assert result.exit_code == 2 and f"{lua}:3:" in result.output, result.output
    assert "planes x height x width x batch" in result.output, result.output
