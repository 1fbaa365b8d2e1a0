"""dpnn's ``nn.Inception{...}`` and decorators in Lua model files (issue 19, OpenFace's models).

The tracer builds an Inception as dpnn's Inception.lua ``__init`` does: an ``nn.DepthConcat(2)``
of columns (1x1 reduce -> kxk convolution per kernel size; the pooling -> 1x1 reduce; a lone 1x1
reduce), each convolution followed by ``nn.SpatialBatchNormalization`` when ``batchNorm`` and by a
clone of ``transfer`` (ReLU by default); the decorator stands for its DepthConcat. Expected
structures and parameter counts are worked out here from the configs by hand; the forward of one
Inception is checked against an independent PyTorch computation. Files: tests/lua/dpnn.
"""
import pytest
import torch
import torch.nn.functional as F
from click.testing import CliRunner

from enet_port.cli import main
from enet_port.errors import LuaError
from enet_port.lua.tracer import trace_lua
from enet_port.model.build import build
from enet_port.model.layers_tables import DepthConcat
from enet_port.model.tree import lua_call
from conftest import ROOT, copy_torchvision_weights

LUA = ROOT / "tests" / "lua" / "dpnn"


def column_params(n_in, reduce, out=None, k=None, batch_norm=True):
    """A column's parameters: the 1x1 reduce (n_in*reduce weights + reduce biases), then, for a
    convolution column, the kxk convolution (reduce*out*k*k + out); each convolution followed by
    a batch normalisation with a weight and a bias per plane (2 per plane)."""
    total = n_in * reduce + reduce + (2 * reduce if batch_norm else 0)
    if out is not None:
        total += reduce * out * k * k + out + (2 * out if batch_norm else 0)
    return total


def test_openface_style_parameter_count_by_hand(tmp_path):
    # stem: SpatialConvolutionMM(3, 16, 7, 7) 3*16*49 + 16 = 2368, its BN 2*16 = 32
    stem = 2368 + 32
    # 3a (16 in): 1x1 12 -> 3x3 24 (204 + 24 + 2616 + 48 = 2892); 1x1 4 -> 5x5 8 (68 + 8 + 808 + 16
    # = 900); pool -> 1x1 8 (136 + 16 = 152); 1x1 16 (272 + 32 = 304): 4248
    a3 = column_params(16, 12, 24, 3) + column_params(16, 4, 8, 5) + column_params(16, 8) + column_params(16, 16)
    assert a3 == 4248
    # 3b (56 in): 4472 + 3720 + 944 + 1416 = 10552
    b3 = column_params(56, 16, 24, 3) + column_params(56, 8, 16, 5) + column_params(56, 16) + column_params(56, 24)
    assert b3 == 10552
    # 3c (80 in): no pool reduce, no 1x1 column: 9000 + 3912 = 12912
    c3 = column_params(80, 24, 32, 3) + column_params(80, 8, 16, 5)
    assert c3 == 12912
    # 5a (128 in): 18160 + 4192 + 6288 = 28640
    a5 = column_params(128, 32, 48, 3) + column_params(128, 32) + column_params(128, 48)
    assert a5 == 28640
    linear = 128 * 64 + 64
    expected = stem + a3 + b3 + c3 + a5 + linear
    assert expected == 67008
    out = tmp_path / "openface.json"
    result = CliRunner().invoke(main, ["import-lua", str(LUA / "openface_style.lua"), "-o", str(out),
                                       "--opt", "embSize=64", "--input", "3x48x48"])
    assert result.exit_code == 0, result.output
    model = build(out).eval()
    assert sum(p.numel() for p in model.parameters()) == expected
    y = model(torch.randn(2, 3, 48, 48))
    assert y.shape == (2, 64)
    torch.testing.assert_close(y.norm(dim=1), torch.ones(2))


def test_inception_traces_to_the_modules_dpnn_builds():
    model = trace_lua(LUA / "defaults.lua").model
    first, second = model.children  # nn.Decorator(nn.Inception{...}) is the Inception's DepthConcat
    assert [first.name, second.name] == ["nn.DepthConcat", "nn.DepthConcat"]
    # defaults: kernels {5, 3}, strides 1, padding floor(k/2), ReLU, a 3x3 stride-1 max pooling
    assert [[lua_call(m) for m in column.children] for column in first.children] == [
        ["nn.SpatialConvolution(3, 2, 1, 1, 1, 1)", "nn.ReLU()", "nn.SpatialConvolution(2, 4, 5, 5, 1, 1, 2)",
         "nn.ReLU()"],
        ["nn.SpatialConvolution(3, 3, 1, 1, 1, 1)", "nn.ReLU()", "nn.SpatialConvolution(3, 6, 3, 3, 1, 1, 1)",
         "nn.ReLU()"],
        ["nn.SpatialMaxPooling(3, 3, 1, 1)", "nn.SpatialConvolution(3, 5, 1, 1, 1, 1)", "nn.ReLU()"],
        ["nn.SpatialConvolution(3, 7, 1, 1, 1, 1)", "nn.ReLU()"]]
    # reduceStride per column, transfer cloned, padding false, poolSize/poolStride
    assert [[lua_call(m) for m in column.children] for column in second.children] == [
        ["nn.SpatialConvolution(22, 6, 1, 1, 2, 2)", "nn.Tanh()", "nn.SpatialConvolution(6, 8, 3, 3, 1, 1, 0)",
         "nn.Tanh()"],
        ["nn.SpatialMaxPooling(2, 2, 2, 2)", "nn.SpatialConvolution(22, 4, 1, 1, 1, 1)", "nn.Tanh()"],
        ["nn.SpatialConvolution(22, 2, 1, 1, 2, 2)", "nn.Tanh()"]]
    assert first.args == [2] and first.where.endswith("defaults.lua:8")


class IndependentInception(torch.nn.Module):
    """dpnn's Inception{kernelSize = {3, 5}, batchNorm = true, pool = max 3x3 stride 2} in plain
    torch: columns joined along planes, each smaller one zero-padded floor((largest - size) / 2)
    before (DepthConcat.lua)."""

    def __init__(self, n_in, reduce, out):
        super().__init__()

        def conv_bn(a, b, k):
            return [torch.nn.Conv2d(a, b, k, 1, k // 2), torch.nn.BatchNorm2d(b)]
        self.columns = torch.nn.ModuleList([
            torch.nn.ModuleList(conv_bn(n_in, reduce[0], 1) + conv_bn(reduce[0], out[0], 3)),
            torch.nn.ModuleList(conv_bn(n_in, reduce[1], 1) + conv_bn(reduce[1], out[1], 5)),
            torch.nn.ModuleList(conv_bn(n_in, reduce[2], 1)),
            torch.nn.ModuleList(conv_bn(n_in, reduce[3], 1))])

    def forward(self, x):
        outs = []
        for i, column in enumerate(self.columns):
            y = F.max_pool2d(x, 3, 2) if i == 2 else x
            for j in range(0, len(column), 2):
                y = F.relu(column[j + 1](column[j](y)))
            outs.append(y)
        size = max(o.shape[2] for o in outs)
        padded = []
        for o in outs:
            before = (size - o.shape[2]) // 2
            after = size - o.shape[2] - before
            padded.append(F.pad(o, (before, after, before, after)))
        return torch.cat(padded, 1)


def test_one_inception_forward_equals_an_independent_model(tmp_path):
    out = tmp_path / "openface.json"
    result = CliRunner().invoke(main, ["import-lua", str(LUA / "openface_style.lua"), "-o", str(out),
                                       "--opt", "embSize=64", "--input", "3x48x48"])
    assert result.exit_code == 0, result.output
    ours = next(m for m in build(out).eval().modules() if isinstance(m, DepthConcat))  # (3a)
    torch.manual_seed(0)
    theirs = IndependentInception(16, [12, 4, 8, 16], [24, 8]).eval()
    assert len(copy_torchvision_weights(ours, theirs)) == 12
    x = torch.randn(2, 16, 12, 12)
    with torch.no_grad():
        expected = theirs(x)
        assert expected.shape == (2, 56, 12, 12)  # the pooling column's 5x5 padded 3 before, 4 after
        torch.testing.assert_close(ours(x), expected)


@pytest.mark.parametrize("line, words", [
    ("nn.WeightNorm(nn.Linear(3, 4))", "nn.WeightNorm is not supported: its forward first recomputes"),
    ("nn.ReverseRNN(nn.Linear(3, 4))", "nn.ReverseRNN is not supported: its forward reverses")])
def test_a_decorator_with_its_own_forward_is_refused_at_its_line(tmp_path, line, words):
    path = tmp_path / "net.lua"
    path.write_text(f"require 'dpnn'\nlocal net = nn.Sequential()\nnet:add({line})\nreturn net\n")
    with pytest.raises(LuaError) as exc:
        trace_lua(path)
    assert exc.value.where == f"{path}:3" and words in exc.value.message


def test_decorators_in_a_lua_file_are_their_modules(tmp_path):
    path = tmp_path / "net.lua"
    path.write_text("require 'dpnn'\nlocal net = nn.Sequential()\n"
                    "net:add(nn.DontCast(nn.Serial(nn.SpatialConvolution(3, 4, 3, 3)), true))\n"
                    "net:add(nn.NaN(nn.ReLU()))\nreturn nn.Decorator(net)\n")
    model = trace_lua(path).model
    assert lua_call(model) == "nn.Sequential()"
    assert [lua_call(m) for m in model.children] == ["nn.SpatialConvolution(3, 4, 3, 3)", "nn.ReLU()"]


def test_a_decorator_subclass_with_its_own_forward_is_traced_through_it(tmp_path):
    # torch.class of nn.Decorator with an updateOutput: its forward, not its module's
    path = tmp_path / "net.lua"
    path.write_text("require 'dpnn'\nlocal Twice, parent = torch.class('nn.Twice', 'nn.Decorator')\n"
                    "function Twice:__init(m) parent.__init(self, m) end\n"
                    "function Twice:updateOutput(x)\n  self.output = self.module:updateOutput(x):clone():mul(2)\n"
                    "  return self.output\nend\n"
                    "return nn.Sequential():add(nn.Linear(3, 4)):add(nn.Twice(nn.ReLU()))\n")
    model = trace_lua(path, input_shape=(3,)).model
    twice = model.children[1]
    assert [lua_call(m) for m in twice.children] == ["nn.ReLU()", "nn.MulConstant(2)"]


def test_decorators_as_nngraph_nodes_read_their_inputs(tmp_path):
    # the Inception node and the DontCast node stand for their modules in the graph, with the
    # decorators' inputs: 3*8*9 + 8 = 224; the Inception's columns 18 + 76, 27, 45 (= 166); the
    # 1x1 12*12 + 12 = 156: 546
    path = tmp_path / "graph.lua"
    path.write_text(
        "require 'nngraph'\nrequire 'dpnn'\nlocal x = nn.Identity()()\n"
        "local c = nn.SpatialConvolution(3, 8, 3, 3, 1, 1, 1, 1)(x)\n"
        "local i = nn.Inception{inputSize = 8, outputSize = {4}, reduceSize = {2, 3, 5}, kernelSize = {3},"
        " kernelStride = {1}}(c)\n"
        "local y = nn.CAddTable()({nn.DontCast(nn.SpatialConvolution(12, 12, 1, 1))(i), i})\n"
        "return nn.gModule({x}, {y})\n")
    out = tmp_path / "graph.json"
    result = CliRunner().invoke(main, ["import-lua", str(path), "-o", str(out), "--input", "3x8x8"])
    assert result.exit_code == 0, result.output
    model = build(out).eval()
    assert sum(p.numel() for p in model.parameters()) == 546
    assert model(torch.randn(1, 3, 8, 8)).shape == (1, 12, 8, 8)
