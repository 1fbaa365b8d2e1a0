"""Expansion of spec entries into the Node tree: modules, ENet blocks, loops and graphs, with
every argument checked and the expansion bounded (see the grammar in :mod:`enet_port.model.spec`).

Lua counterpart: executing a model file's ``features:add(...)`` lines, loops and helper calls.
"""
import math

from .. import limits
from ..errors import SpecError
from . import blocks, registry, spec_graph
from .tree import Node, Origin

ENTRY_KEYS = {"modifiers", "children", "lua", "id", "share", "tie"}
VARIABLES = ("$nClasses",)


class Expander:
    """Entries -> Nodes. Expansion is bounded: each module, block module and loop pass counts
    against the module limit, and ``children`` nesting against the depth limit, so a spec is
    refused (naming the entry that crossed the limit) before it can exhaust time or memory."""

    def __init__(self, path, variables, factory):
        self.path, self.variables, self.factory = path, variables, factory
        self.ids = {}  # "id" -> Node, in entry order
        self.max_modules, self.max_depth = limits.value(limits.MODULES), limits.value(limits.DEPTH)
        self.count = 0

    def error(self, json_path, message):
        return SpecError(self.path, json_path, message)

    def counted(self, json_path, n=1):
        self.count += n
        if self.count > self.max_modules:
            raise self.error(json_path, f"the spec expands to more than {self.max_modules} modules "
                                        f"({limits.hint(limits.MODULES)})")

    def entries(self, items, json_path, depth=1):
        if not isinstance(items, list):
            raise self.error(json_path, "must be a list of entries")
        if depth > self.max_depth:
            raise self.error(json_path, f"nesting deeper than {self.max_depth} levels ({limits.hint(limits.DEPTH)})")
        nodes = []
        for i, item in enumerate(items):
            nodes.extend(self.entry(item, f"{json_path}[{i}]", depth))
        return nodes

    def entry(self, item, json_path, depth):
        if not isinstance(item, dict):
            raise self.error(json_path, "an entry is a JSON object")
        if "for" in item:
            return self.loop(item, json_path, depth)
        if "nn.gModule" in item:
            return [spec_graph.expand_graph(self, item, json_path, depth)]
        names = [k for k in item if k not in ENTRY_KEYS]
        known = [k for k in names if k in registry.REGISTRY or k in blocks.ALIASES]
        if len(known) == 1 and len(names) > 1:
            raise self.error(json_path, f"unknown key '{next(k for k in names if k not in known)}'")
        if len(names) != 1:
            raise self.error(json_path, f"an entry needs exactly one module name, found {names or 'none'}")
        name = names[0]
        args = self.arguments(item[name], f"{json_path}.{name}")
        origin, lua = Origin(self.path, json_path), item.get("lua", "")
        if name in blocks.ALIASES:
            self.no_extra_keys(item, json_path, {"lua", name})
            try:
                block = self.factory(name, args, origin, lua)
            except blocks.BlockError as exc:
                raise self.error(json_path, str(exc)) from None
            self.counted(json_path, sum(1 for _ in block.walk()))
            return [block]
        return [self.module(name, args, item, json_path, origin, lua, depth)]

    def module(self, name, args, item, json_path, origin, lua, depth):
        try:
            mtype = registry.lookup(name)
        except KeyError as exc:
            raise self.error(json_path, exc.args[0]) from None
        self.counted(json_path)
        node = Node(name, args, self.modifiers(item.get("modifiers", []), mtype, json_path),
                    origin=origin, lua=lua)
        self.link(node, item, mtype, json_path)
        if "share" in item:
            node.share = spec_graph.parse_share(self, item["share"], f"{json_path}.share")
        if "children" in item:
            if not mtype.container:
                raise self.error(f"{json_path}.children", f"{name} is not a container")
            node.children = self.entries(item["children"], f"{json_path}.children", depth + 1)
        try:
            registry.resolve_args(node)
        except registry.ArgumentError as exc:
            raise self.error(f"{json_path}.{name}", str(exc)) from None
        return node

    def link(self, node, item, mtype, json_path):
        """The entry's "id" and "tie" (see the module docstring)."""
        if "tie" in item or mtype.ties:
            name = item.get("tie")
            if not mtype.ties:
                raise self.error(f"{json_path}.tie", f"{mtype.name} takes no tie")
            if not isinstance(name, str) or name not in self.ids:
                raise self.error(f"{json_path}.tie", f"{mtype.name} needs \"tie\": the id of an earlier "
                                 f"{' or '.join(mtype.ties)} entry" + (f" (no earlier id {name!r})" if name else ""))
            if self.ids[name].name not in mtype.ties:
                raise self.error(f"{json_path}.tie", f"{name!r} is a {self.ids[name].name}, "
                                 f"{mtype.name} ties to {' or '.join(mtype.ties)}")
            node.tie = self.ids[name]
        if "id" in item:
            name = item["id"]
            if not isinstance(name, str) or not name:
                raise self.error(f"{json_path}.id", "an id is a non-empty string")
            if name in self.ids:
                raise self.error(f"{json_path}.id", f"id {name!r} used twice (ids are unique, also in loops)")
            node.id, self.ids[name] = name, node

    def loop(self, item, json_path, depth):
        self.no_extra_keys(item, json_path, {"for", "body", "lua"})
        bounds = item["for"]
        if not (isinstance(bounds, list) and len(bounds) == 2 and all(_whole(b) for b in bounds)):
            raise self.error(f"{json_path}.for", "must be [first, last] whole numbers")
        if not item.get("body"):
            raise self.error(json_path, "a loop needs a non-empty 'body' list")
        nodes = []
        for i in range(bounds[0], bounds[1] + 1):
            self.counted(f"{json_path}(i={i})")
            nodes.extend(self.entries(item["body"], f"{json_path}(i={i}).body", depth))
        return nodes

    def arguments(self, args, json_path):
        if not isinstance(args, list):
            raise self.error(json_path, "arguments must be a list")
        out = []
        for i, arg in enumerate(args):
            if isinstance(arg, str):
                if arg not in self.variables:
                    raise self.error(f"{json_path}[{i}]", f"unknown variable {arg!r} (known: {', '.join(VARIABLES)})")
                arg = self.variables[arg]
            elif isinstance(arg, list):
                if not _number_table(arg, 3):
                    raise self.error(f"{json_path}[{i}]", "a table argument holds numbers or tables of numbers "
                                                          "(a connection table, a 2-D kernel, a pair of 2-D "
                                                          f"kernels) only, not {arg!r}")
            elif arg is not None and not isinstance(arg, (bool, int, float)):
                raise self.error(f"{json_path}[{i}]",
                                 f"an argument is a number, true, false, null or a list of numbers, not {arg!r}")
            elif isinstance(arg, (int, float)) and not isinstance(arg, bool) and not _lua_number(arg):
                raise self.error(f"{json_path}[{i}]", "an argument must be a finite number of at most 2^53 "
                                                       "in size (a Lua double)")
            out.append(arg)
        return out

    def modifiers(self, mods, mtype, json_path):
        if not isinstance(mods, list):
            raise self.error(f"{json_path}.modifiers", "must be a list")
        out = []
        for i, mod in enumerate(mods):
            mod = (mod,) if isinstance(mod, str) else tuple(mod) if isinstance(mod, list) else ()
            if not mod or not isinstance(mod[0], str):
                raise self.error(f"{json_path}.modifiers[{i}]", "a modifier is a name or [name, argument...]")
            if mod[0] not in mtype.modifiers:
                raise self.error(f"{json_path}.modifiers[{i}]",
                                 f"{mtype.name} has no modifier {mod[0]!r} (allowed: {', '.join(mtype.modifiers) or 'none'})")
            out.append(mod)
        return out

    def no_extra_keys(self, item, json_path, allowed):
        for key in item:
            if key not in allowed:
                raise self.error(json_path, f"unknown key '{key}'")


def _whole(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _number_table(value, depth):
    """A list of numbers, or of such lists, nested at most ``depth`` deep."""
    return isinstance(value, list) and depth > 0 and \
        all(_number_table(v, depth - 1) if isinstance(v, list) else _numbers([v]) for v in value)


def _numbers(values):
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) and _lua_number(v) for v in values)


def _lua_number(value):
    """What a Lua double holds exactly: finite, whole numbers up to 2^53."""
    if isinstance(value, float):
        return math.isfinite(value) and abs(value) <= registry.MAX_NUMBER
    return abs(value) <= registry.MAX_NUMBER
