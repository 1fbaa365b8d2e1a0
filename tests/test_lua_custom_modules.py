"""Custom Torch7 modules (torch.class with their own updateOutput) traced through their Lua, and
forward passes that size a model (issue 19 items 1 and 2). Files: tests/lua/custom_modules."""
import pytest
import torch
import torch.nn.functional as F
from click.testing import CliRunner

from enet_port.cli import main
from enet_port.errors import LuaError
from enet_port.lua.tracer import torch7_table, trace_lua
from enet_port.model.build import build
from conftest import ROOT, copy_torchvision_weights

LUA = ROOT / "tests" / "lua" / "custom_modules"


def imported(tmp_path, name, *options):
    out = tmp_path / f"{name}.json"
    result = CliRunner().invoke(main, ["import-lua", str(LUA / f"{name}.lua"), "-o", str(out), *map(str, options)])
    assert result.exit_code == 0, result.output
    return build(out).eval()


def test_densenet_bc_121_traced_through_its_custom_layer_has_torchvisions_count():
    trace = trace_lua(LUA / "densenet_bc.lua")
    rows, problem = torch7_table(trace, (3, 224, 224))
    assert problem is None
    assert sum(r["params"] or 0 for r in rows) == 7_978_856  # torchvision densenet121
    layer = trace.model.children[4]  # the first nn.DenseLayerBC: cat(input, net(input)) as a graph
    assert layer.name == "nn.gModule" and [c.name for c in layer.children] == \
        ["nn.Identity", "nn.Sequential", "nn.JoinTable"]
    assert layer.children[2].args == [2] and layer.children[2].inputs == [0, 1]
    assert layer.where.endswith(":45") and layer.children[2].origin.inner_line == 23


class IndependentDenseNet(torch.nn.Module):
    """DenseNet-BC from the paper's description, in plain torch (blocks, growth k, compression 0.5)."""

    def __init__(self, blocks, k, classes):
        super().__init__()
        c = 2 * k
        self.stem = torch.nn.Sequential(torch.nn.Conv2d(3, c, 7, 2, 3, bias=False), torch.nn.BatchNorm2d(c))
        self.stages = torch.nn.ModuleList()
        for i, n in enumerate(blocks):
            stage = torch.nn.ModuleList()
            for _ in range(n):
                stage.append(torch.nn.ModuleList([torch.nn.BatchNorm2d(c), torch.nn.Conv2d(c, 4 * k, 1, bias=False),
                                                  torch.nn.BatchNorm2d(4 * k), torch.nn.Conv2d(4 * k, k, 3, padding=1, bias=False)]))
                c += k
            if i < len(blocks) - 1:
                stage.append(torch.nn.ModuleList([torch.nn.BatchNorm2d(c), torch.nn.Conv2d(c, c // 2, 1, bias=False)]))
                c //= 2
            self.stages.append(stage)
        self.head = torch.nn.ModuleList([torch.nn.BatchNorm2d(c), torch.nn.Linear(c, classes)])

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.stem(x)), 3, 2, 1)
        for stage in self.stages:
            for unit in stage:
                if len(unit) == 4:
                    bn1, conv1, bn2, conv2 = unit
                    x = torch.cat([x, conv2(F.relu(bn2(conv1(F.relu(bn1(x))))))], 1)
                else:
                    x = F.avg_pool2d(unit[1](F.relu(unit[0](x))), 2)
        bn, fc = self.head
        return fc(F.avg_pool2d(F.relu(bn(x)), 7, 1).flatten(1))


def test_densenet_bc_forward_equals_an_independent_model(tmp_path):
    ours = imported(tmp_path, "densenet_bc", "--opt", "blocks=lua:{2, 3}", "--opt", "growthRate=4",
                    "--input", "3x56x56", "--nClasses", 5)
    theirs = IndependentDenseNet([2, 3], 4, 5).eval()
    assert len(copy_torchvision_weights(ours, theirs)) == 1 + 1 + 2 * 4 + 2 + 3 * 4 + 2
    x = torch.randn(2, 3, 56, 56)
    torch.testing.assert_close(ours(x), theirs(x), rtol=1e-5, atol=1e-5)


class IndependentShake(torch.nn.Module):
    def __init__(self, n_in, n_out, stride):
        super().__init__()

        def branch():
            return torch.nn.ModuleList([torch.nn.Conv2d(n_in, n_out, 3, stride, 1, bias=False), torch.nn.BatchNorm2d(n_out),
                                        torch.nn.Conv2d(n_out, n_out, 3, 1, 1, bias=False), torch.nn.BatchNorm2d(n_out)])
        self.b1, self.b2 = branch(), branch()
        self.short = None if n_in == n_out and stride == 1 else torch.nn.Sequential(
            torch.nn.Conv2d(n_in, n_out, 1, stride, bias=False), torch.nn.BatchNorm2d(n_out))

    def forward(self, x):
        def run(b):
            return b[3](b[2](F.relu(b[1](b[0](F.relu(x))))))
        return (x if self.short is None else self.short(x)) + 0.5 * run(self.b1) + 0.5 * run(self.b2)


def test_shake_shake_block_at_test_time_equals_an_independent_model(tmp_path):
    ours = imported(tmp_path, "shake_shake", "--opt", "depth=1", "--opt", "width=4", "--input", "3x32x32",
                    "--nClasses", 10)
    blocks = [IndependentShake(16, 4, 1), IndependentShake(4, 8, 2), IndependentShake(8, 16, 2)]
    stem = torch.nn.Sequential(torch.nn.Conv2d(3, 16, 3, 1, 1, bias=False), torch.nn.BatchNorm2d(16))
    fc = torch.nn.Linear(16, 10)
    theirs = torch.nn.ModuleList([stem, *blocks, fc]).eval()
    copy_torchvision_weights(ours, theirs)
    x = torch.randn(2, 3, 32, 32)
    y = stem(x)
    for block in blocks:
        y = block(y)
    expected = fc(F.avg_pool2d(F.relu(y), 8).flatten(1))
    torch.testing.assert_close(ours(x), expected, rtol=1e-5, atol=1e-5)


def test_forward_pass_sizes_the_linear_and_an_activation_class_is_its_module():
    trace = trace_lua(LUA / "dqn_style.lua")
    linear = [n for n in trace.model.children if n.name == "nn.Linear"]
    # 84 -> (84 + 2 - 8) // 4 + 1 = 20 -> (20 - 4) // 2 + 1 = 9 -> 9 - 3 + 1 = 7: 64 * 7 * 7
    assert linear[0].args == [3136, 512]
    rectifiers = [n for n in trace.model.children if n.lua.startswith("net:add(nn.HalfRectifier")]
    assert len(rectifiers) == 4
    assert all(n.name == "nn.Sequential" and [c.name for c in n.children] == ["nn.ReLU"] for n in rectifiers)


@pytest.mark.parametrize("body,message", [
    ("return input:foo()", r":3: the tracer does not support :foo\(\)"),
    ("return input * input", r":3: the tracer does not support the product of two tensors"),
    ("return input:view(-1)", r":3: the tracer does not support :view\(\)")])
def test_unknown_operation_is_refused_at_its_line(tmp_path, body, message):
    path = tmp_path / "model.lua"
    path.write_text("local Mine = torch.class('nn.Mine', 'nn.Module')\nfunction Mine:updateOutput(input)\n"
                    f"  {body}\nend\nlocal m = nn.Sequential()\nm:add(nn.Mine())\nreturn m\n")
    with pytest.raises(LuaError, match=message):
        trace_lua(path)
