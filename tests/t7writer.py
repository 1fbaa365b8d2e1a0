"""A small Torch7 binary writer for the tests (``torch.save`` of a module tree, no Lua).

Written from torch7's ``File.lua`` ``writeObject`` rules: every value is an int type tag
(0 nil, 1 number, 2 string, 3 table, 4 torch object, 5 boolean) and its body; tables and torch
objects carry a reference index, and an object met again is written as its tag and index only.
A torch object is its version string ("V 1"), class name and body: a tensor writes nDimension,
sizes, strides (longs), storageOffset + 1 and its storage; a storage its size and raw data; any
other class writes its field table. Longs are 8 bytes, little-endian as on x86-64.
"""
import struct

import numpy as np

from enet_port.model import registry

TENSOR_DTYPES = {"torch.FloatTensor": np.float32, "torch.DoubleTensor": np.float64,
                 "torch.CudaTensor": np.float32, "torch.CudaHalfTensor": np.float16,
                 "torch.HalfTensor": np.float16, "torch.LongTensor": np.int64,
                 "torch.CudaLongTensor": np.int64, "torch.CudaDoubleTensor": np.float64}


class Tensor:
    """A value to write as a Torch7 tensor of class ``kind`` (its storage kind follows)."""

    def __init__(self, array, kind="torch.FloatTensor"):
        self.array = np.ascontiguousarray(array, dtype=TENSOR_DTYPES[kind])
        self.kind = kind


class Storage:
    def __init__(self, array, kind="torch.LongStorage"):
        self.array, self.kind = np.ascontiguousarray(array), kind


class Object:
    """A torch class instance written with its field table (nn modules). ``after``: what a class's
    own ``write`` adds after the table, as ``("int", n)`` (``file:writeInt``), ``("double", x)``
    (``file:writeDouble``) or ``("obj", v)`` (``file:writeObject``) pairs."""

    def __init__(self, kind, fields, version=1, after=()):
        self.kind, self.fields, self.version, self.after = kind, fields, version, list(after)


class Table:
    """A Lua table whose keys need not be Python-hashable (nngraph keys tables by tables and
    nodes): its (key, value) pairs in writing order."""

    def __init__(self, pairs=()):
        self.pairs = list(pairs)

    def items(self):
        return self.pairs

    def append(self, value):  # Lua table.insert(t, value); t[value] = #t (nngraph's two-way lists)
        self.pairs.append((sum(isinstance(k, int) for k, _ in self.pairs) + 1, value))
        self.pairs.append((value, self.pairs[-1][0]))


class Writer:
    def __init__(self):
        self.out, self.refs = bytearray(), {}
        self.alive = []  # written objects stay alive, so that no new object reuses an id

    def int(self, v):
        self.out += struct.pack("<i", v)

    def long(self, v):
        self.out += struct.pack("<q", v)

    def double(self, v):
        self.out += struct.pack("<d", v)

    def string(self, s):
        data = s.encode() if isinstance(s, str) else s
        self.int(len(data))
        self.out += data

    def obj(self, v):
        if v is None:
            return self.int(0)
        if isinstance(v, bool):
            self.int(5)
            return self.int(1 if v else 0)
        if isinstance(v, (int, float)):
            self.int(1)
            self.out += struct.pack("<d", float(v))
            return
        if isinstance(v, (str, bytes)):
            self.int(2)
            return self.string(v)
        tag = 3 if isinstance(v, (dict, list, Table)) else 4
        self.int(tag)
        if id(v) in self.refs:
            return self.int(self.refs[id(v)])
        self.refs[id(v)] = len(self.refs) + 1
        self.alive.append(v)
        self.int(self.refs[id(v)])
        (self.table if tag == 3 else self.torch)(v)

    def table(self, v):
        items = list(enumerate(v, 1)) if isinstance(v, list) else list(v.items())
        self.int(len(items))
        for key, value in items:
            self.obj(key)
            self.obj(value)

    def torch(self, v):
        self.string(f"V {getattr(v, 'version', 1)}")
        self.string(v.kind)
        if isinstance(v, Tensor):
            a = v.array
            self.int(a.ndim)
            for n in a.shape:
                self.long(n)
            for s in a.strides:
                self.long(s // a.itemsize)
            self.long(1)
            self.obj(Storage(a.ravel(), v.kind.replace("Tensor", "Storage")) if a.size else None)
        elif isinstance(v, Storage):
            self.long(v.array.size)
            self.out += v.array.tobytes()
        else:
            self.obj(v.fields)
            for kind, value in v.after:
                {"int": self.int, "double": self.double, "obj": self.obj}[kind](value)


def dumps(value):
    w = Writer()
    w.obj(value)
    return bytes(w.out)


def module_object(module, kind="torch.FloatTensor", train=False, objects=None):
    """The Torch7 object of a module built from a spec (``module.t7_node``): the fields its
    constructor stores, its parameters and buffers as tensors of ``kind``, its children."""
    objects = {} if objects is None else objects
    node = module.t7_node
    mtype = registry.lookup(node.name)
    a = registry.resolve_args(node)
    fields = {k: v for k, v in mtype.lua_fields(a, node).items() if v is not None}
    fields["train"] = train
    for name, value in list(module.named_parameters(recurse=False)) + list(module.named_buffers(recurse=False)):
        if name != "num_batches_tracked":
            fields[name] = Tensor(value.detach().numpy(), kind)
    fields["output"] = Tensor(np.zeros(0), kind)
    if node.name in ("nn.View", "nn.Reshape"):
        fields["size"] = Storage(np.array(a["sizes"], dtype=np.int64))
    if node.name in ("nn.CMul", "nn.CAdd"):  # CMul.lua, CAdd.lua: self.size, a LongStorage
        fields["size"] = Storage(np.array(a["size"], dtype=np.int64))
    if "connTable" in a:  # SpatialConvolutionMap stores its table as a tensor (nn.tables makes one)
        fields["connTable"] = Tensor(np.array(a["connTable"], dtype=np.float64), "torch.DoubleTensor")
    if node.modifier_args("setNumInputDims"):
        fields["numInputDims"] = node.modifier_args("setNumInputDims")[0]
    if node.tie is not None:
        fields["pooling"] = objects[id(module.pooling)]
    obj = Object(node.name, fields)
    objects[id(module)] = obj
    if node.name == "nn.SpatialClassifier":  # nnx keeps its classifier in a field of that name
        fields["classifier"] = module_object(module[0], kind, train, objects)
    elif node.name == "nn.MapTable":  # MapTable.lua: module, and modules holding it (and clones)
        fields["module"] = module_object(module[0], kind, train, objects)
        fields["modules"] = [fields["module"]]
    elif mtype.container:
        fields["modules"] = [module_object(child, kind, train, objects) for child in module]
    if node.name == "nn.FastLSTM":  # rnn keeps the weights in its i2g Linear and o2g LinearNoBias
        fields.update(_fast_lstm_modules(fields, kind))
    if node.name == "nn.SpatialLPPooling":
        fields["modules"] = _lp_modules(a)
    return obj


def _lp_modules(a):
    """SpatialLPPooling.lua's three modules (torch/nn's last version: an average pooling)."""
    def power(p):
        return Object("nn.Square", {}) if p == 2 else Object("nn.Power", {"pow": p})
    root = Object("nn.Sqrt", {"eps": 0}) if a["pnorm"] == 2 else Object("nn.Power", {"pow": 1 / a["pnorm"]})
    pool = Object("nn.SpatialAveragePooling", {"kW": a["kW"], "kH": a["kH"], "dW": a["dW"], "dH": a["dH"],
                                               "padW": 0, "padH": 0, "ceil_mode": False, "divide": True,
                                               "count_include_pad": True})
    return [power(a["pnorm"]), pool, root]


# nngraph ----------------------------------------------------------------------------------------
# nngraph's gModule (gmodule.lua __init) as torch.save writes it. A graph.Node (torch/graph) has
# data, children (a two-way list: children[i] = node, children[node] = i), id, visited, marked; an
# nngraph.Node's data has module (or nngraph's own keys), mapindex (the data tables it reads, the
# same two-way list), reverseMap (the nodes that read it) and annotations.
def _graph_node(data):
    return Object("nngraph.Node", {"data": data, "children": Table(), "id": 0, "visited": False, "marked": False})


def _data(**fields):
    return {**fields, "mapindex": Table(), "reverseMap": Table(), "annotations": {"_debugLabel": "[test.lua]:1_"}}


def _add(node, parent):
    """nngraph Node:add(parent, true): node reads parent (in the backward graph, parent is its child)."""
    node.fields["children"].append(parent)
    node.fields["data"]["mapindex"].append(parent.fields["data"])
    parent.fields["data"]["reverseMap"].pairs.append((node, True))


def _topsort(root):
    """torch/graph Graph:topsort: nodes after a depth-first walk, reversed post-order."""
    order, seen = [], set()

    def visit(node):
        seen.add(id(node))
        for child in [v for k, v in node.fields["children"].pairs if isinstance(k, int)]:
            if id(child) not in seen:
                visit(child)
        order.append(node)
    visit(root)
    return order[::-1]


def _graph(root):
    """Graph object of the nodes reachable from root, and its edges (Graph:add(Edge(from, to)))."""
    nodes, edges = Table(), []
    for node in _topsort(root):
        nodes.append(node)
        for child in [v for k, v in node.fields["children"].pairs if isinstance(k, int)]:
            edges.append(Object("graph.Edge", {"from": node, "to": child}))
    return Object("graph.Graph", {"nodes": nodes, "edges": edges})


def _split(node, n):
    """nngraph Node:split(n): a node with nSplitOutputs reading ``node``, n with selectindex i."""
    split = _graph_node(_data(nSplitOutputs=n))
    _add(split, node)
    selects = [_graph_node(_data(selectindex=i, input=[])) for i in range(1, n + 1)]
    for select in selects:
        _add(select, split)
    return selects


def gmodule_object(modules, reads, inputs, outputs, train=False, mangle=None, legacy=False):
    """``nn.gModule(inputs, outputs)`` of the nodes ``nn.X(...)(parents)``: ``modules[i]`` reads
    the nodes at positions ``reads[i]`` (in call order; [] for a graph input; ``(p, i, n)`` is
    output i of ``node_p:split(n)``). ``mangle(nodes)`` may break the backward-graph nodes before
    the forward graph is derived (bad files). ``legacy``: the gModule of nngraph before split()
    (inputs listed in innode.data.mapindex, no nInputs, no modules list)."""
    nodes = [_graph_node(_data(module=m)) for m in modules]
    splits = {}
    for node, parents in zip(nodes, reads):
        for p in parents:
            if isinstance(p, tuple):
                if p[0] not in splits:
                    splits[p[0]] = _split(nodes[p[0]], p[2])
                _add(node, splits[p[0]][p[1] - 1])
            else:
                _add(node, nodes[p])
    outnode = _graph_node(_data(input=[]))
    for p in outputs:
        _add(outnode, nodes[p])
    innode = _graph_node(_data(input=[]))
    if legacy:
        innode = _graph_node(_data(data={}, gradOutput={}))
        for p in inputs:
            _add(nodes[p], innode)
            innode.fields["data"]["mapindex"].append(nodes[p].fields["data"])
    elif len(inputs) == 1:
        _add(nodes[inputs[0]], innode)
    else:  # innode:split(n): one node with nSplitOutputs, n with selectindex i
        for select, p in zip(_split(innode, len(inputs)), inputs):
            _add(nodes[p], select)
    if mangle:
        mangle(nodes)
    bg = _graph(outnode)
    forward = {id(n): _graph_node(n.fields["data"]) for n in _topsort(outnode)}  # Graph:reverse()
    for node in _topsort(outnode):
        for child in [v for k, v in node.fields["children"].pairs if isinstance(k, int)]:
            forward[id(child)].fields["children"].append(forward[id(node)])
    fg_root = forward[id(innode)]
    forwardnodes = _topsort(fg_root)
    for number, node in enumerate(forwardnodes, 1):
        node.fields["id"] = number
        node.fields["data"]["forwardNodeId"] = number
    fg = _graph(fg_root)
    fields = {"innode": fg_root, "outnode": outnode, "fg": fg, "bg": bg, "verbose": False,
              "forwardnodes": forwardnodes, "backwardnodes": _topsort(outnode), "train": train}
    if not legacy:
        fields["nInputs"] = len(inputs)
        fields["modules"] = [n.fields["data"]["module"] for n in forwardnodes if "module" in n.fields["data"]]
    return Object("nn.gModule", fields)


def _fast_lstm_modules(fields, kind):
    """FastLSTM.lua's i2g and o2g modules (its weights) and ``modules``, the step's recurrentModule
    (a Sequential of rnn's plumbing, here only the two layers), replacing the flat parameters."""
    i2g = Object("nn.Linear", {"weight": fields.pop("i2g_weight"), "bias": fields.pop("i2g_bias")})
    o2g = Object("nn.LinearNoBias", {"weight": fields.pop("o2g_weight")})
    step = Object("nn.Sequential", {"modules": [Object("nn.ParallelTable", {"modules": [i2g, o2g]})]})
    return {"i2g": i2g, "o2g": o2g, "modules": [step], "step": 1, "_remember": "neither"}
