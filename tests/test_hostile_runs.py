"""Hostile or damaged run inputs (issue 8): checkpoints from elsewhere, crafted states, a second
trainer in one run folder, torn logs, kills before the first checkpoint, odd file names."""
import json
import os

import pytest
import torch
from click.testing import CliRunner

from enet_port.cli import main
from enet_port.train.runfolder import RunLock
from enet_port.data.sample_data import make_sample_dataset
from conftest import ROOT

TINY = ROOT / "tests" / "specs" / "tiny.json"
SMALL = ["-imageSize", "36", "-cropSize", "32", "-batchSize", "8", "-nClasses", "10", "-nDonkeys", "0",
         "-epochSize", "1"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    data = make_sample_dataset(root / "data", 4, 1, size=40)
    result = CliRunner().invoke(main, ["train", str(TINY), *SMALL, "-data", str(data), "-nEpochs", "1", "-LR", "0.01",
                                       "-cache", str(root), "--run-dir", str(root / "run")])
    assert result.exit_code == 0, result.output
    return data, root / "run"


def other_spec(tmp_path):
    spec = json.loads(TINY.read_text())
    spec["features"][0]["cudnn.SpatialConvolution"][1] = 12  # 12 planes instead of 8
    spec["features"][1]["nn.SpatialBatchNormalization"][0] = 12
    spec["features"][2]["nn.PReLU"][0] = 12
    spec["features"][3]["bottleneck"][0] = 12
    path = tmp_path / "other.json"
    path.write_text(json.dumps(spec))
    return path


def train(spec, data, tmp_path, *extra):
    return CliRunner().invoke(main, ["train", str(spec), *SMALL, "-data", str(data), "-nEpochs", "1",
                                     "-cache", str(tmp_path), *extra])


def one_line(result, pattern):
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and pattern in lines[0], result.stderr
    assert "Traceback" not in result.output


def test_checkpoints_of_another_spec_give_one_line(run, tmp_path):
    data, run_dir = run
    other = other_spec(tmp_path)
    one_line(train(other, data, tmp_path, "-retrain", str(run_dir / "model_1.pt")),
             "model_1.pt: does not fit this model: size mismatch")
    one_line(train(other, data, tmp_path, "-optimState", str(run_dir / "optimState_1.pt")),
             "optimState_1.pt: optimizer state does not fit this model")


@pytest.mark.parametrize("content,pattern", [
    ({"model": "str"}, "not a model_N.pt checkpoint"),
    ({"optimizer": {}, "lr": "a", "wd": 0.0, "rng": {}}, "lr is 'a', not a number >= 0"),
    ({"optimizer": [], "lr": 0.1, "wd": 0.0, "rng": {}}, "damaged optimizer or RNG state"),
])
def test_crafted_checkpoint_values_give_one_line(run, tmp_path, content, pattern):
    data, _ = run
    path = tmp_path / "crafted.pt"
    torch.save(content, path)
    flag = "-retrain" if "model" in content else "-optimState"
    one_line(train(TINY, data, tmp_path, flag, str(path)), f"crafted.pt: {pattern}")


def test_a_second_trainer_in_a_locked_run_folder_refuses(run, tmp_path):
    data, _ = run
    folder = tmp_path / "busy"
    with RunLock(folder):
        one_line(train(TINY, data, tmp_path, "--run-dir", str(folder)), "another trainer is using this run folder")
    assert not (folder / "metrics.jsonl").exists()


def test_resume_survives_a_torn_metrics_line_and_a_kill_before_the_first_checkpoint(run, tmp_path):
    import shutil
    data, run_dir = run
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    with open(copy / "metrics.jsonl", "a") as f:
        f.write('{"epoch": 2, "train_lo')  # killed while appending epoch 2's row
    resumed = CliRunner().invoke(main, ["train", str(TINY), "--resume", str(copy), "-nEpochs", "2"])
    assert resumed.exit_code == 0, resumed.output
    assert [json.loads(line)["epoch"] for line in open(copy / "metrics.jsonl")] == [1, 2]
    early = tmp_path / "early"
    shutil.copytree(run_dir, early)
    for name in ("latest.json", "model_1.pt", "optimState_1.pt", "model_best.pt", "metrics.jsonl"):
        (early / name).unlink()
    (early / ".model_1.pt.abc.tmp").write_bytes(b"x" * 1000)  # the half-written first checkpoint
    again = CliRunner().invoke(main, ["train", str(TINY), "--resume", str(early), "-nEpochs", "1"])
    assert again.exit_code == 0, again.output
    assert (early / "model_1.pt").is_file() and not list(early.glob(".*.tmp"))


@pytest.mark.parametrize("first_epoch", ["1", "3"])  # a run's first epoch logs the index's refusals
def test_bad_files_with_non_utf8_names_and_odd_entries_are_logged(run, tmp_path, first_epoch):
    import shutil
    data, _ = run
    odd = tmp_path / "odd"
    shutil.copytree(data, odd)
    folder = odd / "train" / "circle"
    bad_name = os.fsencode(str(folder)) + b"/bad-\xff.JPEG"
    with open(bad_name, "wb") as f:
        f.write(b"not an image")
    (folder / "dir.JPEG").mkdir()
    os.symlink(folder / "missing.JPEG", folder / "dangling.JPEG")
    os.symlink(folder / "loop.JPEG", folder / "loop.JPEG")
    result = CliRunner().invoke(main, ["train", str(TINY), *SMALL, "-data", str(odd), "-nEpochs", "1", "-epochSize",
                                       "6", "-cache", str(tmp_path), "--run-dir", str(tmp_path / "r"),
                                       "-epochNumber", first_epoch])
    assert result.exit_code == 0, result.output
    log = (tmp_path / "r" / "bad_images.log").read_bytes()
    if first_epoch == "1":  # drawn (and refused at decoding) in epoch 1's batches; epoch 3 draws others
        assert b"bad-\xff.JPEG" in log  # the name's bytes, as they are
    for name, why in ((b"dir.JPEG", b"a directory"), (b"dangling.JPEG", b"dangling symbolic link"),
                      (b"loop.JPEG", b"symbolic link loop")):
        assert name + b": " + why in log


def test_atomic_writes_get_the_mode_a_plain_write_gets(tmp_path):
    from enet_port.atomic import atomic_write_text
    atomic_write_text(tmp_path / "a.txt", "x")
    (tmp_path / "b.txt").write_text("x")
    assert (tmp_path / "a.txt").stat().st_mode == (tmp_path / "b.txt").stat().st_mode


def test_a_run_dir_holding_a_run_is_not_overwritten(run, tmp_path):
    import shutil
    data, run_dir = run
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    before = (copy / "model_1.pt").read_bytes()
    one_line(train(TINY, data, tmp_path, "--run-dir", str(copy)), "holds a run already: continue it with --resume")
    assert (copy / "model_1.pt").read_bytes() == before
    assert len((copy / "metrics.jsonl").read_text().splitlines()) == 1


@pytest.mark.parametrize("content", [b"[1, 2]", b"\xff\xfe"])
def test_a_damaged_options_file_is_one_line_under_torchrun_too(run, tmp_path, monkeypatch, content):
    import shutil
    data, run_dir = run
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    (copy / "options.json").write_bytes(content)
    # torchrun's variables: the elastic resume path
    for key, value in (("LOCAL_RANK", "0"), ("RANK", "0"), ("WORLD_SIZE", "1"), ("LOCAL_WORLD_SIZE", "1")):
        monkeypatch.setenv(key, value)
    one_line(train(TINY, data, tmp_path, "--run-dir", str(copy)), "options.json: damaged options file")
    one_line(CliRunner().invoke(main, ["train", str(TINY), "--resume", str(copy)]), "damaged options file")


def test_test_refuses_a_torch7_file_in_one_line(tmp_path):
    path = tmp_path / "model.t7"
    path.write_bytes(b"not read")
    result = CliRunner().invoke(main, ["test", str(TINY), "-retrain", str(path), "-nClasses", "10"])
    one_line(result, "model.t7: a Torch7 file holds no training mean/std")


@pytest.mark.parametrize("outputs, why", [(1000, "write the class count"), (7, "write the class count"),
                                          (20, "auxiliary classifiers")])
def test_a_model_whose_class_count_is_not_nclasses_is_refused_in_one_line(run, tmp_path, outputs, why):
    """A spec that writes the class count as a number (as fb.resnet.torch's resnet.lua, imported,
    writes 1000) would train 10 labels on 1000 outputs without a word, or fail at the first batch
    with 7: both are refused before any work, naming the spec."""
    spec = json.loads(TINY.read_text())
    spec["classifier"][1]["nn.Linear"][1] = outputs
    path = tmp_path / "literal.json"
    path.write_text(json.dumps(spec))
    result = train(path, run[0], tmp_path, "-LR", "0.01")
    one_line(result, f"literal.json: the model gives {outputs} values per image, but -nClasses is 10")
    assert why in result.stderr
    assert not list(tmp_path.rglob("options.json"))  # refused before a run folder is made
