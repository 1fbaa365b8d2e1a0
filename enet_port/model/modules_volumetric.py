"""Records of torch/nn's and cudnn.torch's volumetric modules (3-D: video models such as C3D).

Signatures, defaults and fields from torch/nn ``VolumetricConvolution.lua`` (nInputPlane,
nOutputPlane, kT, kW, kH, dT=1, dW=1, dH=1, padT=0, padW=padT, padH=padW), cudnn.torch's (its
pads default to 0 each), both ``VolumetricDilatedConvolution.lua`` (their parent's, then
dilationT=1, dilationW=1, dilationH=1), ``VolumetricFullConvolution.lua`` (... padT=0, padW=0, padH=0, adjT=0,
adjW=0, adjH=0; its ``backCompatibility``: a file without ``adjW`` stores the weight nOut x nIn
and the pads as ``pT``, ``pW``, ``pH``), ``VolumetricMaxPooling.lua`` (kT, kW, kH, dT=kT, dW=kW,
dH=kH, padT=0, padW=0, padH=0, ``:ceil()``), ``VolumetricAveragePooling.lua`` (the same; its first
version has no pads), cudnn's ``Pooling3D.lua`` (the same signature), ``VolumetricBatchNormalization.lua``
(BatchNormalization's), cudnn's ``VolumetricSoftMax.lua`` and ``VolumetricLogSoftMax.lua`` (fast:
the softmax over the planes at each voxel) and ``VolumetricDropout.lua`` (p=0.5, stochasticInference: SpatialDropout's
rule per plane). Samples are planes x time x height x width.
"""
import math

import torch.nn as nn

from . import layers, layers_math, layers_volumetric
from .modules import _BN, _BN_T7, _batchnorm, _bn_check, _bn_tensors, _dropout_check, _per_plane, no_macs, no_tensors
from .registry import ArgumentError, Param, at_least, ceil_mode, register
from .shapes import ShapeError, format_shape, out_size, planes, tensor

_AXES = ("T", "H", "W")


def _k(a, prefix):
    return tuple(a[prefix + axis] for axis in _AXES)


def _dilation(a):
    """VolumetricDilatedConvolution's dilationT, dilationH, dilationW (1 for the others)."""
    return tuple(a.get("dilation" + axis, 1) for axis in _AXES)


# convolutions ------------------------------------------------------------------------------------
def _conv_build(a, node):
    m = nn.Conv3d(a["nInputPlane"], a["nOutputPlane"], _k(a, "k"), _k(a, "d"), _k(a, "pad"), dilation=_dilation(a))
    layers_volumetric.reset_volumetric(m, a["nInputPlane"], _k(a, "k"))
    return m


def _conv_shape(a, node, shape, infer_child):
    tensor(shape, 4, node)
    planes(shape, a["nInputPlane"], node)
    return (a["nOutputPlane"],) + tuple(out_size(s, k, d, p, dil, False, node) for s, k, d, p, dil in
                                        zip(shape[1:], _k(a, "k"), _k(a, "d"), _k(a, "pad"), _dilation(a)))


def _conv_check(a, node):
    at_least(a, node, 1, "nInputPlane", "nOutputPlane", "kT", "kW", "kH", "dT", "dW", "dH")
    at_least(a, node, 0, "padT", "padW", "padH", "adjT", "adjW", "adjH")
    at_least(a, node, 1, "dilationT", "dilationW", "dilationH")


_HEAD = [Param("nInputPlane", "int"), Param("nOutputPlane", "int"), Param("kT", "int"), Param("kW", "int"),
         Param("kH", "int"), Param("dT", "int", 1), Param("dW", "int", 1), Param("dH", "int", 1),
         Param("padT", "int", 0)]
_CONV = dict(build=_conv_build, shape=_conv_shape, check=_conv_check,
             tensors=lambda a, n: {"weight": [a["nOutputPlane"], a["nInputPlane"], *_k(a, "k")],
                                   "bias": [a["nOutputPlane"]]},
             macs=lambda a, i, o: math.prod(o) * a["nInputPlane"] * math.prod(_k(a, "k")))
register("nn.VolumetricConvolution", _HEAD + [Param("padW", "int", lambda a: a["padT"]),
                                              Param("padH", "int", lambda a: a["padW"])], **_CONV)
register("cudnn.VolumetricConvolution", _HEAD + [Param("padW", "int", 0), Param("padH", "int", 0)], **_CONV)
# the dilated ones pass their pads to the convolutions above (nn: padW = padW or padT, ...)
_DIL = [Param("dilationT", "int", 1), Param("dilationW", "int", 1), Param("dilationH", "int", 1)]
register("nn.VolumetricDilatedConvolution", _HEAD + [Param("padW", "int", lambda a: a["padT"]),
                                                     Param("padH", "int", lambda a: a["padW"])] + _DIL, **_CONV)
register("cudnn.VolumetricDilatedConvolution", _HEAD + [Param("padW", "int", 0), Param("padH", "int", 0)] + _DIL,
         **_CONV)


def _full_build(a, node):
    m = nn.ConvTranspose3d(a["nInputPlane"], a["nOutputPlane"], _k(a, "k"), _k(a, "d"), _k(a, "pad"),
                           output_padding=_k(a, "adj"))
    layers_volumetric.reset_volumetric(m, a["nInputPlane"], _k(a, "k"))
    return m


def _full_shape(a, node, shape, infer_child):
    tensor(shape, 4, node)
    planes(shape, a["nInputPlane"], node)
    out = tuple((s - 1) * d - 2 * p + k + adj
                for s, k, d, p, adj in zip(shape[1:], _k(a, "k"), _k(a, "d"), _k(a, "pad"), _k(a, "adj")))
    if min(out) < 1:
        raise ShapeError(f"{node.name}: input {format_shape(shape)} gives an empty output")
    return (a["nOutputPlane"],) + out


def _full_check(a, node):
    _conv_check(a, node)
    if any(adj > d - 1 for adj, d in zip(_k(a, "adj"), _k(a, "d"))):  # the Lua constructor's error
        raise ArgumentError(f"{node.name}: adjW, adjH and adjT must be smaller than dW, dH and dT")


def _full_from_fields(f):
    """VolumetricFullConvolution's ``backCompatibility``: pads of old files are pT, pW, pH."""
    return {f"pad{axis}": f.get(f"pad{axis}", f.get(f"p{axis}")) or 0 for axis in _AXES}


def _full_state(f, version):
    """A file from before adjW stores the weight nOut x nIn (backCompatibility transposes it)."""
    weight = f.get("weight")
    if weight is not None and f.get("adjW") is None:
        weight = weight.swapaxes(0, 1)
    return {k: v for k, v in (("weight", weight), ("bias", f.get("bias"))) if v is not None}


_FULL = _HEAD + [Param("padW", "int", 0), Param("padH", "int", 0), Param("adjT", "int", 0), Param("adjW", "int", 0),
                 Param("adjH", "int", 0)]
for _ns in ("nn", "cudnn"):  # cudnn.torch's class derives from nn's and keeps its __init
    register(f"{_ns}.VolumetricFullConvolution", _FULL, build=_full_build, shape=_full_shape, check=_full_check,
             tensors=lambda a, n: {"weight": [a["nInputPlane"], a["nOutputPlane"], *_k(a, "k")],
                                   "bias": [a["nOutputPlane"]]},
             macs=lambda a, i, o: math.prod(i) * a["nOutputPlane"] * math.prod(_k(a, "k")),
             from_fields=_full_from_fields, t7_state=_full_state)


# pooling -----------------------------------------------------------------------------------------
def _pool_build(cls, node_exclude=False):
    def build(a, node):
        extra = {"count_include_pad": not node.has_modifier("setCountExcludePad")} if node_exclude else {}
        return cls(_k(a, "k"), _k(a, "d"), _k(a, "pad"), ceil_mode=ceil_mode(node), **extra)
    return build


def _pool_shape(a, node, shape, infer_child):
    tensor(shape, 4, node)
    return shape[:1] + tuple(out_size(s, k, d, p, 1, ceil_mode(node), node)
                             for s, k, d, p in zip(shape[1:], _k(a, "k"), _k(a, "d"), _k(a, "pad")))


def _pool_check(a, node):
    at_least(a, node, 1, "kT", "kW", "kH", "dT", "dW", "dH")
    at_least(a, node, 0, "padT", "padW", "padH")
    if any(p > k // 2 for p, k in zip(_k(a, "pad"), _k(a, "k"))):  # THNN's shape check
        raise ArgumentError(f"{node.name}: pad should be smaller than half of kernel size")


_POOL = [Param("kT", "int"), Param("kW", "int"), Param("kH", "int"), Param("dT", "int", lambda a: a["kT"]),
         Param("dW", "int", lambda a: a["kW"]), Param("dH", "int", lambda a: a["kH"]), Param("padT", "int", 0),
         Param("padW", "int", 0), Param("padH", "int", 0)]
_POOL_RULES = dict(shape=_pool_shape, tensors=no_tensors, macs=no_macs, check=_pool_check,
                   modifiers=("ceil", "floor"), fields=lambda a, n: {"ceil_mode": ceil_mode(n)})
_AVG_RULES = dict(_POOL_RULES, modifiers=("ceil", "floor", "setCountExcludePad"),
                  fields=lambda a, n: {"ceil_mode": ceil_mode(n),
                                       "count_include_pad": not n.has_modifier("setCountExcludePad")})
for _ns in ("nn", "cudnn"):
    register(f"{_ns}.VolumetricMaxPooling", _POOL, build=_pool_build(layers_volumetric.Torch7MaxPool3d),
             **_POOL_RULES)
    # cudnn's mode is CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING, with no :setCountExcludePad()
    register(f"{_ns}.VolumetricAveragePooling", _POOL, build=_pool_build(layers_volumetric.Torch7AvgPool3d, True),
             **(_AVG_RULES if _ns == "nn" else _POOL_RULES))


# cudnn's softmaxes over the planes of a clip: VolumetricSoftMax.lua folds T and H into one and
# runs its cudnn.SpatialSoftMax (field ssm); VolumetricLogSoftMax sets that one's algorithm to LOG
register("cudnn.VolumetricSoftMax", [Param("fast", "any", False, field=False)],
         build=lambda a, n: layers_math.ChannelSoftMax(), shape=lambda a, n, s, ic: tensor(s, 4, n),
         tensors=no_tensors, macs=no_macs)
register("cudnn.VolumetricLogSoftMax", [Param("fast", "any", False, field=False)],
         build=lambda a, n: nn.LogSoftmax(dim=1), shape=lambda a, n, s, ic: tensor(s, 4, n),
         tensors=no_tensors, macs=no_macs)


# batch normalisation and dropout -----------------------------------------------------------------
def _volume_planes(a, node, shape, infer_child):
    tensor(shape, 4, node)
    return _per_plane("nOutput")(a, node, shape, infer_child)


for _ns in ("nn", "cudnn"):
    register(f"{_ns}.VolumetricBatchNormalization", _BN, build=_batchnorm(layers_volumetric.Torch7BatchNorm3d),
             shape=_volume_planes, tensors=_bn_tensors, macs=no_macs, check=_bn_check, **_BN_T7)
register("nn.VolumetricDropout", [Param("p", "number", 0.5), Param("stochasticInference", "any", False, field=False)],
         build=lambda a, n: layers.Torch7Dropout(a["p"], per_channel=True, stochastic=bool(a["stochasticInference"])),
         shape=lambda a, n, s, ic: tensor(s, 4, n), tensors=no_tensors, macs=no_macs, check=_dropout_check,
         fields=lambda a, n: {"stochastic_inference": bool(a["stochasticInference"])},
         from_fields=lambda f: {"stochasticInference": bool(f.get("stochastic_inference", False))})
