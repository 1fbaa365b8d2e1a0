"""A resumed run keeps its spec and options unless --override asks (issue 22, items 1 and 2):
refusals in one line, the override history, the class-count hint, Ctrl-C's continue line."""
import json
import shutil
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from enet_port.cli import main
from enet_port.data.sample_data import make_sample_dataset
from conftest import ROOT

TINY = ROOT / "tests" / "specs" / "tiny.json"
SMALL = ["-imageSize", "36", "-cropSize", "32", "-nDonkeys", "0", "-epochSize", "1"]


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def ok(result):
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result


def one_line(result, *patterns):
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and all(p in lines[0] for p in patterns), result.stderr


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_sample_dataset(tmp_path_factory.mktemp("resume") / "data", 4, 1, size=40)


@pytest.fixture
def run(data, tmp_path):
    """A one-epoch run of a copy of the tiny spec at -batchSize 8 -LR 0.01."""
    spec = tmp_path / "tiny.json"
    shutil.copy(TINY, spec)
    ok(invoke("train", spec, *SMALL, "-data", data, "-nClasses", "10", "-batchSize", "8", "-LR", "0.01",
              "-nEpochs", "1", "-cache", tmp_path, "--run-dir", tmp_path / "run"))
    return spec, tmp_path / "run"


def test_a_changed_option_is_refused_and_the_options_stay(run):
    spec, run_dir = run
    before = (run_dir / "options.json").read_bytes()
    one_line(invoke("train", "--resume", run_dir, "-batchSize", "4", "-LR", "0.5"),
             "a resumed run keeps its options: -LR 0.5 (the run has 0.01), -batchSize 4 (the run has 8)",
             "--override")
    assert (run_dir / "options.json").read_bytes() == before
    one_line(invoke("train", "--resume", run_dir, "-nClasses", "4"), "the run's checkpoints have 10 classes")
    usage = invoke("train", spec, "--override", "-LR", "0.5")
    assert usage.exit_code == 2 and "--override changes a resumed run" in usage.stderr


def test_resume_alone_keeps_the_run_s_spec_and_options(run):
    spec, run_dir = run
    saved = json.loads((run_dir / "options.json").read_text())
    spec.write_text(spec.read_text().replace('"nn.PReLU": [8]', '"nn.ReLU": []'))  # the file changed since
    ok(invoke("train", "--resume", run_dir, "-nEpochs", "2", "-batchSize", "8", "--print-freq", "5"))  # allowed
    now = json.loads((run_dir / "options.json").read_text())
    launch = ("nEpochs", "resume", "print_freq")
    assert {k: v for k, v in now.items() if k not in launch} == {k: v for k, v in saved.items() if k not in launch}
    assert now["nEpochs"] == 2 and now["overrides"] == []
    assert [json.loads(l)["lr"] for l in open(run_dir / "metrics.jsonl")] == pytest.approx([0.01, 0.01 * 0.9])
    one_line(invoke("train", spec, "--resume", run_dir, "-nEpochs", "3"), "tiny.json: is not the spec run",
             "leave SPEC out")


def test_override_changes_the_run_from_the_next_epoch_and_records_it(run):
    spec, run_dir = run
    result = ok(invoke("train", "--resume", run_dir, "-nEpochs", "3", "--override", "-LR", "0.5"))
    assert "from epoch 2 on (--override): -LR 0.01 -> 0.5" in result.output
    options = json.loads((run_dir / "options.json").read_text())
    assert options["LR"] == 0.5 and options["overrides"] == [{"epoch": 2, "option": "-LR", "from": 0.01, "to": 0.5}]
    rows = [json.loads(l) for l in open(run_dir / "metrics.jsonl")]
    # exp-v7 (the seed's V7 rule) recomputed from -LR 0.5: lr * 0.9^(epoch - 1), compounding
    assert [r["lr"] for r in rows] == pytest.approx([0.01, 0.5 * 0.9, 0.5 * 0.9 * 0.81])
    assert rows[1]["overrides"] == {"-LR": [0.01, 0.5]} and "overrides" not in rows[2]


def test_a_checkpoint_of_another_class_count_says_what_to_pass(run, data, tmp_path):
    _, run_dir = run
    four = tmp_path / "four"
    for split in ("train", "val"):
        for folder in sorted((data / split).iterdir())[:4]:
            shutil.copytree(folder, four / split / folder.name)
    model = run_dir / "model_1.pt"
    one_line(invoke("train", TINY, *SMALL, "-data", four, "-nClasses", "4", "-retrain", model, "-cache", tmp_path),
             f"{model} has 10 classes, this run -nClasses 4: pass -nClasses 10, or --reset-classifier to fine-tune")
    one_line(invoke("test", TINY, *SMALL[:-2], "-data", data, "-nClasses", "4", "-retrain", model, "-cache", tmp_path),
             f"{model} has 10 classes, this run -nClasses 4: pass -nClasses 10")
    ok(invoke("train", TINY, *SMALL, "-data", four, "-nClasses", "4", "-retrain", model, "--reset-classifier",
              "-nEpochs", "1", "-cache", tmp_path, "--run-dir", tmp_path / "tuned"))


def test_ctrl_c_prints_the_resume_command_and_leaves_no_lock(data, tmp_path):
    run_dir = tmp_path / "run"
    args = ["train", str(TINY), *SMALL[:-2], "-epochSize", "100000", "-batchSize", "4", "-data", str(data),
            "-nClasses", "10", "-cache", str(tmp_path), "--run-dir", str(run_dir)]
    proc = subprocess.Popen([sys.executable, "-m", "enet_port", *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(600):
            if (run_dir / ".lock").exists() or proc.poll() is not None:
                break
            time.sleep(0.1)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    hint = f"enet-port: {run_dir}: interrupted; continue with: enet-port train --resume {run_dir}"
    assert err.strip().splitlines()[-1] == hint
    assert not (run_dir / ".lock").exists()
