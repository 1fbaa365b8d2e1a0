"""A stored nngraph ``nn.gModule`` -> the ``nn.gModule`` Node of the graph spec form.

Lua counterpart: nngraph ``gmodule.lua`` (``gModule:__init``, ``runForwardFunction``) and
``node.lua`` (``Node:add``, ``Node:split``). A saved gModule keeps ``forwardnodes``, the forward
graph's nodes in topological order; each node's ``data`` table holds its ``module`` (none for
nngraph's own plumbing nodes) and ``mapindex``, the data tables of the nodes it reads in the order
their outputs go into its input table (``mapindex[i]``). ``outnode.data.mapindex`` lists the
outputs in the order of ``gModule``'s second table. The graph's input reaches the input nodes
through ``innode``: directly when there is one input (``nInputs`` 1), else through
``innode:split(n)``, a node with ``nSplitOutputs`` and n nodes with ``selectindex`` i; files of
nngraph before ``split`` list the input nodes in ``innode.data.mapindex`` instead. The Node's
children are the module nodes in ``forwardnodes`` order (every node after the ones it reads); a
``split`` inside the graph becomes ``nn.SelectTable(i)`` nodes, which compute the same thing.
"""

from ..model.tree import Node, Origin
from .objects import TorchObject

WHOLE_INPUT, GRAPH_INPUT, SPLIT, CHILD = "whole input", "graph input", "split", "child"


def table(value):
    """A Lua table's entries by key, string keys as str (torchfile gives bytes)."""
    if isinstance(value, TorchObject):
        value = value._obj
    if isinstance(value, list):
        return {i + 1: v for i, v in enumerate(value)}
    if not isinstance(value, dict):
        return {}
    return {(k.decode(errors="backslashreplace") if isinstance(k, bytes) else k): v for k, v in value.items()}


def ordered(mapindex):
    """The data tables a node reads, in input-table order (``mapindex[1..n]``)."""
    entries = table(mapindex)
    return [entries[i] for i in range(1, len(entries) + 1) if i in entries]


class _Graph:
    def __init__(self, converter, f, place):
        self.converter, self.f, self.place = converter, f, place
        self.values = {}  # id(data table) -> (kind, value) of what that node outputs
        self.children = []
        self.inputs = {}  # graph input index -> child position
        listed = f.get("modules")  # nngraph since gModule became a Container: its nodes' modules
        self.listed = {id(m) for m in listed} if isinstance(listed, list) else None
        innode = table(f.get("innode")).get("data")
        self.innode = id(innode) if innode is not None else None
        # gModule's outnode reads every output (one per entry of its outputs table); run() reads
        # them from its mapindex, so the node itself is not a value
        self.outnode = id(table(f.get("outnode")).get("data"))
        self.input_order = {id(d): i for i, d in enumerate(ordered(table(innode).get("mapindex")))}

    def error(self, place, message):
        return self.converter.error(place, message)

    def run(self):
        nodes = self.f.get("forwardnodes")
        if not isinstance(nodes, list) or not nodes or self.innode is None:
            raise self.error(self.place, "nn.gModule without its forwardnodes and innode")
        for k, node in enumerate(nodes):
            self.visit(table(node).get("data"), f"{self.place}.forwardnodes[{k + 1}]".lstrip("."))
        n_inputs = self.f.get("nInputs") or max(len(self.input_order), 1)
        if type(n_inputs) is not int or not 1 <= n_inputs <= len(nodes):  # checked before it sizes anything
            raise self.error(self.place, f"nn.gModule: nInputs {n_inputs!r} is not a count of inputs "
                                         f"of its {len(nodes)} nodes")
        if sorted(self.inputs) != list(range(n_inputs)):
            raise self.error(self.place, f"nn.gModule: {n_inputs} inputs, but nodes read inputs "
                                         f"{[i + 1 for i in sorted(self.inputs)]}")
        outnode = table(table(self.f.get("outnode")).get("data"))
        outputs = [self.child_of(d, f"{self.place}.outnode") for d in ordered(outnode.get("mapindex"))]
        if not outputs:
            raise self.error(self.place, "nn.gModule without outputs")
        return Node("nn.gModule", [[self.inputs[i] for i in range(n_inputs)], outputs], children=self.children,
                    origin=Origin(self.converter.path, self.place))

    def visit(self, raw, place):
        """Record what the node with data table ``raw`` outputs (keyed by the table: nngraph's
        nodes refer to each other by their shared data tables)."""
        if id(raw) == self.innode:
            self.values[id(raw)] = (WHOLE_INPUT, None)
            return
        if id(raw) == self.outnode:
            return
        data = table(raw)
        reads = [self.value_of(d, place) for d in ordered(data.get("mapindex"))]
        if data.get("module") is not None:
            self.values[id(raw)] = (CHILD, self.module_node(raw, data["module"], reads, place))
        elif data.get("selectindex") is not None:
            self.values[id(raw)] = self.select(reads, int(data["selectindex"]), place)
        elif data.get("nSplitOutputs") is not None:
            self.values[id(raw)] = (SPLIT, self.one(reads, place))
        elif reads:  # a plain node passes its input on (gModule's outnode, old innode splits)
            self.values[id(raw)] = self.one(reads, place)

    def module_node(self, raw, module, reads, place):
        if self.listed is not None and id(module) not in self.listed:
            raise self.error(place, "its module is not one of the gModule's modules (a damaged graph)")
        node = self.converter.node(module, f"{place}.data.module")
        position = len(self.children)
        if reads and reads[0][0] in (WHOLE_INPUT, GRAPH_INPUT):
            if len(reads) != 1:
                raise self.error(place, f"{node.name} reads the graph input and other nodes")
            index = reads[0][1] if reads[0][0] == GRAPH_INPUT else self.input_order.get(id(raw), 0)
            self.inputs[index] = position
        else:
            node.inputs = [self.child(r, place) for r in reads]
            if not node.inputs:
                raise self.error(place, f"{node.name} reads nothing and is not a graph input")
        self.children.append(node)
        return position

    def select(self, reads, index, place):
        kind, value = self.one(reads, place)
        if kind != SPLIT:
            raise self.error(place, "a selectindex node that does not read a split() node")
        if value[0] == WHOLE_INPUT:
            return GRAPH_INPUT, index - 1
        select = Node("nn.SelectTable", [index], origin=Origin(self.converter.path, place),
                      inputs=[self.child(value, place)])
        self.children.append(select)
        self.converter.result.tensors[id(select)] = {}
        return CHILD, len(self.children) - 1

    def value_of(self, data, place):
        value = self.values.get(id(data))
        if value is None:
            raise self.error(place, "reads a node that is not earlier in the graph's forwardnodes "
                                    "(a missing or misordered node)")
        return value

    def one(self, reads, place):
        if len(reads) != 1:
            raise self.error(place, f"an nngraph node without a module reads {len(reads)} nodes, not one")
        return reads[0]

    def child(self, value, place):
        if value[0] != CHILD:
            raise self.error(place, f"reads the {value[0]} where a module's output is needed")
        return value[1]

    def child_of(self, data, place):
        return self.child(self.value_of(data, place), place)


def graph_node(converter, f, place):
    """The ``nn.gModule`` Node of a stored gModule's fields ``f``; its modules are converted by
    ``converter.node`` (so nested containers, graphs and ties work as anywhere else)."""
    return _Graph(converter, f, place).run()
