"""Conventions of published Torch7 model files, on Lua files written for these tests in their
styles (tests/lua/real_style): builders returned and called with opt, nGPU or the backend
table, torch.class subclasses, clone/share, ties, nngraph graphs, forward calls, unsupported
calls named as such. Parameter counts are torchvision's published ones."""
import json

import pytest
import torch
from click.testing import CliRunner

from enet_port.cli import main
from enet_port.errors import LuaError
from enet_port.lua.tracer import torch7_table, trace_lua
from enet_port.model.build import build
from conftest import ROOT, copy_torchvision_weights

LUA = ROOT / "tests" / "lua" / "real_style"
# torchvision.models: the parameter counts its documentation lists
TORCHVISION = {18: 11_689_512, 34: 21_797_672, 50: 25_557_032, 101: 44_549_160, 152: 60_192_808}


def params(path, opt, shape=(3, 224, 224)):
    rows, problem = torch7_table(trace_lua(path, opt=opt), shape)
    assert problem is None
    return sum(r["params"] for r in rows)


@pytest.mark.parametrize("depth", sorted(TORCHVISION))
def test_resnet_builder_called_with_opt_has_torchvision_parameter_counts(depth):
    opt = {"depth": depth, "dataset": "imagenet", "shortcutType": "B"}
    assert params(LUA / "resnet_opt.lua", opt) == TORCHVISION[depth]


@pytest.mark.parametrize("opt,name", [({"modelType": "A"}, 132_863_336), ({"modelType": "D"}, 138_357_544)])
def test_vgg_with_threshold_has_torchvision_parameter_counts(opt, name):
    assert params(LUA / "vgg_style.lua", opt) == name


def test_builder_of_the_backend_table():
    cudnn = trace_lua(LUA / "bench_style.lua")
    nn = trace_lua(LUA / "bench_style.lua", opt={"lib": "nn"})
    assert cudnn.model.children[0].children[0].name == "cudnn.SpatialConvolution"
    assert nn.model.children[0].children[0].name == "nn.SpatialConvolutionMM"
    assert params(LUA / "bench_style.lua", {}) == 61_100_840  # torchvision alexnet


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.output


@pytest.mark.parametrize("opt,shape", [
    (["depth=18", "shortcutType=A", "dataset=imagenet"], "3x224x224"),
    (["depth=50", "shortcutType=C", "dataset=imagenet"], "3x224x224"),
    (["depth=20", "shortcutType=A", "dataset=cifar10"], "3x32x32")])
def test_import_then_diff_is_identical(tmp_path, opt, shape):
    out, opts = tmp_path / "m.json", [x for o in opt for x in ("--opt", o)]
    code, output = run("import-lua", LUA / "resnet_opt.lua", *opts, "--input", shape, "-o", out)
    assert code == 0, output
    assert json.loads(out.read_text())["input"] == [int(v) for v in shape.split("x")]
    code, output = run("diff", out, LUA / "resnet_opt.lua", *opts)
    assert code == 0 and output.startswith("identical"), output


@pytest.mark.parametrize("depth", [18, 50])
def test_imported_resnet_agrees_with_torchvision_on_its_weights(tmp_path, depth):
    torchvision = pytest.importorskip("torchvision")
    out = tmp_path / "r.json"
    code, output = run("import-lua", LUA / "resnet_opt.lua", "--opt", f"depth={depth}", "--opt", "dataset=imagenet",
                       "-o", out)
    assert code == 0, output
    torch.manual_seed(0)
    ours, theirs = build(out).eval(), getattr(torchvision.models, f"resnet{depth}")().eval()
    copy_torchvision_weights(ours, theirs)
    with torch.no_grad():
        x = torch.randn(1, 3, 224, 224)
        assert torch.allclose(ours(x), theirs(x), atol=1e-4, rtol=1e-4)


def test_nngraph_file_with_custom_classes_ties_and_shares(tmp_path):
    trace = trace_lua(LUA / "graph_net.lua", nClasses=5)
    model = trace.model
    assert model.name == "nn.Sequential"  # nn.LoudSequential: a subclass that keeps the forward
    graph, quiet = model.children[2], model.children[3]
    assert graph.name == quiet.name == "nn.gModule" and graph.args == [[0], [6]]
    assert [c.inputs for c in graph.children] == [[], [0], [1], [2], [3], [4, 0], [5]]
    join = model.children[5].children[1]
    assert join.args == [[0, 1], [5, 4]]
    assert [c.name for c in join.children] == ["nn.Identity", "nn.Identity", "nn.ConcatTable",
                                               "nn.SelectTable", "nn.SelectTable", "nn.CMulTable"]
    assert [c.inputs for c in join.children] == [[], [], [0], [2], [2], [3, 1]]
    unpool = model.children[4]
    assert unpool.tie is model.children[1] and model.children[1].id
    conv, clone = model.children[8], model.children[10]
    assert clone.share == {"id": conv.id, "fields": ["weight", "bias", "gradWeight", "gradBias"]}
    assert trace.printed[0].startswith("output\t")  # the forward pass ran and returned a tensor


def test_nngraph_file_imports_diffs_identical_and_runs(tmp_path):
    out = tmp_path / "g.json"
    code, output = run("import-lua", LUA / "graph_net.lua", "--nClasses", 5, "--input", "3x16x16", "-o", out)
    assert code == 0, output
    assert "nodes" in json.loads(out.read_text())["features"][2]["nn.gModule"]
    code, output = run("diff", out, LUA / "graph_net.lua", "--nClasses", 5)
    assert code == 0 and output.startswith("identical"), output
    model = build(out)
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d) and m.kernel_size == (1, 1)]
    assert convs[-1].weight is convs[-2].weight  # the clone shares its source's Parameter
    assert model(torch.randn(2, 3, 16, 16)).shape == (2, 5)


def test_clone_without_fields_copies(tmp_path):
    trace = trace_lua(LUA / "vgg_style.lua", opt={"twin": True})
    tower, twin = trace.model.children[0].children[-1].children
    assert not twin.share and not tower.id and [c.name for c in twin.children] == [c.name for c in tower.children]


@pytest.mark.parametrize("code,message", [
    ("local m = nn.Sequential()\nlocal twin = m:sharedClone()\nreturn m",
     r":2: the tracer does not support :sharedClone\(\)"),
    ("local Mine = torch.class('nn.Mine', 'nn.Module')\nfunction Mine:updateOutput(x) return x:unfold(2, 3, 1) end\n"
     "return nn.Sequential():add(nn.Mine())", r":2: the tracer does not support :unfold\(\)"),
    ("local Plain = torch.class('nn.Plain', 'nn.Module')\nreturn nn.Sequential():add(nn.Plain())",
     r":2: the tracer does not support the custom module nn.Plain"),
    ("local x = nn.Identity()()\nlocal r = nn.ReLU()\nlocal a, b = r(x), r(x)\nreturn nn.gModule({x}, {a, b})",
     r":3: the tracer does not support calling one module on two graph nodes"),
    ("local x = nn.Identity()()\nlocal s = nn.CAddTable()({x, x})\nreturn nn.gModule({x}, {s})",
     r":2: nngraph: Don't pass the same input twice \(nn.CAddTable, items 1 and 2\)")])
def test_unsupported_is_said_with_the_line(tmp_path, code, message):
    path = tmp_path / ("a" * 80) / "model.lua"  # a long path keeps file:line
    path.parent.mkdir()
    path.write_text(code)
    with pytest.raises(LuaError, match=message) as info:
        trace_lua(path)
    assert str(info.value).startswith(f"{path}:")
