"""Schedules against values worked out by hand from the seed's formulas and tables."""
import json

import pytest
from click.testing import CliRunner

from enet_port.cli import main
from enet_port.train.schedules import plan


def rows(recipe, n, **kw):
    return {r.epoch: r for r in plan(recipe, n, **kw)}


def test_v2_regime_table_boundaries():
    r = rows("regimes-55", 60)
    expect = {1: (1e-2, 5e-4, True), 18: (1e-2, 5e-4, False), 19: (5e-3, 5e-4, True), 29: (5e-3, 5e-4, False),
              30: (1e-3, 0, True), 44: (5e-4, 0, True), 52: (5e-4, 0, False), 53: (1e-4, 0, True), 60: (1e-4, 0, False)}
    for epoch, (lr, wd, new) in expect.items():
        assert (r[epoch].lr, r[epoch].wd, r[epoch].new_regime) == (lr, wd, new), epoch


def test_v3_faster_table():
    r = rows("regimes-fast", 35)
    assert [r[e].lr for e in (1, 10, 11, 15, 16, 20, 21, 30, 31)] == [1e-2, 1e-2, 5e-3, 5e-3, 1e-3, 1e-3, 5e-4, 5e-4, 1e-4]
    assert r[16].wd == 0 and r[15].wd == 5e-4


def test_v7_rule_compounds_and_skips_epoch_one():
    r = rows("exp-v7", 4)
    assert r[1].lr == 0.0 and r[1].wd == 5e-4 and not r[1].new_regime  # -LR 0 and no regime at epoch 1
    # lr = 0.1; then lr = lr * 0.9^(e-1): 0.09, 0.09 * 0.81, 0.09 * 0.81 * 0.729
    assert r[2].lr == pytest.approx(0.09) and r[3].lr == pytest.approx(0.0729)
    assert r[4].lr == pytest.approx(0.0729 * 0.729) and r[4].wd == 1e-4 and r[4].momentum_reset
    manual = rows("exp-v7", 3, LR=0.05)
    assert manual[1].lr == 0.05 and manual[2].lr == pytest.approx(0.045)


def test_v6_linear_rule_uses_nEpochs():
    r = rows("linear-v6", 10)
    assert r[1].lr == 0.0 and not r[1].new_regime
    assert r[2].lr == pytest.approx(0.1 * (1 - 2 / 10)) and r[3].lr == pytest.approx(0.08 * (1 - 3 / 10))
    assert r[10].lr == 0.0 and r[2].wd == 5e-4


def test_v12_fast_and_slow():
    fast = rows("v12-fast", 9, LR=0.1)
    assert fast[2].lr == pytest.approx(0.095) and fast[3].lr == pytest.approx(0.095 * 0.9025)
    assert fast[7].wd == 1e-4 and fast[8].wd == 0
    slow = rows("v12-slow", 17, LR=0.1)
    assert all(slow[e].lr == 0.1 and slow[e].wd == 1e-4 for e in range(2, 16))
    assert slow[16].lr == pytest.approx(0.095) and slow[17].lr == pytest.approx(0.095 * 0.9025) and slow[16].wd == 0


def test_fb_resnet_step_keeps_momentum_and_honours_weight_decay():
    r = rows("fb.resnet.torch", 90, weightDecay=3e-4)
    assert r[1].lr == 0.1 and r[30].lr == 0.1 and r[31].lr == pytest.approx(0.01) and r[60].lr == pytest.approx(0.01)
    assert r[61].lr == pytest.approx(0.001) and r[90].lr == pytest.approx(0.001)
    assert not any(x.momentum_reset for x in r.values()) and {x.wd for x in r.values()} == {3e-4}
    assert rows("fb.resnet.torch", 2, LR=0.4)[2].lr == 0.4


def test_recipe_defaults_fill_what_the_command_line_did_not_give():
    from enet_port.train.schedules import with_recipe_defaults
    opt = {"nEpochs": 55, "batchSize": 128, "LR": 0.0, "weightDecay": 5e-4, "momentum": 0.9}
    got = with_recipe_defaults(opt, "fb.resnet.torch", keep={"batchSize"})
    # fb.resnet.torch: 90 epochs, LR 0.1, weight decay 1e-4, Nesterov 0.9, its data pipeline
    assert got == {"nEpochs": 90, "batchSize": 128, "LR": 0.1, "weightDecay": 1e-4, "momentum": 0.9, "pipeline": "fb"}
    assert with_recipe_defaults(opt, "regimes-55", keep=set()) == opt


def test_schedule_command_shows_fb_resnet_recipe_defaults():
    table = CliRunner().invoke(main, ["schedule", "specs/resnet18.json"]).stdout
    assert "-nEpochs 90 -batchSize 256 -LR 0.1 -weightDecay 0.0001" in table and "--pipeline fb" in table
    data = json.loads(CliRunner().invoke(main, ["schedule", "specs/resnet18.json", "--json"]).stdout)
    assert len(data) == 90 and (data[0]["lr"], data[0]["wd"]) == (0.1, 1e-4)
    assert [d["lr"] for d in data[29:31]] == pytest.approx([0.1, 0.01]) and data[60]["lr"] == pytest.approx(0.001)
    given = json.loads(CliRunner().invoke(main, ["schedule", "specs/resnet18.json", "--json", "-nEpochs", "2",
                                                 "-weightDecay", "5e-4", "-LR", "0.2"]).stdout)
    assert [(d["lr"], d["wd"]) for d in given] == [(0.2, 5e-4), (0.2, 5e-4)]


def test_manual_lr_turns_the_regime_table_off():
    r = rows("regimes-55", 20, LR=0.2, weightDecay=1e-5)
    assert all((x.lr, x.wd, x.new_regime) == (0.2, 1e-5, False) for x in r.values())


def test_epoch_number_mid_regime_keeps_lr_zero_until_the_boundary():
    r = rows("regimes-55", 4, epochNumber=17)  # train.lua: fresh optimState with -LR 0
    assert [(r[e].lr, r[e].new_regime) for e in (17, 18, 19, 20)] == [(0.0, False), (0.0, False), (5e-3, True), (5e-3, False)]


def test_schedule_command_json_and_warning():
    result = CliRunner().invoke(main, ["schedule", "specs/v7.json", "-nEpochs", "3", "--json"])
    data = json.loads(result.stdout)
    assert [set(d) >= {"epoch", "lr", "wd", "new_regime"} for d in data] == [True] * 3
    assert data[0]["lr"] == 0 and data[1]["lr"] == pytest.approx(0.09)
    table = CliRunner().invoke(main, ["schedule", "specs/v7.json", "-nEpochs", "3"])
    assert "note: epoch 1 has LR 0" in table.stdout
