"""A Torch7 module object tree (as :mod:`.reader` returns it) -> a Node tree and its tensors.

Lua counterpart: the object ``torch.load`` returns. Each stored module becomes the Node of the
same Torch7 type, its constructor arguments and modifiers recovered from its stored fields by its
record in the module table (:func:`enet_port.model.registry.args_from_fields`); its tensors are
kept beside the tree by node. ``nn.DataParallelTable`` is unwrapped (its ``modules[1]`` is the
model); cudnn's descriptors, buffers and stored outputs are not read. A module that another one
refers to (``nn.SpatialMaxUnpooling``'s ``pooling``: the same object in the file) gets an id, and
the referring node a ``tie`` to it. A decorator (dpnn's ``nn.Inception``, ``nn.Decorator``, ...:
:mod:`enet_port.model.decorators`) is read as the module it decorates, in its place. An nngraph
``nn.gModule`` becomes the graph Node form (:mod:`.graph`). Errors name the file and the
module's place, ``file: modules[27].modules[1]: ...``.
"""
from dataclasses import dataclass, field

import numpy as np

from .. import limits
from ..model import decorators, registry
from ..model.tree import Node, Origin
from . import torch_rnn
from .contents import model_of
from .graph import graph_node
from .objects import TorchObject
from .reader import T7Error

UNWRAPPED = ("nn.DataParallelTable",)
# Torch7 classes that are an nn.Sequential of their stored modules (SpatialLPPooling.lua: Square or
# Power, a pooling whose kind changed across nn versions, Sqrt or Power): read as that Sequential.
AS_SEQUENTIAL = ("nn.SpatialLPPooling",)
# a container whose child is a field, not modules (MapTable's modules are clones of its module)
CHILD_FIELDS = {"nn.SpatialClassifier": "classifier", "nn.MapTable": "module"}
# their modules are their step's inner workings, read by their records
OWN_MODULES = ("nn.FastLSTM", "nn.GRU", "nn.LSTM")
# classes a project defined outside nn, read as the module of the table that computes the same:
# char-rnn's util/OneHot.lua (fields outputSize, _eye) is the one dpnn's nn.OneHot was adapted from
ALIASES = {"OneHot": "nn.OneHot"}


@dataclass
class Converted:
    tree: Node
    tensors: dict = field(default_factory=dict)  # id(node) -> {PyTorch name: numpy array}
    stored_input: object = None  # the model's stored gradInput shape (its last input's), if any
    sizes: list = field(default_factory=list)  # iSize fields found, in tree order
    train: bool = True  # the model's train flag (Torch7 modules start with train = true)
    note: str = ""  # what the model was read as, when not the stored module itself


def as_list(value):
    """A Lua array: torchfile returns some as dicts keyed 1..n."""
    if isinstance(value, dict) and value and set(value) == set(range(1, len(value) + 1)):
        return [value[i] for i in range(1, len(value) + 1)]
    return value


def fields(obj):
    """A stored object's fields by name (str keys; byte strings stay bytes)."""
    table = obj._obj
    if isinstance(table, list):  # an empty table reads as []
        table = {}
    return {(k.decode(errors="backslashreplace") if isinstance(k, bytes) else k): v for k, v in table.items()}


class _Converter:
    def __init__(self, path):
        self.path = path
        self.seen = {}  # id(stored object) -> Node
        self.ties = 0
        self.depth = 0  # containers around the module being converted (Python's stack is finite)
        self.result = Converted(None)

    def error(self, place, message):
        return T7Error(f"{self.path}: {place or '(the stored object)'}", message)

    def node(self, obj, place):
        if not isinstance(obj, TorchObject):
            raise self.error(place, f"not a Torch7 module but a {_kind(obj)}")
        name, f = obj.torch_typename().decode(), fields(obj)
        name = torch_rnn.record_name(ALIASES.get(name, name), f)
        if name == "nn.LanguageModel":  # torch-rnn's model: read as its net (t7/torch_rnn.py)
            self.result.note = "its nn.LanguageModel (torch-rnn) read as the LanguageModel's net"
            net = torch_rnn.language_model_net(f, lambda message: self.error(place, message), place)
            return self.node(net, f"{place}.net".lstrip("."))
        if name in UNWRAPPED:
            inner = as_list(f.get("modules"))
            if not isinstance(inner, list) or not inner:
                raise self.error(place, f"{name} without a module")
            return self.node(inner[0], f"{place}.modules[1]".lstrip("."))
        if name in decorators.TRANSPARENT:
            return self.node(self.decorated(name, f, place), f"{place}.module".lstrip("."))
        if decorators.refusal(name):
            raise self.error(place, decorators.refusal(name))
        if id(obj) in self.seen:
            raise self.error(place, f"{name} is the same module object as one met before (shared weights "
                                    "cannot be written as a spec)")
        if self.result.tree is None and not self.seen:  # the model itself, wrappers unwrapped
            self.result.train = f.get("train") is not False
            self.result.stored_input = _shape(f.get("gradInput"))
        if name in AS_SEQUENTIAL:
            name = "nn.Sequential"
        if name == "nn.gModule":  # its modules are read from its graph, not its modules list
            node = graph_node(self, f, place)
            self.seen[id(obj)] = node
            return node
        node = self.make(name, f, obj, place)
        self.seen[id(obj)] = node
        if f.get("iSize") is not None:
            self.result.sizes.append(tuple(int(v) for v in np.asarray(f["iSize"]).ravel()))
        mtype = registry.lookup(name)
        child_place = "modules"
        if name in OWN_MODULES:
            children = []
        elif name == "nn.TemporalAdapter":
            children, child_place = [torch_rnn.adapter_child(f, lambda m: self.error(place, m))], "net.modules"
        elif name in CHILD_FIELDS:
            children = [c for c in [f.get(CHILD_FIELDS[name])] if c is not None]
        else:
            children = as_list(f.get("modules")) or []
        if not isinstance(children, list):
            raise self.error(place, f"{name}: its modules field is a {_kind(children)}, not a Lua array of modules")
        if children and not mtype.container:
            raise self.error(place, f"{name} holds modules, but the module table knows it as a leaf")
        self.depth += 1
        if self.depth > limits.value(limits.DEPTH):
            raise self.error(place, f"containers nested more than {limits.value(limits.DEPTH)} deep "
                                    f"({limits.hint(limits.DEPTH)})")
        first = 2 if name == "nn.TemporalAdapter" else 1  # its module is net.modules[2], between two Views
        stored = getattr(obj, "stored_places", None)  # a torch-rnn net read anew (t7/torch_rnn.py)
        node.children = [self.node(c, stored[i] if stored else f"{place}.{child_place}[{i + first}]".lstrip("."))
                         for i, c in enumerate(children)]
        self.depth -= 1
        return node

    def decorated(self, name, f, place):
        """The module a decorator holds: Decorator.lua keeps it as ``module`` and ``modules[1]``."""
        module, inner = f.get("module"), as_list(f.get("modules"))
        if module is None and isinstance(inner, list) and len(inner) == 1:
            module = inner[0]
        if not isinstance(module, TorchObject):
            raise self.error(place, f"{name} without the module it decorates (its module field)")
        if isinstance(inner, list) and inner and (len(inner) != 1 or inner[0] is not module):
            raise self.error(place, f"{name}: its modules field is not {{module}} (Decorator.lua keeps the one "
                                    "module it decorates in both)")
        return module

    def make(self, name, f, obj, place):
        try:
            mtype = registry.lookup(name)
        except KeyError:
            raise self.error(place, f"unknown Torch7 module {name} (the module table has no record of it)") from None
        try:
            node = Node(name, registry.args_from_fields(mtype, f), origin=Origin(self.path, place))
            node.modifiers = registry.modifiers_from_fields(mtype, node, f)
            registry.resolve_args(node)
        except (registry.FieldError, registry.ArgumentError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise self.error(place, f"{name}: stored fields do not fit its constructor ({exc})") from None
        if mtype.ties:
            self.tie(node, mtype, f, place)
        try:  # a record's t7_state reads the modules a stored one holds (rnn's GRU, LSTM)
            state = mtype.t7_state(_with_inner_fields(f), obj._version_number) if mtype.t7_state else \
                {k: v for k, v in f.items() if isinstance(v, np.ndarray)}
        except registry.FieldError as exc:
            raise self.error(place, f"{name}: {exc}") from None
        self.result.tensors[id(node)] = state
        return node

    def tie(self, node, mtype, f, place):
        targets = [v for v in f.values() if isinstance(v, TorchObject)
                   and v.torch_typename().decode() in mtype.ties]
        if len(targets) != 1:
            raise self.error(place, f"{node.name} does not hold one {' or '.join(mtype.ties)} module")
        target = self.seen.get(id(targets[0]))
        if target is None:
            raise self.error(place, f"{node.name}: its {targets[0].torch_typename().decode()} is not "
                                    "earlier in the model")
        if not target.id:
            self.ties += 1
            target.id = f"pool{self.ties}"
        node.tie = target


def _with_inner_fields(f):
    """``f`` plus the fields of the modules it holds, as ``"i2g.weight"`` (FastLSTM's weights)."""
    inner = {f"{k}.{name}": value for k, v in f.items() if isinstance(v, TorchObject)
             for name, value in fields(v).items()}
    return {**inner, **f}


def _kind(value):
    if isinstance(value, TorchObject):
        return value.torch_typename().decode()
    for kind, name in ((dict, "Lua table"), (list, "Lua table"), (np.ndarray, "tensor"), (bytes, "string")):
        if isinstance(value, kind):
            return name
    return type(value).__name__


def convert(obj, path):
    """The :class:`Converted` model of a stored object (the value ``torch.load`` would return)."""
    converter = _Converter(str(path))
    model, place = model_of(obj, str(path))
    converter.result.tree = converter.node(model, place)
    tied = [n for n in converter.result.tree.walk() if n.id]
    for number, node in enumerate(tied, 1):  # numbered in model order, not in the order of use
        node.id = f"pool{number}"
    return converter.result


def _shape(value):
    return value.shape if isinstance(value, np.ndarray) and value.size else None
