"""``enet-port plot`` (issue 22, item 6): the LR panel's log axis carries the LR values, and
``--schedule`` draws the post's LR rules side by side from ``schedule``'s rows."""
import json

import pytest
from click.testing import CliRunner
from PIL import Image

from enet_port.cli import main
from enet_port.train.plot import draw_runs, draw_schedules
from conftest import ROOT


def tick_labels(ax):
    ax.figure.canvas.draw()
    return [t.get_text() for t in ax.get_yticklabels()]


def fake_run(folder, lrs):
    folder.mkdir(parents=True)
    rows = [{"epoch": e, "lr": lr, "train_top1": 10.0 * e, "test_top1": 12.0 * e} for e, lr in enumerate(lrs, 1)]
    (folder / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder


def test_one_run_s_lr_axis_is_labelled_with_its_values(tmp_path):
    fig = draw_runs([fake_run(tmp_path / "a", [0.01, 0.01, 0.01])])
    lr_ax = fig.axes[1]
    assert lr_ax.get_yscale() == "symlog" and lr_ax.get_ylabel() == "learning rate"
    assert tick_labels(lr_ax) == ["0.01"]
    fig = draw_runs([fake_run(tmp_path / "b", [0.0, 0.09, 0.0729, 0.059049])])  # exp-v7 from -LR 0
    assert tick_labels(fig.axes[1]) == ["0", "0.059", "0.0729", "0.09"]


def test_schedules_side_by_side_follow_the_lua_rules(tmp_path):
    specs = [ROOT / "specs" / f"{v}.json" for v in ("v2", "v3", "v6", "v7")]
    fig = draw_schedules(specs, 55)
    lr_ax = fig.axes[0]
    lines = {line.get_label(): line for line in lr_ax.get_lines()}
    assert list(lines) == ["v2 (regimes-55)", "v3 (regimes-fast)", "v6 (linear-v6)", "v7 (exp-v7)"]
    v2 = dict(zip(*lines["v2 (regimes-55)"].get_data()))
    # train.lua's regime table: 1e-2 from epoch 1, 5e-3 from 19, 1e-3 from 30, 5e-4 from 44, 1e-4 from 53
    assert [v2[e] for e in (1, 18, 19, 30, 44, 53, 55)] == [1e-2, 1e-2, 5e-3, 1e-3, 5e-4, 1e-4, 1e-4]
    v3 = dict(zip(*lines["v3 (regimes-fast)"].get_data()))
    assert [v3[e] for e in (10, 11, 16, 21, 31)] == [1e-2, 5e-3, 1e-3, 5e-4, 1e-4]
    v7 = dict(zip(*lines["v7 (exp-v7)"].get_data()))  # -LR 0: epoch 1 at 0, then 0.1 * 0.9^(e-1) compounding
    assert [v7[e] for e in (1, 2, 3)] == pytest.approx([0.0, 0.1 * 0.9, 0.1 * 0.9 * 0.81])
    assert all(float(t) >= 0 for t in tick_labels(lr_ax)) and fig.axes[1].get_ylabel() == "weight decay"
    v2_alone = draw_schedules(specs[:1], 55).axes[0]  # a regime table: its five LRs label the axis
    assert tick_labels(v2_alone) == ["0.0001", "0.0005", "0.001", "0.005", "0.01"]
    out = tmp_path / "rules.png"
    result = CliRunner().invoke(main, ["plot", "--schedule", *map(str, specs), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert Image.open(out).size[0] > 100
