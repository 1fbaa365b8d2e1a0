"""The one registry from Torch7 module name to PyTorch builder.

Each entry states the Torch7 constructor signature (positional parameters, their defaults as
torch/nn and cudnn.torch define them), the modifiers the module accepts, whether it holds
children, and a builder. ``nn.`` and ``cudnn.`` versions are separate entries because their
defaults differ (``cudnn.SpatialConvolution``: padH defaults to 0; ``cudnn.SpatialAveragePooling``:
stride defaults to the kernel size). An unknown name is an error, never a fallback.
"""
from dataclasses import dataclass

import torch.nn as nn

from . import layers

REQUIRED = object()


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # 'int', 'number', 'bool', 'any' (Lua truthiness), 'ints' (the rest, View)
    default: object = REQUIRED  # a value, REQUIRED, or a function of the arguments so far


@dataclass(frozen=True)
class ModuleType:
    name: str
    params: tuple
    build: object  # build(args: dict, node) -> nn.Module
    modifiers: tuple = ()
    container: bool = False


REGISTRY = {}


def register(name, params, build, modifiers=(), container=False):
    if name in REGISTRY:
        raise ValueError(f"Torch7 module {name} registered twice")
    REGISTRY[name] = ModuleType(name, tuple(params), build, tuple(modifiers), container)


def lookup(name):
    """The registry entry for ``name``; KeyError with the known names otherwise."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown Torch7 module '{name}'") from None


def base_name(name):
    """``cudnn.SpatialConvolution`` -> ``SpatialConvolution``."""
    return name.split(".", 1)[-1]


def _conv(args, node):
    m = nn.Conv2d(args["nInputPlane"], args["nOutputPlane"], (args["kH"], args["kW"]),
                  (args["dH"], args["dW"]), (args["padH"], args["padW"]),
                  dilation=(args.get("dilationH", 1), args.get("dilationW", 1)),
                  groups=args.get("groups", 1), bias=not node.has_modifier("noBias"))
    layers.reset_uniform_fan_in(m, args["nInputPlane"] // args.get("groups", 1) * args["kW"] * args["kH"])
    return m


def _pool(cls, **extra):
    def build(args, node):
        return cls((args["kH"], args["kW"]), (args["dH"], args["dW"]), (args["padH"], args["padW"]),
                   ceil_mode=node.has_modifier("ceil") and not _floor_last(node), **extra)
    return build


def _floor_last(node):
    """``:ceil():floor()`` ends in floor mode: the last call wins."""
    names = [m[0] for m in node.modifiers if m[0] in ("ceil", "floor")]
    return bool(names) and names[-1] == "floor"


def _batchnorm(cls):
    def build(args, node):
        m = cls(args["nOutput"], eps=args["eps"], momentum=args["momentum"], affine=args["affine"])
        layers.reset_batchnorm(m)
        return m
    return build


def _linear(args, node):
    m = nn.Linear(args["inputSize"], args["outputSize"],
                  bias=args["bias"] and not node.has_modifier("noBias"))
    layers.reset_uniform_fan_in(m, args["inputSize"])
    return m


def _dropout(args, node):
    if args["v1"]:
        return layers.Torch7Dropout(args["p"], per_channel=False)
    return nn.Dropout(args["p"])


def _container(cls):
    return lambda args, node: cls()


_CONV = [Param("nInputPlane", "int"), Param("nOutputPlane", "int"), Param("kW", "int"),
         Param("kH", "int"), Param("dW", "int", 1), Param("dH", "int", 1), Param("padW", "int", 0)]
_POOL = [Param("kW", "int"), Param("kH", "int")]
_PAD = [Param("padW", "int", 0), Param("padH", "int", 0)]
_BN = [Param("nOutput", "int"), Param("eps", "number", 1e-5), Param("momentum", "number", 0.1),
       Param("affine", "bool", True)]
_STRIDE_IS_KERNEL = [Param("dW", "int", lambda a: a["kW"]), Param("dH", "int", lambda a: a["kH"])]
_STRIDE_ONE = [Param("dW", "int", 1), Param("dH", "int", 1)]
_DILATED = _CONV + [Param("padH", "int", 0), Param("dilationW", "int", 1), Param("dilationH", "int", 1)]

register("nn.SpatialConvolution", _CONV + [Param("padH", "int", lambda a: a["padW"])], _conv, ("noBias",))
register("cudnn.SpatialConvolution", _CONV + [Param("padH", "int", 0), Param("groups", "int", 1)],
         _conv, ("noBias",))
register("nn.SpatialDilatedConvolution", _DILATED, _conv, ("noBias",))
register("cudnn.SpatialDilatedConvolution", _DILATED, _conv, ("noBias",))
for _ns in ("nn", "cudnn"):
    register(f"{_ns}.SpatialMaxPooling", _POOL + _STRIDE_IS_KERNEL + _PAD, _pool(nn.MaxPool2d),
             ("ceil", "floor"))
    register(f"{_ns}.SpatialBatchNormalization", _BN, _batchnorm(layers.Torch7BatchNorm2d))
    register(f"{_ns}.ReLU", [Param("inplace", "any", False)], lambda a, n: nn.ReLU())
    register(f"{_ns}.LogSoftMax", [], lambda a, n: nn.LogSoftmax(dim=1))
register("nn.SpatialAveragePooling", _POOL + _STRIDE_ONE + _PAD,
         _pool(nn.AvgPool2d, count_include_pad=True), ("ceil", "floor"))
register("cudnn.SpatialAveragePooling", _POOL + _STRIDE_IS_KERNEL + _PAD,
         _pool(nn.AvgPool2d, count_include_pad=True), ("ceil", "floor"))
register("nn.BatchNormalization", _BN, _batchnorm(layers.Torch7BatchNorm1d))
register("nn.PReLU", [Param("nOutputPlane", "int", 0)],
         lambda a, n: nn.PReLU(max(a["nOutputPlane"], 1), init=0.25))
register("nn.SpatialDropout", [Param("p", "number", 0.5)],
         lambda a, n: layers.Torch7Dropout(a["p"], per_channel=True))
register("nn.Dropout", [Param("p", "number", 0.5), Param("v1", "bool", False),
                        Param("inplace", "any", False)], _dropout)
register("nn.Padding", [Param("dim", "int"), Param("pad", "int"), Param("nInputDim", "int", None),
                        Param("value", "number", 0.0), Param("index", "int", 1)],
         lambda a, n: layers.Padding(a["dim"], a["pad"], a["nInputDim"], a["value"], a["index"]))
register("nn.JoinTable", [Param("dimension", "int"), Param("nInputDims", "int", None)],
         lambda a, n: layers.JoinTable(a["dimension"], a["nInputDims"]))
register("nn.CAddTable", [Param("inplace", "any", False)], lambda a, n: layers.CAddTable())
register("nn.Identity", [], lambda a, n: nn.Identity())
register("nn.View", [Param("sizes", "ints")], lambda a, n: layers.View(*a["sizes"]),
         ("setNumInputDims",))
register("nn.Linear", [Param("inputSize", "int"), Param("outputSize", "int"), Param("bias", "bool", True)],
         _linear, ("noBias",))
# Torch7's ConcatTable() and Sequential() take no arguments; Lua drops extras, so the seed's
# nn.ConcatTable(2) is legal. The spec keeps that argument and the builder ignores it, as Lua does.
register("nn.ConcatTable", [Param("ignored", "any", None)], _container(layers.ConcatTable),
         container=True)
register("nn.Sequential", [Param("ignored", "any", None)], _container(nn.Sequential), container=True)
register("nn.Concat", [Param("dimension", "int")], lambda a, n: layers.Concat(a["dimension"]), container=True)
register("nn.SpatialZeroPadding", [Param("pad_l", "int"), Param("pad_r", "int", lambda a: a["pad_l"]),
                                   Param("pad_t", "int", lambda a: a["pad_l"]),
                                   Param("pad_b", "int", lambda a: a["pad_l"])],
         lambda a, n: nn.ZeroPad2d((a["pad_l"], a["pad_r"], a["pad_t"], a["pad_b"])))


class ArgumentError(ValueError):
    """Arguments that do not fit a module's Torch7 signature."""


def resolve_args(node, lenient=False):
    """The node's arguments by parameter name, defaults filled in, types checked.

    ``lenient`` ignores extra arguments, as a Lua constructor call does."""
    mtype = lookup(node.name)
    args, given = {}, list(node.args)
    if lenient and not any(p.kind == "ints" for p in mtype.params):
        given = given[:len(mtype.params)]
    for i, param in enumerate(mtype.params):
        if param.kind == "ints":
            args[param.name] = [_check(param, v) for v in given[i:]]
            return args
        value = given[i] if i < len(given) else None
        if value is None:
            if param.default is REQUIRED:
                raise ArgumentError(f"{node.name}: missing argument #{i + 1} ({param.name})")
            value = param.default(args) if callable(param.default) else param.default
        else:
            value = _check(param, value)
        args[param.name] = value
    if len(given) > len(mtype.params):
        raise ArgumentError(f"{node.name}: takes at most {len(mtype.params)} arguments, "
                            f"got {len(given)}")
    return args


def _check(param, value):
    if param.kind == "any":
        return value
    if param.kind == "bool":
        if not isinstance(value, bool):
            raise ArgumentError(f"argument {param.name} must be true or false, got {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ArgumentError(f"argument {param.name} must be a number, got {value!r}")
    if param.kind in ("int", "ints"):
        if float(value) != int(value):
            raise ArgumentError(f"argument {param.name} must be a whole number, got {value!r}")
        return int(value)
    return float(value)
