"""Records of Torch7's point-wise modules: activations, softmaxes, constants, Mul, Add, Normalize.

Signatures and defaults from torch/nn ``Threshold.lua`` (th=1e-6, v=0), ``ReLU6.lua``,
``HardTanh.lua`` (min_value=-1, max_value=1, stored as min_val/max_val), ``Clamp.lua`` (a HardTanh),
``LeakyReLU.lua`` (negval=1/100), ``ELU.lua`` (alpha=1), ``Tanh.lua``, ``Sigmoid.lua``,
``SoftMax.lua``, ``SpatialSoftMax.lua``, ``MulConstant.lua``, ``AddConstant.lua``, ``Mul.lua``,
``Add.lua``, ``Normalize.lua`` (eps=1e-10) and cudnn.torch's ``Tanh``, ``Sigmoid``, ``SoftMax``
and ``SpatialSoftMax`` (``fastMode`` only picks the algorithm). In-place flags are kept as Lua
fields; the PyTorch layers never modify their input (NOTES.md, deviations).
"""
import math

import torch.nn as nn

from . import layers_math
from .modules import no_macs, no_tensors, same_shape
from .registry import ArgumentError, Param, register
from .shapes import ShapeError, format_shape

_POINTWISE = dict(shape=same_shape, tensors=no_tensors, macs=no_macs)
_INPLACE = Param("inplace", "any", False)
_ELEMENTWISE = dict(_POINTWISE, any_layout=True)  # one number at a time: the batch may lie anywhere

register("nn.Threshold", [Param("threshold", "number", 1e-6), Param("val", "number", 0.0), _INPLACE],
         build=lambda a, n: nn.Threshold(a["threshold"], a["val"]), **_ELEMENTWISE)
register("nn.ReLU6", [_INPLACE], build=lambda a, n: nn.ReLU6(), **_ELEMENTWISE)


def _hardtanh_check(a, node):
    if not a["max_val"] > a["min_val"]:  # HardTanh.lua asserts it
        raise ArgumentError(f"{node.name}: max_value must be larger than min_value "
                            f"(got {a['min_val']} and {a['max_val']})")


# what a custom module's x:clamp(a, b) computes (lua/symbolic.lua); nn.Clamp is HardTanh's subclass
for _name, _extra in (("nn.HardTanh", [_INPLACE]), ("nn.Clamp", [])):
    register(_name, [Param("min_val", "number", -1.0), Param("max_val", "number", 1.0)] + _extra,
             build=lambda a, n: nn.Hardtanh(a["min_val"], a["max_val"]), check=_hardtanh_check,
             fields=(lambda a, n: {"inplace": False}) if not _extra else None, **_ELEMENTWISE)
register("nn.LeakyReLU", [Param("negval", "number", 0.01), _INPLACE],
         build=lambda a, n: nn.LeakyReLU(a["negval"]), **_ELEMENTWISE)
register("nn.ELU", [Param("alpha", "number", 1.0), _INPLACE], build=lambda a, n: nn.ELU(a["alpha"]),
         **_ELEMENTWISE)
register("nn.Tanh", [], build=lambda a, n: nn.Tanh(), **_ELEMENTWISE)
register("nn.Sigmoid", [], build=lambda a, n: nn.Sigmoid(), **_ELEMENTWISE)
register("cudnn.Tanh", [_INPLACE], build=lambda a, n: nn.Tanh(), **_ELEMENTWISE)
register("cudnn.Sigmoid", [_INPLACE], build=lambda a, n: nn.Sigmoid(), **_ELEMENTWISE)


def _softmax_shape(dims):
    def rule(a, node, shape, infer_child):
        if isinstance(shape, list) or len(shape) not in dims:
            raise ShapeError(f"{node.name} expects a {' or '.join(f'{d}-D' for d in dims)} sample, "
                             f"gets {format_shape(shape)}")
        return shape
    return rule


# THNN's SoftMax normalises dim 0 of a 3-D tensor: a batch of 2-D samples would be normalised
# across the batch, so only 1-D and 3-D samples (2-D and 4-D batches) are accepted.
register("nn.SoftMax", [], build=lambda a, n: layers_math.Torch7SoftMax(),
         shape=_softmax_shape((1, 3)), tensors=no_tensors, macs=no_macs)
register("nn.SpatialSoftMax", [], build=lambda a, n: layers_math.Torch7SoftMax(),
         shape=_softmax_shape((3,)), tensors=no_tensors, macs=no_macs)
register("cudnn.SoftMax", [Param("fastMode", "any", False, field=False)],
         build=lambda a, n: layers_math.InstanceSoftMax(), **_POINTWISE)
register("cudnn.SpatialSoftMax", [Param("fastMode", "any", False, field=False)],
         build=lambda a, n: layers_math.ChannelSoftMax(), shape=_softmax_shape((1, 3)),
         tensors=no_tensors, macs=no_macs)

register("nn.MulConstant", [Param("constant_scalar", "number"), _INPLACE],
         build=lambda a, n: layers_math.MulConstant(a["constant_scalar"]), **_ELEMENTWISE)
register("nn.AddConstant", [Param("constant_scalar", "number"), _INPLACE],
         build=lambda a, n: layers_math.AddConstant(a["constant_scalar"]), **_ELEMENTWISE)
register("nn.Mul", [], build=lambda a, n: layers_math.Mul(), shape=same_shape,
         tensors=lambda a, n: {"weight": [1]}, macs=no_macs)


def _add_shape(a, node, shape, infer_child):
    if isinstance(shape, list):
        raise ShapeError(f"{node.name} expects a tensor, gets a table")
    if not a["scalar"] and math.prod(shape) != a["inputSize"]:
        raise ShapeError(f"{node.name}({a['inputSize']}) adds a bias of {a['inputSize']} elements to a "
                         f"sample of {math.prod(shape)} ({format_shape(shape)})")
    return shape


register("nn.Add", [Param("inputSize", "int", field=False), Param("scalar", "any", False)],
         build=lambda a, n: layers_math.Add(a["inputSize"], bool(a["scalar"])), shape=_add_shape,
         tensors=lambda a, n: {"bias": [1 if a["scalar"] else a["inputSize"]]}, macs=no_macs,
         from_fields=lambda f: {"inputSize": int(f["bias"].size)})  # Add.lua stores the size only as #bias


def _normalize_shape(a, node, shape, infer_child):
    if a["p"] <= 0:
        raise ShapeError(f"{node.name}: the {a['p']}-norm is not supported (Torch7 asserts p > 0)")
    if isinstance(shape, list) or len(shape) != 1:
        raise ShapeError(f"{node.name} normalises 1-D samples (Torch7: 'only 1d layer supported'), "
                         f"gets {format_shape(shape)}")
    return shape


register("nn.Normalize", [Param("p", "number"), Param("eps", "number", 1e-10)],
         build=lambda a, n: layers_math.Normalize(a["p"], a["eps"]), shape=_normalize_shape,
         tensors=no_tensors, macs=no_macs)
