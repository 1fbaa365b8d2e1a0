"""Every record's ``.t7`` field mapping against torch/nn's own field names.

Each case is a module as torch/nn's ``__init`` (and the methods named) leaves it: the field names
and values are written here from the Lua sources (``Reshape.lua``: ``self.size``, a LongStorage,
and ``self.batchMode``; ``Narrow.lua``: ``self.index = offset``; ``SpatialConvolution.lua``'s
``backCompatibility``: an old ``padding``; ...), never from the records, then saved with
tests/t7writer.py, read back through ``read_t7`` and converted: the Lua call the importer
recovers must be the one that built the module.
"""
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from enet_port.model import connection_tables as tables
from enet_port.model import registry
from enet_port.model.build import build
from enet_port.model.spec import Spec
from enet_port.model.tree import lua_call
from enet_port.t7.convert import convert
from enet_port.t7.load import import_t7
from enet_port.t7.reader import T7Error, read_t7

sys.path.insert(0, str(Path(__file__).parent))
from t7writer import Object, Storage, Tensor, dumps, module_object  # noqa: E402


def t(*shape):
    return Tensor(np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape) / 10)


def longs(*values):
    return Storage(np.array(values, dtype=np.int64))


def m(name, **fields):
    return Object(name, {"train": True, "output": Tensor(np.zeros(0)), "gradInput": Tensor(np.zeros(0)), **fields})


def conv(name, **extra):
    return m(name, **{"nInputPlane": 3, "nOutputPlane": 8, "kW": 3, "kH": 5, "dW": 1, "dH": 2,
                      "weight": t(8, 3, 5, 3), "bias": t(8), **extra})


def bn(name, **extra):
    return m(name, **{"eps": 1e-3, "momentum": 0.1, "running_mean": t(4), "running_var": Tensor(np.ones(4)), **extra})


def pool(name, **extra):
    return m(name, **{"kW": 3, "kH": 3, "dW": 2, "dH": 2, "padW": 1, "padH": 1, "ceil_mode": True, **extra})


LEAF = m("nn.Identity")
# (stored module, the Lua call that made it)
CASES = [
    (conv("nn.SpatialConvolution", padW=1, padH=1), "nn.SpatialConvolution(3, 8, 3, 5, 1, 2, 1)"),
    (conv("nn.SpatialConvolution", padW=1, padH=0), "nn.SpatialConvolution(3, 8, 3, 5, 1, 2, 1, 0)"),
    (conv("nn.SpatialConvolution", padding=2), "nn.SpatialConvolution(3, 8, 3, 5, 1, 2, 2)"),  # before padW/padH
    (conv("nn.SpatialConvolution", padW=0, padH=0, bias=None), "nn.SpatialConvolution(3, 8, 3, 5, 1, 2):noBias()"),
    (conv("cudnn.SpatialConvolution", padW=1, padH=1, groups=1), "cudnn.SpatialConvolution(3, 8, 3, 5, 1, 2, 1, 1)"),
    (m("cudnn.SpatialConvolution", nInputPlane=4, nOutputPlane=8, kW=1, kH=1, dW=1, dH=1, padW=0, padH=0, groups=2,
       weight=t(8, 2, 1, 1), bias=t(8)), "cudnn.SpatialConvolution(4, 8, 1, 1, 1, 1, 0, 0, 2)"),
    (conv("nn.SpatialDilatedConvolution", padW=2, padH=2, dilationW=2, dilationH=3),
     "nn.SpatialDilatedConvolution(3, 8, 3, 5, 1, 2, 2, 2, 2, 3)"),
    (conv("cudnn.SpatialDilatedConvolution", padW=2, padH=2, dilationW=2, dilationH=2, groups=1),
     "cudnn.SpatialDilatedConvolution(3, 8, 3, 5, 1, 2, 2, 2, 2, 2)"),
    (m("nn.SpatialConvolutionMM", nInputPlane=3, nOutputPlane=8, kW=3, kH=3, dW=1, dH=1, padW=1, padH=1,
       weight=t(8, 27), bias=t(8), finput=t(0)), "nn.SpatialConvolutionMM(3, 8, 3, 3, 1, 1, 1)"),
    (pool("nn.SpatialMaxPooling", indices=t(0)), "nn.SpatialMaxPooling(3, 3, 2, 2, 1, 1):ceil()"),
    (m("nn.SpatialMaxPooling", kW=2, kH=2, dW=2, dH=2), "nn.SpatialMaxPooling(2, 2)"),  # before padW and ceil_mode
    (pool("cudnn.SpatialMaxPooling", mode="CUDNN_POOLING_MAX"), "cudnn.SpatialMaxPooling(3, 3, 2, 2, 1, 1):ceil()"),
    (pool("nn.SpatialAveragePooling", divide=True, count_include_pad=False),
     "nn.SpatialAveragePooling(3, 3, 2, 2, 1, 1):ceil():setCountExcludePad()"),
    (m("nn.SpatialAveragePooling", kW=7, kH=7, dW=1, dH=1, padW=0, padH=0, ceil_mode=False, divide=True,
       count_include_pad=True), "nn.SpatialAveragePooling(7, 7)"),
    (pool("cudnn.SpatialAveragePooling", count_include_pad=True), "cudnn.SpatialAveragePooling(3, 3, 2, 2, 1, 1):ceil()"),
    (bn("nn.SpatialBatchNormalization", affine=True, weight=t(4), bias=t(4)), "nn.SpatialBatchNormalization(4, 0.001)"),
    (bn("cudnn.SpatialBatchNormalization", affine=False, momentum=0.2), "cudnn.SpatialBatchNormalization(4, 0.001, 0.2, false)"),
    (bn("nn.BatchNormalization", weight=t(4), bias=t(4)), "nn.BatchNormalization(4, 0.001)"),  # no affine: older nn
    (bn("nn.BatchNormalization"), "nn.BatchNormalization(4, 0.001, 0.1, false)"),
    (m("nn.ReLU", threshold=0, val=0, inplace=True), "nn.ReLU(true)"),
    (m("cudnn.ReLU", inplace=False, mode="CUDNN_ACTIVATION_RELU"), "cudnn.ReLU()"),
    (m("nn.LogSoftMax"), "nn.LogSoftMax()"),
    (m("cudnn.LogSoftMax", mode="CUDNN_SOFTMAX_MODE_INSTANCE", algorithm="CUDNN_SOFTMAX_LOG"), "cudnn.LogSoftMax()"),
    (m("nn.PReLU", nOutputPlane=4, weight=t(4)), "nn.PReLU(4)"),
    (m("nn.SpatialDropout", p=0.2, noise=t(0), stochastic_inference=True), "nn.SpatialDropout(0.2, true)"),
    (m("nn.Dropout", p=0.3, v2=True, inplace=False, stochastic_inference=False, noise=t(0)), "nn.Dropout(0.3)"),
    (m("nn.Dropout", p=0.3, noise=t(0)), "nn.Dropout(0.3, true)"),  # no v2: a file from before v2
    (LEAF, "nn.Identity()"),
    (m("nn.Padding", dim=2, pad=-1, nInputDim=3, value=0.5, index=1), "nn.Padding(2, -1, 3, 0.5)"),
    (m("nn.JoinTable", dimension=2, nInputDims=3, size=longs()), "nn.JoinTable(2, 3)"),
    (m("nn.CAddTable", inplace=True), "nn.CAddTable(true)"),
    (m("nn.View", size=longs(-1, 16), numElements=16, numInputDims=3), "nn.View(-1, 16):setNumInputDims(3)"),
    (m("nn.Linear", weight=t(5, 7), bias=t(5)), "nn.Linear(7, 5)"),
    (m("nn.Linear", weight=t(5, 7)), "nn.Linear(7, 5, false)"),
    (m("nn.Threshold", threshold=0.5, val=-1, inplace=False), "nn.Threshold(0.5, -1)"),
    (m("nn.ReLU6", inplace=False), "nn.ReLU6()"),
    (m("nn.HardTanh", min_val=-2, max_val=0.5, inplace=False), "nn.HardTanh(-2, 0.5)"),
    (m("nn.Clamp", min_val=0, max_val=6, inplace=False), "nn.Clamp(0, 6)"),
    (m("nn.LeakyReLU", negval=0.2, inplace=True), "nn.LeakyReLU(0.2, true)"),
    (m("nn.ELU", alpha=0.5, inplace=False), "nn.ELU(0.5)"),
    (m("nn.Tanh"), "nn.Tanh()"), (m("nn.Sigmoid"), "nn.Sigmoid()"),
    (m("cudnn.Tanh", inplace=True), "cudnn.Tanh(true)"), (m("cudnn.Sigmoid", inplace=False), "cudnn.Sigmoid()"),
    (m("nn.SoftMax"), "nn.SoftMax()"), (m("nn.SpatialSoftMax"), "nn.SpatialSoftMax()"),
    (m("cudnn.SoftMax", mode="CUDNN_SOFTMAX_MODE_INSTANCE", algorithm="CUDNN_SOFTMAX_ACCURATE"), "cudnn.SoftMax()"),
    (m("cudnn.SpatialSoftMax", mode="CUDNN_SOFTMAX_MODE_CHANNEL", algorithm="CUDNN_SOFTMAX_ACCURATE"),
     "cudnn.SpatialSoftMax()"),
    (m("nn.MulConstant", constant_scalar=0.5, inplace=False), "nn.MulConstant(0.5)"),
    (m("nn.AddConstant", constant_scalar=-2, inplace=True), "nn.AddConstant(-2, true)"),
    (m("nn.Mul", weight=t(1)), "nn.Mul()"),
    (m("nn.Add", bias=t(6), scalar=False), "nn.Add(6)"),  # Add.lua keeps inputSize only as #bias
    (m("nn.Add", bias=t(1), scalar=True), "nn.Add(1, true)"),
    (m("nn.Normalize", p=2, eps=1e-10), "nn.Normalize(2)"),
    (m("nn.SpatialCrossMapLRN", size=5, alpha=2e-4, beta=0.75, k=2, scale=t(0)), "nn.SpatialCrossMapLRN(5, 0.0002, 0.75, 2)"),
    (m("cudnn.SpatialCrossMapLRN", size=3, alpha=1e-4, beta=0.75, k=1), "cudnn.SpatialCrossMapLRN(3)"),
    (m("inn.SpatialCrossResponseNormalization", size=5, alpha=1e-4, beta=0.5, k=1),
     "inn.SpatialCrossResponseNormalization(5, 0.0001, 0.5)"),
    (m("nn.SpatialUpSamplingNearest", scale_factor=2), "nn.SpatialUpSamplingNearest(2)"),
    (m("nn.SpatialUpSamplingBilinear", scale_factor=3), "nn.SpatialUpSamplingBilinear(3)"),
    (m("nn.SpatialZeroPadding", pad_l=1, pad_r=2, pad_t=3, pad_b=4), "nn.SpatialZeroPadding(1, 2, 3, 4)"),
    (m("nn.SpatialReflectionPadding", pad_l=1, pad_r=1, pad_t=1, pad_b=1), "nn.SpatialReflectionPadding(1)"),
    (m("nn.SpatialReplicationPadding", pad_l=2, pad_r=0, pad_t=2, pad_b=2), "nn.SpatialReplicationPadding(2, 0)"),
    (m("nn.Reshape", size=longs(4, 6), batchsize=longs(1, 4, 6), nelement=24), "nn.Reshape(4, 6)"),
    (m("nn.Reshape", size=longs(24), batchsize=longs(1, 24), nelement=24, batchMode=True), "nn.Reshape(24, true)"),
    (m("nn.Narrow", dimension=2, index=3, length=4), "nn.Narrow(2, 3, 4)"),
    (m("nn.Sum", dimension=2, nInputDims=3, sizeAverage=True, squeeze=False), "nn.Sum(2, 3, true, false)"),
    (m("nn.Mean", dimension=2, nInputDims=3, sizeAverage=True, squeeze=True), "nn.Mean(2, 3)"),
    (m("nn.Squeeze", dim=2, numInputDims=3), "nn.Squeeze(2, 3)"),
    (m("nn.Transpose", permutations=[[2, 3], [3, 4]]), "nn.Transpose({2, 3}, {3, 4})"),
    (m("nn.Transpose", permutations=[[1, 2]], numInputDims=2), "nn.Transpose({1, 2}):setNumInputDims(2)"),
    (m("nn.Copy", dontCast=True), "nn.Copy(nil, nil, nil, true)"),
    (m("nn.CMulTable"), "nn.CMulTable()"), (m("nn.CSubTable"), "nn.CSubTable()"), (m("nn.CMaxTable"), "nn.CMaxTable()"),
    (m("nn.SelectTable", index=-1), "nn.SelectTable(-1)"),
    (m("nn.NarrowTable", offset=2, length=3), "nn.NarrowTable(2, 3)"),
    (m("nn.FlattenTable", input_map={}), "nn.FlattenTable()"),
    (m("nn.ParallelTable", modules=[LEAF]), "nn.ParallelTable()"),
    (m("nn.Parallel", inputDimension=2, outputDimension=3, modules=[LEAF]), "nn.Parallel(2, 3)"),
    (m("nn.DepthConcat", dimension=2, size=longs(), modules=[LEAF]), "nn.DepthConcat(2)"),
    (m("nn.Concat", dimension=2, size=longs(), modules=[LEAF]), "nn.Concat(2)"),
    (m("nn.ConcatTable", modules=[LEAF]), "nn.ConcatTable()"),
    (m("nn.Sequential", modules=[LEAF]), "nn.Sequential()"),
    (m("nn.SpatialFullConvolution", nInputPlane=4, nOutputPlane=2, kW=3, kH=3, dW=2, dH=2, padW=1, padH=1,
       adjW=1, adjH=1, weight=t(4, 2, 3, 3), bias=t(2)), "nn.SpatialFullConvolution(4, 2, 3, 3, 2, 2, 1, 1, 1, 1)"),
    (m("nn.SpatialFullConvolution", nInputPlane=4, nOutputPlane=2, kW=2, kH=2, dW=2, dH=2, padW=0, padH=0,
       weight=t(4, 2, 2, 2), bias=t(2)), "nn.SpatialFullConvolution(4, 2, 2, 2, 2, 2)"),  # before adjW
    (m("cudnn.SpatialFullConvolution", nInputPlane=4, nOutputPlane=2, kW=4, kH=4, dW=2, dH=2, padW=3, padH=3,
       adjW=0, adjH=0, weight=t(4, 2, 4, 4)), "cudnn.SpatialFullConvolution(4, 2, 4, 4, 2, 2, 3, 3):noBias()"),
    # the early modules (issue 19 item 9)
    (m("nn.Square"), "nn.Square()"), (m("nn.Abs"), "nn.Abs()"),
    (m("nn.Sqrt", eps=0, inplace=False), "nn.Sqrt()"), (m("nn.Sqrt", eps=1e-3), "nn.Sqrt(0.001)"),  # Sqrt(b): self.eps = b
    (m("nn.Power", pow=3), "nn.Power(3)"),  # Power(p): self.pow = p
    (m("nn.SpatialSubSampling", nInputPlane=4, kW=2, kH=3, dW=2, dH=1, weight=t(4), bias=t(4)),
     "nn.SpatialSubSampling(4, 2, 3, 2)"),
    (m("nn.SpatialConvolutionMap", connTable=Tensor(np.array([[1, 1], [2, 1], [2, 2]]), "torch.DoubleTensor"),
       kW=3, kH=3, dW=1, dH=1, nInputPlane=2, nOutputPlane=2, weight=t(3, 3, 3), bias=t(2)),
     "nn.SpatialConvolutionMap({{1, 1}, {2, 1}, {2, 2}}, 3, 3)"),
    (m("nn.SpatialLPPooling", kW=2, kH=2, dW=2, dH=2, modules=[LEAF]), "nn.Sequential()"),  # an nn.Sequential
    (m("nn.LinearNoBias", weight=t(3, 4)), "nn.LinearNoBias(4, 3)"),
    (m("nn.SpatialClassifier", classifier=m("nn.Linear", weight=t(2, 3), bias=t(2)), spatialOutput=True),
     "nn.SpatialClassifier()"),
    (m("nn.SpatialSubtractiveNormalization", nInputPlane=2, kernel=Tensor(np.ones(3) / 3 / 2 ** 0.5), coef=t(1, 1, 1)),
     f"nn.SpatialSubtractiveNormalization(2, {{{', '.join([repr(float(np.float32(1 / 3 / 2 ** 0.5)))] * 3)}}})"),
    (m("nn.SpatialDivisiveNormalization", nInputPlane=1, kernel=Tensor(np.ones((1, 1))), threshold=0.5, thresval=0.5),
     "nn.SpatialDivisiveNormalization(1, {{1}}, 0.5)"),
    (m("nn.SpatialContrastiveNormalization", nInputPlane=1, kernel=Tensor(np.ones(1)), threshold=1e-4, thresval=0),
     "nn.SpatialContrastiveNormalization(1, {1}, 0.0001, 0)"),
    # nnx's last SpatialNormalization (no write of its own): the kernel stored divided by its sum
    (m("nn.SpatialNormalization", nfeatures=2, kernel=Tensor(np.full((1, 3), 0.25)), fixedThres=0.5, padW=1,
       padH=0, kerWisPair=0, kerHisPair=0, coef=t(1, 1)), "nn.SpatialNormalization(2, {{0.25, 0.25, 0.25}}, 0.5)"),
    (m("nn.SpatialNormalization", nfeatures=1, kernel=[Tensor(np.ones((3, 1)) / 3), Tensor(np.ones((1, 1)))],
       padW=0, padH=1), "nn.SpatialNormalization(1, {{{0.3333333432674408}, {0.3333333432674408}, "
                        "{0.3333333432674408}}, {{1}}})"),
    (m("nn.SpatialLinear", fanin=3, fanout=2, weightDecay=0, weight=t(2, 3), bias=t(2)), "nn.SpatialLinear(3, 2)"),
    (m("nn.TemporalConvolution", inputFrameSize=4, outputFrameSize=5, kW=3, dW=1, weight=t(5, 12), bias=t(5)),
     "nn.TemporalConvolution(4, 5, 3)"),
    (m("nn.TemporalMaxPooling", kW=2, dW=2, indices=t(0)), "nn.TemporalMaxPooling(2)"),
    (m("nn.SplitTable", dimension=1, nInputDims=2), "nn.SplitTable(1, 2)"),
    # the rnn package: FastLSTM's weights are in its i2g and o2g; its modules are its step's plumbing
    (m("nn.FastLSTM", inputSize=3, outputSize=4, rho=5, i2g=m("nn.Linear", weight=t(16, 3), bias=t(16)),
       o2g=m("nn.LinearNoBias", weight=t(16, 4)), modules=[m("nn.Sequential", modules=[LEAF])]),
     "nn.FastLSTM(3, 4, 5)"),
    (m("nn.Sequencer", module=LEAF, modules=[LEAF], _remember="neither"), "nn.Sequencer()"),
    (m("nn.Recursor", modules=[LEAF], rho=5), "nn.Recursor(5)"),
    (m("nn.MaskZero", module=LEAF, modules=[LEAF], nInputDim=1), "nn.MaskZero(1)"),
    # fast-neural-style's own classes (InstanceNormalization.lua, ShaveImage.lua, TotalVariation.lua),
    # and texture_nets' InstanceNormalization, which stores momentum, affine and running statistics
    (m("nn.InstanceNormalization", eps=1e-5, nOutput=4, prev_N=-1, weight=t(4), bias=t(4), gradWeight=t(4),
       gradBias=t(4)), "nn.InstanceNormalization(4)"),
    (m("nn.InstanceNormalization", running_mean=t(4), running_var=Tensor(np.ones(4)), eps=1e-3, momentum=0.0,
       affine=False, nOutput=4, prev_batch_size=-1), "nn.InstanceNormalization(4, 0.001, 0, false)"),
    (m("nn.ShaveImage", size=2), "nn.ShaveImage(2)"),
    (m("nn.TotalVariation", strength=1e-6, x_diff=t(0), y_diff=t(0)), "nn.TotalVariation(1e-06)"),
    # dpnn's OneHot.lua: self.outputSize only (char-rnn's class OneHot: tests/test_t7_onehot.py)
    (m("nn.OneHot", outputSize=7), "nn.OneHot(7)"),
    # torch/nn's LookupTable stores no nIndex/nOutput: the weight's sizes give them
    (m("nn.LookupTable", weight=t(10, 4), paddingValue=0, shouldScaleGradByFreq=False), "nn.LookupTable(10, 4)"),
    (m("nn.LookupTable", weight=t(10, 4), paddingValue=1, maxNorm=2), "nn.LookupTable(10, 4, 1, 2)"),
    # torch-rnn's own classes (LSTM.lua, VanillaRNN.lua, TemporalAdapter.lua): its nn.LSTM is told from
    # the rnn package's by its fields (weight, hidden_dim); the TemporalAdapter's module is net.modules[2]
    (m("nn.LSTM", input_dim=3, hidden_dim=4, weight=t(7, 16), bias=t(16), gradWeight=t(7, 16), gradBias=t(16),
       cell=t(0), gates=t(0), h0=t(2, 4), c0=t(2, 4), remember_states=True), "torch_rnn.LSTM(3, 4)"),
    (m("nn.GRU", input_dim=3, hidden_dim=4, weight=t(7, 12), bias=t(12), h0=t(0), remember_states=True),
     "torch_rnn.GRU(3, 4)"),
    (m("nn.VanillaRNN", input_dim=3, hidden_dim=4, weight=t(7, 4), bias=t(4), h0=t(0), remember_states=False),
     "nn.VanillaRNN(3, 4)"),
    # rnn's GRU.lua / LSTM.lua keep their weights in modules they hold (tests/test_t7_rnn_steps.py has the
    # forwards); SeqLSTM.lua stores hiddensize only since SeqLSTMP (before, outputsize alone)
    (m("nn.GRU", inputSize=3, outputSize=4, rho=9999, p=0, i2g=m("nn.Linear", weight=t(8, 3), bias=t(8)),
       o2g=m("nn.LinearNoBias", weight=t(8, 4)), modules=[m("nn.Sequential", modules=[
           m("nn.Linear", weight=t(4, 3), bias=t(4)), m("nn.LinearNoBias", weight=t(4, 4))])]), "nn.GRU(3, 4)"),
    (m("nn.LSTM", inputSize=3, outputSize=4, rho=7, cell2gate=False, **{gate: m("nn.Sequential", modules=[
        m("nn.ParallelTable", modules=[m("nn.Linear", weight=t(4, 3), bias=t(4)), m("nn.LinearNoBias", weight=t(4, 4))])])
        for gate in ("inputGate", "forgetGate", "hiddenLayer", "outputGate")}), "nn.LSTM(3, 4, 7, false)"),
    (m("nn.Recurrent", rho=5, modules=[m("nn.Add", bias=t(4), scalar=False), m("nn.Linear", weight=t(4, 3), bias=t(4)),
                                       m("nn.Linear", weight=t(4, 4), bias=t(4)), m("nn.Sigmoid"), m("nn.CAddTable")]),
     "nn.Recurrent(5)"),
    (m("nn.Recurrence", outputSize={1: 4}, nInputDim=1, rho=9999, modules=[LEAF], module=LEAF),
     "nn.Recurrence(4, 1)"),
    (m("nn.LookupTableMaskZero", weight=t(11, 4), paddingValue=0), "nn.LookupTableMaskZero(10, 4)"),
    (m("nn.SeqGRU", inputSize=3, outputSize=4, weight=t(7, 12), bias=t(12), batchfirst=True, maskzero=False),
     "nn.SeqGRU(3, 4)"),
    (m("nn.SeqLSTM", inputsize=3, outputsize=4, weight=t(7, 16), bias=t(16), batchfirst=False), "nn.SeqLSTM(3, 4)"),
    (Object("nn.TemporalAdapter", {"net": m("nn.Sequential", modules=[
        m("nn.View", size=longs(6, -1), numElements=-1, numInputDims=3), LEAF,
        m("nn.View", size=longs(2, 3, -1), numElements=-1, numInputDims=2)])}), "nn.TemporalAdapter()"),
]
TESTED_ELSEWHERE = {
    "nn.gModule": "tests/test_t7_graph.py (graphs are read from forwardnodes)",
    "nn.SpatialMaxUnpooling": "tests/test_t7.py (tied to its pooling object)",
    "nn.SpatialLPPooling": "test_lp_pooling_of_either_nn_version_computes_its_own_modules (its modules' Sequential)",
    **{f"ccn2.{name}": "tests/test_t7_ccn2.py (batch-last layout, stored weight layout)" for name in
       ("SpatialConvolution", "SpatialMaxPooling", "SpatialAvgPooling", "SpatialCrossResponseNormalization")},
}


def converted(tmp_path, obj, name="m.t7"):
    path = tmp_path / name
    path.write_bytes(dumps(obj))
    return convert(read_t7(path), path).tree


@pytest.mark.parametrize("stored, call", CASES, ids=[f"{i}-{c.split('(')[0]}" for i, (_, c) in enumerate(CASES)])
def test_stored_fields_give_the_lua_call(tmp_path, stored, call):
    assert lua_call(converted(tmp_path, stored)) == call


def test_every_record_has_a_field_case():
    from test_t7_fields_more import CASES as MORE  # the records of round two
    covered = {call.split("(")[0] for _, call in CASES + MORE} | set(TESTED_ELSEWHERE)
    assert sorted(set(registry.REGISTRY) - covered) == []


def _imported(tmp_path, modules, input_shape):
    path = tmp_path / "model.t7"
    path.write_bytes(dumps(m("nn.Sequential", modules=modules)))
    return import_t7(path, input_shape).model.eval()


def test_reshape_narrow_transpose_behave_as_stored(tmp_path):
    model = _imported(tmp_path, [m("nn.Reshape", size=longs(4, 6), batchsize=longs(1, 4, 6), nelement=24),
                                 m("nn.Narrow", dimension=3, index=2, length=3),
                                 m("nn.Transpose", permutations=[[2, 3]])], (2, 3, 4))
    x = torch.arange(48.0).reshape(2, 2, 3, 4)
    expected = x.reshape(2, 4, 6)[:, :, 1:4].transpose(1, 2)  # Lua dims 3 and 2-3 count the batch
    torch.testing.assert_close(model(x), expected, rtol=0, atol=0)


def test_exclude_pad_averages_over_the_input_only(tmp_path):
    model = _imported(tmp_path, [pool("nn.SpatialAveragePooling", ceil_mode=False, divide=True,
                                      count_include_pad=False)], (1, 3, 3))
    x = torch.ones(1, 1, 3, 3)
    # every window holds only ones of the input: their mean is 1 (count_include_pad gives 4/9 at a corner)
    torch.testing.assert_close(model(x), torch.ones(1, 1, 2, 2), rtol=0, atol=0)


def test_an_old_convolution_keeps_its_padding(tmp_path):
    model = _imported(tmp_path, [conv("nn.SpatialConvolution", padding=1)], (3, 9, 9))
    assert model(torch.zeros(1, 3, 9, 9)).shape == (1, 8, 4, 9)  # H: floor((9 + 2 - 5) / 2) + 1, W: 9 + 2 - 3 + 1


def test_a_summing_average_pooling_is_refused_in_one_line(tmp_path):
    path = tmp_path / "old.t7"
    path.write_bytes(dumps(m("nn.Sequential", modules=[m("nn.SpatialAveragePooling", kW=2, kH=2, dW=2, dH=2)])))
    with pytest.raises(T7Error, match=r"modules\[1\].*divide"):
        import_t7(path)


def _lp_pooling(middle):
    return m("nn.SpatialLPPooling", kW=2, kH=2, dW=2, dH=2,
             modules=[m("nn.Square"), middle, m("nn.Sqrt", eps=0)])


def test_lp_pooling_of_either_nn_version_computes_its_own_modules(tmp_path):
    """SpatialLPPooling.lua first pooled with a SpatialSubSampling of weight 1 and bias 0 (a sum),
    later with a SpatialAveragePooling (a mean): a file computes what its stored modules say."""
    x = torch.rand(1, 2, 4, 4, dtype=torch.float64)
    windows = x.unfold(2, 2, 2).unfold(3, 2, 2).pow(2).sum((-1, -2))
    summing = m("nn.SpatialSubSampling", nInputPlane=2, kW=2, kH=2, dW=2, dH=2,
                weight=Tensor(np.ones(2)), bias=Tensor(np.zeros(2)))
    averaging = m("nn.SpatialAveragePooling", kW=2, kH=2, dW=2, dH=2, padW=0, padH=0, ceil_mode=False,
                  count_include_pad=True, divide=True)
    for middle, expected in ((summing, windows.sqrt()), (averaging, (windows / 4).sqrt())):
        model = _imported(tmp_path, [_lp_pooling(middle)], (2, 4, 4)).double()
        torch.testing.assert_close(model(x), expected)


def test_a_stored_normalisation_uses_its_stored_kernel(tmp_path):
    kernel = np.array([1.0, 2.0, 1.0], dtype=np.float32) / (4 * 2 ** 0.5)  # normalised as Torch7 stores it
    model = _imported(tmp_path, [m("nn.SpatialSubtractiveNormalization", nInputPlane=2, kernel=Tensor(kernel))],
                      (2, 5, 5)).double()
    x = torch.zeros(1, 2, 5, 5, dtype=torch.float64)
    x[0, :, 2, 2] = 1.0  # one bright pixel in the middle of both planes
    # its local mean: the centre weight (2/4)^2 of the kernel summing to 1, over 2 planes of 2 (coef 1 inside)
    assert model(x)[0, 0, 2, 2].item() == pytest.approx(1 - (2 / 4) ** 2 * 2 / 2, rel=1e-6)


def test_a_tutorial_style_convnet_round_trips(tmp_path):
    """The Torch tutorials' 2013 convnet shape: a random connection map, Tanh, L2 pooling, local
    normalisations, subsampling, Reshape, Linear; built from a spec, saved the Torch7 way, imported."""
    spec = {"name": "tutorial", "input": [3, 32, 32], "classifier": [], "features": [
        {"nn.SpatialConvolutionMap": [tables.random(3, 8, 2, torch.Generator().manual_seed(1)), 5, 5]},
        {"nn.Tanh": []}, {"nn.SpatialLPPooling": [8, 2, 2, 2]},
        {"nn.SpatialSubtractiveNormalization": [8, [1, 2, 1]]},
        {"nn.SpatialSubSampling": [8, 2, 2, 2, 2]},
        {"nn.SpatialContrastiveNormalization": [8, [[1, 1, 1], [1, 2, 1], [1, 1, 1]], 0.01]},
        {"nn.Reshape": [392]}, {"nn.Linear": [392, 10]}, {"nn.LogSoftMax": []}]}
    torch.manual_seed(0)
    model = build(Spec(str(tmp_path / "tutorial.json"), spec)).eval()
    path = tmp_path / "tutorial.t7"
    path.write_bytes(dumps(module_object(model)))
    imported = import_t7(path)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(imported.model(x), model(x), rtol=0, atol=0)
    assert imported.spec["input"] == [3, 32, 32]
    assert sum(p.numel() for p in imported.model.parameters()) == 16 * 25 + 8 + 16 + 392 * 10 + 10


@pytest.mark.parametrize("stored, pattern", [
    (m("nn.Sequencer", modules=[LEAF], _remember="both"), r"remember\('both'\)"),
    (m("nn.FastLSTM", inputSize=3, outputSize=4, maskzero=True), "maskZero"),
    (m("nn.SpatialClassifier", classifier=LEAF, spatialOutput=False), "spatialOutput"),
], ids=["remember", "maskzero", "flat-classifier"])
def test_unsupported_stored_modes_are_refused_in_one_line(tmp_path, stored, pattern):
    with pytest.raises(T7Error, match=pattern):
        converted(tmp_path, m("nn.Sequential", modules=[stored]))
