"""`enet-port experiment`: the experiment file's grammar and errors, the LR scaling with the batch,
resume of an interrupted experiment, results.json against the run folders' own logs, the figures."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from enet_port.cli import main
from enet_port.data.sample_data import make_sample_dataset
from enet_port.train import checkpoints, opts
from enet_port.train.experiment import ExperimentError, load_experiment
from enet_port.train.experiment_run import run_values
from enet_port.train.figures import error_figure
from enet_port.train.schedules import plan
from conftest import ROOT

TINY = ROOT / "tests" / "specs" / "tiny.json"
# tiny.json is written for 32x32 and ends with an 8x8 global pooling; 16x16 crops fit it to 4x4
SMALL = ["-imageSize", "18", "-cropSize", "16", "-batchSize", "8", "-nDonkeys", "0", "-epochSize", "2"]


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    return make_sample_dataset(tmp_path_factory.mktemp("data") / "samples", 6, 2, size=24)


def write_experiment(folder, runs=None, **top):
    spec = os.path.relpath(TINY, folder)
    runs = runs if runs is not None else [
        {"name": "a", "spec": spec, "recipe": "exp-v7", "options": {"LR": 0.1, "batchSize": 16}, "figures": ["f"]},
        {"name": "b", "spec": spec, "recipe": "regimes-fast", "seeds": [3, 4], "figures": ["f", "g"],
         "label": "B"}]
    data = {"description": "test", "figures": {"f": "first", "g": "second"}, "runs": runs, **top}
    path = Path(folder) / "exp.json"
    path.write_text(json.dumps(data))
    return path


def test_grammar_runs_seeds_and_labels(tmp_path):
    experiment = load_experiment(write_experiment(tmp_path))
    assert [r.name for r in experiment.runs] == ["a", "b-s3", "b-s4"]
    assert [r.seed for r in experiment.runs] == [None, 3, 4]
    assert experiment.runs[1].label == "B (seed 3)" and experiment.runs[0].label == "a"
    assert experiment.runs[0].options == {"LR": 0.1, "batchSize": 16}
    assert [r.name for r in experiment.select("b")] == ["b-s3", "b-s4"]
    assert [r.name for r in experiment.select("a,b-s4")] == ["a", "b-s4"]
    with pytest.raises(ExperimentError, match="--only c: no such run"):
        experiment.select("c")


def bad_run(**changes):
    run = {"name": "v7", "spec": str(TINY), "recipe": "exp-v7", "figures": ["f"]}  # an absolute path stays one
    run.update(changes)
    return [{k: v for k, v in run.items() if v is not None}]


@pytest.mark.parametrize("runs, top, message", [
    (bad_run(colour="red"), {}, r"runs\[0\] \(v7\): colour: unknown key"),
    (bad_run(spec="specs/nope.json"), {}, r"runs\[0\] \(v7\): spec: no spec file"),
    (bad_run(spec=None), {}, r"runs\[0\] \(v7\): spec: missing"),
    (bad_run(recipe="fast"), {}, r"runs\[0\] \(v7\): recipe: unknown recipe 'fast'"),
    (bad_run(options={"batchSize": 0}), {}, r"runs\[0\] \(v7\): options.batchSize: .*0 is not in the range x>=1"),
    (bad_run(options={"batchSize": "many"}), {}, r"options.batchSize: .*'many' is not a valid integer"),
    (bad_run(options={"learningRate": 0.1}), {}, r"options.learningRate: not an option of `enet-port train`"),
    (bad_run(options={"manualSeed": 3}), {}, r"options.manualSeed: set on the command line"),
    (bad_run(options={"conf": 1}), {}, r"options.conf: must be true or false"),
    (bad_run(seeds=[1, 1]), {}, r"seeds: must be a non-empty list of distinct"),
    (bad_run(figures=["h"]), {}, r"figures: no figure 'h'"),
    (bad_run(name="a/b"), {}, r"runs\[0\]: name: must be letters"),
    (bad_run() + bad_run(), {}, r"runs\[1\] \(v7\): run name 'v7' used twice"),
    (bad_run(), {"colour": 1}, r"exp.json: colour: unknown key"),
    ([], {}, r"exp.json: runs: must be a non-empty list"),
])
def test_grammar_errors_name_the_entry(tmp_path, runs, top, message):
    path = write_experiment(tmp_path, runs, **top)
    with pytest.raises(ExperimentError, match=message) as info:
        load_experiment(path)
    assert "\n" not in str(info.value) and str(info.value).startswith(str(path))


def test_cli_error_is_one_line(tmp_path, samples):
    path = write_experiment(tmp_path, bad_run(options={"batchSize": -1}))
    result = CliRunner().invoke(main, ["experiment", str(path), "-data", str(samples), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "options.batchSize" in result.stderr
    refused = CliRunner().invoke(main, ["experiment", str(write_experiment(tmp_path)), "-data", str(samples),
                                        "--out", str(tmp_path / "o"), "--resume", str(tmp_path)])
    assert refused.exit_code == 2 and "--resume: not for `experiment`" in refused.stderr


def test_lr_scales_linearly_with_the_batch(tmp_path):
    a, b, _ = load_experiment(write_experiment(tmp_path)).runs
    cli = {o.key: o.default for o in opts.OPTIONS} | {"batchSize": 4}
    values, explicit = run_values(a, cli, {"batchSize"}, tmp_path)  # own batch 16 (its options)
    assert values["lr_scale"] == 0.25 and "lr_scale" in explicit and values["LR"] == 0.1
    values, _ = run_values(b, cli, {"batchSize"}, tmp_path)  # own batch: Lua's default 128
    assert values["lr_scale"] == 4 / 128 and values["manualSeed"] == 3
    given_lr, _ = run_values(a, cli | {"LR": 0.3}, {"batchSize", "LR"}, tmp_path)
    assert given_lr["lr_scale"] == 1.0 and given_lr["LR"] == 0.3
    same, _ = run_values(a, cli | {"batchSize": 16}, {"batchSize"}, tmp_path)
    assert same["lr_scale"] == 1.0
    # the fast regimes at batch 32 instead of 128: 1e-2/4 to epoch 10, then 5e-3/4 (the seed's table)
    rows = plan("regimes-fast", 12, lr_scale=0.25)
    assert [r.lr for r in rows] == [0.0025] * 10 + [0.00125] * 2
    # V7 with -LR 0.1 at a quarter of the batch: 0.025 * 0.9^(1+2+...+(e-1))
    rows = plan("exp-v7", 3, LR=0.1, lr_scale=0.25)
    assert [r.lr for r in rows] == pytest.approx([0.025, 0.025 * 0.9, 0.025 * 0.9 * 0.9 ** 2])


def experiment_args(path, samples, out, *extra):
    return ["experiment", str(path), "-data", str(samples), "--out", str(out), "-cache", str(Path(out).parent),
            "-nEpochs", "2", *SMALL, *extra]


KILLER = """
import os, signal, sys, torch
from enet_port.cli import main
original = torch.save
def die_at_b_epoch_2(obj, f):  # SIGKILL while run b-s3 writes its epoch 2 model
    if isinstance(obj, dict) and obj.get("epoch") == 2 and obj["options"]["run_dir"].endswith("b-s3"):
        os.kill(os.getpid(), signal.SIGKILL)
    return original(obj, f)
torch.save = die_at_b_epoch_2
main(sys.argv[1:])
"""


def test_killed_experiment_resumes_to_the_same_weights(tmp_path, samples):
    path = write_experiment(tmp_path)
    straight = CliRunner().invoke(main, experiment_args(path, samples, tmp_path / "x" / "straight", "--only", "a,b-s3"))
    assert straight.exit_code == 0, straight.output
    out = tmp_path / "y" / "killed"
    killed = subprocess.run([sys.executable, "-c", KILLER, *experiment_args(path, samples, out, "--only", "a,b-s3")],
                            capture_output=True, cwd=ROOT)
    assert killed.returncode == -9 and checkpoints.latest(out / "b-s3")[0] == 1
    a_model = (out / "a" / "model_2.pt").stat().st_mtime_ns
    rerun = CliRunner().invoke(main, experiment_args(path, samples, out, "--only", "a,b-s3"))
    assert rerun.exit_code == 0, rerun.output
    assert "[a] done: epochs 1..2" in rerun.output and "[b-s3] resuming after epoch 1" in rerun.output
    assert (out / "a" / "model_2.pt").stat().st_mtime_ns == a_model  # nothing done twice
    for name in ("a", "b-s3"):
        mine = checkpoints.load(out / name / "model_2.pt")["model"]
        theirs = checkpoints.load(tmp_path / "x" / "straight" / name / "model_2.pt")["model"]
        assert all(torch.equal(mine[k], theirs[k]) for k in theirs), name
    again = CliRunner().invoke(main, experiment_args(path, samples, out, "--only", "a,b-s3"))
    assert again.exit_code == 0 and "training" not in again.output
    other = CliRunner().invoke(main, experiment_args(path, samples, out, "--only", "a", "-weightDecay", "0"))
    assert other.exit_code == 2 and "a: was run with -weightDecay" in other.stderr


def optim_logger_column(path):
    """The first column of an optim.Logger file (header, then rows of %11.4e values)."""
    header, *rows = Path(path).read_text().splitlines()
    return [float(row.split("\t")[0]) for row in rows]


def test_results_json_matches_the_run_folders(tmp_path, samples):
    path = write_experiment(tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, experiment_args(path, samples, out, "-batchSize", "4"))
    assert result.exit_code == 0, result.output
    results = json.loads((out / "results.json").read_text())
    assert [r["name"] for r in results["runs"]] == ["a", "b-s3", "b-s4"]
    for run in results["runs"]:
        folder = out / run["name"]
        assert set(run) >= {"name", "spec", "recipe", "run_dir", "epochs", "best_top1", "final_top1", "best_epoch",
                            "images_per_s", "wall_s", "test_top1", "train_top1", "lr"}
        test = optim_logger_column(folder / "test.log")
        assert run["test_top1"] == pytest.approx(test, abs=1e-3 * max(test + [1]))
        assert run["train_top1"] == pytest.approx(optim_logger_column(folder / "train.log"), rel=1e-3, abs=1e-9)
        assert run["final_top1"] == run["test_top1"][-1] and run["best_top1"] == max(run["test_top1"])
        assert run["epochs"] == [1, 2] and run["test_top1"][run["best_epoch"] - 1] == run["best_top1"]
        assert run["images_seen"] == [8, 16]  # -batchSize 4 x -epochSize 2 each epoch
        saved = json.loads((folder / "options.json").read_text())
        assert run["lr"][0] == pytest.approx(saved["LR"] * saved["lr_scale"] if saved["LR"] else 0.01 * 4 / 128)
        assert len(saved["deviations"]) == 1 and saved["deviations"][0].endswith("features[4]: 8x8 -> 4x4")
    assert json.loads((out / "a" / "options.json").read_text())["lr_scale"] == 4 / 16
    assert sorted(p.name for p in (out / "figures").iterdir()) == sorted(
        f"{f}{s}.png" for f in "fg" for s in ("", "_images", "_wallclock"))
    assert "| b-s3 |" in (out / "results.md").read_text()
    plot = CliRunner().invoke(main, ["plot", str(out / "a"), "-o", str(tmp_path / "c.png")])
    assert plot.exit_code == 0
    model = out / "b-s4" / "model_2.pt"
    tested = CliRunner().invoke(main, ["test", str(TINY), "-retrain", str(model), "-data", str(samples),
                                       "-imageSize", "18", "-cropSize", "16", "-nClasses", "10", "--json"])
    assert tested.exit_code == 0, tested.output
    assert json.loads(tested.stdout)["test_top1"] == pytest.approx(results["runs"][2]["final_top1"])


def test_each_figure_draws_its_curves():
    runs = [{"label": "V2", "epochs": [1, 2, 3], "train_top1": [10, 20, 35], "test_top1": [12, 25, 30],
             "images_seen": [100, 200, 300], "elapsed_s": [5, 9, 14]},
            {"label": "V7", "epochs": [1, 2], "train_top1": [40, 60], "test_top1": [45, 58],
             "images_seen": [50, 100], "elapsed_s": [3, 7]}]
    for key in ("epochs", "images_seen", "elapsed_s"):
        ax = error_figure(runs, "t", key, key).axes[0]
        lines = ax.get_lines()
        assert [l.get_label() for l in lines] == ["V2 train", "V2 test", "V7 train", "V7 test"]
        for (run, part), line in zip([(r, p) for r in runs for p in ("train_top1", "test_top1")], lines):
            assert list(line.get_xdata()) == run[key]
            assert list(line.get_ydata()) == [100 - v for v in run[part]]  # error, not accuracy
        assert [l.get_linestyle() for l in lines] == ["--", "-", "--", "-"]
        assert ax.get_ylabel() == "top-1 error (%)"
