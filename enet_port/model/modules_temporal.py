"""Records of Torch7's sequence modules: ``TemporalConvolution``, ``TemporalMaxPooling``, ``SplitTable``,
``LookupTable``.

Signatures and fields from torch/nn ``TemporalConvolution.lua`` (inputFrameSize,
outputFrameSize, kW, dW=1; weight outputFrameSize x (kW * inputFrameSize)),
``TemporalMaxPooling.lua`` (kW, dW=kW) and ``SplitTable.lua`` (dimension, nInputDims). A
sequence sample is nInputFrame x inputFrameSize (T x F), as Torch7's 2-D input; the batched
tensor is N x T x F, Torch7's 3-D (batch) input. ``LookupTable.lua`` (nIndex, nOutput,
paddingValue=0, maxNorm=nil, normType=nil; weight nIndex x nOutput, no bias; nIndex and nOutput
are not stored: a .t7 file gives them as the weight's sizes): a sample is a vector of T indices
(Torch7's 1-D input; its 2-D input is a batch of them), its output T x nOutput; or one index
(``()``, a step of rnn's Sequencer), its output nOutput.
"""
import math

from . import layers_classic, layers_rnn
from .modules import no_macs, no_tensors
from .modules_reshape import _batched_dim, _sample
from .registry import Param, at_least, register
from .shapes import ShapeError, format_shape, tensor


def _frames(node, frames, kw, dw):
    if frames < kw:
        raise ShapeError(f"{node.name}: {frames} input frames are fewer than kW = {kw}")
    return (frames - kw) // dw + 1


def _tconv_shape(a, node, shape, infer_child):
    frames, size = tensor(shape, 2, node)
    if size != a["inputFrameSize"]:
        raise ShapeError(f"{node.name} expects frames of {a['inputFrameSize']}, gets {format_shape(shape)}")
    return (_frames(node, frames, a["kW"], a["dW"]), a["outputFrameSize"])


register("nn.TemporalConvolution",
         [Param("inputFrameSize", "int"), Param("outputFrameSize", "int"), Param("kW", "int"), Param("dW", "int", 1)],
         build=lambda a, n: layers_classic.TemporalConvolution(a["inputFrameSize"], a["outputFrameSize"], a["kW"], a["dW"]),
         shape=_tconv_shape,
         tensors=lambda a, n: {"weight": [a["outputFrameSize"], a["kW"] * a["inputFrameSize"]],
                               "bias": [a["outputFrameSize"]]},
         macs=lambda a, i, o: math.prod(o) * a["inputFrameSize"] * a["kW"],
         check=lambda a, n: at_least(a, n, 1, "inputFrameSize", "outputFrameSize", "kW", "dW"))


def _tpool_shape(a, node, shape, infer_child):
    frames, size = tensor(shape, 2, node)
    return (_frames(node, frames, a["kW"], a["dW"]), size)


register("nn.TemporalMaxPooling", [Param("kW", "int"), Param("dW", "int", lambda a: a["kW"])],
         build=lambda a, n: layers_classic.TemporalMaxPooling(a["kW"], a["dW"]), shape=_tpool_shape,
         tensors=no_tensors, macs=no_macs, check=lambda a, n: at_least(a, n, 1, "kW", "dW"))


def _split_shape(a, node, shape, infer_child):
    shape = _sample(node, shape)
    dim = _batched_dim(a["dimension"], shape, node, a["nInputDims"])
    return [shape[:dim] + shape[dim + 1:]] * shape[dim]


register("nn.SplitTable", [Param("dimension", "int"), Param("nInputDims", "int", None)],
         build=lambda a, n: layers_classic.SplitTable(a["dimension"], a["nInputDims"]), shape=_split_shape,
         tensors=no_tensors, macs=no_macs, check=lambda a, n: at_least(a, n, 1, "nInputDims"))



def _lookup_shape(a, node, shape, infer_child):
    if shape == ():  # one index per sample (Torch7's 1-D input as a batch): a step inside rnn's Sequencer
        return (a["nOutput"],)
    (frames,) = tensor(shape, 1, node)
    return (frames, a["nOutput"])


register("nn.LookupTable", [Param("nIndex", "int", field=False), Param("nOutput", "int", field=False),
                            Param("paddingValue", "int", 0), Param("maxNorm", "number", None),
                            Param("normType", "number", None)],
         build=lambda a, n: layers_rnn.LookupTable(a["nIndex"], a["nOutput"], a["paddingValue"], a["maxNorm"],
                                                   a["normType"]),
         shape=_lookup_shape, tensors=lambda a, n: {"weight": [a["nIndex"], a["nOutput"]]}, macs=no_macs,
         from_fields=lambda f: {"nIndex": f["weight"].shape[0], "nOutput": f["weight"].shape[1]},
         check=lambda a, n: at_least(a, n, 1, "nIndex", "nOutput"))
