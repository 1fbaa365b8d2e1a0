"""Records of Torch7's early convnet modules, the ones of the tutorials and demos.

Signatures, defaults and fields from torch/nn ``Square.lua``, ``Sqrt.lua`` (b -> ``eps``, ip),
``Abs.lua``, ``Power.lua`` (p -> ``pow``), ``SpatialSubSampling.lua`` (nInputPlane, kW, kH,
dW=1, dH=1), ``SpatialConvolutionMap.lua`` (connTable, kW, kH, dW=1, dH=1; nInputPlane and
nOutputPlane are the table's largest entries), ``SpatialLPPooling.lua`` (nInputPlane, pnorm, kW,
kH, dW=kW, dH=kH), ``LinearNoBias.lua``, the three ``Spatial*Normalization.lua`` (nInputPlane=1,
kernel=ones(9, 9), threshold=1e-4, thresval=threshold), nnx ``SpatialClassifier.lua`` and nnx
``SpatialNormalization.lua`` (nInputPlane, kernel: 2-D or a pair {kv, kh} of 2-D ones, threshold
= adaptive; stored as ``nfeatures``, ``kernel``, ``fixedThres``) and nnx ``SpatialLinear.lua``
(fanin=1, fanout=1; fields ``fanin``, ``fanout``, ``weightDecay``). A
connection table is written as Lua's ``nn.tables`` make it: a list of {input plane, output
plane} pairs, 1-based (see :mod:`enet_port.model.connection_tables`); a kernel as a list of
numbers (1-D) or of rows (2-D).
"""
import math

import torch.nn as nn

from . import layers, layers_classic, layers_normalization
from .modules import no_macs, no_tensors, same_shape
from .registry import ArgumentError, FieldError, Param, at_least, register
from .shapes import ShapeError, format_shape, out_size, planes, tensor

_POINTWISE = dict(shape=same_shape, tensors=no_tensors, macs=no_macs)
register("nn.Square", [], build=lambda a, n: layers_classic.Square(), **_POINTWISE)
register("nn.Sqrt", [Param("eps", "number", 0.0), Param("inplace", "any", False)],
         build=lambda a, n: layers_classic.Sqrt(), **_POINTWISE)
register("nn.Abs", [], build=lambda a, n: layers_classic.Abs(), **_POINTWISE)
register("nn.Power", [Param("pow", "number")], build=lambda a, n: layers_classic.Power(a["pow"]), **_POINTWISE)


def _window_shape(a, node, shape, n_planes=None):
    c, h, w = tensor(shape, 3, node)
    if n_planes is not None:
        planes(shape, n_planes, node)
    return (c, out_size(h, a["kH"], a["dH"], 0, 1, False, node), out_size(w, a["kW"], a["dW"], 0, 1, False, node))


_KERNEL = [Param("kW", "int"), Param("kH", "int")]
_STRIDE_ONE = [Param("dW", "int", 1), Param("dH", "int", 1)]


def _window_check(a, node):
    at_least(a, node, 1, "nInputPlane", "kW", "kH", "dW", "dH")


register("nn.SpatialSubSampling", [Param("nInputPlane", "int")] + _KERNEL + _STRIDE_ONE,
         build=lambda a, n: layers_classic.SubSampling(a["nInputPlane"], (a["kH"], a["kW"]), (a["dH"], a["dW"])),
         shape=lambda a, n, s, ic: _window_shape(a, n, s, a["nInputPlane"]),
         tensors=lambda a, n: {"weight": [a["nInputPlane"]], "bias": [a["nInputPlane"]]},
         macs=lambda a, i, o: math.prod(o) * a["kW"] * a["kH"], check=_window_check)


# nn.SpatialConvolutionMap -------------------------------------------------------------------------
def _table_check(a, node):
    table = a["connTable"]
    if not (isinstance(table, list) and table and all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(v, int) and not isinstance(v, bool) and v >= 1
                                                       for v in p) for p in table)):
        raise ArgumentError(f"{node.name}: connTable must be a list of {{input plane, output plane}} pairs "
                            f"of whole numbers from 1, got {str(table)[:80]}")
    at_least(a, node, 1, "kW", "kH", "dW", "dH")


def _table_planes(a):
    return max(p[0] for p in a["connTable"]), max(p[1] for p in a["connTable"])


def _map_shape(a, node, shape, infer_child):
    n_in, n_out = _table_planes(a)
    return (n_out,) + _window_shape(a, node, shape, n_in)[1:]


register("nn.SpatialConvolutionMap", [Param("connTable", "any", field=False)] + _KERNEL + _STRIDE_ONE,
         build=lambda a, n: layers_classic.ConvolutionMap(a["connTable"], (a["kH"], a["kW"]), (a["dH"], a["dW"])),
         shape=_map_shape,
         tensors=lambda a, n: {"weight": [len(a["connTable"]), a["kH"], a["kW"]], "bias": [_table_planes(a)[1]]},
         macs=lambda a, i, o: len(a["connTable"]) * math.prod(o[1:]) * a["kW"] * a["kH"],
         fields=lambda a, n: dict(zip(("nInputPlane", "nOutputPlane"), _table_planes(a))),
         from_fields=lambda f: {"connTable": [[int(v) for v in row] for row in f["connTable"].tolist()]},
         check=_table_check)


# nn.SpatialLPPooling: a Sequential in Torch7; a stored one is read as the Sequential it is ----------
register("nn.SpatialLPPooling",
         [Param("nInputPlane", "int", field=False), Param("pnorm", "number", field=False)] + _KERNEL +
         [Param("dW", "int", lambda a: a["kW"]), Param("dH", "int", lambda a: a["kH"])],
         build=lambda a, n: layers_classic.LPPooling(a["pnorm"], (a["kH"], a["kW"]), (a["dH"], a["dW"])),
         shape=lambda a, n, s, ic: _window_shape(a, n, s), tensors=no_tensors, macs=no_macs, check=_window_check)


# nn.LinearNoBias ----------------------------------------------------------------------------------
def _linear_no_bias_build(a, node):
    m = nn.Linear(a["inputSize"], a["outputSize"], bias=False)
    layers.reset_uniform_fan_in(m, a["inputSize"])
    return m


def _linear_shape(a, node, shape, infer_child):
    if isinstance(shape, list) or len(shape) != 1 or shape[0] != a["inputSize"]:
        raise ShapeError(f"{node.name} expects {a['inputSize']} inputs, gets {format_shape(shape)}")
    return (a["outputSize"],)


register("nn.LinearNoBias", [Param("inputSize", "int", field=False), Param("outputSize", "int", field=False)],
         build=_linear_no_bias_build, shape=_linear_shape,
         tensors=lambda a, n: {"weight": [a["outputSize"], a["inputSize"]]},
         macs=lambda a, i, o: a["inputSize"] * a["outputSize"],
         from_fields=lambda f: {"inputSize": f["weight"].shape[1], "outputSize": f["weight"].shape[0]},
         check=lambda a, n: at_least(a, n, 1, "inputSize", "outputSize"))


# nnx's nn.SpatialClassifier(classifier): its one child classifies the features of each pixel --------
def _classifier_shape(a, node, shape, infer_child):
    c, h, w = tensor(shape, 3, node)
    if len(node.children) != 1:
        raise ShapeError(f"{node.name} holds one classifier, not {len(node.children)} modules")
    out = infer_child(node.children[0], (c,))
    if isinstance(out, list) or len(out) != 1:
        raise ShapeError(f"{node.name}: its classifier gives {format_shape(out)} per pixel, not a vector")
    return (out[0], h, w)


def _classifier_fields(f):
    if f.get("spatialOutput") is False:
        raise FieldError("nn.SpatialClassifier with spatialOutput = false (a flat HW x N output) is not supported")
    return {}


register("nn.SpatialClassifier", [Param("ignored", "any", None, field=False)],
         build=lambda a, n: layers_classic.SpatialClassifier(), shape=_classifier_shape, tensors=no_tensors,
         macs=no_macs, container=True, fields=lambda a, n: {"spatialOutput": True}, from_fields=_classifier_fields)


# the local normalisations -------------------------------------------------------------------------
def _kernel(a):
    return a["kernel"] if a["kernel"] is not None else [[1.0] * 9 for _ in range(9)]


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _kernel_dims(kernel):
    """(length,) of a 1-D kernel, (rows, columns) of a 2-D one, None for anything else."""
    if not isinstance(kernel, list) or not kernel:
        return None
    if all(_number(v) for v in kernel):
        return (len(kernel),)
    if all(isinstance(r, list) and r and len(r) == len(kernel[0]) and all(_number(v) for v in r) for r in kernel):
        return (len(kernel), len(kernel[0]))
    return None


def _norm_check(a, node):
    at_least(a, node, 1, "nInputPlane")
    dims = _kernel_dims(_kernel(a))
    if dims is None:
        raise ArgumentError(f"{node.name}: the kernel must be a list of numbers (1-D) or of equal rows (2-D)")
    if any(d % 2 == 0 for d in dims):  # the Lua constructor's own check
        raise ArgumentError(f"{node.name}: averaging kernel must have ODD dimensions, got {'x'.join(map(str, dims))}")


def _norm_shape(a, node, shape, infer_child):
    tensor(shape, 3, node)
    planes(shape, a["nInputPlane"], node)
    return shape


def _norm_macs(passes):
    """The estimator's convolutions: a 2-D kernel once per plane, a 1-D one across and down."""
    def macs(a, in_shape, out_shape):
        dims = _kernel_dims(_kernel(a))
        return passes * math.prod(in_shape) * (math.prod(dims) if len(dims) == 2 else 2 * dims[0])
    return macs


def _norm_record(name, cls, passes, thresholds):
    params = [Param("nInputPlane", "int", 1), Param("kernel", "any", None, field=False)]
    if thresholds:
        params += [Param("threshold", "number", 1e-4), Param("thresval", "number", lambda a: a["threshold"])]
    register(name, params,
             build=lambda a, n: cls(a["nInputPlane"], _kernel(a), a.get("threshold", 1e-4), a.get("thresval", 1e-4)),
             shape=_norm_shape, tensors=no_tensors, macs=_norm_macs(passes), check=_norm_check,
             from_fields=lambda f: {"kernel": f["kernel"].tolist()})


_norm_record("nn.SpatialSubtractiveNormalization", layers_normalization.SubtractiveNormalization, 1, False)
_norm_record("nn.SpatialDivisiveNormalization", layers_normalization.DivisiveNormalization, 1, True)
_norm_record("nn.SpatialContrastiveNormalization", layers_normalization.ContrastiveNormalization, 2, True)


# nnx's nn.SpatialNormalization(nInputPlane, kernel, threshold) ------------------------------------
def _nnx_kernels(kernel):
    """The 2-D kernels nnx uses: a 2-D kernel alone, else the first two of a table of them (its
    ``ker = kernel[1]; ker2 = kernel[2]``); None when that is not what ``kernel`` holds."""
    if isinstance(kernel, list) and kernel and all(_kernel_dims(k) and len(_kernel_dims(k)) == 2 for k in kernel):
        return kernel[:2]
    return [kernel] if _kernel_dims(kernel) and len(_kernel_dims(kernel)) == 2 else None


def _nnx_norm_check(a, node):
    at_least(a, node, 1, "nInputPlane")
    if a["kernel"] is None:  # nnx: xerror('please provide kernel(s)')
        raise ArgumentError(f"{node.name}: please provide kernel(s)")
    kernels = _nnx_kernels(a["kernel"])
    if kernels is None:  # Lua's ker:size(2) fails on a 1-D tensor
        raise ArgumentError(f"{node.name}: the kernel must be 2-D (a list of equal rows) or a pair of 2-D kernels")
    if any(sum(map(sum, k)) == 0 for k in kernels):
        raise ArgumentError(f"{node.name}: a kernel sums to 0 (nnx divides it by its sum)")


def _nnx_norm_macs(a, in_shape, out_shape):
    """convo and convostd: each of its kernels on every plane (coef is computed once per size)."""
    return 2 * math.prod(in_shape) * sum(len(k) * len(k[0]) for k in _nnx_kernels(a["kernel"]))


def _nnx_norm_from_fields(f):
    if "substractMod" in f:  # nnx's first version: H x W x planes maps, kernel sizes read the other way
        raise FieldError("nnx's first SpatialNormalization (its maps H x W x planes, field substractMod) "
                         "is not supported")
    kernel = f.get("kernel")  # a tensor, or a Lua table of two
    kernel = [k.tolist() if hasattr(k, "tolist") else k for k in kernel] if isinstance(kernel, list) else \
        kernel.tolist() if hasattr(kernel, "tolist") else kernel
    return {"nInputPlane": f.get("nfeatures"), "threshold": f.get("fixedThres"), "kernel": kernel}


def _nnx_norm_fields(a, node):
    kh, kw = len(_nnx_kernels(a["kernel"])[0]), len(_nnx_kernels(a["kernel"])[0][0])
    out = {"nfeatures": a["nInputPlane"], "padW": kw // 2, "padH": kh // 2}
    return out if a["threshold"] is None else {**out, "fixedThres": a["threshold"]}


register("nn.SpatialNormalization", [Param("nInputPlane", "int", field=False),
                                     Param("kernel", "any", None, field=False),
                                     Param("threshold", "number", None, field=False)],
         build=lambda a, n: layers_normalization.SpatialNormalization(
             a["nInputPlane"], _nnx_kernels(a["kernel"]), a["threshold"]),
         shape=_norm_shape, tensors=no_tensors, macs=_nnx_norm_macs, check=_nnx_norm_check,
         fields=_nnx_norm_fields, from_fields=_nnx_norm_from_fields)


# nnx's nn.SpatialLinear(fanin, fanout): a linear map of the planes at every pixel ------------------
def _spatial_linear_shape(a, node, shape, infer_child):
    _, h, w = tensor(shape, 3, node)
    planes(shape, a["fanin"], node)
    return (a["fanout"], h, w)


register("nn.SpatialLinear", [Param("fanin", "int", 1), Param("fanout", "int", 1)],
         build=lambda a, n: layers_classic.SpatialLinear(a["fanin"], a["fanout"]), shape=_spatial_linear_shape,
         tensors=lambda a, n: {"weight": [a["fanout"], a["fanin"]], "bias": [a["fanout"]]},
         macs=lambda a, i, o: math.prod(o) * a["fanin"], fields=lambda a, n: {"weightDecay": 0},
         check=lambda a, n: at_least(a, n, 1, "fanin", "fanout"))
