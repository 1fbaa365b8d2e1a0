"""Several training processes (torchrun, gloo on CPU) against one process: same weights, every
validation image once, a killed worker restarted, resume and test with another process count.

Expected values come from single-process runs: DataParallelTable semantics say N processes on
slices of a global batch with synchronised BN train like one process on the whole batch, and
with per-process BN like one process averaging the gradients of N separately normalised slices
(what ``-batchChunks N`` computes in one process).
"""
import json
import os
import shutil
import subprocess
import sys

import pytest
import torch
from click.testing import CliRunner

from conftest import ROOT
from enet_port.cli import main
from enet_port.train import checkpoints
from enet_port.train.distributed import DistributedError, World
from enet_port.data.sample_data import make_sample_dataset
from enet_port.data.shards import RankSlice, padded, rank_range

SPEC = str(ROOT / "tests" / "specs" / "tiny_bn.json")
RUN = ["-nClasses", "10", "-imageSize", "36", "-cropSize", "32", "-batchSize", "8", "-epochSize", "2",
       "-nEpochs", "2", "-nDonkeys", "0", "-LR", "0.1", "--device", "cpu", "-manualSeed", "3"]
VAL_IMAGES = 29  # 10 classes x 3, one removed: does not divide by 2 processes


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = make_sample_dataset(tmp_path_factory.mktemp("ddp") / "data", 4, 3, size=40)
    (root / "val" / "circle" / "circle_0002.JPEG").unlink()
    return root


def train_here(data, run_dir, *args):
    result = CliRunner().invoke(main, ["train", SPEC, "-data", str(data), "-cache", str(run_dir.parent / "cache"),
                                       *RUN, "--run-dir", str(run_dir), *args])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return run_dir


def train_procs(launcher, data, run_dir, *args):
    """``launcher`` + ``train ...`` in a fresh process tree (torchrun needs real processes)."""
    cmd = [sys.executable, *launcher, "train", SPEC, "-data", str(data), "-cache", str(run_dir.parent / "cache"),
           *RUN, "--run-dir", str(run_dir), *args]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (run_dir.parent / "launch.log").write_text(done.stdout + done.stderr)
    return run_dir


def weights(run_dir, epoch=2):
    return checkpoints.load(run_dir / f"model_{epoch}.pt")["model"]


def metrics(run_dir):
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def assert_close(a, b, keys=None, atol=1e-6):
    assert a.keys() == b.keys()
    for k in keys or a:
        assert torch.allclose(a[k].double(), b[k].double(), atol=atol, rtol=0), k


def parameters_only(state):
    return [k for k in state if not k.endswith(("running_mean", "running_var", "num_batches_tracked"))]


@pytest.fixture(scope="module")
def one(data, tmp_path_factory):
    return train_here(data, tmp_path_factory.mktemp("one") / "run")


@pytest.fixture(scope="module")
def synced(data, tmp_path_factory):
    return train_procs(["-m", "enet_port"], data, tmp_path_factory.mktemp("synced") / "run", "-nGPU", "2",
                       "--sync-bn")


@pytest.fixture(scope="module")
def per_process(data, tmp_path_factory):
    return train_procs(["-m", "enet_port"], data, tmp_path_factory.mktemp("pp") / "run", "-nGPU", "2")


def test_sync_bn_two_processes_train_like_one(one, synced):
    assert_close(weights(one), weights(synced))
    assert not torch.allclose(weights(one, 1)["0.0.weight"], weights(one, 2)["0.0.weight"])  # it trained
    rows, single = metrics(synced), metrics(one)
    assert [r["epoch"] for r in rows] == [1, 2]
    assert [r["test_images"] for r in rows] == [VAL_IMAGES, VAL_IMAGES]  # each image once, none twice
    for key in ("train_loss", "train_top1", "test_loss", "test_top1", "test_top5"):
        assert rows[-1][key] == pytest.approx(single[-1][key], abs=1e-5), key
    assert json.loads((synced / "options.json").read_text())["sync_bn"] is True


def test_per_process_bn_is_two_half_batches(data, per_process, tmp_path):
    halves = train_here(data, tmp_path / "halves", "-batchChunks", "2")
    state = weights(halves)
    assert_close(state, weights(per_process), parameters_only(state))


def test_killed_worker_restarts_from_last_epoch(data, per_process, tmp_path):
    killed = train_procs(["-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                          "--max-restarts", "1", str(ROOT / "tests" / "helpers" / "kill_worker.py")],
                         data, tmp_path / "killed")
    a, b = weights(per_process), weights(killed)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert [r["epoch"] for r in metrics(killed)] == [1, 2]
    log = (tmp_path / "launch.log").read_text()
    assert "epochs 1..2" in log and "epochs 2..2" in log  # restarted by torchrun, resumed at epoch 2


def test_resume_with_another_process_count_and_test_on_one(data, synced, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(synced, run)
    for name in ("model_2.pt", "optimState_2.pt"):
        (run / name).unlink()
    (run / "latest.json").write_text(json.dumps({"epoch": 1, "model": "model_1.pt", "optimState": "optimState_1.pt"}))
    result = CliRunner().invoke(main, ["train", SPEC, "--resume", str(run), "-nEpochs", "2"])
    assert result.exit_code == 0, result.output
    assert "epochs 2..2" in result.stdout
    assert_close(weights(synced), weights(run), atol=1e-6)

    tested = CliRunner().invoke(main, ["test", SPEC, "-data", str(data), *RUN[:6], "--device", "cpu", "-nDonkeys",
                                       "0", "-retrain", str(synced / "model_2.pt"), "--json"])
    assert tested.exit_code == 0, tested.output
    figures, last = json.loads(tested.stdout), metrics(synced)[-1]
    assert figures["test_images"] == VAL_IMAGES
    assert figures["test_top1"] == pytest.approx(last["test_top1"]) and figures["test_loss"] == pytest.approx(
        last["test_loss"], abs=1e-5)


@pytest.mark.parametrize("size", [1, 2, 3])
def test_rank_slices_cover_each_global_batch_in_order(size):
    keys = list(range(23))  # 2 full batches of 8 and a partial one of 7
    parts = [list(RankSlice(keys, 8, World(rank, size))) for rank in range(size)]
    assert [len(RankSlice(keys, 8, World(r, size))) for r in range(size)] == [len(p) for p in parts]
    if 8 % size == 0:
        share = 8 // size
        for b in range(2):
            assert sum((p[b * share:(b + 1) * share] for p in parts), []) == keys[b * 8:(b + 1) * 8]
    assert sorted(sum(parts, [])) == keys
    covered = sorted(i for r in range(size) for i in rank_range(VAL_IMAGES, World(r, size)))
    assert covered == list(range(VAL_IMAGES))
    # contiguous runs, the first n % size one longer: 29 images on 3 processes are 10, 10, 9
    assert [list(rank_range(29, World(r, 3))) for r in range(3)] == \
        [list(range(0, 10)), list(range(10, 20)), list(range(20, 29))]


def test_padded_batches_and_batch_that_does_not_divide(data, tmp_path):
    assert list(padded(iter([1]), 3)) == [1, (None, None, []), (None, None, [])]
    with pytest.raises(DistributedError, match="-batchSize: 10 does not divide by the 3 processes"):
        World(0, 3).batch_share(10)
    result = CliRunner().invoke(main, ["train", SPEC, "-data", str(data), "-cache", str(tmp_path), *RUN, "-nGPU", "3"])
    assert result.exit_code == 2 and result.output.splitlines() == [
        "enet-port: -batchSize: 8 does not divide by the 3 processes"] and not list(tmp_path.iterdir())


def test_stuck_collective_times_out_naming_the_rank():
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                           str(ROOT / "tests" / "helpers" / "stuck_worker.py")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "enet-port: rank 0 of 2: a collective operation failed or timed out after 3s" in done.stdout + done.stderr


def test_elastic_resume_only_for_a_restart_or_the_same_run(tmp_path):
    from enet_port.train.opts import Opt
    from enet_port.train.runfolder import elastic_resume
    run = tmp_path / "run"
    opt = Opt(run_dir=str(run), LR=0.1, nEpochs=5)
    explicit = {"run_dir", "LR", "nEpochs"}
    assert elastic_resume(opt, explicit, SPEC, restarted=True) == opt  # nothing there yet: a fresh run
    run.mkdir()
    (run / "options.json").write_text(json.dumps({"spec": SPEC, "LR": 0.1, "nEpochs": 3, "run_dir": str(run)}))
    assert elastic_resume(opt, explicit, SPEC, restarted=True).resume == str(run)  # torchrun restarted us
    assert elastic_resume(opt, explicit, SPEC, restarted=False) == opt  # no complete epoch: start it
    (run / "latest.json").write_text("{}")
    assert elastic_resume(opt, explicit, SPEC, restarted=False).resume == str(run)  # more epochs of the same run
    other = Opt(run_dir=str(run), LR=0.2, nEpochs=5)
    assert elastic_resume(other, explicit, SPEC, restarted=False) == other  # another run's options
    assert elastic_resume(opt, explicit, "specs/v3.json", restarted=False) == opt  # another spec
