"""Records of torch/nn's dimension, pair and mapping modules.

Signatures, defaults and fields from torch/nn ``Contiguous.lua``, ``Unsqueeze.lua`` (pos,
numInputDims), ``Replicate.lua`` (nf -> ``nfeatures``, dim=1, ndim), ``Select.lua`` (dimension,
index; negative ones count from the end), ``Max.lua`` and ``Min.lua`` (dimension=1, nInputDims),
``CMinTable.lua``, ``CDivTable.lua``, ``MM.lua`` (transA=false, transB=false), ``DotProduct.lua``,
``PairwiseDistance.lua`` (p -> ``norm``), ``CosineDistance.lua``, ``Euclidean.lua`` and
``Cosine.lua`` (inputSize, outputSize: not stored, the weight's sizes give them), ``Bilinear.lua``
(inputSize1, inputSize2, outputSize, bias=true; likewise), ``MapTable.lua`` (module,
shared=true; a ``.t7`` file keeps it as ``module``, its ``modules`` holding clones) and ``Bottle.lua`` (module,
nInputDim=2, nOutputDim=nInputDim; field ``dimDelta``). As for rnn's decorators, the module
argument of MapTable and Bottle is the entry's one child. Shapes are per sample: a Lua dim that
lands on the batch is a shape error, and a distance or dot product of two vectors is one number
per sample, ``()``.
"""
import torch.nn as nn

from . import layers_vectors
from .modules import _cadd_shape, no_macs, no_tensors, same_shape
from .modules_reshape import _batched_dim, _sum_shape
from .registry import ArgumentError, Param, at_least, register
from .shapes import ShapeError, format_shape, only_child

_NO_PARAMS = dict(tensors=no_tensors, macs=no_macs)
register("nn.Contiguous", [], build=lambda a, n: nn.Identity(), shape=same_shape, any_layout=True, **_NO_PARAMS)


def _insert(node, shape, index, size, what):
    """``shape`` (per sample) with ``size`` put at 0-based ``index`` of the batched tensor."""
    if isinstance(shape, list):
        raise ShapeError(f"{node.name} expects a tensor, gets a table")
    if index == 0:
        raise ShapeError(f"{node.name} {what} before the batch dimension")
    if not 0 < index <= len(shape) + 1:
        raise ShapeError(f"{node.name}: its dimension is outside a batch of {format_shape(shape)}")
    return shape[:index - 1] + (size,) + shape[index - 1:]


def _unsqueeze_shape(a, node, shape, infer_child):
    whole = len(shape) + 1
    given = a["numInputDims"] if a["numInputDims"] is not None else whole
    if given > whole:  # Unsqueeze.lua: "numInputDims must be <= input:dim()"
        raise ShapeError(f"{node.name}: numInputDims {given} is more than the {whole} dims of a batch")
    return _insert(node, shape, whole - given + a["pos"] - 1, 1, "inserts its 1")


register("nn.Unsqueeze", [Param("pos", "int"), Param("numInputDims", "int", None)],
         build=lambda a, n: layers_vectors.Unsqueeze(a["pos"], a["numInputDims"]), shape=_unsqueeze_shape,
         check=lambda a, n: at_least(a, n, 1, "pos", "numInputDims"), **_NO_PARAMS)


def _replicate_shape(a, node, shape, infer_child):
    rdim = a["dim"] + int(a["ndim"] is not None and len(shape) + 1 > a["ndim"])
    return _insert(node, shape, rdim - 1, a["nfeatures"], "replicates")


register("nn.Replicate", [Param("nfeatures", "int"), Param("dim", "int", 1), Param("ndim", "int", None)],
         build=lambda a, n: layers_vectors.Replicate(a["nfeatures"], a["dim"], a["ndim"]), shape=_replicate_shape,
         check=lambda a, n: at_least(a, n, 1, "nfeatures", "dim", "ndim"), **_NO_PARAMS)


def _select_shape(a, node, shape, infer_child):
    dim = _batched_dim(a["dimension"], _tensor(node, shape), node)
    if not (1 <= a["index"] <= shape[dim] or -shape[dim] <= a["index"] <= -1):
        raise ShapeError(f"{node.name}({a['dimension']}, {a['index']}): index outside size {shape[dim]} "
                         f"of {format_shape(shape)}")
    return shape[:dim] + shape[dim + 1:]


def _tensor(node, shape):
    if isinstance(shape, list):
        raise ShapeError(f"{node.name} expects a tensor, gets a table")
    return shape


register("nn.Select", [Param("dimension", "int"), Param("index", "int")],
         build=lambda a, n: layers_vectors.Select(a["dimension"], a["index"]), shape=_select_shape, **_NO_PARAMS)
for _name, _largest in (("nn.Max", True), ("nn.Min", False)):
    register(_name, [Param("dimension", "int", 1), Param("nInputDims", "int", None)],
             build=lambda a, n, big=_largest: layers_vectors.Extremum(big, a["dimension"], a["nInputDims"]),
             shape=lambda a, n, s, ic: _sum_shape({**a, "squeeze": True}, n, _tensor(n, s), ic), **_NO_PARAMS)


# pairs of tensors ------------------------------------------------------------------------------
def _pair(node, shapes, dims=None):
    if not isinstance(shapes, list) or len(shapes) != 2 or isinstance(shapes[0], list) or \
            isinstance(shapes[1], list):
        raise ShapeError(f"{node.name} expects a table of two tensors, gets {format_shape(shapes)}")
    if dims is not None and (len(shapes[0]) != dims or len(shapes[1]) != dims):
        raise ShapeError(f"{node.name} expects two {dims}-D samples, gets {format_shape(shapes)}")
    return shapes


def _same_pair(node, shapes, dims=None):
    a, b = _pair(node, shapes, dims)
    if a != b:
        raise ShapeError(f"{node.name} needs two tensors of one shape, gets {format_shape(shapes)}")
    return a


def _mm_operands(a, node, shapes):
    left, right = _pair(node, shapes, 2)
    left, right = left[::-1] if a["transA"] else left, right[::-1] if a["transB"] else right
    if left[1] != right[0]:
        raise ShapeError(f"{node.name} cannot multiply {format_shape(left)} by {format_shape(right)}")
    return left, right


register("nn.MM", [Param("transA", "bool", False), Param("transB", "bool", False)],
         build=lambda a, n: layers_vectors.MM(a["transA"], a["transB"]),
         shape=lambda a, n, s, ic: (lambda lr: (lr[0][0], lr[1][1]))(_mm_operands(a, n, s)),
         tensors=no_tensors, macs=lambda a, i, o: o[0] * o[1] * (i[0][0] if a["transA"] else i[0][1]))
register("nn.CMinTable", [], build=lambda a, n: layers_vectors.CMinTable(), shape=_cadd_shape, **_NO_PARAMS)
register("nn.CDivTable", [], build=lambda a, n: layers_vectors.CDivTable(),
         shape=lambda a, n, s, ic: _same_pair(n, s), **_NO_PARAMS)
_VECTORS = dict(shape=lambda a, n, s, ic: _same_pair(n, s, 1)[:0], tensors=no_tensors)
register("nn.DotProduct", [], build=lambda a, n: layers_vectors.DotProduct(), macs=lambda a, i, o: i[0][0],
         **_VECTORS)
register("nn.CosineDistance", [], build=lambda a, n: layers_vectors.CosineDistance(),
         macs=lambda a, i, o: 3 * i[0][0], **_VECTORS)


def _norm_check(a, node):
    if not a["norm"] > 0:
        raise ArgumentError(f"{node.name}: the p of its p-norm must be positive, got {a['norm']:g}")


register("nn.PairwiseDistance", [Param("norm", "number")],
         build=lambda a, n: layers_vectors.PairwiseDistance(a["norm"]),
         macs=no_macs, check=_norm_check, **_VECTORS)


# parameter modules of vectors: nn.Euclidean, nn.Cosine (sizes not stored: the weight's), nn.Bilinear
def _vector_shape(a, node, shape, infer_child):
    if isinstance(shape, list) or len(shape) != 1 or shape[0] != a["inputSize"]:
        raise ShapeError(f"{node.name} expects {a['inputSize']} inputs, gets {format_shape(shape)}")
    return (a["outputSize"],)


_SIZES = [Param("inputSize", "int", field=False), Param("outputSize", "int", field=False)]
_VECTOR = dict(shape=_vector_shape, macs=lambda a, i, o: a["inputSize"] * a["outputSize"],
               check=lambda a, n: at_least(a, n, 1, "inputSize", "outputSize"))
register("nn.Euclidean", _SIZES, build=lambda a, n: layers_vectors.Euclidean(a["inputSize"], a["outputSize"]),
         tensors=lambda a, n: {"weight": [a["inputSize"], a["outputSize"]]},
         from_fields=lambda f: {"inputSize": f["weight"].shape[0], "outputSize": f["weight"].shape[1]}, **_VECTOR)
register("nn.Cosine", _SIZES, build=lambda a, n: layers_vectors.Cosine(a["inputSize"], a["outputSize"]),
         tensors=lambda a, n: {"weight": [a["outputSize"], a["inputSize"]]},
         from_fields=lambda f: {"inputSize": f["weight"].shape[1], "outputSize": f["weight"].shape[0]}, **_VECTOR)


def _bilinear_shape(a, node, shapes, infer_child):
    if _pair(node, shapes, 1) != [(a["inputSize1"],), (a["inputSize2"],)]:
        raise ShapeError(f"{node.name} expects vectors of {a['inputSize1']} and {a['inputSize2']}, "
                         f"gets {format_shape(shapes)}")
    return (a["outputSize"],)


register("nn.Bilinear", [Param("inputSize1", "int", field=False), Param("inputSize2", "int", field=False),
                         Param("outputSize", "int", field=False), Param("bias", "bool", True, field=False)],
         build=lambda a, n: layers_vectors.Bilinear(a["inputSize1"], a["inputSize2"], a["outputSize"], a["bias"]),
         shape=_bilinear_shape,
         tensors=lambda a, n: {"weight": [a["outputSize"], a["inputSize1"], a["inputSize2"]],
                               **({"bias": [a["outputSize"]]} if a["bias"] else {})},
         macs=lambda a, i, o: a["outputSize"] * a["inputSize1"] * a["inputSize2"],
         from_fields=lambda f: dict(zip(("outputSize", "inputSize1", "inputSize2"), f["weight"].shape),
                                    bias=f.get("bias") is not None),
         check=lambda a, n: at_least(a, n, 1, "inputSize1", "inputSize2", "outputSize"))


# containers of one module ----------------------------------------------------------------------
def _map_shape(a, node, shape, infer_child):
    if not isinstance(shape, list):
        raise ShapeError(f"{node.name} expects a table, gets {format_shape(shape)}")
    return [infer_child(only_child(node), s) for s in shape]


def _bottle_shape(a, node, shape, infer_child):
    """The first ``batchDims`` dims of the batched tensor are fused into the module's batch."""
    batch_dims = len(_tensor(node, shape)) + 2 - a["nInputDim"]
    if batch_dims <= 1:
        return infer_child(only_child(node), shape)
    out = infer_child(only_child(node), shape[batch_dims - 1:])
    if isinstance(out, list) or len(out) + 1 != a["nOutputDim"]:
        raise ShapeError(f"{node.name}: its module gives {format_shape(out)} per sample, not "
                         f"{a['nOutputDim'] - 1}-D (nOutputDim {a['nOutputDim']} counts the batch)")
    return shape[:batch_dims - 1] + out


_ONE_CHILD = dict(tensors=no_tensors, macs=no_macs, container=True)
def _map_check(a, node):
    if a["shared"] is False:  # the last MapTable.lua: shared == false clones without sharing
        raise ArgumentError(f"{node.name}(module, false): a clone per entry, each with its own weights, "
                            "is not supported (only the shared form, the default)")


register("nn.MapTable", [Param("shared", "any", True)], build=lambda a, n: layers_vectors.MapTable(),
         shape=_map_shape, check=_map_check, **_ONE_CHILD)
register("nn.Bottle", [Param("nInputDim", "int", 2), Param("nOutputDim", "int", lambda a: a["nInputDim"])],
         build=lambda a, n: layers_vectors.Bottle(a["nInputDim"]), shape=_bottle_shape,
         fields=lambda a, n: {"dimDelta": a["nInputDim"] - a["nOutputDim"]},
         check=lambda a, n: at_least(a, n, 1, "nInputDim", "nOutputDim"), **_ONE_CHILD)
