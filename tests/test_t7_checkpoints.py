"""Training checkpoints that keep the model inside tables (issue 19, trained files people have):
char-rnn's ``torch.save`` of ``{protos = {rnn = ..., criterion = ...}, opt = ..., vocab = ...}``
imports its one network; several networks are refused in one line naming their places."""
import sys
from pathlib import Path

import numpy as np
import torch
from click.testing import CliRunner

from enet_port.cli import main
from enet_port.t7.load import import_t7

sys.path.insert(0, str(Path(__file__).parent))
from t7writer import Object, Tensor, dumps  # noqa: E402

LINEAR = Object("nn.Linear", {"weight": Tensor(np.arange(6.0).reshape(2, 3)), "bias": Tensor(np.array([1.0, -1.0])),
                              "output": Tensor(np.zeros(0)), "train": False})
CRITERION = Object("nn.ClassNLLCriterion", {"sizeAverage": True})


def checkpoint(protos):
    return {"protos": protos, "opt": {"rnn_size": 128, "num_layers": 2}, "vocab": {"a": 1, "b": 2},
            "epoch": 30.0, "val_losses": {1: 2.5, 2: 1.9}}


def test_the_network_of_a_char_rnn_style_checkpoint_is_imported(tmp_path):
    path = tmp_path / "lm_lstm_epoch30.00_1.2000.t7"
    path.write_bytes(dumps(checkpoint({"rnn": LINEAR, "criterion": CRITERION})))
    model = import_t7(path, (3,)).model
    x = torch.tensor([[1.0, 2.0, 3.0]])
    assert model(x).tolist() == [[0 + 2 + 6 + 1.0, 3 + 8 + 15 - 1.0]]  # rows (0,1,2), (3,4,5); bias (1,-1)


def test_a_nested_model_is_named_by_its_place_in_errors(tmp_path):
    path = tmp_path / "cp.t7"
    path.write_bytes(dumps(checkpoint({"rnn": Object("nn.NotAModuleTorchHas", {}), "criterion": CRITERION})))
    result = CliRunner().invoke(main, ["import-t7", str(path), "-o", str(tmp_path / "out.json")])
    assert result.exit_code == 2
    assert "protos.rnn" in result.stderr and "nn.NotAModuleTorchHas" in result.stderr, result.stderr


def test_a_checkpoint_with_two_networks_is_refused_naming_both(tmp_path):
    path = tmp_path / "captioner.t7"
    path.write_bytes(dumps(checkpoint({"cnn": LINEAR, "lm": Object("nn.ReLU", {})})))
    result = CliRunner().invoke(main, ["import-t7", str(path), "-o", str(tmp_path / "out.json")])
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "a Lua table holding 2 modules (protos.cnn: nn.Linear, protos.lm: nn.ReLU), not one model" in result.stderr
    assert not (tmp_path / "out.json").exists()
