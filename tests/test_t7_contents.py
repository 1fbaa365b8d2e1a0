"""Files named .t7/.net that are not one model (issue 19): each refused in one line saying what it
holds (a tensor, a table of data, a criterion, a Git LFS pointer, a PyTorch zip or pickle, another
library's text format); a checkpoint table holding exactly one model imports as that model."""
import pickle
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from enet_port.cli import main
from enet_port.t7.load import import_t7

sys.path.insert(0, str(Path(__file__).parent))
from t7raw import dumps_raw  # noqa: E402
from t7writer import Object, Tensor, dumps  # noqa: E402

LINEAR = Object("nn.Linear", {"weight": Tensor(np.arange(6.0).reshape(2, 3)), "bias": Tensor(np.array([1.0, -1.0])),
                              "output": Tensor(np.zeros(0)), "train": False})
LFS = b"version https://git-lfs.github.com/spec/v1\noid sha256:" + b"ab" * 32 + b"\nsize 710880814\n"


def _zip_bytes(tmp_path):
    path = tmp_path / "z.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", b"")
    return path.read_bytes()


CASES = [
    ("tensor.t7", lambda tmp: dumps(Tensor(np.ones((3, 4)))), "not a model but a tensor 3x4 (float32)"),
    ("data.t7", lambda tmp: dumps({"data": Tensor(np.ones((2, 1, 4, 4))), "labels": Tensor(np.ones(2))}),
     "not a model but a Lua table of 2 entries (data: a tensor 2x1x4x4, labels: a tensor 2)"),
    ("data-ascii.t7", lambda tmp: dumps_raw({"labels": Tensor(np.ones(5))}, ascii=True),
     "not a model but a Lua table of 1 entry (labels: a tensor 5)"),
    ("criterion.t7", lambda tmp: dumps(Object("nn.ClassNLLCriterion", {"sizeAverage": True})),
     "not a model but a criterion (nn.ClassNLLCriterion)"),
    ("two.t7", lambda tmp: dumps({"encoder": LINEAR, "decoder": Object("nn.ReLU", {})}),
     "a Lua table holding 2 modules (encoder: nn.Linear, decoder: nn.ReLU), not one model"),
    ("lfs.t7", lambda tmp: LFS, "not a Torch7 file but a Git LFS pointer"),
    ("pytorch.t7", _zip_bytes, "not a Torch7 file but a zip archive (PyTorch's torch.save since 1.6"),
    ("pickle.t7", lambda tmp: pickle.dumps({"a": 1}, protocol=2), "not a Torch7 file but a Python pickle"),
    ("fann.net", lambda tmp: b"FANN_FLO_2.1\nnum_layers=3\n", "not a Torch7 file but a FANN network"),
    ("notes.net", lambda tmp: b"layer sizes: 4 7 2\n",
     "not a Torch7 file but a text file that is not Torch7's ASCII format (it begins 'layer sizes: 4 7 2')"),
]


@pytest.mark.parametrize("name, content, message", CASES, ids=[c[0] for c in CASES])
def test_what_is_not_one_model_is_refused_in_one_line(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content(tmp_path))
    result = CliRunner().invoke(main, ["import-t7", str(path), "-o", str(tmp_path / "out.json")])
    assert result.exit_code == 2, result.output
    assert result.stderr == f"enet-port: {path}: {message}" + result.stderr.split(message, 1)[1], result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "out.json").exists()


def test_a_checkpoint_table_with_one_model_imports_that_model(tmp_path):
    path = tmp_path / "checkpoint.t7"
    path.write_bytes(dumps({"epoch": 7, "model": LINEAR, "optimState": {"learningRate": 0.1}}))
    model = import_t7(path, (3,)).model
    x = torch.tensor([[1.0, 2.0, 3.0]])
    assert model(x).tolist() == [[0 + 2 + 6 + 1.0, 3 + 8 + 15 - 1.0]]  # weight rows (0,1,2), (3,4,5); bias (1,-1)
