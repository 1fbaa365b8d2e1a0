"""nngraph's ``nn.gModule(inputs, outputs)``: a module whose forward follows a graph.

Ports nngraph ``gmodule.lua``'s ``updateOutput``: the input (a tensor for one graph input, a
table for several) goes to the input nodes, each node runs its module on its parents' outputs
(one parent: that output; several: the table of them, in the order of the call ``m({a, b})``),
and the output is the output node's (a table for several). Nodes run in creation order, which
the spec guarantees is an order in which every parent runs first.
"""
import torch.nn as nn


class GraphModule(nn.ModuleList):
    """The graph's modules in creation order (``self[i]``) and its wiring."""

    def __init__(self, inputs, outputs, wiring):
        super().__init__()
        self.graph_inputs, self.graph_outputs = list(inputs), list(outputs)
        self.wiring = [list(parents) for parents in wiring]

    def forward(self, x):
        feeds = {position: x for position in self.graph_inputs} if len(self.graph_inputs) == 1 else \
            {position: value for position, value in zip(self.graph_inputs, x)}
        values = []
        for position, module in enumerate(self):
            if position in feeds:
                values.append(module(feeds[position]))
                continue
            parents = [values[p] for p in self.wiring[position]]
            values.append(module(parents[0] if len(parents) == 1 else parents))
        outs = [values[p] for p in self.graph_outputs]
        return outs[0] if len(outs) == 1 else outs

    def extra_repr(self):
        return f"inputs={self.graph_inputs}, outputs={self.graph_outputs}"
