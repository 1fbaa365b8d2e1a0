"""Custom modules that split a tensor into parts (issue 19, shake-shake at image level):
``x:split``/``x:chunk``/``torch.split`` traced, per-sample scaling through ``x:split(1, 1)``,
custom modules traced as in evaluation, and in-place writes into parts refused.
Files: tests/lua/custom_split."""
import pytest
import torch
import torch.nn.functional as F
from click.testing import CliRunner

from enet_port.cli import main
from enet_port.errors import LuaError
from enet_port.lua.tracer import trace_lua
from enet_port.model.build import build
from conftest import ROOT, copy_torchvision_weights

LUA = ROOT / "tests" / "lua" / "custom_split"


class IndependentShake(torch.nn.Module):
    """A shake-shake block at test time in plain torch: shortcut + 0.5 * branch1 + 0.5 * branch2
    (the shortcut first, as the traced block forwards it first)."""

    def __init__(self, n_in, n_out, stride):
        super().__init__()
        self.short = None if n_in == n_out and stride == 1 else torch.nn.Sequential(
            torch.nn.Conv2d(n_in, n_out, 1, stride, bias=False), torch.nn.BatchNorm2d(n_out))

        def branch():
            return torch.nn.ModuleList([torch.nn.Conv2d(n_in, n_out, 3, stride, 1, bias=False), torch.nn.BatchNorm2d(n_out),
                                        torch.nn.Conv2d(n_out, n_out, 3, 1, 1, bias=False), torch.nn.BatchNorm2d(n_out)])
        self.b1, self.b2 = branch(), branch()

    def forward(self, x):
        def run(b):
            return b[3](b[2](F.relu(b[1](b[0](F.relu(x))))))
        return (x if self.short is None else self.short(x)) + 0.5 * run(self.b1) + 0.5 * run(self.b2)


def imported(tmp_path, name, *options):
    out = tmp_path / f"{name}.json"
    result = CliRunner().invoke(main, ["import-lua", str(LUA / f"{name}.lua"), "-o", str(out), *map(str, options)])
    assert result.exit_code == 0, result.output
    return build(out).eval()


def test_image_level_shake_shake_is_its_test_time_forward(tmp_path):
    # the blocks set train = true and draw per-sample alphas while training; Torch7's evaluate()
    # forward mixes the branches 0.5 / 0.5 for every sample (the paper's test-time rule)
    ours = imported(tmp_path, "shake_image", "--opt", "width=4", "--opt", "batchSize=8", "--input", "3x32x32",
                    "--nClasses", 10)
    blocks = [IndependentShake(16, 4, 1), IndependentShake(4, 8, 2), IndependentShake(8, 16, 2)]
    stem = torch.nn.Sequential(torch.nn.Conv2d(3, 16, 3, 1, 1, bias=False), torch.nn.BatchNorm2d(16))
    fc = torch.nn.Linear(16, 10)
    theirs = torch.nn.ModuleList([stem, *blocks, fc]).eval()
    copy_torchvision_weights(ours, theirs)
    x = torch.randn(3, 3, 32, 32)
    y = stem(x)
    for block in blocks:
        y = block(y)
    expected = fc(F.avg_pool2d(F.relu(y), 8).flatten(1))
    torch.testing.assert_close(ours(x), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("chunk", ["false", "true"])
def test_split_and_chunk_along_the_planes_are_narrows(tmp_path, chunk):
    ours = imported(tmp_path, "swap_halves", "--opt", f"chunk={chunk}", "--input", "3x5x5")
    conv1, conv2 = [m for m in ours.modules() if isinstance(m, torch.nn.Conv2d)]
    x = torch.randn(2, 3, 5, 5)
    y = conv1(x)
    expected = conv2(torch.cat([y[:, 3:], y[:, :3]], 1))
    torch.testing.assert_close(ours(x), expected)


def module_file(tmp_path, body, forward=""):
    path = tmp_path / "model.lua"
    path.write_text("local Mine = torch.class('nn.Mine', 'nn.Module')\nfunction Mine:updateOutput(input)\n"
                    f"  {body}\nend\nlocal m = nn.Sequential()\nm:add(nn.SpatialConvolution(3, 4, 1, 1))\n"
                    f"m:add(nn.Mine())\n{forward}return m\n")
    return path


@pytest.mark.parametrize("body", [
    "local p = input:narrow(2, 1, 2); p:mul(2); return input",
    "input:split(2, 2)[1]:add(1); return input",
    "local p = input:chunk(2, 2)[2]; p:cmax(0); return input"])
def test_an_in_place_operation_on_a_part_is_refused_at_its_line(tmp_path, body):
    # Torch7 would change input through the view; the stand-ins cannot follow that
    with pytest.raises(LuaError, match=r"model.lua:3: the tracer does not support an in-place operation on a part"):
        trace_lua(module_file(tmp_path, body), input_shape=(3, 8, 8))


def test_splitting_a_batch_of_several_samples_is_refused(tmp_path):
    path = module_file(tmp_path, "for i, s in ipairs(input:split(1, 1)) do s:mul(i) end; return input",
                       "m:forward(torch.zeros(4, 3, 8, 8))\n")
    with pytest.raises(LuaError, match=r"model.lua:3: the tracer does not support :split\(\) of a batch of 4 samples"):
        trace_lua(path)
