"""The console while training (issue 22, items 5 and 8): per-batch lines every --print-freq
batches with top-5 and a readable LR, a bar that stays on terminals, process 0's label."""
import re
import sys

from click.testing import CliRunner

from enet_port.cli import main
from enet_port.data.sample_data import make_sample_dataset
from enet_port.train.distributed import World
from enet_port.train.progress import Progress
from conftest import ROOT

TINY = ROOT / "tests" / "specs" / "tiny.json"


def test_print_freq_top5_and_the_lr_as_given(tmp_path):
    data = make_sample_dataset(tmp_path / "data", 2, 1, size=40)
    result = CliRunner().invoke(main, ["train", str(TINY), "-data", str(data), "-nClasses", "10", "-nEpochs", "1",
                                       "-epochSize", "5", "-batchSize", "4", "-nDonkeys", "0", "-LR", "0.025",
                                       "-cache", str(tmp_path), "--print-freq", "2"])
    assert result.exit_code == 0, result.output
    lines = [l for l in result.stdout.splitlines() if l.startswith("Epoch: [1][") and "SUMMARY" not in l]
    assert [l.split("]")[1] for l in lines] == ["[2/5", "[4/5", "[5/5"]  # every 2nd batch and the last
    assert all(re.search(r"Top1-%: [\d.]+ Top5-%: [\d.]+ LR 0\.025 ", l) for l in lines), lines
    assert re.search(r"TRAINING SUMMARY.*top-1 [\d.]+\t top-5 [\d.]+", result.stdout)
    assert re.search(r"TESTING SUMMARY.*top-1 [\d.]+\t top-5 [\d.]+", result.stdout)


def test_the_bar_stays_and_a_process_labels_its_lines(capsys, monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert Progress(range(3), 1, 3, False, 1, World()).bar.leave is True
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    progress = Progress(range(3), 1, 3, False, 1, World(0, 2))
    progress.batch(1, (2.0, 50.0, 75.0), 0.0364500001, (0.1, 0.01, 0.01, 80))
    assert "Epoch: [1][1/3] [process 0 of 2]\tTime" in capsys.readouterr().out
    progress.batch(2, (2.0, 50.0, 75.0), 0.0364500001, (0.1, 0.01, 0.01, 80))
    assert "LR 0.03645 " in capsys.readouterr().out
