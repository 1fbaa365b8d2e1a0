"""Records of Torch7's tensor-shape modules: Reshape, Narrow, Sum, Mean, Squeeze, Transpose, Copy.

Signatures from torch/nn ``Reshape.lua`` (sizes..., batchMode), ``Narrow.lua`` (dimension,
offset, length=1), ``Sum.lua`` (dimension=1, nInputDims, sizeAverage=false, squeeze=true),
``Mean.lua`` (dimension=1, nInputDims: Sum with sizeAverage), ``Squeeze.lua`` (dim,
numInputDims), ``Transpose.lua`` ({a, b}...) and ``Copy.lua`` (intype, outtype, forceCopy,
dontCast). Their dimensions count the batch unless
nInputDims (numInputDims, setNumInputDims) says the input is batched: the shape rules work on
per-sample shapes, so a rule that lands on the batch dimension is an error, as it is a bug.
"""
import math

import torch.nn as nn

from . import layers_tables
from .modules import no_macs, no_tensors, same_shape
from .registry import ArgumentError, Param, register
from .shapes import BatchMoved, ShapeError, batch_dim, format_shape

_NO_PARAMS = dict(tensors=no_tensors, macs=no_macs)


def _sample(node, shape):
    if isinstance(shape, list):
        raise ShapeError(f"{node.name} expects a tensor, gets a table")
    return shape


def _batched_dim(dim, shape, node, n_input_dims=None):
    """A Lua dim of the batched tensor -> index into the per-sample shape."""
    if dim < 0:
        index = len(shape) + 1 + dim
    else:
        index = dim - 1 + int(n_input_dims is not None and len(shape) == n_input_dims)
    if index == 0:
        raise ShapeError(f"{node.name} works along the batch dimension")
    if not 0 < index <= len(shape):
        raise ShapeError(f"{node.name}: dimension {dim} is outside a batch of {format_shape(shape)}")
    return index - 1


def _reshape_shape(a, node, shape, infer_child):
    if a["batchMode"] is False:
        raise ShapeError(f"{node.name}(..., false) views the whole batch as one sample")
    sizes = tuple(a["sizes"])
    if math.prod(sizes) != math.prod(_sample(node, shape)):
        raise ShapeError(f"{node.name}({', '.join(map(str, sizes))}) cannot reshape {format_shape(shape)}")
    return sizes


register("nn.Reshape", [Param("sizes", "ints", field=False, tail="batchMode")],
         build=lambda a, n: layers_tables.Reshape(a["sizes"], a["batchMode"]), shape=_reshape_shape,
         fields=lambda a, n: {"nelement": math.prod(a["sizes"]), "batchMode": a["batchMode"]},
         from_fields=lambda f: {"sizes": [int(v) for v in f["size"]] +  # Reshape.lua: self.size, a LongStorage
                                ([] if f.get("batchMode") is None else [bool(f["batchMode"])])}, **_NO_PARAMS)


def _narrow_shape(a, node, shape, infer_child):
    dim = _batched_dim(a["dimension"], _sample(node, shape), node)
    size, length = shape[dim], a["length"]
    if length < 0:
        length = size - a["offset"] + length + 2
    if a["offset"] < 1 or length < 1 or a["offset"] + length - 1 > size:
        raise ShapeError(f"{node.name}({a['dimension']}, {a['offset']}, {a['length']}) is outside "
                         f"size {size} of {format_shape(shape)}")
    return shape[:dim] + (length,) + shape[dim + 1:]


register("nn.Narrow", [Param("dimension", "int"), Param("offset", "int", field=False), Param("length", "int", 1)],
         build=lambda a, n: layers_tables.Narrow(a["dimension"], a["offset"], a["length"]),
         shape=_narrow_shape, fields=lambda a, n: {"index": a["offset"]},
         from_fields=lambda f: {"offset": f["index"]}, **_NO_PARAMS)  # Narrow.lua: self.index = offset


def _sum_shape(a, node, shape, infer_child):
    dim = _batched_dim(a["dimension"], _sample(node, shape), node, a["nInputDims"])
    return shape[:dim] + shape[dim + 1:] if a["squeeze"] else shape[:dim] + (1,) + shape[dim + 1:]


def _sum_build(a, node):
    return layers_tables.Sum(a["dimension"], a["nInputDims"], a["sizeAverage"], a["squeeze"])


_SUM = [Param("dimension", "int", 1), Param("nInputDims", "int", None)]
register("nn.Sum", _SUM + [Param("sizeAverage", "any", False), Param("squeeze", "bool", True)],
         build=_sum_build, shape=_sum_shape, **_NO_PARAMS)
register("nn.Mean", _SUM, build=lambda a, n: _sum_build({**a, "sizeAverage": True, "squeeze": True}, n),
         shape=lambda a, n, s, ic: _sum_shape({**a, "squeeze": True}, n, s, ic),
         fields=lambda a, n: {"sizeAverage": True, "squeeze": True}, **_NO_PARAMS)


def _squeeze_shape(a, node, shape, infer_child):
    shape = _sample(node, shape)
    if a["dim"] is None:
        return tuple(s for s in shape if s != 1)
    dim = _batched_dim(a["dim"], shape, node, a["numInputDims"])
    return shape[:dim] + shape[dim + 1:] if shape[dim] == 1 else shape


register("nn.Squeeze", [Param("dim", "int", None), Param("numInputDims", "int", None)],
         build=lambda a, n: layers_tables.Squeeze(a["dim"], a["numInputDims"]),
         shape=_squeeze_shape, **_NO_PARAMS)


def _num_input_dims(node):
    args = node.modifier_args("setNumInputDims")
    return int(args[0]) if args else None


def _transpose_shape(a, node, shape, infer_child):
    """The swaps on the whole tensor, batch included: ``nn.Transpose({1,4},{1,3},{1,2})`` moves the
    batch last (cuda-convnet2's layout), ``({4,1},{4,2},{4,3})`` brings it back."""
    whole = list(_sample(node, shape))
    whole.insert(batch_dim(shape), None)  # None: the batch's place
    n = _num_input_dims(node)
    shift = 0 if n is None else len(whole) - n  # Transpose.lua: offset = nDimension - numInputDims
    for pair in a["permutations"]:
        i, j = (d - 1 + shift for d in pair)
        if min(i, j) < 0 or max(i, j) >= len(whole):
            raise ShapeError(f"{node.name}: {{{pair[0]}, {pair[1]}}} is outside the batch of {format_shape(shape)}")
        whole[i], whole[j] = whole[j], whole[i]
    batch = whole.index(None)
    sizes = tuple(s for s in whole if s is not None)
    return BatchMoved(sizes, batch) if batch else sizes


register("nn.Transpose", [Param("permutations", "pairs", field=False)],
         build=lambda a, n: layers_tables.Transpose(a["permutations"], _num_input_dims(n)),
         shape=_transpose_shape, modifiers=("setNumInputDims",), any_layout=True,
         fields=lambda a, n: {"permutations": [list(p) for p in a["permutations"]]},
         from_fields=lambda f: {"permutations": [[int(v) for v in _lua_array(p)] for p in _lua_array(f["permutations"])]},
         **_NO_PARAMS)


def _lua_array(value):
    """A Lua array as the reader gives it: a list, or a dict keyed 1..n."""
    if isinstance(value, dict):
        return [value[i] for i in range(1, len(value) + 1)]
    return list(value)


# Copy.lua copies its input into a tensor of type outtype; the port computes in one floating type,
# so a copy to a floating type passes the values through, and one to an integer type (which
# would truncate them) is refused rather than silently kept.
_FLOATING = ("torch.FloatTensor", "torch.DoubleTensor", "torch.CudaTensor", "torch.CudaDoubleTensor")


def _copy_check(a, node):
    for name in ("intype", "outtype"):
        if a[name] is not None and not (isinstance(a[name], str) and a[name].startswith("torch.")):
            raise ArgumentError(f"{node.name}: {name} must be a tensor type name, got {a[name]!r}")
    if a["outtype"] is not None and a["outtype"] not in _FLOATING:
        raise ArgumentError(f"{node.name}: a copy to {a['outtype']} changes the values; enet-port computes "
                            f"in one floating type ({', '.join(_FLOATING)} pass them through)")


register("nn.Copy", [Param("intype", "any", None, field=False), Param("outtype", "any", None, field=False),
                     Param("forceCopy", "any", None, field=False), Param("dontCast", "any", None)],
         build=lambda a, n: nn.Identity(), shape=same_shape,
         check=_copy_check, **_NO_PARAMS)
