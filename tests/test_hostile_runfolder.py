"""Issue 18, what a launch reads back: every options.json value against the option table's own
rules, latest.json's epoch and names, torchrun's variables, a run folder that cannot be written,
a file size limit hit while a checkpoint is written, a FIFO named by latest.json, a dangling
--run-dir, class names with escape bytes, and a run's relative spec path from another folder.
Each refusal is one line, exit 2, and leaves the run folder as it was."""
import json
import os
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from enet_port.cli import main
from enet_port.data.sample_data import make_sample_dataset
from conftest import ROOT
from test_hostile_paths import FIFO_MESSAGE, invoke, one_line

TINY = ROOT / "tests" / "specs" / "tiny.json"
SMALL = ["-imageSize", "36", "-cropSize", "32", "-batchSize", "8", "-nClasses", "10", "-nDonkeys", "0",
         "-epochSize", "1"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One epoch of tiny.json, trained from its own folder with a relative spec and run folder."""
    root = tmp_path_factory.mktemp("hostile-run")
    data = make_sample_dataset(root / "data", 4, 1, size=40)
    shutil.copy(TINY, root / "tiny.json")
    here = os.getcwd()
    os.chdir(root)
    try:
        result = CliRunner().invoke(main, ["train", "tiny.json", *SMALL, "-data", str(data), "-nEpochs", "1",
                                           "-LR", "0.01", "-cache", str(root / "cache"), "--run-dir", "run"])
    finally:
        os.chdir(here)
    assert result.exit_code == 0, result.output
    return data, root / "run"


def copy_of(run_dir, tmp_path):
    """The run folder and its relative spec, copied as they were placed."""
    shutil.copy(run_dir.parent / "tiny.json", tmp_path)
    return shutil.copytree(run_dir, tmp_path / run_dir.name)


def snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != ".lock"}


@pytest.mark.parametrize("key,value,want", [
    ("batchSize", 0, "a whole number >= 1"), ("batchSize", -4, "a whole number >= 1"),
    ("batchSize", "abc", "a whole number >= 1"), ("batchSize", 1.5, "a whole number >= 1"),
    ("nDonkeys", -1, "a whole number >= 0"), ("recipe", "nope", "one of "), ("momentum", "x", "a finite number"),
    ("batchChunks", 0, "a whole number >= 1"), ("LR", "abc", "a finite number"), ("pipeline", "evil", "one of lua, fb"),
    ("amp", "int4", "one of off, bf16, fp16"), ("conf", "yes", "true or false"),
])
def test_an_edited_options_file_is_one_line_and_not_written_back(run, tmp_path, key, value, want):
    folder = copy_of(run[1], tmp_path)
    options = json.loads((folder / "options.json").read_text())
    (folder / "options.json").write_text(json.dumps({**options, key: value}))
    before = snapshot(folder)
    result = invoke(["train", TINY, "--resume", folder, "-nEpochs", "2"])
    one_line(result, f"{folder / 'options.json'}: damaged options file ({key} is {value!r}, not {want}")
    assert snapshot(folder) == before


@pytest.mark.parametrize("pointer", [
    '{"epoch": -1, "model": "model_1.pt", "optimState": "optimState_1.pt"}',
    '{"epoch": 0, "model": "model_1.pt", "optimState": "optimState_1.pt"}',
    '{"epoch": 1e999, "model": "model_1.pt", "optimState": "optimState_1.pt"}',
    '{"epoch": "1", "model": "model_1.pt", "optimState": "optimState_1.pt"}',
    '{"epoch": true, "model": "model_1.pt", "optimState": "optimState_1.pt"}',
    '{"epoch": 1, "model": "../run/model_1.pt", "optimState": "optimState_1.pt"}',
    '{"epoch": 1, "model": 5, "optimState": "optimState_1.pt"}',
    '[1]',
])
def test_a_damaged_pointer_is_refused_and_nothing_is_retrained(run, tmp_path, pointer):
    folder = copy_of(run[1], tmp_path)
    (folder / "latest.json").write_text(pointer)
    before = snapshot(folder)
    one_line(invoke(["train", TINY, "--resume", folder, "-nEpochs", "3"]), f"{folder / 'latest.json'}: damaged pointer file")
    assert snapshot(folder) == before


@pytest.mark.parametrize("env,name", [
    ({"LOCAL_RANK": "0", "RANK": "0", "WORLD_SIZE": "abc"}, "WORLD_SIZE: is 'abc', not a whole number >= 1"),
    ({"LOCAL_RANK": "0", "WORLD_SIZE": "1"}, "RANK: not set, though LOCAL_RANK and WORLD_SIZE are"),
    ({"LOCAL_RANK": "0", "RANK": "0", "WORLD_SIZE": "1", "TORCHELASTIC_RESTART_COUNT": "abc"},
     "TORCHELASTIC_RESTART_COUNT: is 'abc', not a whole number >= 0"),
])
def test_torchruns_variables_are_checked(run, tmp_path, monkeypatch, env, name):
    for key in ("LOCAL_RANK", "RANK", "WORLD_SIZE", "TORCHELASTIC_RESTART_COUNT"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    result = invoke(["train", TINY, *SMALL, "-data", run[0], "-nEpochs", "1", "-cache", tmp_path,
                     "--run-dir", tmp_path / "new"])
    one_line(result, name)
    assert not (tmp_path / "new").exists()


def test_a_dangling_run_dir_link_is_one_line(run, tmp_path):
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "gone")
    result = invoke(["train", TINY, *SMALL, "-data", run[0], "-nEpochs", "1", "-cache", tmp_path, "--run-dir", link])
    one_line(result, f"{link}: a dangling symbolic link (to {tmp_path / 'gone'}), not a folder")


def make_read_only(folder):
    """chattr +i where the file system and rights allow it, else chmod (which root ignores)."""
    if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0:
        return lambda: subprocess.run(["chattr", "-i", str(folder)], check=True)
    if os.geteuid() == 0:
        pytest.skip("root without chattr +i: no way to make a folder read-only")
    folder.chmod(0o555)
    return lambda: folder.chmod(0o755)


def test_a_read_only_run_folder_is_one_line_and_unchanged(run, tmp_path):
    folder = copy_of(run[1], tmp_path)
    before = snapshot(folder)
    restore = make_read_only(folder)
    try:
        result = invoke(["train", TINY, "--resume", folder, "-nEpochs", "2"])
    finally:
        restore()
    one_line(result, f"{folder}: cannot write in the run folder", "nothing was changed")
    assert snapshot(folder) == before


FILE_SIZE_LIMITED = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # as a shell's ulimit -f with the signal ignored
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), int(sys.argv[1])))
from enet_port.cli import main
main(sys.argv[2:], prog_name="enet-port")
"""


def test_a_file_size_limit_while_a_checkpoint_is_written_loses_nothing(run, tmp_path):
    folder = copy_of(run[1], tmp_path)
    before = {name: (folder / name).read_bytes() for name in ("model_1.pt", "optimState_1.pt", "latest.json")}
    limit = (folder / "model_1.pt").stat().st_size // 2  # above options.json and the logs, below a checkpoint
    result = subprocess.run([sys.executable, "-c", FILE_SIZE_LIMITED, str(limit), "train", str(TINY),
                             "--resume", str(folder), "-nEpochs", "2"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and result.stderr.strip().splitlines()[-1].startswith(
        f"enet-port: {folder}: could not write the epoch 2 checkpoint (File too large); nothing lost"), result.stderr
    assert {name: (folder / name).read_bytes() for name in before} == before
    assert not (folder / "model_2.pt").exists() and not list(folder.glob(".*.tmp"))
    resumed = invoke(["train", TINY, "--resume", folder, "-nEpochs", "2"])  # and the run goes on from epoch 1
    assert resumed.exit_code == 0 and "epochs 2..2" in resumed.output, resumed.output


def test_a_fifo_named_by_latest_json_is_refused(run, tmp_path):
    folder = copy_of(run[1], tmp_path)
    (folder / "model_1.pt").unlink()
    os.mkfifo(folder / "model_1.pt")
    one_line(invoke(["train", TINY, "--resume", folder, "-nEpochs", "2"], [folder / "model_1.pt"]),
             f"{folder / 'model_1.pt'}: {FIFO_MESSAGE}")


def test_a_fifo_among_the_run_folders_logs_is_refused(run, tmp_path):
    folder = copy_of(run[1], tmp_path)
    (folder / "train.log").unlink()
    os.mkfifo(folder / "train.log")
    one_line(invoke(["train", TINY, "--resume", folder, "-nEpochs", "2"], [folder / "train.log"]),
             f"{folder / 'train.log'}: {FIFO_MESSAGE}")


def test_predict_shows_class_names_escaped(run, tmp_path, monkeypatch):
    folder = copy_of(run[1], tmp_path)
    monkeypatch.chdir(tmp_path)  # where the run's relative spec is
    names = [f"class{i}\x1b]0;owned\x07" for i in range(10)]
    (folder / "classes.txt").write_text("".join(f"{n}\n" for n in names))
    result = invoke(["predict", folder, next((run[0] / "val").glob("*/*.JPEG")), "-o", tmp_path])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and result.output.count("\\x1b]0;owned\\x07") == 5


def test_predict_finds_a_runs_relative_spec_from_another_folder(run, tmp_path, monkeypatch):
    assert json.loads((run[1] / "options.json").read_text())["spec"] == "tiny.json"
    monkeypatch.chdir(tmp_path)
    result = invoke(["predict", run[1], next((run[0] / "val").glob("*/*.JPEG")), "-o", tmp_path])
    assert result.exit_code == 0, result.output
    assert len(json.loads((tmp_path / "top5.json").read_text())) == 1
