"""The spec's graph entries (nngraph ``nn.gModule``) and shared parameters (Lua ``clone``).

Lua counterparts: nngraph's ``nn.X(...)(parents)`` calls and ``nn.gModule(inputs, outputs)``
(``gmodule.lua``), and torch/nn ``Module:clone(...)`` / ``Module:share(...)``. The grammar is
written down in :mod:`enet_port.model.spec`; this module checks a graph entry and the share
references and turns them into Nodes (:mod:`enet_port.model.tree` documents the Node form).
"""
from .shapes import param_tensors
from .tree import Node, Origin

GRAPH_KEYS = {"inputs", "outputs", "nodes"}
NODE_KEYS = {"name", "inputs"}


def expand_graph(expander, item, json_path, depth=1):
    """The ``nn.gModule`` Node of a graph entry, every reference checked; its nodes count
    against the expander's module and depth limits."""
    expander.no_extra_keys(item, json_path, {"nn.gModule", "lua", "id"})
    expander.counted(json_path)
    graph, at = item["nn.gModule"], f"{json_path}.nn.gModule"
    if not isinstance(graph, dict):
        raise expander.error(at, "a graph is {\"inputs\": [...], \"outputs\": [...], \"nodes\": [...]}")
    expander.no_extra_keys(graph, at, GRAPH_KEYS)
    for key in ("inputs", "outputs", "nodes"):
        if not isinstance(graph.get(key), list) or not graph[key]:
            raise expander.error(f"{at}.{key}", "missing or empty: a graph needs a non-empty list")
    names = _node_names(expander, graph["nodes"], f"{at}.nodes")
    children = [_graph_node(expander, node, names, i, f"{at}.nodes[{i}]", depth + 1)
                for i, node in enumerate(graph["nodes"])]
    inputs = _positions(expander, graph["inputs"], names, f"{at}.inputs")
    outputs = _positions(expander, graph["outputs"], names, f"{at}.outputs")
    _check_wiring(expander, children, inputs, outputs, graph["nodes"], f"{at}.nodes")
    return Node("nn.gModule", [inputs, outputs], children=children, origin=Origin(expander.path, json_path),
                lua=item.get("lua", ""), id=item.get("id", ""))


def graph_entry(node, entry):
    """An ``nn.gModule`` Node as a graph entry (the inverse of :func:`expand_graph`); ``entry``
    writes one module entry. Nodes are named after their module type and position."""
    names = [f"{c.name.split('.')[-1]}{i}" for i, c in enumerate(node.children)]
    nodes = [{"name": names[i], **entry(c), "inputs": [names[p] for p in c.inputs]}
             for i, c in enumerate(node.children)]
    out = {"nn.gModule": {"inputs": [names[p] for p in node.args[0]], "outputs": [names[p] for p in node.args[1]],
                          "nodes": nodes}}
    if node.id:
        out["id"] = node.id
    if node.lua:
        out["lua"] = node.lua
    return out


def _node_names(expander, items, json_path):
    names = {}
    for i, item in enumerate(items):
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str) or not name:
            raise expander.error(f"{json_path}[{i}].name", "every graph node needs a name")
        if name in names:
            raise expander.error(f"{json_path}[{i}].name", f"node name '{name}' is used twice")
        names[name] = i
    return names


def _graph_node(expander, item, names, position, json_path, depth):
    parents = item.get("inputs", [])
    if not isinstance(parents, list):
        raise expander.error(f"{json_path}.inputs", "must be a list of node names")
    entry = {k: v for k, v in item.items() if k not in NODE_KEYS}
    if depth > expander.max_depth:
        raise expander.error(json_path, f"nesting deeper than {expander.max_depth} levels")
    nodes = expander.entry(entry, json_path, depth)
    if len(nodes) != 1:
        raise expander.error(json_path, "a graph node is one module (no loops)")
    node = nodes[0]
    for i, name in enumerate(parents):
        where = f"{json_path}.inputs[{i}]"
        _check_reference(expander, name, names, where)
        if names[name] >= position:
            raise expander.error(where, f"node '{name}' is not defined before this node "
                                        f"(a cycle: nngraph nodes can only read earlier nodes)")
        if names[name] in node.inputs:  # nngraph's node.lua asserts it
            raise expander.error(where, f"node '{name}' is an input twice (nngraph: \"Don't pass the same input twice.\")")
        node.inputs.append(names[name])
    return node


def _positions(expander, refs, names, json_path):
    out = []
    for i, name in enumerate(refs):
        _check_reference(expander, name, names, f"{json_path}[{i}]")
        out.append(names[name])
    if len(set(out)) != len(out):
        raise expander.error(json_path, "a node is listed twice")
    return out


def _check_reference(expander, name, names, where):
    """A reference to a node is its name, a string (nngraph's Lua tables of nodes are lists of
    names here, never nested lists or objects)."""
    if not isinstance(name, str):
        raise expander.error(where, f"must be a node name (a string), not {type(name).__name__} {name!r:.60}")
    if name not in names:
        raise expander.error(where, f"unknown node '{name}'")


def _check_wiring(expander, children, inputs, outputs, items, json_path):
    for i, child in enumerate(children):
        name = items[i]["name"]
        if i in inputs and child.inputs:
            raise expander.error(f"{json_path}[{i}].inputs", f"graph input '{name}' cannot read other nodes")
        if i not in inputs and not child.inputs:
            raise expander.error(f"{json_path}[{i}]", f"node '{name}' reads nothing and is not a graph input")
    used = set(outputs)
    for i in reversed(range(len(children))):
        if i in used:
            used.update(children[i].inputs)
    for i in range(len(children)):
        if i not in used:
            raise expander.error(f"{json_path}[{i}]", f"node '{items[i]['name']}' does not lead to any output")


# shared parameters -------------------------------------------------------------------------
def check_shares(root, error):
    """Ids are unique; each share names an earlier id of the same type and structure whose
    shared tensors have the same sizes: ``error(json_path, message)`` otherwise."""
    seen = {}
    for node in root.walk():
        if node.share:
            _check_share(node, seen, error)
        if node.id:
            if node.id in seen:
                raise error(node.origin.json_path, f"id '{node.id}' is used twice")
            seen[node.id] = node


def tensor_field(field):
    """Torch7 shares ``gradWeight`` beside ``weight``; PyTorch keeps a gradient with its
    Parameter, so both name the same tensor here."""
    return field[4].lower() + field[5:] if field.startswith("grad") and len(field) > 4 else field


def share_pairs(source, clone):
    """(source module, clone module) pairs: torch/nn ``Container:share`` walks the modules
    pairwise; a module without a named field is skipped, as ``Module:share`` does."""
    return list(zip(source.walk(), clone.walk()))


def _check_share(node, seen, error):
    at = f"{node.origin.json_path}.share"
    source = seen.get(node.share["id"])
    if source is None:
        raise error(at, f"no earlier module has id '{node.share['id']}'")
    if [n.name for n in source.walk()] != [n.name for n in node.walk()]:
        raise error(at, f"{node.name} does not have the modules of {source.name} '{source.id}'")
    shared = 0
    for theirs, mine in share_pairs(source, node):
        a, b = param_tensors(theirs), param_tensors(mine)
        for field in map(tensor_field, node.share["fields"]):
            if field in a and field in b:
                if a[field] != b[field]:
                    raise error(at, f"{mine.name} '{field}' has sizes {b[field]} here and {a[field]} in "
                                    f"'{source.id}'")
                shared += 1
    if not shared:
        raise error(at, f"{node.name} has none of {node.share['fields']} to share")


def parse_share(expander, value, json_path):
    """A spec's ``"share": {"id": ..., "fields": [...]}``, shape-checked."""
    if not (isinstance(value, dict) and set(value) == {"id", "fields"} and isinstance(value["id"], str)
            and isinstance(value["fields"], list) and value["fields"]
            and all(isinstance(f, str) for f in value["fields"])):
        raise expander.error(json_path, "must be {\"id\": NAME, \"fields\": [\"weight\", \"bias\", ...]}")
    return {"id": value["id"], "fields": list(value["fields"])}
