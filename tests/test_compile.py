"""--compile: the Torch7 layers trace into one graph (no graph break), in training and evaluation,
batches of one (Torch7's BatchNormalization branch) and more; train/test run compiled."""
import json

import pytest
import torch
from click.testing import CliRunner

from enet_port.cli import main
from enet_port.model.build import build
from enet_port.model.spec import load_spec
from enet_port.train import checkpoints
from enet_port.train.bench import graph_breaks
from enet_port.data.sample_data import make_sample_dataset
from conftest import ROOT

SPECS = ["tests/specs/torch7_layers.json", "tests/specs/tiny.json"]  # v7, v12, resnet18: scripts/graph_breaks.py


@pytest.mark.parametrize("spec", SPECS)
def test_torch7_layers_compile_without_graph_breaks(spec):
    spec = load_spec(ROOT / spec)
    for mode, batch, explained in graph_breaks(build(spec), spec.input):
        assert (explained.graph_count, explained.graph_break_count) == (1, 0), (mode, batch, explained.break_reasons)


@pytest.mark.parametrize("spec", ["specs/v7.json", "specs/resnet18.json", "tests/specs/torch7_layers.json"])
def test_every_container_forward_is_ours_so_module_compile_sees_one_frame(spec):
    """On torch 2.11 (the H100 machine) ``Module.compile()`` does not trace frames in torch's own
    files: with torch's ``nn.Sequential.forward`` V7 compiled as 14 graphs (each block apart,
    past the recompile limit) and trained slower than eager; with a container forward of ours it
    is one graph (BENCHMARKS.md). torch 2.14 here traces both, so the test checks the cause:
    no container of a built model runs a forward from torch's files."""
    for module in build(load_spec(ROOT / spec)).modules():
        if len(module._modules):
            assert type(module).forward.__module__.startswith("enet_port."), type(module)


def test_train_and_test_run_compiled(tmp_path, monkeypatch):
    """The wiring, with dynamo's eager backend (inductor's C++ build takes minutes on two cores;
    BENCHMARKS.md has an inductor run)."""
    compiled = []
    original = torch.nn.Module.compile

    def eager_compile(self, **kwargs):
        compiled.append(type(self).__name__)
        original(self, backend="eager")

    monkeypatch.setattr(torch.nn.Module, "compile", eager_compile)
    data = make_sample_dataset(tmp_path / "samples", 4, 2, size=40)
    small = ["-imageSize", "36", "-cropSize", "32", "-batchSize", "8", "-nClasses", "10", "-nDonkeys", "0",
             "-data", str(data), "-cache", str(tmp_path), "--compile", "--device", "cpu"]
    run = tmp_path / "run"
    result = CliRunner().invoke(main, ["train", str(ROOT / "tests/specs/tiny.json"), *small, "-nEpochs", "1",
                                       "-epochSize", "2", "-LR", "0.01", "--run-dir", str(run)])
    assert result.exit_code == 0, result.output
    saved = checkpoints.load(run / "model_1.pt")["model"]
    assert saved.keys() == build(load_spec(ROOT / "tests/specs/tiny.json"), classes=10,
                                 input_shape=(3, 32, 32)).state_dict().keys()  # no "_orig_mod." prefix
    tested = CliRunner().invoke(main, ["test", str(ROOT / "tests/specs/tiny.json"), *small, "-retrain",
                                       str(run / "model_1.pt"), "--json"])
    assert tested.exit_code == 0, tested.output
    logged = json.loads((run / "metrics.jsonl").read_text().splitlines()[0])
    assert json.loads(tested.stdout)["test_top1"] == logged["test_top1"] and compiled == ["Sequential"] * 2


def test_bench_reports_loaders_real_jpegs_and_compiled_figures(tmp_path, monkeypatch):
    original = torch.nn.Module.compile
    monkeypatch.setattr(torch.nn.Module, "compile", lambda self, **kw: original(self, backend="eager"))
    data = make_sample_dataset(tmp_path / "samples", 4, 2, size=40)
    result = CliRunner().invoke(main, ["bench", str(ROOT / "tests/specs/tiny.json"), "-batchSize", "4", "--steps", "2",
                                       "-data", str(data), "-cache", str(tmp_path), "-nDonkeys", "0", "--compile",
                                       "--device", "cpu", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    for key in ("donkey_images_per_s_per_core", "torchvision_images_per_s_per_core", "train_images_per_s",
                "real_jpeg_train_images_per_s", "train_images_per_s_compiled", "real_jpeg_train_images_per_s_compiled",
                "inference_images_per_s_compiled"):
        assert report[key] > 0, key
    assert report["real_to_synthetic_ratio"] == pytest.approx(report["real_jpeg_train_images_per_s"] /
                                                              report["train_images_per_s"])
    assert report["loader_images"] == 8


def test_loader_figures_leave_pinning_to_the_main_process(tmp_path, monkeypatch):
    """Per core, a donkey decodes and augments; pinning is the main process's work in training
    (and the torchvision loader pins nothing), so the donkeys' figure must not include it."""
    from enet_port.data import bench_data, donkey
    pinned, original = [], donkey.loader
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(donkey, "loader", lambda *a, **kw: pinned.append(original(*a, **kw).pin_memory) or
                        original(*a, **{**kw, "pin_memory": False}))
    data = make_sample_dataset(tmp_path / "samples", 4, 2, size=40)
    report = bench_data.bench_loaders(data, tmp_path, 32, 4, 8, rounds=2)
    assert pinned == [False, False] and report["donkey_images_per_s_per_core"] > 0
