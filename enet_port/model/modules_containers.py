"""Records of Torch7's containers: ``nn.Sequential``, ``nn.ConcatTable``, ``nn.Concat``.

Their children stand for the ``:add`` calls; signatures from torch/nn's ``X.lua`` files.
"""

from . import layers
from .modules import join, no_macs, no_tensors
from .registry import Param, at_least, register


def _sequential_shape(a, node, shape, infer_child):
    for child in node.children:
        shape = infer_child(child, shape)
    return shape


def _concat_shape(a, node, shape, infer_child):
    return join(node, a["dimension"], None, [infer_child(c, shape) for c in node.children])


_CONTAINER = dict(tensors=no_tensors, macs=no_macs, container=True)
# Torch7's ConcatTable() and Sequential() take no arguments; Lua drops extras, so the seed's
# nn.ConcatTable(2) is legal. The spec keeps that argument and the builder ignores it, as Lua does.
register("nn.ConcatTable", [Param("ignored", "any", None, field=False)], build=lambda a, n: layers.ConcatTable(),
         shape=lambda a, n, s, ic: [ic(c, s) for c in n.children], **_CONTAINER)
register("nn.Sequential", [Param("ignored", "any", None, field=False)], build=lambda a, n: layers.Sequential(),
         shape=_sequential_shape, any_layout=True, **_CONTAINER)
register("nn.Concat", [Param("dimension", "int")], build=lambda a, n: layers.Concat(a["dimension"]),
         shape=_concat_shape, check=lambda a, n: at_least(a, n, 1, "dimension"), **_CONTAINER)
