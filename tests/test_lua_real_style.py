"""More published Torch7 model-file styles (tests/lua/real_style, files written for these
tests): imagenet-multiGPU.torch's two-tower AlexNet (createModel(nGPU), :clone, Concat), a
convnet-benchmarks GoogLeNet (return function(lib), DepthConcat), SqueezeNet (fire modules) and
wide-residual-networks' WRN-d-k (return createModel, createModel(opt)). Expected parameter
counts are torchvision's documented ones or worked out from the layer sizes (weights + biases,
BN weight + bias), never read from our output."""
import json

import pytest
import torch

from enet_port.lua.tracer import torch7_table, trace_lua
from enet_port.model.build import build
from conftest import ROOT
from test_lua_conventions import run

LUA = ROOT / "tests" / "lua" / "real_style"


def conv(cin, cout, k):
    return cout * cin * k * k + cout


def inception(cin, a, b_red, b, c_red, c, p):
    return conv(cin, a, 1) + conv(cin, b_red, 1) + conv(b_red, b, 3) + conv(cin, c_red, 1) + conv(c_red, c, 5) \
        + conv(cin, p, 1)


TOWER = conv(3, 48, 11) + conv(48, 128, 5) + conv(128, 192, 3) + conv(192, 192, 3) + conv(192, 128, 3)
ALEXNET = 2 * TOWER + (256 * 6 * 6 + 1) * 4096 + (4096 + 1) * 4096 + (4096 + 1) * 1000
STAGES = [(192, 64, 96, 128, 16, 32, 32), (256, 128, 128, 192, 32, 96, 64), (480, 192, 96, 208, 16, 48, 64),
          (512, 160, 112, 224, 24, 64, 64), (512, 128, 128, 256, 24, 64, 64), (512, 112, 144, 288, 32, 64, 64),
          (528, 256, 160, 320, 32, 128, 128), (832, 256, 160, 320, 32, 128, 128),
          (832, 384, 192, 384, 48, 128, 128)]
GOOGLENET = conv(3, 64, 7) + conv(64, 64, 1) + conv(64, 192, 3) + sum(inception(*s) for s in STAGES) \
    + (1024 + 1) * 1000


OVERFEAT = conv(3, 96, 11) + conv(96, 256, 5) + conv(256, 512, 3) + conv(512, 1024, 3) + conv(1024, 1024, 3) \
    + (1024 * 5 * 5 + 1) * 3072 + (3072 + 1) * 4096 + (4096 + 1) * 1000
TORCHVISION_SQUEEZENET = {1.0: 1_248_424, 1.1: 1_235_496}


def wide_resnet(depth, k, classes=10):
    """WRN-depth-k: a bias-free 3x3 stem, three groups of (depth - 4) / 6 pre-activation blocks,
    a 1x1 shortcut where the width changes, final BN and a Linear."""
    n, widths = (depth - 4) // 6, [16, 16 * k, 32 * k, 64 * k]
    total = 3 * 16 * 9
    for n_in, n_out in zip(widths, widths[1:]):
        total += 2 * n_in + n_in * n_out * 9 + 2 * n_out + n_out * n_out * 9 + n_in * n_out
        total += (n - 1) * 2 * (2 * n_out + n_out * n_out * 9)
    return total + 2 * widths[3] + (widths[3] + 1) * classes


def params(path, shape=(3, 224, 224), classes=1000, **kwargs):
    rows, problem = torch7_table(trace_lua(path, **kwargs), shape)
    assert problem is None
    assert rows[-1]["output_shape"] == (classes,)
    return sum(r["params"] for r in rows)


def test_two_tower_alexnet_counts_krizhevskys_layout():
    assert ALEXNET == 60_522_856  # not torchvision's 61,100,840: that is the one-weird-trick layout
    assert params(LUA / "alexnet_towers.lua") == ALEXNET


def test_googlenet_with_depth_concat_counts_the_inception_table():
    assert params(LUA / "googlenet_depth.lua") == GOOGLENET


def test_overfeat_counts_its_layers_at_its_221_crop(tmp_path):
    assert params(LUA / "overfeat.lua", (3, 221, 221)) == OVERFEAT
    out = tmp_path / "o.json"
    code, output = run("import-lua", LUA / "overfeat.lua", "--input", "3x221x221", "-o", out)
    assert code == 0, output
    code, output = run("diff", out, LUA / "overfeat.lua")
    assert code == 0 and output.startswith("identical"), output


@pytest.mark.parametrize("version", sorted(TORCHVISION_SQUEEZENET))
def test_squeezenet_has_torchvision_parameter_counts(version):
    assert params(LUA / "squeezenet.lua", opt={"version": version}) == TORCHVISION_SQUEEZENET[version]


def test_wide_resnet_28_10_counts_its_blocks():
    assert wide_resnet(28, 10) == 36_479_194  # the WRN paper's 36.5M
    assert params(LUA / "wide_resnet.lua", (3, 32, 32), 10, opt={"depth": 28, "widen_factor": 10}) \
        == wide_resnet(28, 10)


def import_diff_build(tmp_path, name, *opts, shape="3x224x224"):
    out = tmp_path / "m.json"
    code, output = run("import-lua", LUA / name, *opts, "--input", shape, "-o", out)
    assert code == 0, output
    code, output = run("diff", out, LUA / name, *opts)
    assert code == 0 and output.startswith("identical"), output
    return json.loads(out.read_text()), build(out).eval()


def test_two_tower_alexnet_imports_diffs_identical_and_runs(tmp_path):
    spec, model = import_diff_build(tmp_path, "alexnet_towers.lua")
    towers = spec["features"][0]
    assert towers["nn.Concat"] == [2] and len(towers["children"]) == 2
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 10 and convs[0].weight is not convs[5].weight  # :clone() copies
    assert sum(p.numel() for p in model.parameters()) == ALEXNET
    with torch.no_grad():
        y = model(torch.randn(1, 3, 224, 224))
    assert y.shape == (1, 1000) and torch.allclose(y.exp().sum(), torch.tensor(1.0))


def test_googlenet_imports_diffs_identical_and_runs(tmp_path):
    spec, model = import_diff_build(tmp_path, "googlenet_depth.lua")
    assert "nn.DepthConcat" in json.dumps(spec)
    assert sum(p.numel() for p in model.parameters()) == GOOGLENET
    with torch.no_grad():
        y = model(torch.randn(1, 3, 224, 224))
    assert y.shape == (1, 1000) and torch.allclose(y.exp().sum(), torch.tensor(1.0))


def test_squeezenet_imports_diffs_identical_and_runs(tmp_path):
    spec, model = import_diff_build(tmp_path, "squeezenet.lua", "--opt", "version=1.1")
    assert sum(p.numel() for p in model.parameters()) == TORCHVISION_SQUEEZENET[1.1]
    with torch.no_grad():
        assert model(torch.randn(1, 3, 224, 224)).shape == (1, 1000)


def test_wide_resnet_imports_diffs_identical_and_runs(tmp_path):
    opts = ("--opt", "depth=16", "--opt", "widen_factor=2", "--opt", "dropout=0.3")
    spec, model = import_diff_build(tmp_path, "wide_resnet.lua", *opts, shape="3x32x32")
    assert sum(p.numel() for p in model.parameters()) == wide_resnet(16, 2)
    assert json.dumps(spec).count("\"nn.Dropout\": [0.3]") == 6  # one per block: opt.dropout reached it
    with torch.no_grad():
        assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)


@pytest.mark.parametrize("first_line,body,expected", [
    ("function createModel(nGPU)", "return nn.Linear(2, nGPU + 10)", 11),  # nGPU gets 1
    ("function createModel(opt)", "return nn.Linear(2, opt.width)", 7),  # opt gets --opt's table
    ("return function(lib)", "return nn.Linear(2, lib[5] == 'cudnn' and 5 or 6)", 5)])  # lib: the backend
def test_builder_argument_is_chosen_by_its_first_parameter_name(tmp_path, first_line, body, expected):
    path = tmp_path / "builder.lua"
    path.write_text(f"{first_line}\n   {body}\nend\n")
    model = trace_lua(path, opt={"width": 7}).model
    assert model.name == "nn.Linear" and model.args[:2] == [2, expected]
