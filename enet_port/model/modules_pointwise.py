"""Records of the point-wise torch/nn modules trained files hold beside the usual activations,
the per-element parameter modules CMul and CAdd, and cudnn's BatchNormalization and
SpatialLogSoftMax.

Signatures, defaults and fields from torch/nn ``Exp.lua``, ``Log.lua``, ``SoftPlus.lua`` (beta=1;
``self.threshold = 20`` is a field, not an argument), ``SoftSign.lua``, ``LogSigmoid.lua``,
``SoftMin.lua``, ``HardShrink.lua`` and ``SoftShrink.lua`` (lam=0.5, stored as ``lambda``),
``GradientReversal.lua`` and ``L1Penalty.lua`` (the identity forward; their arguments only
change the backward), ``RReLU.lua`` (l=1/8, u=1/3, ip=false, cw=false; stored as ``lower``, ``upper``, ``inplace``,
``channelwise``; it asserts 0 <= l <= u), ``CMul.lua`` and ``CAdd.lua`` (sizes..., stored as the
LongStorage ``size``), ``SpatialLogSoftMax.lua`` (THNN LogSoftMax over the planes), cudnn.torch
``BatchNormalization.lua`` (nFeature, eps=1e-5, momentum=0.1, affine=true: nn's signature) and
``SpatialLogSoftMax.lua`` (cudnn's SpatialSoftMax with the log algorithm) and ``ClippedReLU.lua``
(ceiling, inplace=false: min(max(x, 0), ceiling), CUDNN_ACTIVATION_CLIPPED_RELU).
"""
import math

import torch.nn as nn

from . import layers, layers_pointwise
from .modules import _BN, _BN_T7, _batchnorm, _bn_check, _bn_tensors, _per_plane, no_macs, no_tensors, same_shape
from .modules_activations import _softmax_shape
from .registry import ArgumentError, Param, register
from .shapes import ShapeError, format_shape, tensor

_ELEMENTWISE = dict(shape=same_shape, tensors=no_tensors, macs=no_macs, any_layout=True)
_INPLACE = Param("inplace", "any", False)

register("nn.Exp", [], build=lambda a, n: layers_pointwise.Exp(), **_ELEMENTWISE)
register("nn.Log", [], build=lambda a, n: layers_pointwise.Log(), **_ELEMENTWISE)
register("nn.SoftPlus", [Param("beta", "number", 1.0)], build=lambda a, n: nn.Softplus(a["beta"], 20),
         fields=lambda a, n: {"threshold": 20}, **_ELEMENTWISE)
register("nn.SoftSign", [], build=lambda a, n: layers_pointwise.SoftSign(), **_ELEMENTWISE)
register("nn.LogSigmoid", [], build=lambda a, n: nn.LogSigmoid(), **_ELEMENTWISE)
register("nn.HardShrink", [Param("lambda", "number", 0.5)], build=lambda a, n: nn.Hardshrink(a["lambda"]),
         **_ELEMENTWISE)
register("nn.SoftShrink", [Param("lambda", "number", 0.5)], build=lambda a, n: nn.Softshrink(a["lambda"]),
         **_ELEMENTWISE)
def _clipped_check(a, node):
    if not a["ceiling"] > 0:  # ClippedReLU.lua asserts a ceiling; min(max(x, 0), c) of c <= 0 is 0
        raise ArgumentError(f"{node.name}: the ceiling must be positive, got {a['ceiling']:g}")


register("cudnn.ClippedReLU", [Param("ceiling", "number"), _INPLACE], build=lambda a, n: nn.Hardtanh(0.0, a["ceiling"]),
         check=_clipped_check, **_ELEMENTWISE)
# forward passes the input on: GradientReversal.lua (lambda=1) only scales the gradient by -lambda,
# L1Penalty.lua (l1weight, sizeAverage=false, provideOutput=true) only adds an L1 loss's gradient
register("nn.GradientReversal", [Param("lambda", "number", 1.0)], build=lambda a, n: nn.Identity(), **_ELEMENTWISE)
register("nn.L1Penalty", [Param("l1weight", "number"), Param("sizeAverage", "any", False),
                          Param("provideOutput", "any", True)], build=lambda a, n: nn.Identity(), **_ELEMENTWISE)
# THNN's SoftMax of -x: the same choice of dimension, so the same samples as nn.SoftMax
register("nn.SoftMin", [], build=lambda a, n: layers_pointwise.SoftMin(), shape=_softmax_shape((1, 3)),
         tensors=no_tensors, macs=no_macs)


def _rrelu_check(a, node):
    if not 0 <= a["lower"] <= a["upper"]:  # RReLU.lua asserts both
        raise ArgumentError(f"{node.name}: needs 0 <= lower <= upper, got {a['lower']:g} and {a['upper']:g}")


register("nn.RReLU", [Param("lower", "number", 1 / 8), Param("upper", "number", 1 / 3), _INPLACE,
                      Param("channelwise", "any", False)],
         build=lambda a, n: layers_pointwise.RReLU(a["lower"], a["upper"], bool(a["channelwise"])),
         check=_rrelu_check, **_ELEMENTWISE)


# nn.CMul and nn.CAdd -------------------------------------------------------------------------
def _sizes_check(a, node):
    if not a["size"] or min(a["size"]) < 1:
        raise ArgumentError(f"{node.name}: give the sizes of its parameter, each at least 1 (got {a['size']})")


def _flat_fits(a, node, shape):
    if isinstance(shape, list):
        raise ShapeError(f"{node.name} expects a tensor, gets a table")
    if math.prod(a["size"]) not in (1, math.prod(shape)):
        raise ShapeError(f"{node.name}({', '.join(map(str, a['size']))}) has {math.prod(a['size'])} elements, "
                         f"a sample of {format_shape(shape)} {math.prod(shape)}")
    return shape


def _cadd_shape(a, node, shape, infer_child):
    """CAdd.lua: a bias with the batched input's dimensions broadcasts (its first size is the
    batch's: 1); any other bias is added flat, as CMul's weight is multiplied."""
    size = a["size"]
    if isinstance(shape, list) or len(size) != len(shape) + 1:
        return _flat_fits(a, node, shape)
    if size[0] != 1 or any(b not in (1, s) for b, s in zip(size[1:], shape)):
        raise ShapeError(f"{node.name}({', '.join(map(str, size))}) does not broadcast over a batch of "
                         f"{format_shape(shape)}")
    return shape


_SIZES = [Param("size", "ints", field=False)]
_FROM_SIZE = dict(from_fields=lambda f: {"size": [int(v) for v in f["size"]]}, check=_sizes_check,
                  macs=lambda a, i, o: math.prod(o))
register("nn.CMul", _SIZES, build=lambda a, n: layers_pointwise.CMul(a["size"]),
         shape=lambda a, n, s, ic: _flat_fits(a, n, s), tensors=lambda a, n: {"weight": list(a["size"])},
         **_FROM_SIZE)
register("nn.CAdd", _SIZES, build=lambda a, n: layers_pointwise.CAdd(a["size"]), shape=_cadd_shape,
         tensors=lambda a, n: {"bias": list(a["size"])}, **dict(_FROM_SIZE, macs=no_macs))


# the log-softmax over planes, and cudnn's BatchNormalization ---------------------------------
register("nn.SpatialLogSoftMax", [], build=lambda a, n: nn.LogSoftmax(dim=1),
         shape=lambda a, n, s, ic: tensor(s, 3, n), tensors=no_tensors, macs=no_macs)
register("cudnn.SpatialLogSoftMax", [], build=lambda a, n: nn.LogSoftmax(dim=1), shape=_softmax_shape((1, 3)),
         tensors=no_tensors, macs=no_macs)
register("cudnn.BatchNormalization", _BN, build=_batchnorm(layers.Torch7BatchNorm1d),
         shape=_per_plane("nOutput"), tensors=_bn_tensors, macs=no_macs, check=_bn_check, **_BN_T7)
