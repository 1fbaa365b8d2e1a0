"""Check what the tracer's child sends back before any of it is used.

Lua counterpart: none. The child's answer is JSON written by ``sandbox.lua``; a user file cannot
write it directly, but it can shape every value in it, so nothing is trusted: types, sizes,
counts and nesting are checked here, in one iterative pass (no recursion a deep tree could
exhaust), and anything out of shape is a one-line :class:`~enet_port.errors.LuaError`.
"""
from ..errors import LuaError

NODE_KEYS = {"name": str, "n": int, "args": list, "mods": list, "init": dict, "lines": list,
             "add_lines": list, "bias_removed": bool, "uid": int, "tie": (int, type(None)),
             "share": (dict, type(None)), "inputs": list, "children": list}
MAX_ARGS, MAX_LIST, MAX_TEXT = 256, 32, 200
MAX_TABLE = 4096  # items of one table argument (sandbox.lua's MAX_LIST): a connection table's rows
MAX_PRINTED, MAX_PRINTED_LINE = 1000, 4 * 1000 + 3  # sandbox.lua: 1000 bytes a line, each escaped to <= 4


class Unusable(Exception):
    """An answer out of shape; the message says which part."""


def check_model(answer, path, max_depth, max_modules):
    """``answer`` is ``{"printed": [str], "loaded": [[class, file]], "result": {"how", "input", "model",
    "criteria"}}``; raises LuaError."""
    try:
        _check_printed(answer)
        result = _keys(answer["result"], {"how": str, "input": (list, type(None)), "model": dict, "criteria": list},
                       "result")
        _check_input(result["input"])
        _check_tree([result["model"], *result["criteria"]], max_depth, max_modules)
    except Unusable as exc:
        raise LuaError(path, f"the tracer's answer is unusable: {exc}") from None
    return result


def _check_input(sizes):
    """The input size the file declares (builders.lua), None when it declares none."""
    if sizes is not None and not (1 <= len(sizes) <= 3 and all(
            isinstance(x, int) and not isinstance(x, bool) and 1 <= x <= 2 ** 24 for x in sizes)):
        raise Unusable("result field 'input'")


def check_schedule(answer, path, epochs):
    """``answer["result"]`` is one ``{lr, wd, new_regime, empty}`` per epoch; raises LuaError."""
    try:
        _check_printed(answer)
        rows = answer["result"]
        if not isinstance(rows, list) or len(rows) != epochs:
            raise Unusable(f"{epochs} schedule rows expected")
        for row in rows:
            _keys(row, {"lr": (int, float, type(None)), "wd": (int, float, type(None)),
                        "new_regime": bool, "empty": bool}, "schedule row")
    except Unusable as exc:
        raise LuaError(path, f"the tracer's answer is unusable: {exc}") from None
    return rows


def _check_printed(answer):
    _keys(answer, {"printed": list, "loaded": list, "result": (dict, list)}, "answer")
    if len(answer["printed"]) > MAX_PRINTED or not all(isinstance(p, str) and len(p) <= MAX_PRINTED_LINE
                                                       for p in answer["printed"]):
        raise Unusable("printed lines")
    if len(answer["loaded"]) > MAX_LIST or not all(
            isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) and len(x) <= MAX_TEXT for x in pair)
            for pair in answer["loaded"]):
        raise Unusable("loaded class files")


def _keys(value, kinds, what):
    if not isinstance(value, dict) or set(value) != set(kinds):
        raise Unusable(f"{what} fields")
    for key, kind in kinds.items():
        if not isinstance(value[key], kind) or (kind is int and isinstance(value[key], bool)):
            raise Unusable(f"{what} field {key!r}")
    return value


def _check_tree(roots, max_depth, max_modules):
    stack, count = [(root, 1) for root in roots], 0
    while stack:
        node, depth = stack.pop()
        count += 1
        if depth > max_depth or count > max_modules:
            raise Unusable("too deep or too many modules")
        _check_node(node)
        stack.extend((child, depth + 1) for child in node["children"])


def _check_node(node):
    _keys(node, NODE_KEYS, "module")
    if not (0 < len(node["name"]) <= MAX_TEXT and 0 <= node["n"] == len(node["args"]) <= MAX_ARGS):
        raise Unusable("module name or arguments")
    _scalars(node["args"], MAX_ARGS, tables=True)
    _check_links(node)
    if len(node["mods"]) > MAX_LIST or len(node["init"]) > MAX_LIST:
        raise Unusable("modifiers or init calls")
    for mod in node["mods"]:
        if not isinstance(mod, list) or not mod or not isinstance(mod[0], str):
            raise Unusable("modifier")
        _scalars(mod, MAX_LIST)
    for field, how in node["init"].items():
        if not isinstance(how, list) or len(field) > MAX_TEXT:
            raise Unusable("init call")
        _scalars(how, MAX_LIST)
    for lines in (node["lines"], node["add_lines"]):
        if len(lines) > 2 or not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 10**9 for v in lines):
            raise Unusable("Lua lines")


def _check_links(node):
    """The module's uid, what it is tied to, shares and (in an nn.gModule) reads."""
    if not _whole(node["uid"]) or (node["tie"] is not None and not _whole(node["tie"])):
        raise Unusable("module ids")
    share = node["share"]
    if share is not None:
        _keys(share, {"uid": int, "fields": list}, "share")
        if not _whole(share["uid"]) or not share["fields"] or not all(
                isinstance(f, str) and 0 < len(f) <= MAX_TEXT for f in share["fields"][:MAX_LIST]) \
                or len(share["fields"]) > MAX_LIST:
            raise Unusable("share")
    if len(node["inputs"]) > MAX_ARGS or not all(_whole(v) for v in node["inputs"]):
        raise Unusable("graph inputs")


def _number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) <= 2**53


def _whole(v):
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 10**9


def _number_table(value, most, depth):
    """Numbers, or tables of them, nested at most ``depth`` deep (a pair of 2-D kernels: 3)."""
    if depth == 0 or len(value) > most:
        return False
    return all(_number_table(x, most, depth - 1) if isinstance(x, list) else _number(x) for x in value)


def _scalars(values, most, tables=False):
    if len(values) > most:
        raise Unusable("too many values")
    for v in values:
        if tables and isinstance(v, list):  # a Lua table of numbers (or of such tables) as an argument
            if not _number_table(v, MAX_TABLE, 3):
                raise Unusable("a table argument")
            continue
        if isinstance(v, str) and len(v) > MAX_TEXT:
            raise Unusable("a string value")
        if isinstance(v, int) and not isinstance(v, bool) and abs(v) > 2**53:
            raise Unusable("a number value")
        if not (v is None or isinstance(v, (bool, int, float, str))):
            raise Unusable("a value")
