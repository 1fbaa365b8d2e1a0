"""The module tree that specs, Lua traces and built models share.

A :class:`Node` is one Torch7 module as the Lua constructed it: its Torch7 name (``nn.X`` or
``cudnn.X``), its positional arguments as written, the modifiers called on it (``:noBias()``,
``:ceil()``, ``:setNumInputDims(3)``), its children, and where it came from (a spec's JSON path
or a Lua file and line). The spec loader and the Lua tracer both produce Nodes; ``diff``
compares Nodes; ``build`` turns Nodes into PyTorch modules.
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
    id: str = ""  # the spec entry's "id", when another node refers to this one
    tie: object = field(default=None, repr=False, compare=False)  # the Node this one refers to

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


def _canonical(value):
    """Lua numbers are doubles: 64 and 64.0 are the same argument."""
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
    return repr(_canonical(value))
