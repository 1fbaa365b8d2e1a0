"""What a run takes from its spec and how it names itself (issue 22, items 3 and 8)."""
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from enet_port.cli import main
from enet_port.data.sample_data import make_sample_dataset
from enet_port.model.spec import load_spec
from enet_port.train import opts
from enet_port.train.runfolder import new_run_dir
from enet_port.train.session import spec_input_size
from conftest import ROOT

TINY = ROOT / "tests" / "specs" / "tiny.json"


def test_the_spec_input_size_gives_crop_and_image_size(tmp_path):
    data = make_sample_dataset(tmp_path / "data", 2, 1, size=40)
    result = CliRunner().invoke(main, ["train", str(TINY), "-data", str(data), "-nClasses", "10", "-nEpochs", "1",
                                       "-epochSize", "1", "-batchSize", "4", "-nDonkeys", "0", "-cache", str(tmp_path),
                                       "--run-dir", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    saved = json.loads((tmp_path / "run" / "options.json").read_text())
    assert (saved["cropSize"], saved["imageSize"]) == (32, 37)  # 32 * 256 / 224 = 36.57


@pytest.mark.parametrize("given, want", [((), (32, 37)), (("imageSize",), (32, 48)), (("cropSize",), (224, 48))])
def test_given_sizes_win_over_the_spec(given, want):
    opt = opts.resolve({"imageSize": 48}, set(given))
    opt = spec_input_size(load_spec(TINY), opt, set(given))
    assert (opt.cropSize, opt.imageSize) == want


def test_the_built_in_specs_keep_the_lua_defaults():
    opt = opts.resolve({})
    for spec in sorted((ROOT / "specs").glob("*.json")):
        same = spec_input_size(load_spec(spec), opt, set())
        assert (same.cropSize, same.imageSize) == (224, 256), spec.name


def test_ngpu_names_the_run_folder_as_one_process_does(tmp_path):
    spec = load_spec(ROOT / "specs" / "v7.json")
    given = {"LR": 0.01, "batchSize": 16, "cache": str(tmp_path)}
    one = new_run_dir(spec, opts.resolve(given, set(given)), set(given))
    two = new_run_dir(spec, opts.resolve({**given, "nGPU": 2, "nDonkeys": 8}, {*given, "nGPU", "nDonkeys"}),
                      {*given, "nGPU", "nDonkeys"})
    assert one.parent == two.parent == tmp_path / "v7,LR=0.01,batchSize=16"  # Lua's cmd:string of the options


def test_bench_help_says_what_an_unset_data_does():
    text = " ".join(CliRunner().invoke(main, ["bench", "--help"]).output.split())
    assert "bench times synthetic tensors only" in text
