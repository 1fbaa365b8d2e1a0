"""``enet-port diff``: compare a spec's module tree with the one a Lua file builds.

No Lua counterpart (Torch7 users compared ``print(model)`` by eye). Both sides are Node trees
(:mod:`enet_port.spec`, :mod:`enet_port.luatrace`); modules are compared by Torch7 name,
arguments with Torch7's defaults filled in (``SpatialBatchNormalization(16)`` equals
``SpatialBatchNormalization(16, 1e-5)``), modifiers and children. Children are aligned as
sequences, so a missing or extra line is reported once, at its place, not as a cascade.
"""
from dataclasses import dataclass
from difflib import SequenceMatcher

from ..model import registry
from ..model.tree import _canonical, lua_call, share_links


@dataclass
class Difference:
    spec: object  # (Node, where) or None
    lua: object   # (Node, where) or None
    what: str


def node_key(node):
    try:
        resolved = registry.resolve_args(node, lenient=True)
        # Torch7 drops the "ignored" arguments; a table (a 2-D kernel, a pair of them) nests as tuples
        args = tuple(_canonical(v) for k, v in resolved.items() if k != "ignored")
    except (KeyError, registry.ArgumentError):
        args = tuple(_canonical(a) for a in node.args)
    mods = {tuple(_canonical(x) for x in m) for m in node.modifiers if m[0] not in ("ceil", "floor")}
    if registry.ceil_mode(node):
        mods.add(("ceil",))  # what :ceil()/:floor() calls leave, not the calls themselves
    return node.name, args, tuple(sorted(mods)), tuple(node.inputs)  # inputs: nngraph wiring


def deep_key(node):
    return node_key(node), tuple(deep_key(c) for c in node.children)


def compare(spec_tree, lua_tree):
    """All differences between two module trees, in model order; when the modules agree, also
    which modules share parameters (clones) and which are tied (an unpooling to its pooling)."""
    spec_tree = as_returned(spec_tree, lua_tree)
    out = []
    _compare(spec_tree, lua_tree, spec_tree.where, out)
    if not out:
        out.extend(_compare_links(spec_tree, lua_tree))
    return out


def as_returned(spec_tree, lua_tree):
    """The spec's tree as the Lua file returns it: a spec holds its model in ``features`` (an
    nn.Sequential), so a file that returns one bare module (an ``nn.gModule``, as nngraph files
    do) is that Sequential's only child; Torch7 computes the same either way."""
    only_child = spec_tree.name == "nn.Sequential" and len(spec_tree.children) == 1
    if only_child and lua_tree.name != "nn.Sequential" and not spec_tree.modifiers:
        return spec_tree.children[0]
    return spec_tree


def links(tree):
    """``(shares, ties)`` by walk position: what :func:`compare` checks beyond the modules."""
    nodes = list(tree.walk())
    position = {id(n): i for i, n in enumerate(nodes)}
    ties = {i: position.get(id(n.tie)) for i, n in enumerate(nodes) if n.tie is not None}
    return share_links(tree), ties


def _compare_links(spec_tree, lua_tree):
    spec_nodes, lua_nodes = list(spec_tree.walk()), list(lua_tree.walk())
    out = []
    for kind, a, b in zip(("shares parameters with", "is tied to"), links(spec_tree), links(lua_tree)):
        for i in sorted(set(a) | set(b)):
            if a.get(i) != b.get(i):
                what = f"{kind}: spec {_linked(spec_nodes, a.get(i))}, Lua {_linked(lua_nodes, b.get(i))}"
                out.append(Difference((spec_nodes[i], spec_nodes[i].where), (lua_nodes[i], lua_nodes[i].where), what))
    return out


def _linked(nodes, link):
    if link is None:
        return "none"
    target = nodes[link[0] if isinstance(link, tuple) else link]
    return f"{lua_call(target)} at {target.where}" + (f" {list(link[1])}" if isinstance(link, tuple) else "")


def _compare(a, b, a_where, out):
    if node_key(a) != node_key(b):
        out.append(Difference((a, a_where), (b, b.where), _what(a, b)))
    keys_a, keys_b = [deep_key(c) for c in a.children], [deep_key(c) for c in b.children]
    matcher = SequenceMatcher(None, keys_a, keys_b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        pairs = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for k in range(pairs):
            _compare(a.children[i1 + k], b.children[j1 + k], _child_where(a, a_where, i1 + k), out)
        for i in range(i1 + pairs, i2):
            out.append(Difference((a.children[i], _child_where(a, a_where, i)), None, "only in the spec"))
        for j in range(j1 + pairs, j2):
            out.append(Difference(None, (b.children[j], b.children[j].where), "only in the Lua file"))


def _child_where(parent, parent_where, index):
    """A child's place: its own JSON path, or its index inside its parent's spec entry."""
    child = parent.children[index]
    if child.where != parent.where:
        return child.where
    return f"{parent_where} > {index + 1}"


def _what(a, b):
    if a.name != b.name:
        return "module differs"
    ka, kb = node_key(a), node_key(b)
    if ka[1] != kb[1]:
        return "arguments differ"
    return "modifiers differ" if ka[2] != kb[2] else "graph inputs differ"


def format_differences(diffs):
    rows = []
    for d in diffs:
        left = f"{d.spec[1]}: {lua_call(d.spec[0])}" if d.spec else "(missing in the spec)"
        right = f"{d.lua[1]}: {lua_call(d.lua[0])}" if d.lua else "(missing in the Lua file)"
        rows.append((d.what, left, right))
    width = max((len(r[1]) for r in rows), default=0)
    return [f"{left.ljust(width)}  |  {right}  [{what}]" for what, left, right in rows]


def count_modules(tree):
    return sum(1 for _ in tree.walk())
