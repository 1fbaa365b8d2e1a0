"""The training loop end to end: real images, resume, bad files, checkpoints, test, plot."""
import io
import json
import shutil
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from enet_port.train import checkpoints
from enet_port.cli import main
from enet_port.data.sample_data import make_sample_dataset
from conftest import ROOT

TINY = str(ROOT / "tests" / "specs" / "tiny.json")
SMALL = ["-imageSize", "36", "-cropSize", "32", "-batchSize", "16"]


def train(*args):
    result = CliRunner().invoke(main, ["train", TINY, *SMALL, *args])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result


def run_dir_of(result):
    return [l for l in result.stdout.splitlines() if l.startswith("run folder: ")][-1].split(": ", 1)[1]


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    return make_sample_dataset(tmp_path_factory.mktemp("data") / "samples", 12, 3, size=48)


def test_real_images_two_epochs_loss_falls_and_outputs_exist(imagenette, tmp_path):
    result = train("-data", str(imagenette), "-cache", str(tmp_path), "-nClasses", "10", "-nEpochs", "2",
                   "-epochSize", "25", "-LR", "0.05", "-batchSize", "32", "-nDonkeys", "2", "-conf")
    run = Path(run_dir_of(result))
    rows = [json.loads(l) for l in open(run / "metrics.jsonl")]
    assert [r["epoch"] for r in rows] == [1, 2] and rows[1]["train_loss"] < rows[0]["train_loss"]
    assert rows[0]["test_images"] == 300 and "Epoch: [2][TESTING SUMMARY]" in result.stdout
    for name in ("model_1.pt", "model_2.pt", "optimState_2.pt", "latest.json", "options.json", "train.log",
                 "test.log", "confusion_2.csv", "classes.txt"):
        assert (run / name).is_file(), name
    header, *lines = (run / "train.log").read_text().splitlines()
    assert header == "% top1 accuracy (train set)\tavg loss (train set)\t" and len(lines) == 2
    assert json.loads((run / "options.json").read_text())["LR"] == 0.05
    plot = CliRunner().invoke(main, ["plot", str(run), "-o", str(tmp_path / "curves.png")])
    assert plot.exit_code == 0 and Image.open(tmp_path / "curves.png").size[0] > 100


def test_resume_is_exact(samples, tmp_path):
    common = ["-data", str(samples), "-nClasses", "10", "-epochSize", "3", "-LR", "0.02", "-manualSeed", "5"]
    straight = run_dir_of(train(*common, "-cache", str(tmp_path / "a"), "-nEpochs", "4", "-nDonkeys", "2"))
    halves = tmp_path / "b" / "run"
    train(*common, "-cache", str(tmp_path / "b"), "-nEpochs", "2", "-nDonkeys", "0", "--run-dir", str(halves))
    resumed = train("--resume", str(halves), "-nEpochs", "4", "-nDonkeys", "0")
    assert "epochs 3..4" in resumed.stdout
    a = checkpoints.load(f"{straight}/model_4.pt")["model"]
    b = checkpoints.load(halves / "model_4.pt")["model"]
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert [json.loads(l)["epoch"] for l in open(halves / "metrics.jsonl")] == [1, 2, 3, 4]


def test_resume_finishes_a_run_started_at_a_later_epoch(samples, tmp_path, monkeypatch):
    # -epochNumber 3 -nEpochs 3 plans epochs 3..5 (imagenet-multiGPU.torch: epochNumber..epochNumber+nEpochs-1)
    run, original, dies_at = tmp_path / "run", torch.save, [3, 4]

    def dying_save(obj, f):  # killed while writing a checkpoint, first epoch 3's, then epoch 4's
        if isinstance(obj, dict) and obj.get("epoch") == dies_at[0]:
            dies_at.pop(0)
            raise KeyboardInterrupt("killed")
        return original(obj, f)

    monkeypatch.setattr(torch, "save", dying_save)
    first = CliRunner().invoke(main, ["train", TINY, *SMALL, "-data", str(samples), "-nClasses", "10",
                                      "-epochNumber", "3", "-nEpochs", "3", "-epochSize", "2", "-nDonkeys", "0",
                                      "-cache", str(tmp_path), "--run-dir", str(run)])
    assert first.exit_code != 0 and not (run / "latest.json").exists()
    again = CliRunner().invoke(main, ["train", TINY, "--resume", str(run)])  # no checkpoint: starts as at first
    assert again.exit_code != 0 and "epochs 3..5" in again.stdout and checkpoints.latest(run)[0] == 3
    monkeypatch.setattr(torch, "save", original)
    resumed = train("--resume", str(run))
    assert "epochs 4..5" in resumed.stdout
    assert [json.loads(l)["epoch"] for l in open(run / "metrics.jsonl")] == [3, 4, 5]
    assert checkpoints.latest(run)[0] == 5 and (run / "model_5.pt").is_file()
    done = train("--resume", str(run))
    assert "already trained to epoch 5; -epochNumber 3 -nEpochs 3 ends at epoch 5" in done.stdout
    longer = train("--resume", str(run), "-nEpochs", "4")  # counted from the run's epoch 3: up to epoch 6
    assert "epochs 6..6" in longer.stdout
    assert [json.loads(l)["epoch"] for l in open(run / "metrics.jsonl")] == [3, 4, 5, 6]
    same = train("--resume", str(run), "-epochNumber", "3")  # the same start (torchrun relaunches repeat it)
    assert "already trained to epoch 6" in same.stdout
    moved = CliRunner().invoke(main, ["train", TINY, "--resume", str(run), "-epochNumber", "1"])
    assert moved.exit_code == 2 and "the run started at -epochNumber 3; --resume keeps that start" in moved.stderr


def bad_files(folder):
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (9, 9, 9)).save(buffer, "JPEG")
    folder.mkdir(parents=True, exist_ok=True)
    files = {"zero.JPEG": b"", "text.JPEG": b"hello\n", "truncated.JPEG": buffer.getvalue()[:200]}
    for name, content in files.items():
        (folder / name).write_bytes(content)
    Image.new("CMYK", (50, 50)).save(folder / "cmyk.JPEG", "JPEG")
    Image.new("L", (50, 50), 128).save(folder / "grey.JPEG", "JPEG")
    Image.new("RGB", (50, 50), (0, 90, 0)).save(folder / "png.JPEG", "PNG")
    return {str(folder / name) for name in files}


def test_corrupt_images_are_skipped_and_logged(samples, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(samples, data)
    bad = bad_files(data / "train" / "circle") | bad_files(data / "val" / "square")
    result = train("-data", str(data), "-cache", str(tmp_path), "-nClasses", "10", "-nEpochs", "1",
                   "-epochSize", "12", "-LR", "0.01", "-nDonkeys", "2")
    run = run_dir_of(result)
    logged = open(f"{run}/bad_images.log").read().splitlines()
    logged_paths = {next(p for p in bad if line.startswith(p + ":")) for line in logged}
    val_bad = {p for p in bad if "/val/" in p}
    assert val_bad <= logged_paths <= bad
    row = json.loads(open(f"{run}/metrics.jsonl").readline())
    assert row["test_skipped"] == 3 and row["skipped"] + row["test_skipped"] == len(logged)
    assert row["test_images"] == 30 + 3  # the CMYK, grey and PNG files of val/square count
    assert "unreadable file(s)" in result.stdout


def test_a_crash_while_writing_a_checkpoint_keeps_the_last_one(samples, tmp_path, monkeypatch):
    run = tmp_path / "run"
    original = torch.save

    def dying_save(obj, f):
        if isinstance(obj, dict) and obj.get("epoch") == 2:
            f.write(b"half a checkpoint")
            raise KeyboardInterrupt("killed")
        return original(obj, f)

    monkeypatch.setattr(torch, "save", dying_save)
    result = CliRunner().invoke(main, ["train", TINY, *SMALL, "-data", str(samples), "-nClasses", "10",
                                       "-nEpochs", "2", "-epochSize", "2", "-nDonkeys", "0", "-cache", str(tmp_path),
                                       "--run-dir", str(run)])
    assert result.exit_code != 0  # click turns the interrupt into "Aborted!"
    monkeypatch.setattr(torch, "save", original)
    assert sorted(p.name for p in run.iterdir() if p.suffix == ".pt") == ["model_1.pt", "model_best.pt", "optimState_1.pt"]
    epoch, model_path, _ = checkpoints.latest(run)
    assert epoch == 1 and "model" in checkpoints.load(model_path)
    resumed = train("--resume", str(run), "-nEpochs", "2", "-nDonkeys", "0")
    assert "epochs 2..2" in resumed.stdout and (run / "model_2.pt").exists()


def test_test_command_reproduces_the_last_test_top1(samples, tmp_path):
    run = tmp_path / "run"
    train("-data", str(samples), "-nClasses", "10", "-nEpochs", "1", "-epochSize", "2", "-nDonkeys", "0",
          "-cache", str(tmp_path), "--run-dir", str(run))
    result = CliRunner().invoke(main, ["test", TINY, "-retrain", str(run / "model_1.pt"), "-data", str(samples),
                                       "-cache", str(tmp_path), *SMALL, "-nClasses", "10", "--json"])
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    logged = json.loads(open(run / "metrics.jsonl").readline())
    assert got["test_top1"] == logged["test_top1"] and got["test_images"] == 30


def test_bad_options_fail_in_one_line(samples, tmp_path):
    result = CliRunner().invoke(main, ["train", TINY, *SMALL, "-data", str(samples), "-cache", str(tmp_path)])
    assert result.exit_code == 2 and "10 class folders, but -nClasses is 1000" in result.stderr
    result = CliRunner().invoke(main, ["train", TINY, "-data", str(samples), "-nClasses", "10",
                                       "-cache", str(tmp_path), "-cropSize", "2", "-imageSize", "4"])
    assert result.exit_code == 2 and "tiny.json: " in result.stderr and len(result.stderr.splitlines()) == 1
    result = CliRunner().invoke(main, ["train", TINY, "--resume", str(tmp_path / "nothing")])
    assert result.exit_code == 2 and "not a run folder" in result.stderr


def test_bench_reports_speed_and_memory():
    result = CliRunner().invoke(main, ["bench", TINY, "--batch-size", "4", "--steps", "1", "--device", "cpu", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["train_images_per_s"] > 0 and report["inference_images_per_s"] > 0
    assert report["peak_memory_mib"] > 0 and report["device"].startswith("CPU") and report["torch"]


def test_a_folder_of_unreadable_images_stops_with_one_line(tmp_path):
    for split in ("train", "val"):
        for c in ("a", "b"):
            folder = tmp_path / "data" / split / c
            folder.mkdir(parents=True)
            (folder / "x.JPEG").write_bytes(b"not an image")
    result = CliRunner().invoke(main, ["train", TINY, *SMALL, "-data", str(tmp_path / "data"), "-nClasses", "2",
                                       "-cache", str(tmp_path), "-nEpochs", "1", "-epochSize", "1", "-nDonkeys", "0"])
    assert result.exit_code == 2
    assert result.stderr.strip().endswith("train: no training image could be read (mean/std estimate)")
    small = CliRunner().invoke(main, ["train", TINY, "-imageSize", "20", "-cropSize", "32", "-cache", str(tmp_path)])
    assert small.exit_code == 2 and "-imageSize: 20 is smaller than -cropSize 32" in small.stderr


KILLER = """
import os, signal, sys, torch
from enet_port.cli import main
original = torch.save
def save_then_die(obj, f):
    if isinstance(obj, dict) and obj.get("epoch") == 2:
        f.write(b"half a checkpoint")
        f.flush()
        os.kill(os.getpid(), signal.SIGKILL)
    return original(obj, f)
torch.save = save_then_die
main(sys.argv[1:])
"""


def test_sigkill_while_writing_a_checkpoint(samples, tmp_path):
    import subprocess
    import sys
    run = tmp_path / "run"
    args = ["train", TINY, *SMALL, "-data", str(samples), "-nClasses", "10", "-nEpochs", "2", "-epochSize", "2",
            "-nDonkeys", "0", "-cache", str(tmp_path), "--run-dir", str(run)]
    done = subprocess.run([sys.executable, "-c", KILLER, *args], capture_output=True, cwd=ROOT)
    assert done.returncode == -9
    assert not (run / "model_2.pt").exists() and list(run.glob(".model_2.pt.*.tmp"))  # the half file
    assert checkpoints.latest(run)[0] == 1 and "model" in checkpoints.load(run / "model_1.pt")
    train("--resume", str(run), "-nEpochs", "2", "-nDonkeys", "0")
    assert (run / "model_2.pt").exists() and not list(run.glob(".*.tmp"))


def test_lua_resume_flags_check_their_files(samples, tmp_path):
    run = tmp_path / "run"
    train("-data", str(samples), "-nClasses", "10", "-nEpochs", "1", "-epochSize", "1", "-nDonkeys", "0",
          "-cache", str(tmp_path), "--run-dir", str(run), "-LR", "0.01")
    common = ["train", TINY, *SMALL, "-data", str(samples), "-nClasses", "10", "-nEpochs", "1", "-epochSize", "1",
              "-nDonkeys", "0", "-cache", str(tmp_path)]
    wrong = CliRunner().invoke(main, common + ["-optimState", str(run / "model_1.pt")])
    assert wrong.exit_code == 2 and "model_1.pt: not an optimState_N.pt checkpoint" in wrong.stderr
    damaged = tmp_path / "damaged.pt"
    damaged.write_bytes(b"\x80garbage")
    bad = CliRunner().invoke(main, common + ["-retrain", str(damaged)])
    assert bad.exit_code == 2 and "damaged.pt: not a readable checkpoint" in bad.stderr
    ok = CliRunner().invoke(main, common + ["-retrain", str(run / "model_1.pt"), "-optimState",
                                            str(run / "optimState_1.pt"), "-epochNumber", "2",
                                            "--run-dir", str(tmp_path / "second"), "--recipe", "regimes-55"])
    assert ok.exit_code == 0, ok.output
    row = json.loads((tmp_path / "second" / "metrics.jsonl").read_text())
    assert row["epoch"] == 2 and row["lr"] == 0.01  # mid-regime: the loaded optimState's LR wins
