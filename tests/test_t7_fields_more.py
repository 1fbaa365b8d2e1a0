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
from enet_port.t7.reader import T7Error

sys.path.insert(0, str(Path(__file__).parent))
from t7writer import Tensor, dumps, module_object  # noqa: E402
from test_t7_fields import bn, converted, longs, m, t  # noqa: E402

def vconv(name, **extra):
    return m(name, **{"nInputPlane": 2, "nOutputPlane": 4, "kT": 3, "kW": 3, "kH": 3, "dT": 1, "dW": 2, "dH": 2,
                      "weight": t(4, 2, 3, 3, 3), "bias": t(4), "finput": t(0), **extra})


def vfull(name, **extra):
    return vconv(name, **{"ones": t(0), **extra})


def vpool(name, **extra):
    return m(name, **{"kT": 2, "kW": 2, "kH": 2, "dT": 1, "dW": 2, "dH": 2, "padT": 1, "padW": 1, "padH": 1, **extra})


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
    (m("nn.CDivTable"), "nn.CDivTable()"), (m("nn.CMinTable"), "nn.CMinTable()"),
    (m("nn.GradientReversal", **{"lambda": 0.5}), "nn.GradientReversal(0.5)"),
    (m("nn.GradientReversal"), "nn.GradientReversal()"),  # version 1: no lambda (1)
    (m("nn.L1Penalty", l1weight=1e-3, sizeAverage=False, provideOutput=True), "nn.L1Penalty(0.001)"), (m("nn.SpatialLogSoftMax"), "nn.SpatialLogSoftMax()"),
    (m("cudnn.SpatialLogSoftMax", ssm_mode="CUDNN_SOFTMAX_MODE_CHANNEL", algorithm="CUDNN_SOFTMAX_LOG"),
     "cudnn.SpatialLogSoftMax()"),
    (bn("cudnn.BatchNormalization", affine=True, weight=t(4), bias=t(4), nDim=2,
        mode="CUDNN_BATCHNORM_PER_ACTIVATION"), "cudnn.BatchNormalization(4, 0.001)"),
    (m("nn.MM", transA=False, transB=True), "nn.MM(false, true)"),
    (m("nn.DotProduct"), "nn.DotProduct()"),
    (m("nn.PairwiseDistance", norm=1, diff=t(0)), "nn.PairwiseDistance(1)"),
    (m("nn.CosineDistance"), "nn.CosineDistance()"),
    # Euclidean.lua and Cosine.lua store no sizes: the weight's (in x out and out x in) give them
    (m("nn.Euclidean", weight=t(4, 2), gradWeight=t(4, 2), fastBackward=True), "nn.Euclidean(4, 2)"),
    (m("nn.Cosine", weight=t(2, 4), gradWeight=t(2, 4)), "nn.Cosine(4, 2)"),
    (m("nn.Bilinear", weight=t(2, 4, 5), bias=t(2), gradInput=[t(0), t(0)]), "nn.Bilinear(4, 5, 2)"),
    (m("nn.Bilinear", weight=t(2, 4, 5)), "nn.Bilinear(4, 5, 2, false)"),
    (m("nn.MapTable", module=LINEAR, modules=[LINEAR, m("nn.Linear", weight=t(2, 3), bias=t(2))], shared=True,
       sharedparams=["weight", "bias", "gradWeight", "gradBias"]), "nn.MapTable()"),
    (m("nn.Bottle", nInputDim=3, nOutputDim=3, dimDelta=0, inShape=t(3), outShape=t(3), modules=[LINEAR]),
     "nn.Bottle(3)"),
    (m("nn.Bottle", nInputDim=2, nOutputDim=1, dimDelta=1, modules=[LINEAR]), "nn.Bottle(2, 1)"),
    # volumetric: VolumetricConvolution.lua (padW = padW or padT, padH = padH or padW), cudnn's (each or 0)
    (vconv("nn.VolumetricConvolution", padT=1, padW=1, padH=1), "nn.VolumetricConvolution(2, 4, 3, 3, 3, 1, 2, 2, 1)"),
    (vconv("nn.VolumetricConvolution", padT=1, padW=0, padH=0),
     "nn.VolumetricConvolution(2, 4, 3, 3, 3, 1, 2, 2, 1, 0)"),
    (vconv("cudnn.VolumetricConvolution", padT=1, padW=1, padH=1, iSize=longs(0, 0, 0, 0, 0)),
     "cudnn.VolumetricConvolution(2, 4, 3, 3, 3, 1, 2, 2, 1, 1, 1)"),
    (vconv("nn.VolumetricDilatedConvolution", padT=1, padW=1, padH=1, dilationT=2, dilationW=1, dilationH=1),
     "nn.VolumetricDilatedConvolution(2, 4, 3, 3, 3, 1, 2, 2, 1, 1, 1, 2)"),
    (vconv("cudnn.VolumetricDilatedConvolution", padT=0, padW=0, padH=0, dilationT=1, dilationW=2, dilationH=2),
     "cudnn.VolumetricDilatedConvolution(2, 4, 3, 3, 3, 1, 2, 2, 0, 0, 0, 1, 2, 2)"),
    (vfull("nn.VolumetricFullConvolution", padT=0, padW=1, padH=1, adjT=0, adjW=1, adjH=1, weight=t(2, 4, 3, 3, 3)),
     "nn.VolumetricFullConvolution(2, 4, 3, 3, 3, 1, 2, 2, 0, 1, 1, 0, 1, 1)"),
    # a file of the first VolumetricFullConvolution: pads pT, pW, pH and the weight nOut x nIn
    (vfull("nn.VolumetricFullConvolution", pT=1, pW=1, pH=1, weight=t(4, 2, 3, 3, 3)),
     "nn.VolumetricFullConvolution(2, 4, 3, 3, 3, 1, 2, 2, 1, 1, 1)"),
    (vfull("cudnn.VolumetricFullConvolution", padT=0, padW=0, padH=0, adjT=0, adjW=0, adjH=0, weight=t(2, 4, 3, 3, 3)),
     "cudnn.VolumetricFullConvolution(2, 4, 3, 3, 3, 1, 2, 2)"),
    (vpool("nn.VolumetricMaxPooling", indices=t(0), ceil_mode=True),
     "nn.VolumetricMaxPooling(2, 2, 2, 1, 2, 2, 1, 1, 1):ceil()"),
    (m("nn.VolumetricMaxPooling", kT=1, kW=2, kH=2, dT=1, dW=2, dH=2, padT=0, padW=0, padH=0, ceil_mode=False),
     "nn.VolumetricMaxPooling(1, 2, 2)"),
    (vpool("cudnn.VolumetricMaxPooling", ceil_mode=False, mode="CUDNN_POOLING_MAX", iSize=longs(0, 0, 0, 0, 0)),
     "cudnn.VolumetricMaxPooling(2, 2, 2, 1, 2, 2, 1, 1, 1)"),
    # the first VolumetricAveragePooling.lua stores no pads, ceil_mode or count_include_pad
    (m("nn.VolumetricAveragePooling", kT=2, kW=2, kH=2, dT=2, dW=2, dH=2), "nn.VolumetricAveragePooling(2, 2, 2)"),
    (vpool("nn.VolumetricAveragePooling", ceil_mode=False, count_include_pad=False),
     "nn.VolumetricAveragePooling(2, 2, 2, 1, 2, 2, 1, 1, 1):setCountExcludePad()"),
    (vpool("cudnn.VolumetricAveragePooling", ceil_mode=True, mode="CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING"),
     "cudnn.VolumetricAveragePooling(2, 2, 2, 1, 2, 2, 1, 1, 1):ceil()"),
    (bn("nn.VolumetricBatchNormalization", affine=True, weight=t(4), bias=t(4), nDim=5),
     "nn.VolumetricBatchNormalization(4, 0.001)"),
    (bn("cudnn.VolumetricBatchNormalization", affine=False, nDim=5, mode="CUDNN_BATCHNORM_SPATIAL"),
     "cudnn.VolumetricBatchNormalization(4, 0.001, 0.1, false)"),
    (m("nn.VolumetricDropout", p=0.3, noise=t(0), stochastic_inference=False), "nn.VolumetricDropout(0.3)"),
    # cudnn's VolumetricSoftMax.lua keeps only its cudnn.SpatialSoftMax, as ssm
    (m("cudnn.VolumetricSoftMax", ssm=m("cudnn.SpatialSoftMax", mode="CUDNN_SOFTMAX_MODE_CHANNEL",
                                         algorithm="CUDNN_SOFTMAX_ACCURATE")), "cudnn.VolumetricSoftMax()"),
    (m("cudnn.VolumetricLogSoftMax", ssm=m("cudnn.SpatialSoftMax", mode="CUDNN_SOFTMAX_MODE_CHANNEL",
                                            algorithm="CUDNN_SOFTMAX_LOG")), "cudnn.VolumetricLogSoftMax()"),
    # SpatialConvolutionLocal.lua also stores oW and oH; weight oH x oW x nOut x nIn x kH x kW
    (m("nn.SpatialConvolutionLocal", nInputPlane=2, nOutputPlane=3, iW=4, iH=5, kW=2, kH=3, dW=1, dH=2, padW=1, padH=1,
       oW=5, oH=3, weight=t(3, 5, 3, 2, 3, 2), bias=t(3, 3, 5), finput=t(0), fgradInput=t(0)),
     "nn.SpatialConvolutionLocal(2, 3, 4, 5, 2, 3, 1, 2, 1)"),
    (m("nn.SpatialAdaptiveMaxPooling", W=3, H=2, indices=t(0)), "nn.SpatialAdaptiveMaxPooling(3, 2)"),
    # SpatialDilatedMaxPooling.lua: SpatialMaxPooling's fields, then dilationW, dilationH
    (m("nn.SpatialDilatedMaxPooling", kW=3, kH=3, dW=1, dH=1, padW=1, padH=1, dilationW=2, dilationH=2, ceil_mode=False,
       indices=t(0)), "nn.SpatialDilatedMaxPooling(3, 3, 1, 1, 1, 1, 2, 2)"),
    (m("cudnn.ClippedReLU", ceiling=20, inplace=False, mode="CUDNN_ACTIVATION_CLIPPED_RELU"), "cudnn.ClippedReLU(20)"),
    (m("nn.SpatialAdaptiveAveragePooling", W=6, H=6), "nn.SpatialAdaptiveAveragePooling(6, 6)"),
    (m("nn.TemporalSubSampling", inputFrameSize=3, kW=3, dW=2, weight=t(3), bias=t(3)),
     "nn.TemporalSubSampling(3, 3, 2)"),
]


@pytest.mark.parametrize("stored, call", CASES, ids=[f"{i}-{c.split('(')[0]}" for i, (_, c) in enumerate(CASES)])
def test_stored_fields_give_the_lua_call(tmp_path, stored, call):
    assert lua_call(converted(tmp_path, stored)) == call


def test_a_map_table_reads_its_module_not_its_clones(tmp_path):
    tree = converted(tmp_path, CASES[[c for _, c in CASES].index("nn.MapTable()")][0])
    assert [lua_call(c) for c in tree.children] == ["nn.Linear(3, 2)"]


def test_an_unshared_map_table_is_refused_in_one_line(tmp_path):
    stored = m("nn.MapTable", module=LINEAR, modules=[LINEAR, m("nn.Linear", weight=t(2, 3), bias=t(2))], shared=False)
    with pytest.raises(T7Error, match=r"modules\[1\]: nn.MapTable.*own weights") as exc:
        converted(tmp_path, m("nn.Sequential", modules=[stored]))
    assert "\n" not in str(exc.value)


@pytest.mark.parametrize("name", ["nn.Cosine", "nn.Euclidean"])
def test_a_weight_of_the_wrong_rank_is_refused_in_one_line(tmp_path, name):
    """The sizes of these come from the weight's two dims: a 1-D one is named, not a traceback."""
    with pytest.raises(T7Error, match=rf"modules\[1\]: {name}: stored fields do not fit") as exc:
        converted(tmp_path, m("nn.Sequential", modules=[m(name, weight=t(6))]))
    assert "\n" not in str(exc.value)


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


def test_an_old_volumetric_full_convolution_has_its_weight_transposed(tmp_path):
    """VolumetricFullConvolution's backCompatibility: without adjW the stored weight is nOut x nIn."""
    old = np.arange(4 * 2 * 8, dtype=np.float32).reshape(4, 2, 2, 2, 2)
    stored = m("nn.VolumetricFullConvolution", nInputPlane=2, nOutputPlane=4, kT=2, kW=2, kH=2, dT=2, dW=2, dH=2,
               pT=0, pW=0, pH=0, weight=Tensor(old), bias=t(4))
    path = tmp_path / "old.t7"
    path.write_bytes(dumps(m("nn.Sequential", modules=[stored])))
    model = import_t7(path, (2, 1, 2, 2)).model
    layer = next(mod for mod in model.modules() if isinstance(mod, torch.nn.ConvTranspose3d))
    np.testing.assert_array_equal(layer.weight.detach().numpy(), old.swapaxes(0, 1))


def test_a_locally_connected_model_imports_at_its_input_size(tmp_path):
    stored = CASES[[c for _, c in CASES].index("nn.SpatialConvolutionLocal(2, 3, 4, 5, 2, 3, 1, 2, 1)")][0]
    path = tmp_path / "local.t7"
    path.write_bytes(dumps(m("nn.Sequential", modules=[stored])))
    imported = import_t7(path)  # no --input: SpatialConvolutionLocal's iW, iH (4, 5) give it
    assert imported.spec["input"] == [2, 5, 4]
    assert imported.model(torch.zeros(1, 2, 5, 4)).shape == (1, 3, 3, 5)


def test_a_volumetric_model_round_trips_at_c3ds_clip_size(tmp_path):
    """Saved the Torch7 way and imported with no input size: a volumetric convolution first
    implies C3D's 3x16x112x112 clip; the imported model computes what was saved."""
    spec = {"name": "clip", "input": [3, 4, 8, 8], "classifier": [], "features": [
        {"nn.VolumetricConvolution": [3, 4, 3, 3, 3, 1, 1, 1, 1]}, {"nn.VolumetricBatchNormalization": [4]},
        {"nn.VolumetricMaxPooling": [2, 2, 2], "modifiers": [["ceil"]]},
        {"nn.VolumetricFullConvolution": [4, 2, 2, 2, 2, 2, 2, 2]}]}
    torch.manual_seed(0)
    model = build(Spec(str(tmp_path / "clip.json"), spec)).eval()
    path = tmp_path / "clip.t7"
    path.write_bytes(dumps(module_object(model)))
    imported = import_t7(path)
    assert imported.spec["input"] == [3, 16, 112, 112]
    x = torch.randn(2, 3, 4, 8, 8)
    with torch.no_grad():
        torch.testing.assert_close(imported.model(x), model(x), rtol=0, atol=0)
    assert sum(p.numel() for p in imported.model.parameters()) == 4 * 3 * 27 + 4 + 2 * 4 + 4 * 2 * 8 + 2
