"""Records of cuda-convnet2's Torch7 modules (``require 'ccn2'``, soumith/cuda-convnet2.torch).

Signatures, defaults, stored fields and sizes from its ``SpatialConvolution.lua`` (nInputPlane,
nOutputPlane, kH, dH=1, padding=0, groups=1, partialSum; weight (nInputPlane/groups*kH*kH) x
nOutputPlane, bias nOutputPlane), ``SpatialMaxPooling.lua`` and ``SpatialAvgPooling.lua`` (kW,
dW=kW), ``SpatialCrossResponseNormalization.lua`` (size, addScale=1e-4 stored divided by size,
powScale=0.75, minDiv=1, blocked=false). Sizes round up (``math.ceil``); the kernels' rules are in
:mod:`enet_port.model.layers_ccn2`. Every ccn2 module takes planes x height x width x batch
(:class:`~enet_port.model.shapes.BatchMoved` with the batch last) and gives the same layout.
"""
import math

import numpy as np

from . import layers_ccn2
from .modules import no_macs, no_tensors
from .registry import ArgumentError, FieldError, Param, at_least, register
from .shapes import BatchMoved, ShapeError, batch_dim, format_shape, planes

_LAYOUT = "planes x height x width x batch (nn.Transpose({1,4},{1,3},{1,2}) before it)"


def _image(node, shape):
    """The planes and side of a square cuda-convnet2 image; the Lua code reads the height only."""
    if isinstance(shape, list) or len(shape) != 3 or batch_dim(shape) != 3:
        raise ShapeError(f"{node.name} takes {_LAYOUT}, gets {format_shape(shape)}")
    if shape[1] != shape[2]:
        raise ShapeError(f"{node.name} takes square images (cuda-convnet2 reads the height only), "
                         f"gets {format_shape(shape)}")
    return shape[0], shape[1]


def _side(node, size, k, d, pad=0):
    out = layers_ccn2.out_size(size, k, d, pad)
    if out < 1:
        raise ShapeError(f"{node.name}: input {size} too small for kernel {k}")
    return out


# convolution -------------------------------------------------------------------------------
def _conv_check(a, node):
    at_least(a, node, 1, "nInputPlane", "nOutputPlane", "kH", "dH", "groups")
    at_least(a, node, 0, "padding")
    n_in, n_out, groups = a["nInputPlane"], a["nOutputPlane"], a["groups"]
    if not (n_in <= 3 or n_in % 4 == 0):  # the Lua constructor's own assertions
        raise ArgumentError(f"{node.name}: nInputPlane must be 1, 2, 3 or a multiple of 4, got {n_in}")
    if n_out % 16:
        raise ArgumentError(f"{node.name}: nOutputPlane must be a multiple of 16, got {n_out}")
    if groups > 1 and (n_in % (4 * groups) or n_out % (16 * groups)):  # filterActs' assertions
        raise ArgumentError(f"{node.name}: with {groups} groups nInputPlane must be a multiple of "
                            f"{4 * groups} and nOutputPlane of {16 * groups}, got {n_in} and {n_out}")


def _conv_shape(a, node, shape, infer_child):
    _, side = _image(node, shape)
    planes(shape, a["nInputPlane"], node)
    out = _side(node, side, a["kH"], a["dH"], a["padding"])
    return BatchMoved((a["nOutputPlane"], out, out), 3)


def _conv_tensors(a, node):
    return {"weight": [a["nInputPlane"] // a["groups"] * a["kH"] * a["kH"], a["nOutputPlane"]],
            "bias": [a["nOutputPlane"]]}


def _conv_state(f, version):
    """weight rows are (plane, y, x) of a filter, one column per output plane: PyTorch's
    nOutputPlane x planes x kH x kH is its transpose; bias may be stored as a column."""
    k, n_out = int(f["kH"]), int(f["nOutputPlane"])
    rows = int(f["nInputPlane"]) // int(f.get("groups") or 1) * k * k
    if np.shape(f["weight"]) != (rows, n_out):
        raise FieldError(f"weight is {np.shape(f['weight'])}, not ({rows}, {n_out}) "
                         "(nInputPlane/groups*kH*kH x nOutputPlane)")
    weight = np.asarray(f["weight"]).reshape(-1, k, k, n_out).transpose(3, 0, 1, 2)
    return {"weight": np.ascontiguousarray(weight), "bias": np.asarray(f["bias"]).reshape(n_out)}


register("ccn2.SpatialConvolution",
         [Param("nInputPlane", "int"), Param("nOutputPlane", "int"), Param("kH", "int"), Param("dH", "int", 1),
          Param("padding", "int", 0), Param("groups", "int", 1), Param("partialSum", "int", None)],
         build=lambda a, n: layers_ccn2.Ccn2Convolution(a["nInputPlane"], a["nOutputPlane"], a["kH"], a["dH"],
                                                        a["padding"], a["groups"]),
         shape=_conv_shape, tensors=_conv_tensors, check=_conv_check, t7_state=_conv_state, any_layout=True,
         macs=lambda a, i, o: math.prod(o) * a["nInputPlane"] // a["groups"] * a["kH"] * a["kH"])


# pooling -----------------------------------------------------------------------------------
def _pool_check(a, node):
    at_least(a, node, 1, "kW", "dW")
    if a["dW"] > a["kW"]:  # the last windows could start past the image: the kernels pool nothing
        raise ArgumentError(f"{node.name}: a stride dW={a['dW']} larger than kW={a['kW']} is not supported")


def _pool_shape(a, node, shape, infer_child):
    n, side = _image(node, shape)
    out = _side(node, side, a["kW"], a["dW"])
    return BatchMoved((n, out, out), 3)


for _name, _average in (("SpatialMaxPooling", False), ("SpatialAvgPooling", True)):
    register(f"ccn2.{_name}", [Param("kW", "int"), Param("dW", "int", lambda a: a["kW"])],
             build=lambda a, n, average=_average: layers_ccn2.Ccn2Pooling(a["kW"], a["dW"], average),
             shape=_pool_shape, tensors=no_tensors, macs=no_macs, check=_pool_check, any_layout=True)


# cross-map response normalization ----------------------------------------------------------
def _norm_shape(a, node, shape, infer_child):
    _image(node, shape)
    return shape


def _norm_from_fields(f):
    # the field is addScale / size; 15 digits undo the division's rounding (1e-4, not 1.0000000000000002e-4)
    return {"addScale": float(f"{f['addScale'] * f['size']:.15g}")}


register("ccn2.SpatialCrossResponseNormalization",
         [Param("size", "int"), Param("addScale", "number", 1e-4, field=False), Param("powScale", "number", 0.75),
          Param("minDiv", "number", 1.0), Param("blocked", "any", False)],
         build=lambda a, n: layers_ccn2.Ccn2CrossMapNorm(a["size"], a["addScale"] / a["size"], a["powScale"],
                                                         a["minDiv"], bool(a["blocked"])),
         shape=_norm_shape, tensors=no_tensors, macs=no_macs, any_layout=True,
         fields=lambda a, n: {"addScale": a["addScale"] / a["size"]}, from_fields=_norm_from_fields,
         check=lambda a, n: at_least(a, n, 1, "size"))
