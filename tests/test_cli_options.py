"""The option table: one spelling per option on every command, a frozen resolved Opt,
resolution order, and python -m enet_port."""
import dataclasses
import subprocess
import sys

import pytest
import torch
from click.testing import CliRunner

from enet_port.cli import main
from enet_port.train import opts
from conftest import ROOT

TINY = str(ROOT / "tests" / "specs" / "tiny.json")


def flags_of(command):
    return {flag for p in main.commands[command].params for flag in p.opts}


def test_every_option_is_spelled_the_same_on_every_command_that_has_it():
    for option in opts.OPTIONS:
        having = [c for c in ("train", "test", "bench", "schedule") if c in option.commands]
        assert having, option.name
        for command in having:
            assert option.flag in flags_of(command), (option.flag, command)
    assert "-batchSize" in flags_of("bench") and "-data" in flags_of("bench")


def test_resolved_options_are_frozen_and_follow_the_precedence():
    opt = opts.resolve({"data": "/d", "batchSize": 64}, {"batchSize"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        opt.batchSize = 1
    fb = opts.with_recipe(opt, "fb.resnet.torch", {"batchSize"})
    assert (fb.batchSize, fb.nEpochs, fb.LR, fb.weightDecay, fb.pipeline) == (64, 90, 0.1, 1e-4, "fb")
    sample = opts.with_recipe(opts.resolve({}, set()), "fb.resnet.torch", set())
    assert (sample.batchSize, sample.nEpochs, sample.pipeline) == (32, 4, "fb")  # the demo's sizes win
    assert opts.with_recipe(opt, "exp-v7", set()).pipeline == "lua"


def test_bench_takes_the_lua_spelling():
    result = CliRunner().invoke(main, ["bench", TINY, "-batchSize", "2", "--steps", "1", "--device", "cpu", "--json"])
    assert result.exit_code == 0, result.output
    assert '"batch_size": 2' in result.stdout


def test_python_dash_m_runs_the_cli():
    done = subprocess.run([sys.executable, "-m", "enet_port", "schedule", TINY, "-nEpochs", "2", "--json"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith('[{"epoch": 1')


def test_a_spec_image_size_overrides_the_option(tmp_path):
    import json
    from enet_port.model.spec import load_spec
    from enet_port.train.session import model_image_size
    spec = json.loads(open(TINY).read())
    spec["imageSize"] = 40
    path = tmp_path / "sized.json"
    path.write_text(json.dumps(spec))
    said = []
    opt = model_image_size(load_spec(path), opts.resolve({"imageSize": 36}, {"imageSize"}), {"imageSize"}, said.append)
    assert opt.imageSize == 40 and "overrides -imageSize 36" in said[0]
    assert model_image_size(load_spec(TINY), opt, set(), said.append).imageSize == 40  # no imageSize: kept


@pytest.mark.parametrize("backend, want", [("cudnn", True), ("cunn", False), ("nn", False)])
def test_backend_sets_cudnn_benchmark_for_train_test_and_bench(monkeypatch, backend, want):
    """bench measures what a run gets: all three commands pick their device through pick_device,
    which applies -backend (CUDA faked: only the flag is checked)."""
    from enet_port.train import session
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "set_device", lambda device: None)
    monkeypatch.setattr(torch.backends.cudnn, "benchmark", not want)
    for command in ("train", "test", "bench"):
        assert "-backend" in flags_of(command)
        opt = opts.resolve({"backend": backend, "device": "cuda"}, {"backend"}, command)
        assert session.pick_device(opt).device.type == "cuda"
        assert torch.backends.cudnn.benchmark is want, command
    session.use_backend("cudnn", torch.device("cpu"))
    assert torch.backends.cudnn.benchmark is False
