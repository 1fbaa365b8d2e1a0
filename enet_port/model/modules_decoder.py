"""The decoder modules of ENet's ``decoder.lua`` (e-lab/ENet-training): their records and layers.

Ports torch/nn ``SpatialFullConvolution.lua`` (and cudnn.torch's, its subclass; a transposed convolution: weight
nInputPlane x nOutputPlane x kH x kW, output (in - 1) * d - 2 * pad + k + adj) and
``SpatialMaxUnpooling.lua`` (puts each input value where *its* ``SpatialMaxPooling`` found the
maximum; the output has the pooling's input size). The unpooling refers to its pooling module:
a spec ties the two (``"tie"``, see :mod:`enet_port.model.spec`).
"""
import math

import torch.nn as nn

from . import layers
from .registry import Param, register, resolve_args
from .shapes import ShapeError, planes, tensor


class Torch7MaxUnpool2d(nn.Module):
    """``nn.SpatialMaxUnpooling(pool)``: scatter into a zero map of ``pool``'s input size.

    The pooling is a registered child as well as a child of its own container, so that
    ``nn.DataParallel`` replicas share one replica of it; it has no parameters."""

    def tie(self, pooling):
        pooling.keep_indices = True
        self.pooling = pooling

    def forward(self, x):
        indices, (h, w) = self.pooling.indices, self.pooling.input_size
        if indices.shape != x.shape:
            raise ValueError(f"SpatialMaxUnpooling gets {tuple(x.shape)}, its pooling gave {tuple(indices.shape)}")
        out = x.new_zeros(x.shape[:-2] + (h * w,))
        out = out.scatter(-1, indices.flatten(-2), x.flatten(-2))
        return out.view(x.shape[:-2] + (h, w))


# nn.SpatialFullConvolution ------------------------------------------------------------------
def _full_conv_build(a, node):
    m = nn.ConvTranspose2d(a["nInputPlane"], a["nOutputPlane"], (a["kH"], a["kW"]), (a["dH"], a["dW"]),
                           (a["padH"], a["padW"]), output_padding=(a["adjH"], a["adjW"]),
                           bias=not node.has_modifier("noBias"))
    layers.reset_uniform_fan_in(m, a["nInputPlane"] * a["kW"] * a["kH"])
    return m


def _full_conv_size(size, k, d, pad, adj, node):
    out = (size - 1) * d - 2 * pad + k + adj
    if adj > d - 1:
        raise ShapeError(f"{node.name}: adjW and adjH must be smaller than dW and dH")
    if out < 1:
        raise ShapeError(f"{node.name}: input {size} gives an empty output")
    return out


def _full_conv_shape(a, node, shape, infer_child):
    c, h, w = tensor(shape, 3, node)
    planes(shape, a["nInputPlane"], node)
    return (a["nOutputPlane"], _full_conv_size(h, a["kH"], a["dH"], a["padH"], a["adjH"], node),
            _full_conv_size(w, a["kW"], a["dW"], a["padW"], a["adjW"], node))


def _full_conv_tensors(a, node):
    weight = [a["nInputPlane"], a["nOutputPlane"], a["kH"], a["kW"]]
    return {"weight": weight, **({} if node.has_modifier("noBias") else {"bias": [a["nOutputPlane"]]})}


# cudnn.torch's class derives from nn's and keeps its __init (adjW/adjH and :noBias() included)
for _name in ("nn.SpatialFullConvolution", "cudnn.SpatialFullConvolution"):
    register(_name, [Param("nInputPlane", "int"), Param("nOutputPlane", "int"), Param("kW", "int"),
                     Param("kH", "int"), Param("dW", "int", 1), Param("dH", "int", 1), Param("padW", "int", 0),
                     Param("padH", "int", 0), Param("adjW", "int", 0), Param("adjH", "int", 0)],
             build=_full_conv_build, shape=_full_conv_shape, tensors=_full_conv_tensors,
             macs=lambda a, i, o: math.prod(i) * a["nOutputPlane"] * a["kH"] * a["kW"], modifiers=("noBias",))


# nn.SpatialMaxUnpooling ---------------------------------------------------------------------
def _unpool_shape(a, node, shape, infer_child):
    c, h, w = tensor(shape, 3, node)
    if node.tie is None:
        raise ShapeError(f"{node.name} is not tied to its nn.SpatialMaxPooling")
    pool = resolve_args(node.tie)
    if pool["kW"] != pool["dW"] or pool["kH"] != pool["dH"]:
        raise ShapeError(f"{node.name}: the size of its pooling module's kernel must equal its stride")
    if a["tie_input"] is None:  # the pooling's input is not known here: the size it most likely had
        return (c, h * pool["dH"] - 2 * pool["padH"], w * pool["dW"] - 2 * pool["padW"])
    if a["tie_input"][0] != c:
        raise ShapeError(f"{node.name} gets {c} planes, its pooling module pooled {a['tie_input'][0]}")
    return tuple(a["tie_input"])


register("nn.SpatialMaxUnpooling", [], build=lambda a, n: Torch7MaxUnpool2d(), shape=_unpool_shape,
         tensors=lambda a, n: {}, macs=lambda a, i, o: 0, ties=("nn.SpatialMaxPooling",))
