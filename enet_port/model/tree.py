"""The module tree that specs, Lua traces and built models share.

A :class:`Node` is one Torch7 module as the Lua constructed it: its Torch7 name (``nn.X`` or
``cudnn.X``), its positional arguments as written, the modifiers called on it (``:noBias()``,
``:ceil()``, ``:setNumInputDims(3)``), its children, and where it came from (a spec's JSON path
or a Lua file and line). The spec loader and the Lua tracer both produce Nodes; ``diff``
compares Nodes; ``build`` turns Nodes into PyTorch modules.

An nngraph graph ``nn.gModule(inputs, outputs)`` is a Node named ``nn.gModule`` whose
``children`` are the graph's nodes in creation order (each module called as ``nn.X(...)(parents)``
is one child, the graph inputs ``nn.Identity()()`` included) and whose ``args`` are
``[input positions, output positions]``: two lists of 0-based indices into ``children``, in the
order of the Lua tables given to ``nn.gModule``. Each child's ``inputs`` lists the positions of
the children it was called on, in call order (a child with several receives their outputs as a
table in that order); a graph input has ``inputs == []``. Every child comes after its inputs.

Shared parameters (Lua ``m:clone('weight', 'bias')``, ``m:share(src, ...)``): the source has an
``id``; the clone has ``share == {"id": that id, "fields": [Torch7 field names]}``. Ids are only
names: :func:`share_links` gives the relation by walk position, which is what compares.
"""
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Origin:
    """Where a node comes from: a spec entry (``file`` and ``json_path``) or a Lua file's
    ``line`` (the outermost user line, e.g. ``features:add(...)``) and ``inner_line`` (the line
    inside a helper such as ``_bottleneck`` that constructed it, when different)."""
    file: str = ""
    json_path: str = ""
    line: int = 0
    inner_line: int = 0

    def __str__(self):
        if self.json_path:
            return f"{self.file}: {self.json_path}"
        if self.line:
            inner = f" (line {self.inner_line})" if self.inner_line and self.inner_line != self.line else ""
            return f"{self.file}:{self.line}{inner}"
        return self.file


@dataclass
class Node:
    name: str
    args: list
    modifiers: list = field(default_factory=list)
    children: list = field(default_factory=list)
    origin: Origin = Origin()
    lua: str = ""
    label: str = ""  # a helper call this node stands for, e.g. "bottleneck(16, 64, true)"
    init: dict = field(default_factory=dict)  # tensor calls after construction: {"weight": ["normal", 0, s]}
    inputs: list = field(default_factory=list)  # in an nn.gModule: positions of the sibling nodes it reads
    id: str = ""  # a name other nodes refer to (shared parameters), unique in the tree
    share: dict = field(default_factory=dict)  # {"id": source id, "fields": ["weight", "bias"]}: Lua clone
    tie: object = field(default=None, repr=False, compare=False)  # the Node a SpatialMaxUnpooling reads

    @property
    def where(self):
        """The origin as one line users read (``spec.json: features[4]``, ``model.lua:12``)."""
        return str(self.origin)

    def has_modifier(self, name):
        return any(m[0] == name for m in self.modifiers)

    def modifier_args(self, name):
        for m in self.modifiers:
            if m[0] == name:
                return list(m[1:])
        return None

    def signature(self):
        """What ``diff`` compares for this node alone: type, arguments, modifiers."""
        return (self.name, tuple(_canonical(a) for a in self.args),
                tuple(sorted(tuple(_canonical(x) for x in m) for m in self.modifiers)))

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


def share_links(root):
    """``{walk position of a clone: (walk position of its source, fields)}`` for ``root``."""
    nodes = list(root.walk())
    where = {n.id: i for i, n in enumerate(nodes) if n.id}
    return {i: (where.get(n.share["id"]), tuple(n.share.get("fields", ())))
            for i, n in enumerate(nodes) if n.share}


def _canonical(value):
    """Lua numbers are doubles: 64 and 64.0 are the same argument; a Lua table of numbers
    (``nn.Transpose({2, 3})``) is compared as a tuple."""
    if isinstance(value, (list, tuple)):
        return tuple(_canonical(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def lua_call(node):
    """The Lua constructor call that would build ``node``, e.g. ``nn.PReLU(16)``."""
    args = ", ".join(_lua_literal(a) for a in node.args)
    mods = "".join(f":{m[0]}({', '.join(_lua_literal(a) for a in m[1:])})" for m in node.modifiers)
    return f"{node.name}({args}){mods}"


def _lua_literal(value):
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "{" + ", ".join(_lua_literal(v) for v in value) + "}"
    return repr(_canonical(value))
