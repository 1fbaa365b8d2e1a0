"""Specs against their Lua files, and Python schedules against the Lua paramsForEpoch.

The Lua side runs for real in the tracer's Lua VM; shapes and parameter counts on the Lua side
come from the Torch7 rules applied to the traced modules, on the PyTorch side from running the
built model.
"""
import pytest
import torch
from click.testing import CliRunner

from enet_port.train import schedules
from enet_port.model.build import build
from enet_port.cli import main
from enet_port.lua.tracer import lua_schedule, trace_lua
from enet_port.model.shapes import infer, param_count
from enet_port.model.spec import load_spec
from conftest import ROOT, SPECS, SPEC_IDS


@pytest.mark.parametrize("path", SPECS, ids=SPEC_IDS)
def test_spec_is_identical_to_its_lua_file(path):
    lua = load_spec(path).lua
    result = CliRunner().invoke(main, ["diff", str(path), str(ROOT / lua)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("identical:") and len(result.stdout.splitlines()) == 1


@pytest.mark.parametrize("path", SPECS, ids=SPEC_IDS)
def test_pytorch_layers_equal_the_torch7_computation_on_the_lua_file(path):
    trace = trace_lua(ROOT / load_spec(path).lua, nClasses=1000)
    record = []
    infer(trace.model, (3, 224, 224), record)
    model = build(path).eval()
    modules = list(model.modules())
    outputs = {}
    for m in modules:
        m.register_forward_hook(lambda mod, i, o: outputs.__setitem__(mod, o))
    with torch.no_grad():
        model(torch.zeros(1, 3, 224, 224))
    assert len(modules) == len(record)
    for module, (node, shape) in zip(modules, record):
        got = outputs[module]
        got = [tuple(t.shape[1:]) for t in got] if isinstance(got, list) else tuple(got.shape[1:])
        assert got == shape, node.where
        assert sum(p.numel() for p in module.parameters(recurse=False)) == param_count(node), node.where


def train_lua_plan(rows, LR, weightDecay):
    """What train.lua does with paramsForEpoch's answers: a new optimState only on a new regime."""
    lr, wd, out = LR, weightDecay, []
    for row in rows:
        if row["new_regime"]:
            lr, wd = row["lr"], row["wd"]
        out.append((lr, wd, row["new_regime"]))
    return out


@pytest.mark.parametrize("recipe", sorted(schedules.RECIPES))
@pytest.mark.parametrize("LR", [0.0, 0.05])
def test_python_schedule_equals_lua_paramsForEpoch(recipe, LR):
    epochs, wd = 65, 3e-4
    rows = lua_schedule(ROOT / schedules.LUA_FILES[recipe], epochs,
                        opt={"LR": LR, "nEpochs": epochs, "weightDecay": wd})
    rule = schedules.make_rule(recipe, LR, epochs, wd)
    for epoch, row in enumerate(rows, start=1):
        params, new_regime = rule(epoch)
        assert new_regime == row["new_regime"], epoch
        if params:
            assert params["learningRate"] == pytest.approx(row["lr"], rel=1e-12, abs=1e-300)
            assert params["weightDecay"] == row["wd"]
        else:
            assert row["empty"] or row["lr"] is None
    expected = train_lua_plan(rows, LR, wd)
    got = [(p.lr, p.wd, p.new_regime) for p in schedules.plan(recipe, epochs, LR=LR, weightDecay=wd)]
    assert len(got) == len(expected)
    # field by field: pytest >= 9.2 refuses approx over nested structures
    for epoch, ((lr, w, regime), (lr_lua, w_lua, regime_lua)) in enumerate(zip(got, expected), start=1):
        assert lr == pytest.approx(lr_lua, rel=1e-12), epoch
        assert (w, regime) == (w_lua, regime_lua), epoch


@pytest.mark.parametrize("path", SPECS, ids=SPEC_IDS)
def test_each_spec_entry_carries_its_own_lua_line(path):
    from enet_port.model.spec import expand, model_parts
    spec = load_spec(path)
    ours = [n for part in model_parts(expand(spec)) for n in part.children]
    traced = trace_lua(ROOT / spec.lua).model
    theirs = [n for part in traced.children for n in part.children]
    assert [n.lua for n in ours] == [n.lua for n in theirs]
