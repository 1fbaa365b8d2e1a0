"""The records of the Torch7 module table, one :func:`register` call per Torch7 module type.

Each call is all enet-port knows of one type: the constructor's signature and defaults (from
torch/nn ``X.lua`` and cudnn.torch ``X.lua``), the PyTorch builder, the Torch7 shape rule, the
parameter tensors, the MAC rule and extra fields. Adding a Torch7 module is one call here.
"""
import math

import torch.nn as nn

from . import layers
from .registry import ArgumentError, FieldError, Param, at_least, ceil_mode, register
from .shapes import ShapeError, format_shape, out_size, planes, sample_dim, tensor


def no_tensors(a, node):
    return {}


def no_macs(a, in_shape, out_shape):
    return 0


def same_shape(a, node, shape, infer_child):
    return shape


# convolutions ------------------------------------------------------------------------------
def _conv_build(a, node):
    m = nn.Conv2d(a["nInputPlane"], a["nOutputPlane"], (a["kH"], a["kW"]), (a["dH"], a["dW"]),
                  (a["padH"], a["padW"]), dilation=(a.get("dilationH", 1), a.get("dilationW", 1)),
                  groups=a.get("groups", 1), bias=not node.has_modifier("noBias"))
    layers.reset_uniform_fan_in(m, a["nInputPlane"] // a.get("groups", 1) * a["kW"] * a["kH"])
    return m


def _conv_shape(a, node, shape, infer_child):
    c, h, w = tensor(shape, 3, node)
    planes(shape, a["nInputPlane"], node)
    return (a["nOutputPlane"],
            out_size(h, a["kH"], a["dH"], a["padH"], a.get("dilationH", 1), False, node),
            out_size(w, a["kW"], a["dW"], a["padW"], a.get("dilationW", 1), False, node))


def _conv_tensors(a, node):
    weight = [a["nOutputPlane"], a["nInputPlane"] // a.get("groups", 1), a["kH"], a["kW"]]
    return {"weight": weight, **({} if node.has_modifier("noBias") else {"bias": [a["nOutputPlane"]]})}


def _conv_macs(a, in_shape, out_shape):
    return math.prod(out_shape) * a["nInputPlane"] // a.get("groups", 1) * a["kH"] * a["kW"]


def _conv_check(a, node):
    at_least(a, node, 1, "nInputPlane", "nOutputPlane", "kW", "kH", "dW", "dH", "dilationW", "dilationH", "groups")
    at_least(a, node, 0, "padW", "padH")
    groups = a.get("groups", 1)
    if a["nInputPlane"] % groups or a["nOutputPlane"] % groups:
        raise ArgumentError(f"{node.name}: groups ({groups}) must divide nInputPlane and nOutputPlane")


def _conv_pads(f):
    """torch/nn SpatialConvolution's ``backCompatibility``: a file from before padW/padH holds one
    ``padding`` for both; a missing pad is 0 (not padW: this is the reading, not the constructor)."""
    if f.get("padding") is not None:
        return {"padW": f["padding"], "padH": f["padding"]}
    return {"padW": f.get("padW") or 0, "padH": f.get("padH") or 0}


_CONV = [Param("nInputPlane", "int"), Param("nOutputPlane", "int"), Param("kW", "int"),
         Param("kH", "int"), Param("dW", "int", 1), Param("dH", "int", 1), Param("padW", "int", 0)]
_DILATION = [Param("dilationW", "int", 1), Param("dilationH", "int", 1)]
_PADH_IS_PADW = [Param("padH", "int", lambda a: a["padW"])]  # nn.SpatialConvolution: padH or padW
_CONV_RULES = dict(build=_conv_build, shape=_conv_shape, tensors=_conv_tensors, macs=_conv_macs,
                   modifiers=("noBias",), check=_conv_check, from_fields=_conv_pads)
register("nn.SpatialConvolution", _CONV + _PADH_IS_PADW, **_CONV_RULES)
register("cudnn.SpatialConvolution", _CONV + [Param("padH", "int", 0), Param("groups", "int", 1)],
         **_CONV_RULES)
# nn's dilated convolution passes padH to nn.SpatialConvolution.__init (padH or padW); cudnn's
# defaults it to 0 and takes groups last
register("nn.SpatialDilatedConvolution", _CONV + _PADH_IS_PADW + _DILATION, **_CONV_RULES)
register("cudnn.SpatialDilatedConvolution", _CONV + [Param("padH", "int", 0)] + _DILATION + [Param("groups", "int", 1)],
         **_CONV_RULES)


# pooling -----------------------------------------------------------------------------------
def _pool_build(cls):
    def build(a, node):
        return cls((a["kH"], a["kW"]), (a["dH"], a["dW"]), (a["padH"], a["padW"]), ceil_mode=ceil_mode(node))
    return build


def _pool_shape(a, node, shape, infer_child):
    c, h, w = tensor(shape, 3, node)
    ceil = ceil_mode(node)
    return (c, out_size(h, a["kH"], a["dH"], a["padH"], 1, ceil, node),
            out_size(w, a["kW"], a["dW"], a["padW"], 1, ceil, node))


def _pool_check(a, node):
    at_least(a, node, 1, "kW", "kH", "dW", "dH")
    at_least(a, node, 0, "padW", "padH")
    if a["padW"] > a["kW"] // 2 or a["padH"] > a["kH"] // 2:  # THNN's shape check, for every pooling
        raise ArgumentError(f"{node.name}: pad should be smaller than half of kernel size (padW {a['padW']}, "
                            f"padH {a['padH']}, kW {a['kW']}, kH {a['kH']})")


_POOL = [Param("kW", "int"), Param("kH", "int")]
_PAD = [Param("padW", "int", 0), Param("padH", "int", 0)]
_STRIDE_IS_KERNEL = [Param("dW", "int", lambda a: a["kW"]), Param("dH", "int", lambda a: a["kH"])]
_STRIDE_ONE = [Param("dW", "int", 1), Param("dH", "int", 1)]
_POOL_RULES = dict(shape=_pool_shape, tensors=no_tensors, macs=no_macs, modifiers=("ceil", "floor"),
                   fields=lambda a, node: {"ceil_mode": ceil_mode(node)}, check=_pool_check)
for _ns in ("nn", "cudnn"):
    register(f"{_ns}.SpatialMaxPooling", _POOL + _STRIDE_IS_KERNEL + _PAD,
             build=_pool_build(layers.Torch7MaxPool2d), **_POOL_RULES)


def _avg_build(a, node):
    return layers.Torch7AvgPool2d((a["kH"], a["kW"]), (a["dH"], a["dW"]), (a["padH"], a["padW"]),
                                  ceil_mode=ceil_mode(node), count_include_pad=not node.has_modifier("setCountExcludePad"))


def _avg_from_fields(f):
    """SpatialAveragePooling.lua multiplies the output by kW*kH when ``divide`` is not set (files
    of nn from before 2015 summed): refused, as no spec writes a sum pooling."""
    if not f.get("divide"):
        raise FieldError("nn.SpatialAveragePooling without divide = true sums its window (a file of nn "
                         "before 2015); only averaging is supported")
    return {}


_AVG_RULES = dict(_POOL_RULES, modifiers=("ceil", "floor", "setCountExcludePad"),
                  fields=lambda a, node: {"ceil_mode": ceil_mode(node), "divide": True,
                                          "count_include_pad": not node.has_modifier("setCountExcludePad")})
register("nn.SpatialAveragePooling", _POOL + _STRIDE_ONE + _PAD, build=_avg_build,
         from_fields=_avg_from_fields, **_AVG_RULES)
register("cudnn.SpatialAveragePooling", _POOL + _STRIDE_IS_KERNEL + _PAD, build=_avg_build, **_POOL_RULES)


# normalisation and activations ---------------------------------------------------------------
def _batchnorm(cls):
    def build(a, node):
        m = cls(a["nOutput"], eps=a["eps"], momentum=a["momentum"], affine=a["affine"])
        layers.reset_batchnorm(m)
        return m
    return build


def _per_plane(key):
    def rule(a, node, shape, infer_child):
        if isinstance(shape, list):
            raise ShapeError(f"{node.name} expects a tensor, gets a table")
        if a[key] == 0 and key == "nOutput":  # the 2015 form: import-lua reads its planes from the input
            raise ShapeError(f"{node.name}(0) takes its planes from its first input: a spec names them")
        if a[key]:
            planes(shape, a[key], node)
        return shape
    return rule


def _bn_tensors(a, node):
    return {"weight": [a["nOutput"]], "bias": [a["nOutput"]]} if a["affine"] and a["nOutput"] else {}


def _bn_state(f, version):
    """torch/nn ``BatchNormalization:read``: files before version 2 store ``running_std``
    (1/sqrt(var + eps)); var = std^-2 - eps."""
    state = {k: f[k] for k in ("weight", "bias", "running_mean", "running_var") if f.get(k) is not None}
    if version < 2 and f.get("running_std") is not None and "running_var" not in state:
        state["running_var"] = f["running_std"].astype("float64") ** -2 - f["eps"]
    return state


def _bn_from_fields(f):
    """nOutput from the running mean; a file without ``affine`` (older nn) is affine when it
    holds a weight, as BatchNormalization.lua's ``self.affine or self.weight`` reads it."""
    affine = f.get("affine")
    return {"nOutput": len(f["running_mean"]), "affine": f.get("weight") is not None if affine is None else affine}


_BN_T7 = dict(from_fields=_bn_from_fields, t7_state=_bn_state)


def _bn_check(a, node):
    # torch/nn of 2015 (BatchNormalization.lua: "Give 0 for no affine transform"): nn.X(0) had no
    # weight or bias and sized its running statistics at the first forward; cudnn's never took 0
    at_least(a, node, 0 if node.name.startswith("nn.") else 1, "nOutput")
    at_least(a, node, 0, "eps", "momentum")  # sqrt(var + eps) of a negative eps is NaN


def _dropout_check(a, node):
    if not 0 <= a["p"] < 1:  # torch/nn Dropout.lua's own check
        raise ArgumentError(f"{node.name}: illegal percentage, must be 0 <= p < 1, got {a['p']:g}")


_BN = [Param("nOutput", "int", field=False), Param("eps", "number", 1e-5),
       Param("momentum", "number", 0.1), Param("affine", "bool", True)]
_ACTIVATION = dict(shape=same_shape, tensors=no_tensors, macs=no_macs)
for _ns in ("nn", "cudnn"):
    register(f"{_ns}.SpatialBatchNormalization", _BN, build=_batchnorm(layers.Torch7BatchNorm2d),
             shape=_per_plane("nOutput"), tensors=_bn_tensors, macs=no_macs, check=_bn_check, **_BN_T7)
    register(f"{_ns}.ReLU", [Param("inplace", "any", False)], build=lambda a, n: nn.ReLU(),
             fields=lambda a, n: {"threshold": 0, "val": 0}, any_layout=True, **_ACTIVATION)
    register(f"{_ns}.LogSoftMax", [], build=lambda a, n: nn.LogSoftmax(dim=1), **_ACTIVATION)
register("nn.BatchNormalization", _BN, build=_batchnorm(layers.Torch7BatchNorm1d),
         shape=_per_plane("nOutput"), tensors=_bn_tensors, macs=no_macs, check=_bn_check, **_BN_T7)
register("nn.PReLU", [Param("nOutputPlane", "int", 0)],
         build=lambda a, n: nn.PReLU(max(a["nOutputPlane"], 1), init=0.25),
         shape=_per_plane("nOutputPlane"), tensors=lambda a, n: {"weight": [max(a["nOutputPlane"], 1)]},
         macs=no_macs, check=lambda a, n: at_least(a, n, 0, "nOutputPlane"))
register("nn.SpatialDropout", [Param("p", "number", 0.5), Param("stochasticInference", "any", False, field=False)],
         build=lambda a, n: layers.Torch7Dropout(a["p"], per_channel=True, stochastic=bool(a["stochasticInference"])),
         fields=lambda a, n: {"stochastic_inference": bool(a["stochasticInference"])},
         from_fields=lambda f: {"stochasticInference": bool(f.get("stochastic_inference", False))},
         check=_dropout_check, **_ACTIVATION)
register("nn.Dropout", [Param("p", "number", 0.5), Param("v1", "any", False, field=False),
                        Param("inplace", "any", False), Param("stochasticInference", "any", False, field=False)],
         build=lambda a, n: layers.Torch7Dropout(a["p"], per_channel=False, v2=not a["v1"],
                                                 stochastic=bool(a["stochasticInference"])),
         fields=lambda a, n: {"v2": not a["v1"], "stochastic_inference": bool(a["stochasticInference"])},
         from_fields=lambda f: {"v1": not f.get("v2", False),  # no v2 field: a file older than v2
                                "stochasticInference": bool(f.get("stochastic_inference", False))},
         check=_dropout_check, any_layout=True, **_ACTIVATION)
register("nn.Identity", [], build=lambda a, n: nn.Identity(), any_layout=True, **_ACTIVATION)


# shape and table modules ---------------------------------------------------------------------
def _padding_shape(a, node, shape, infer_child):
    # Models run batched: dim counts the batch unless nInputDim says the input is batched.
    shift = a["nInputDim"] is not None and len(shape) + 1 != a["nInputDim"]
    out, index = list(shape), sample_dim(a["dim"] + shift, node)
    if index >= len(out):
        raise ShapeError(f"{node.name}: dimension {a['dim']} is out of range for {format_shape(shape)}")
    out[index] += abs(a["pad"])
    return tuple(out)


def join(node, dimension, n_input_dims, shapes):
    """JoinTable's (and Concat's) output shape for a list of per-sample shapes."""
    if not isinstance(shapes, list) or not shapes:
        raise ShapeError(f"{node.name} expects a table of tensors, gets {format_shape(shapes)}")
    if dimension < 0:
        dim = len(shapes[0]) + dimension
    else:
        shift = n_input_dims is not None and len(shapes[0]) == n_input_dims
        dim = sample_dim(dimension + shift, node)
    if not 0 <= dim < len(shapes[0]):
        raise ShapeError(f"{node.name}: dimension {dimension} is out of range for {format_shape(shapes)}")
    rest = {tuple(s[:dim]) + tuple(s[dim + 1:]) for s in shapes}
    if len(rest) != 1:
        raise ShapeError(f"{node.name} cannot join shapes {format_shape(shapes)} along dim {dimension}")
    out = list(shapes[0])
    out[dim] = sum(s[dim] for s in shapes)
    return tuple(out)


def _cadd_shape(a, node, shapes, infer_child):
    if not isinstance(shapes, list) or len(set(shapes)) != 1:
        raise ShapeError(f"{node.name} needs a table of equal shapes, gets {format_shape(shapes)}")
    return shapes[0]


def _view_check(a, node):
    sizes = a["sizes"]
    if not sizes or any(s < 1 and s != -1 for s in sizes):
        raise ArgumentError(f"{node.name}: sizes must be positive (one may be -1), got {sizes}")
    if sizes.count(-1) > 1:
        raise ArgumentError(f"{node.name}: at most one size may be -1, got {sizes}")


def _view_sizes(a, node, shape=None):
    """The per-sample sizes of a View. Torch7's ``View.batchsize()`` finds no batch when a size
    is -1 and ``setNumInputDims`` was not called: it views the whole batched tensor as ``sizes``,
    so the batch survives only as a leading -1 over sizes that make one sample
    (``nn.View(-1, 144)``); any other -1 there mixes samples, which is refused."""
    sizes = list(a["sizes"])
    if -1 not in sizes or node.has_modifier("setNumInputDims"):
        return sizes
    if shape is not None and (sizes[0] != -1 or math.prod(sizes[1:]) != math.prod(shape)):
        raise ShapeError(f"{node.name}({', '.join(map(str, sizes))}) without setNumInputDims views the whole batch "
                         f"in Torch7, so samples of {format_shape(shape)} would be mixed; a leading -1 with "
                         f"sizes of one sample keeps the batch, or add :setNumInputDims({len(shape)})")
    return sizes[1:]


def _view_shape(a, node, shape, infer_child):
    sizes, total = _view_sizes(a, node, shape), math.prod(shape)
    if -1 in sizes:
        sizes[sizes.index(-1)] = total // -math.prod(sizes)
    if math.prod(sizes) != total:
        raise ShapeError(f"{node.name}({', '.join(map(str, a['sizes']))}) cannot view {format_shape(shape)} "
                         f"({total} elements per sample)")
    return tuple(sizes)


register("nn.Padding", [Param("dim", "int"), Param("pad", "int"), Param("nInputDim", "int", None),
                        Param("value", "number", 0.0), Param("index", "int", 1)],
         build=lambda a, n: layers.Padding(a["dim"], a["pad"], a["nInputDim"], a["value"], a["index"]),
         shape=_padding_shape, tensors=no_tensors, macs=no_macs,
         check=lambda a, n: at_least(a, n, 1, "nInputDim", "index"))
register("nn.JoinTable", [Param("dimension", "int"), Param("nInputDims", "int", None)],
         build=lambda a, n: layers.JoinTable(a["dimension"], a["nInputDims"]),
         shape=lambda a, n, s, ic: join(n, a["dimension"], a["nInputDims"], s), tensors=no_tensors, macs=no_macs,
         check=lambda a, n: at_least(a, n, 1, "nInputDims"))
register("nn.CAddTable", [Param("inplace", "any", False)], build=lambda a, n: layers.CAddTable(),
         shape=_cadd_shape, tensors=no_tensors, macs=no_macs)
register("nn.View", [Param("sizes", "ints", field=False)], build=lambda a, n: layers.View(*_view_sizes(a, n)),
         shape=_view_shape, tensors=no_tensors, macs=no_macs, modifiers=("setNumInputDims",),
         check=_view_check,
         from_fields=lambda f: {"sizes": [int(v) for v in f["size"]]})


def _linear_shape(a, node, shape, infer_child):
    if len(shape) != 1 or shape[0] != a["inputSize"]:
        raise ShapeError(f"{node.name} expects {a['inputSize']} inputs, gets {format_shape(shape)}")
    return (a["outputSize"],)


def _linear_build(a, node):
    m = nn.Linear(a["inputSize"], a["outputSize"], bias=a["bias"] and not node.has_modifier("noBias"))
    layers.reset_uniform_fan_in(m, a["inputSize"])
    return m


def _linear_tensors(a, node):
    bias = a["bias"] and not node.has_modifier("noBias")
    return {"weight": [a["outputSize"], a["inputSize"]], **({"bias": [a["outputSize"]]} if bias else {})}


register("nn.Linear", [Param("inputSize", "int", field=False), Param("outputSize", "int", field=False),
                       Param("bias", "bool", True, field=False)],
         build=_linear_build, shape=_linear_shape, tensors=_linear_tensors,
         macs=lambda a, i, o: a["inputSize"] * a["outputSize"], modifiers=("noBias",),
         from_fields=lambda f: {"inputSize": f["weight"].shape[1], "outputSize": f["weight"].shape[0],
                                "bias": f.get("bias") is not None},
         check=lambda a, n: at_least(a, n, 1, "inputSize", "outputSize"))
