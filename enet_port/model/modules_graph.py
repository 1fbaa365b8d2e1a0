"""The record of nngraph's ``nn.gModule(inputs, outputs)`` (nngraph ``gmodule.lua``).

Its Node's children are the graph nodes; ``args`` are ``[input positions, output positions]``
(see :mod:`enet_port.model.tree`). The shape rule walks the nodes as the forward does.
"""
from . import layers_graph
from .modules import no_macs, no_tensors
from .registry import Param, register
from .shapes import ShapeError, format_shape


def _graph_shape(a, node, shape, infer_child):
    inputs, outputs = a["inputs"], a["outputs"]
    if len(inputs) == 1:
        feeds = {inputs[0]: shape}
    elif not isinstance(shape, list) or len(shape) != len(inputs):
        count = len(shape) if isinstance(shape, list) else 1
        raise ShapeError(f"{node.name} has {len(inputs)} inputs, gets {count} ({format_shape(shape)}): "
                         f"one input size per graph input (--input once per input)")
    else:
        feeds = dict(zip(inputs, shape))
    shapes = []
    for position, child in enumerate(node.children):
        if position in feeds:
            given = feeds[position]
        else:
            parents = [shapes[p] for p in child.inputs]
            given = parents[0] if len(parents) == 1 else parents
        shapes.append(infer_child(child, given))
    outs = [shapes[p] for p in outputs]
    return outs[0] if len(outs) == 1 else outs


def _build(a, node):
    return layers_graph.GraphModule(a["inputs"], a["outputs"], [c.inputs for c in node.children])


register("nn.gModule", [Param("inputs", "any", field=False), Param("outputs", "any", field=False)],
         build=_build, shape=_graph_shape, tensors=no_tensors, macs=no_macs, container=True)
