"""Records of torch/nn's locally connected convolution, adaptive poolings and temporal
subsampling.

Signatures, defaults and fields from torch/nn ``SpatialConvolutionLocal.lua`` (nInputPlane,
nOutputPlane, iW, iH, kW, kH, dW=1, dH=1, padW=0, padH=padW; it also stores ``oW``, ``oH``, and
its input must be nInputPlane x iH x iW), ``SpatialDilatedMaxPooling.lua`` (SpatialMaxPooling's
kW, kH, dW=kW, dH=kH, padW=0, padH=0, then dilationW=1, dilationH=1; ``:ceil()``),
``SpatialAdaptiveMaxPooling.lua`` and
``SpatialAdaptiveAveragePooling.lua`` (W, H: the output's width and height) and
``TemporalSubSampling.lua`` (inputFrameSize, kW, dW=1).
"""
import math

from . import layers_local
from .modules import _PAD, _POOL, _STRIDE_IS_KERNEL, _pool_check, no_macs, no_tensors
from .modules_temporal import _frames
from .registry import ArgumentError, Param, at_least, ceil_mode, register
from .shapes import ShapeError, format_shape, out_size, planes, tensor


def _local_out(a):
    """SpatialConvolutionLocal.lua's oH and oW."""
    return ((2 * a["padH"] + a["iH"] - a["kH"]) // a["dH"] + 1, (2 * a["padW"] + a["iW"] - a["kW"]) // a["dW"] + 1)


def _local_check(a, node):
    at_least(a, node, 1, "nInputPlane", "nOutputPlane", "iW", "iH", "kW", "kH", "dW", "dH")
    at_least(a, node, 0, "padW", "padH")
    if min(_local_out(a)) < 1:  # the Lua constructor's assert
        raise ArgumentError(f"{node.name}: illegal configuration: output width or height less than 1")


def _local_shape(a, node, shape, infer_child):
    tensor(shape, 3, node)
    planes(shape, a["nInputPlane"], node)
    if tuple(shape[1:]) != (a["iH"], a["iW"]):  # checkInputSize: its weights are per position
        raise ShapeError(f"{node.name} expects {a['nInputPlane']}x{a['iH']}x{a['iW']}, gets {format_shape(shape)}")
    return (a["nOutputPlane"],) + _local_out(a)


def _local_tensors(a, node):
    oh, ow = _local_out(a)
    return {"weight": [oh, ow, a["nOutputPlane"], a["nInputPlane"], a["kH"], a["kW"]],
            "bias": [a["nOutputPlane"], oh, ow]}


register("nn.SpatialConvolutionLocal",
         [Param("nInputPlane", "int"), Param("nOutputPlane", "int"), Param("iW", "int"), Param("iH", "int"),
          Param("kW", "int"), Param("kH", "int"), Param("dW", "int", 1), Param("dH", "int", 1),
          Param("padW", "int", 0), Param("padH", "int", lambda a: a["padW"])],
         build=lambda a, n: layers_local.ConvolutionLocal(
             a["nInputPlane"], a["nOutputPlane"], _local_out(a), (a["kH"], a["kW"]), (a["dH"], a["dW"]),
             (a["padH"], a["padW"])),
         shape=_local_shape, tensors=_local_tensors, check=_local_check,
         macs=lambda a, i, o: math.prod(o) * a["nInputPlane"] * a["kH"] * a["kW"],
         fields=lambda a, n: dict(zip(("oH", "oW"), _local_out(a))))


def _dilated_shape(a, node, shape, infer_child):
    c, h, w = tensor(shape, 3, node)
    ceil = ceil_mode(node)
    return (c, out_size(h, a["kH"], a["dH"], a["padH"], a["dilationH"], ceil, node),
            out_size(w, a["kW"], a["dW"], a["padW"], a["dilationW"], ceil, node))


def _dilated_check(a, node):
    _pool_check(a, node)
    at_least(a, node, 1, "dilationW", "dilationH")


register("nn.SpatialDilatedMaxPooling", _POOL + _STRIDE_IS_KERNEL + _PAD +
         [Param("dilationW", "int", 1), Param("dilationH", "int", 1)],
         build=lambda a, n: layers_local.DilatedMaxPool((a["kH"], a["kW"]), (a["dH"], a["dW"]), (a["padH"], a["padW"]),
                                                        (a["dilationH"], a["dilationW"]), ceil_mode(n)),
         shape=_dilated_shape, tensors=no_tensors, macs=no_macs, check=_dilated_check, modifiers=("ceil", "floor"),
         fields=lambda a, n: {"ceil_mode": ceil_mode(n)})


def _adaptive_shape(a, node, shape, infer_child):
    c, _, _ = tensor(shape, 3, node)
    return (c, a["H"], a["W"])


for _name, _cls in (("nn.SpatialAdaptiveMaxPooling", layers_local.AdaptiveMaxPool),
                    ("nn.SpatialAdaptiveAveragePooling", layers_local.AdaptiveAvgPool)):
    register(_name, [Param("W", "int"), Param("H", "int")], build=lambda a, n, cls=_cls: cls((a["H"], a["W"])),
             shape=_adaptive_shape, tensors=no_tensors, macs=no_macs, check=lambda a, n: at_least(a, n, 1, "W", "H"))


def _tsub_shape(a, node, shape, infer_child):
    frames, size = tensor(shape, 2, node)
    if size != a["inputFrameSize"]:
        raise ShapeError(f"{node.name} expects frames of {a['inputFrameSize']}, gets {format_shape(shape)}")
    return (_frames(node, frames, a["kW"], a["dW"]), size)


register("nn.TemporalSubSampling", [Param("inputFrameSize", "int"), Param("kW", "int"), Param("dW", "int", 1)],
         build=lambda a, n: layers_local.TemporalSubSampling(a["inputFrameSize"], a["kW"], a["dW"]),
         shape=_tsub_shape, tensors=lambda a, n: {"weight": [a["inputFrameSize"]], "bias": [a["inputFrameSize"]]},
         macs=lambda a, i, o: math.prod(o) * a["kW"],
         check=lambda a, n: at_least(a, n, 1, "inputFrameSize", "kW", "dW"))
