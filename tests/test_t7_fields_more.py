"""The ``.t7`` field cases of the records added in issue 19 round two (point-wise, CMul/CAdd,
dimension and pair modules, MapTable, Bottle, volumetric ones), written as torch/nn's and
cudnn.torch's ``__init`` leave them (field names from the Lua sources, never from the records);
``tests/test_t7_fields.py`` counts these cases in its every-record check."""
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from enet_port.model.build import build
from enet_port.model.spec import Spec
from enet_port.model.tree import lua_call
from enet_port.t7.load import import_t7

sys.path.insert(0, str(Path(__file__).parent))
from t7writer import Storage, Tensor, dumps, module_object  # noqa: E402
from test_t7_fields import bn, converted, longs, m, t  # noqa: E402

LINEAR = m("nn.Linear", weight=t(2, 3), bias=t(2))
CASES = [
    (m("nn.Exp"), "nn.Exp()"), (m("nn.Log"), "nn.Log()"), (m("nn.SoftSign"), "nn.SoftSign()"),
    (m("nn.LogSigmoid", buffer=t(0)), "nn.LogSigmoid()"), (m("nn.SoftMin"), "nn.SoftMin()"),
    (m("nn.SoftPlus", beta=2, threshold=20), "nn.SoftPlus(2)"),  # SoftPlus.lua: threshold is always 20
    (m("nn.HardShrink", **{"lambda": 0.3}), "nn.HardShrink(0.3)"),
    (m("nn.SoftShrink", **{"lambda": 0.5}), "nn.SoftShrink()"),
    (m("nn.RReLU", lower=0.1, upper=0.3, inplace=False, channelwise=False, noise=t(0)), "nn.RReLU(0.1, 0.3)"),
    (m("nn.RReLU", lower=1 / 8, upper=1 / 3, inplace=True, noise=t(0)), "nn.RReLU(0.125, 0.3333333333333333, true)"),
    (m("nn.CMul", size=longs(3, 4), weight=t(3, 4), gradWeight=t(3, 4)), "nn.CMul(3, 4)"),
    (m("nn.CAdd", size=longs(1, 3, 1, 1), bias=t(1, 3, 1, 1), gradBias=t(1, 3, 1, 1)), "nn.CAdd(1, 3, 1, 1)"),
    (m("nn.Contiguous"), "nn.Contiguous()"),
    (m("nn.Unsqueeze", pos=2, numInputDims=3), "nn.Unsqueeze(2, 3)"), (m("nn.Unsqueeze", pos=1), "nn.Unsqueeze(1)"),
    (m("nn.Replicate", nfeatures=4, dim=2, ndim=1), "nn.Replicate(4, 2, 1)"),
    (m("nn.Replicate", nfeatures=4), "nn.Replicate(4)"),  # the first Replicate.lua: no dim field
    (m("nn.Select", dimension=2, index=-1), "nn.Select(2, -1)"),
    (m("nn.Max", dimension=2, nInputDims=2), "nn.Max(2, 2)"),
    (m("nn.Min", dimension=1, _indices=Tensor(np.zeros(0), "torch.LongTensor")), "nn.Min()"),
    (m("nn.CDivTable"), "nn.CDivTable()"), (m("nn.SpatialLogSoftMax"), "nn.SpatialLogSoftMax()"),
    (m("cudnn.SpatialLogSoftMax", ssm_mode="CUDNN_SOFTMAX_MODE_CHANNEL", algorithm="CUDNN_SOFTMAX_LOG"),
     "cudnn.SpatialLogSoftMax()"),
    (bn("cudnn.BatchNormalization", affine=True, weight=t(4), bias=t(4), nDim=2,
        mode="CUDNN_BATCHNORM_PER_ACTIVATION"), "cudnn.BatchNormalization(4, 0.001)"),
    (m("nn.MM", transA=False, transB=True), "nn.MM(false, true)"),
    (m("nn.DotProduct"), "nn.DotProduct()"),
    (m("nn.PairwiseDistance", norm=1, diff=t(0)), "nn.PairwiseDistance(1)"),
    (m("nn.CosineDistance"), "nn.CosineDistance()"),
    (m("nn.MapTable", module=LINEAR, modules=[LINEAR, m("nn.Linear", weight=t(2, 3), bias=t(2))], shared=True,
       sharedparams=["weight", "bias", "gradWeight", "gradBias"]), "nn.MapTable()"),
    (m("nn.Bottle", nInputDim=3, nOutputDim=3, dimDelta=0, inShape=t(3), outShape=t(3), modules=[LINEAR]),
     "nn.Bottle(3)"),
    (m("nn.Bottle", nInputDim=2, nOutputDim=1, dimDelta=1, modules=[LINEAR]), "nn.Bottle(2, 1)"),
]


@pytest.mark.parametrize("stored, call", CASES, ids=[f"{i}-{c.split('(')[0]}" for i, (_, c) in enumerate(CASES)])
def test_stored_fields_give_the_lua_call(tmp_path, stored, call):
    assert lua_call(converted(tmp_path, stored)) == call


def test_a_map_table_reads_its_module_not_its_clones(tmp_path):
    tree = converted(tmp_path, CASES[[c for _, c in CASES].index("nn.MapTable()")][0])
    assert [lua_call(c) for c in tree.children] == ["nn.Linear(3, 2)"]


def test_a_model_of_the_new_records_round_trips(tmp_path):
    spec = {"name": "recs", "input": [3, 4, 4], "classifier": [], "features": [
        {"nn.CMul": [3, 4, 4]}, {"nn.CAdd": [1, 3, 1, 1]}, {"nn.SoftPlus": [2]}, {"nn.RReLU": []},
        {"nn.Replicate": [2, 2]}, {"nn.SplitTable": [2]},
        {"nn.MapTable": [], "children": [{"nn.View": [-1, 48]}]},
        {"nn.CosineDistance": []}, {"nn.Unsqueeze": [2]}, {"nn.Bottle": [], "children": [{"nn.Linear": [1, 2]}]}]}
    torch.manual_seed(0)
    model = build(Spec(str(tmp_path / "recs.json"), spec)).eval()
    path = tmp_path / "recs.t7"
    path.write_bytes(dumps(module_object(model)))
    imported = import_t7(path, (3, 4, 4))  # nothing before CMul says the input's size
    x = torch.randn(2, 3, 4, 4)
    with torch.no_grad():
        y = model(x)
        torch.testing.assert_close(imported.model(x), y, rtol=0, atol=0)
    assert y.shape == (2, 2) and imported.spec["input"] == [3, 4, 4]
    assert sum(p.numel() for p in imported.model.parameters()) == 48 + 3 + 1 * 2 + 2
