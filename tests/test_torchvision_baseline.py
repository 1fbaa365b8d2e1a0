"""scripts/torchvision_baseline.py: it runs end to end and follows the recipes' LR rules."""
import importlib.util
import json

import pytest
from PIL import Image

from conftest import ROOT


@pytest.fixture(scope="module")
def baseline():
    spec = importlib.util.spec_from_file_location("torchvision_baseline", ROOT / "scripts" / "torchvision_baseline.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tiny_folder(root):
    for split, per_class in (("train", 4), ("val", 2)):
        for c, colour in enumerate(((200, 30, 30), (30, 30, 200))):
            folder = root / split / f"n0{c}"
            folder.mkdir(parents=True)
            for i in range(per_class):
                Image.new("RGB", (44, 36), colour).save(folder / f"{i}.JPEG")


def test_one_epoch_writes_results_and_a_rerun_does_no_work(tmp_path, baseline, capsys):
    tiny_folder(tmp_path / "data")
    argv = ["--data", str(tmp_path / "data"), "--out", str(tmp_path / "out"), "--models", "resnet18",
            "--seeds", "3", "--epochs", "1", "--epoch-size", "2", "--batch-size", "4",
            "--image-size", "36", "--crop-size", "32", "-j", "0"]
    baseline.main(argv)
    [run] = json.loads((tmp_path / "out" / "results.json").read_text())["runs"]
    assert run["name"] == "resnet18-seed3" and run["epochs"] == 1 and run["best_epoch"] == 1
    assert run["lr"] == [pytest.approx(0.1 * 4 / 256)]  # fb.resnet.torch's 0.1 at 256, scaled to 4
    assert len(run["test_top1"]) == len(run["train_top1"]) == 1 and 0 <= run["final_top1"] <= 100
    assert run["images_per_s"] > 0 and run["wall_s"] > 0
    capsys.readouterr()
    baseline.main(argv)
    assert capsys.readouterr().out == ""  # the finished run is kept, not run again


def test_v7_rule_is_the_exp_rule_of_the_post(baseline):
    # lr_e = lr_{e-1} * 0.9^(e-1), from 0.025: 0.025, 0.0225, 0.018225, 0.013286025
    lr, got = None, []
    for epoch in range(1, 5):
        lr, wd, fresh = baseline.schedule("v7", epoch, 0.025, lr)
        got.append((lr, wd, fresh))
    assert [lr for lr, _, _ in got] == pytest.approx([0.025, 0.0225, 0.018225, 0.013286025])
    assert [(wd, fresh) for _, wd, fresh in got] == [(5e-4, True)] + [(1e-4, True)] * 3
    fb = [baseline.schedule("resnet18", e, 0.1, None) for e in (1, 30, 31, 61)]
    assert [lr for lr, _, _ in fb] == pytest.approx([0.1, 0.1, 0.01, 0.001])
    assert [fresh for _, _, fresh in fb] == [True, False, False, False]  # momentum kept all run
