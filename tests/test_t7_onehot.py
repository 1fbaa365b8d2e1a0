"""A char-rnn checkpoint whose network starts with a one-hot encoding: char-rnn's own class
``OneHot`` (util/OneHot.lua: fields outputSize and a cached identity _eye) and dpnn's
``nn.OneHot`` both import as nn.OneHot (t7/convert.py's ALIASES), whose graph input takes one
index per sample, chosen without --input. Files written with tests/t7writer.py; the forward is
checked against the same step written here in PyTorch."""
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from enet_port.cli import main
from enet_port.t7.load import import_t7

sys.path.insert(0, str(Path(__file__).parent))
from t7writer import Object, Tensor, dumps, gmodule_object  # noqa: E402

N, H = 5, 4


def module(name, **fields):
    return Object(name, {"train": False, "output": Tensor(np.zeros(0)), **fields})


def linear(rng, n_in, n_out):
    weight, bias = rng.standard_normal((n_out, n_in)), rng.standard_normal(n_out)
    return module("nn.Linear", weight=Tensor(weight), bias=Tensor(bias)), (torch.tensor(weight, dtype=torch.float32),
                                                                           torch.tensor(bias, dtype=torch.float32))


def checkpoint(one_hot_class, rng):
    """{protos = {rnn = gModule({x, h}, {LogSoftMax(CAddTable({Linear(OneHot(x)), Linear(h)}))}), criterion}}"""
    (lx, wx), (lh, wh) = linear(rng, N, H), linear(rng, H, H)
    one_hot = module(one_hot_class, outputSize=N, _eye=Tensor(np.eye(N)))
    modules = [module("nn.Identity"), module("nn.Identity"), one_hot, lx, lh, module("nn.CAddTable", inplace=False),
               module("nn.LogSoftMax")]
    rnn = gmodule_object(modules, [[], [], [0], [2], [1], [3, 4], [5]], inputs=[0, 1], outputs=[6])
    protos = {"rnn": rnn, "criterion": Object("nn.ClassNLLCriterion", {"sizeAverage": True})}
    return {"protos": protos, "opt": {"rnn_size": H, "model": "lstm"}, "vocab": {"a": 1, "b": 2}}, (wx, wh)


@pytest.mark.parametrize("one_hot_class", ["OneHot", "nn.OneHot"])
def test_a_one_hot_checkpoint_imports_with_index_inputs_and_computes_the_step(tmp_path, one_hot_class):
    path = tmp_path / "lm_lstm_epoch1.00_2.0000.t7"
    saved, ((w1, b1), (w2, b2)) = checkpoint(one_hot_class, np.random.default_rng(0))
    path.write_bytes(dumps(saved))
    imported = import_t7(path)
    assert imported.spec["input"] == [[], [H]]
    ids, h = torch.tensor([2.0, 5.0, 1.0]), torch.randn(3, H)
    x = torch.nn.functional.one_hot(ids.long() - 1, N).float()
    expected = torch.log_softmax(x @ w1.T + b1 + h @ w2.T + b2, 1)
    torch.testing.assert_close(imported.model([ids, h]), expected)


def test_import_t7_writes_the_spec_and_summary_reads_it(tmp_path):
    path = tmp_path / "cp.t7"
    path.write_bytes(dumps(checkpoint("OneHot", np.random.default_rng(1))[0]))
    out = tmp_path / "cp.json"
    result = CliRunner().invoke(main, ["import-t7", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    summary = CliRunner().invoke(main, ["summary", str(out)])
    assert summary.exit_code == 0 and f"{N * H + H + H * H + H:,}" in summary.output, summary.output
