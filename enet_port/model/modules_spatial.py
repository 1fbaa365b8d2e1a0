"""Records of Torch7's spatial modules beyond convolution and pooling.

Signatures and defaults from torch/nn ``SpatialConvolutionMM.lua`` (padH = padW; the weight is
stored as nOutputPlane x (nInputPlane*kH*kW)), ``SpatialCrossMapLRN.lua`` (alpha=1e-4,
beta=0.75, k=1), cudnn.torch ``SpatialCrossMapLRN.lua`` (size=5, same others), imagine-nn's
``inn.SpatialCrossResponseNormalization`` (Caffe's cross-map LRN, same formula),
``SpatialUpSamplingNearest.lua``, ``SpatialUpSamplingBilinear.lua`` (align corners, output
(H-1)*(s-1)+H), ``SpatialReflectionPadding.lua`` and ``SpatialReplicationPadding.lua``.
"""
import torch.nn as nn

from . import layers_math
from .modules import _CONV, _CONV_RULES, no_macs, no_tensors
from .registry import Param, register
from .shapes import ShapeError, format_shape, tensor


def _mm_tensors(a, node):
    weight = [a["nOutputPlane"], a["nInputPlane"] * a["kH"] * a["kW"]]
    return {"weight": weight, **({} if node.has_modifier("noBias") else {"bias": [a["nOutputPlane"]]})}


register("nn.SpatialConvolutionMM", _CONV + [Param("padH", "int", lambda a: a["padW"])],
         **{**_CONV_RULES, "tensors": _mm_tensors})


# Cross-map LRN: x / (k + alpha/size * sum of x^2 over the size planes centred on x)^beta,
# PyTorch's LocalResponseNorm exactly for the odd sizes every model uses.
def _lrn_shape(a, node, shape, infer_child):
    tensor(shape, 3, node)
    if a["size"] < 1 or a["size"] % 2 == 0:
        raise ShapeError(f"{node.name}: size {a['size']} is not a positive odd number "
                         f"(Torch7 centres the window only for odd sizes)")
    return shape


_LRN_TAIL = [Param("alpha", "number", 1e-4), Param("beta", "number", 0.75), Param("k", "number", 1.0)]
_LRN_RULES = dict(build=lambda a, n: nn.LocalResponseNorm(a["size"], a["alpha"], a["beta"], a["k"]),
                  shape=_lrn_shape, tensors=no_tensors, macs=no_macs)
register("nn.SpatialCrossMapLRN", [Param("size", "int")] + _LRN_TAIL, **_LRN_RULES)
register("cudnn.SpatialCrossMapLRN", [Param("size", "int", 5)] + _LRN_TAIL, **_LRN_RULES)
register("inn.SpatialCrossResponseNormalization", [Param("size", "int")] + _LRN_TAIL, **_LRN_RULES)


def _scale(a, node):
    if a["scale_factor"] < 1:
        raise ShapeError(f"{node.name}: scale_factor must be at least 1, got {a['scale_factor']}")
    return a["scale_factor"]


def _nearest_shape(a, node, shape, infer_child):
    c, h, w = tensor(shape, 3, node)
    s = _scale(a, node)
    return (c, h * s, w * s)


def _bilinear_shape(a, node, shape, infer_child):
    c, h, w = tensor(shape, 3, node)
    s = _scale(a, node)
    return (c, layers_math.bilinear_size(h, s), layers_math.bilinear_size(w, s))


register("nn.SpatialUpSamplingNearest", [Param("scale_factor", "int")],
         build=lambda a, n: nn.Upsample(scale_factor=a["scale_factor"], mode="nearest"),
         shape=_nearest_shape, tensors=no_tensors, macs=no_macs)
register("nn.SpatialUpSamplingBilinear", [Param("scale_factor", "int")],
         build=lambda a, n: layers_math.UpSamplingBilinear(a["scale_factor"]),
         shape=_bilinear_shape, tensors=no_tensors, macs=no_macs)


def _pad_shape(a, node, shape, infer_child):
    c, h, w = tensor(shape, 3, node)
    out = (c, h + a["pad_t"] + a["pad_b"], w + a["pad_l"] + a["pad_r"])
    if min(out) < 1:
        raise ShapeError(f"{node.name} crops {format_shape(shape)} to nothing")
    return out


def _pads(a):
    return (a["pad_l"], a["pad_r"], a["pad_t"], a["pad_b"])


_PADS = [Param("pad_l", "int"), Param("pad_r", "int", lambda a: a["pad_l"]),
         Param("pad_t", "int", lambda a: a["pad_l"]), Param("pad_b", "int", lambda a: a["pad_l"])]
register("nn.SpatialZeroPadding", _PADS, build=lambda a, n: nn.ZeroPad2d(_pads(a)),  # negative pads crop
         shape=_pad_shape, tensors=no_tensors, macs=no_macs)
register("nn.SpatialReflectionPadding", _PADS, build=lambda a, n: nn.ReflectionPad2d(_pads(a)),
         shape=_pad_shape, tensors=no_tensors, macs=no_macs)
register("nn.SpatialReplicationPadding", _PADS, build=lambda a, n: nn.ReplicationPad2d(_pads(a)),
         shape=_pad_shape, tensors=no_tensors, macs=no_macs)
