"""Records of the modules jcjohnson/fast-neural-style defines in its own files, ports of its
classes: ``fast_neural_style/InstanceNormalization.lua`` (``__init(nOutput, eps)``; texture_nets'
version, which it is based on, adds ``momentum`` and ``affine``: this record takes both
signatures), ``fast_neural_style/ShaveImage.lua`` (``__init(size)``) and
``fast_neural_style/TotalVariation.lua`` (``__init(strength)``).

Each is flagged ``port_of``: a model file that defines a class of that name with ``torch.class``
is traced as this record (lua/nn.lua), not through its own ``updateOutput``. A name the file does
not define stays nil in the tracer, as in Torch7.
"""
import torch.nn as nn

from . import layers_style
from .modules import no_macs, no_tensors, same_shape
from .registry import ArgumentError, Param, at_least, register
from .shapes import ShapeError, format_shape, planes, tensor

_FNS = "jcjohnson/fast-neural-style fast_neural_style/"


def _in_shape(a, node, shape, infer_child):
    # updateOutput reads input:size(1..4) and asserts C == nOutput: a batch of 3-D samples
    planes(tensor(shape, 3, node), a["nOutput"], node)
    return shape


def _in_tensors(a, node):
    return {"weight": [a["nOutput"]], "bias": [a["nOutput"]]} if a["affine"] else {}


def _in_from_fields(f):
    """fast-neural-style stores no ``affine`` (always affine); texture_nets stores it."""
    return {"affine": f.get("weight") is not None if f.get("affine") is None else f["affine"]}


def _in_state(f, version):
    """The outer ``weight``/``bias`` only. The ``bn`` field (the inner SpatialBatchNormalization
    of N*C planes) is a cache: updateOutput copies the outer weight and bias into it N times
    before each forward, so after an optimiser step it is one step stale, and its running
    statistics never reach the output. texture_nets' ``running_mean``/``running_var`` are not
    used by the forward either."""
    return {k: f[k] for k in ("weight", "bias") if f.get(k) is not None}


def _in_check(a, node):
    at_least(a, node, 1, "nOutput")
    at_least(a, node, 0, "eps")  # sqrt(var + eps) of a negative eps is NaN on a flat plane


register("nn.InstanceNormalization",
         [Param("nOutput", "int"), Param("eps", "number", 1e-5), Param("momentum", "number", 0.0),
          Param("affine", "bool", True)],
         build=lambda a, n: layers_style.InstanceNormalization(a["nOutput"], a["eps"], a["affine"]),
         shape=_in_shape, tensors=_in_tensors, macs=no_macs, check=_in_check,
         from_fields=_in_from_fields, t7_state=_in_state, port_of=_FNS + "InstanceNormalization.lua")


def _shave_shape(a, node, shape, infer_child):
    c, h, w = tensor(shape, 3, node)
    s = a["size"]
    if h - 2 * s < 1 or w - 2 * s < 1:
        raise ShapeError(f"{node.name}({s}) shaves {format_shape(shape)} to nothing")
    return (c, h - 2 * s, w - 2 * s)


def _shave_check(a, node):
    if a["size"] < 0:  # Lua: resize to a larger image, then a copy from a smaller one fails
        raise ArgumentError(f"{node.name}: size must be at least 0, got {a['size']}")


register("nn.ShaveImage", [Param("size", "int")],
         build=lambda a, n: layers_style.ShaveImage(a["size"]),
         shape=_shave_shape, tensors=no_tensors, macs=no_macs, check=_shave_check,
         port_of=_FNS + "ShaveImage.lua")

# The forward is the identity (self.output = input); strength only scales the total-variation
# gradient its updateGradInput adds, a training-only term the port does not reproduce. A nil
# strength (opt.tv_strength unset) is 0: no such term.
register("nn.TotalVariation", [Param("strength", "number", 0.0)],
         build=lambda a, n: nn.Identity(), shape=same_shape, tensors=no_tensors, macs=no_macs,
         port_of=_FNS + "TotalVariation.lua")
