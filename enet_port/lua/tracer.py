"""Run a Lua-Torch7 model file in a sandboxed Lua 5.1 VM and record the model it builds.

Lua counterpart: ``th`` running a model file (imagenet-multiGPU.torch ``models/<netType>.lua``
through ``createModel(nGPU)``, or an ENet ``encoder.lua``-style script that returns a model).
The file runs for real in lupa's Lua 5.1 (Torch7's LuaJIT semantics: doubles, global ``unpack``)
against the stand-ins of ``enet_port/lua/torch7.lua``; ``enet_port/lua/sandbox.lua`` keeps it
away from files, processes, sockets and C modules and under a time and memory limit. The result
is a :class:`~enet_port.tree.Node` tree with the Lua line behind every module, comparable with a
spec's tree.
"""
from dataclasses import dataclass, field
from pathlib import Path

from ..model import registry
from ..errors import LuaError
from ..model.shapes import param_tensors
from ..model.tree import Node, Origin

LUA_DIR = Path(__file__).parent
MAX_PRINTED = 1000  # lines of print() output kept; Python memory is outside Lua's limit
TRANSPARENT = {"nn.DataParallelTable"}  # multi-GPU wrappers: the model is their child


@dataclass
class Trace:
    path: str
    model: Node
    unknown: list = field(default_factory=list)   # (name, where)
    printed: list = field(default_factory=list)
    criteria: list = field(default_factory=list)


def parse_opt(pairs):
    """``key=value`` strings -> dict; numbers and true/false/nil are Lua values, the rest strings."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.isidentifier():
            raise LuaError("--opt", f"'{pair}' is not key=value")
        out[key] = _lua_scalar(value)
    return out


def _lua_scalar(text):
    if text in ("true", "false"):
        return text == "true"
    if text == "nil":
        return None
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() else number


def trace_lua(path, nClasses=1000, opt=None, nGPU=1, seconds=10.0, max_memory=256 << 20):
    """Run ``path`` and return its :class:`Trace`; any failure is a one-line :class:`LuaError`."""
    printed = []
    out, source = _run("model", path, nClasses, opt, nGPU, seconds, max_memory, printed)
    return _to_trace(str(path), source.splitlines(), out, printed)


def lua_schedule(path, epochs, opt=None, seconds=10.0):
    """Call the file's ``paramsForEpoch`` for epochs 1..epochs, in order, as train.lua does.

    Returns one dict per epoch: ``lr``, ``wd`` (None where the Lua returned none), ``new_regime``.
    """
    out, _ = _run("schedule", path, 1000, opt, 1, seconds, 64 << 20, [], epochs)
    return [{k: out[e][k] for k in ("lr", "wd", "new_regime", "empty")} for e in range(1, epochs + 1)]


def _run(job, path, nClasses, opt, nGPU, seconds, max_memory, printed, epochs=0):
    import lupa.lua51 as lua51
    path = str(path)
    try:
        source = Path(path).read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise LuaError(path, f"cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    runtime = lua51.LuaRuntime(max_memory=max_memory, register_eval=False, register_builtins=False,
                               unpack_returned_tuples=True, attribute_filter=_no_attributes)
    runtime.globals().string.dump = None
    compile_ = runtime.globals().loadstring
    torch7 = compile_((LUA_DIR / "torch7.lua").read_text(), "=enet_port/lua/torch7.lua")
    run = compile_((LUA_DIR / "sandbox.lua").read_text(), "=enet_port/lua/sandbox.lua")()
    opt_table = runtime.table_from({"nGPU": nGPU, "nClasses": nClasses, **(opt or {})})
    try:
        out = run(job, source, path, torch7, _fields_callback(runtime), opt_table, nClasses, nGPU,
                  seconds, lambda line: len(printed) < MAX_PRINTED and printed.append(line), epochs)
    except lua51.LuaMemoryError:
        raise LuaError(path, f"memory limit of {max_memory >> 20} MiB exceeded") from None
    except lua51.LuaError as exc:
        raise LuaError(*_located(path, str(exc))) from None
    return out, source


def _no_attributes(obj, name, is_setting):
    raise AttributeError("Python attributes are not reachable from the sandbox")


def _fields_callback(runtime):
    """Torch7 fields of a freshly built module (its record's ``lua_fields``) and the sizes of its
    parameter tensors."""
    def fields(name, args, n):
        if name not in registry.REGISTRY:
            return None
        node = Node(name, [args[i + 1] for i in range(n)])
        try:
            values = registry.lookup(name).lua_fields(registry.resolve_args(node, lenient=True), node)
            tensors = param_tensors(node)
        except registry.ArgumentError:
            values, tensors = {}, {}  # reported when shapes are computed, with the Lua line
        return runtime.table_from({"values": values, "tensors": tensors}, recursive=True)
    return fields


def _located(path, message):
    """Lua's ``file:line: msg`` -> (``file:line``, msg) so errors read like every other."""
    message = message.split("\nstack traceback:", 1)[0].strip().replace("\n", " ")
    prefix = f"{path}:"
    if message.startswith(prefix):
        line, _, rest = message[len(prefix):].partition(":")
        if line.isdigit():
            return f"{path}:{line}", rest.strip()
    return path, message


def _to_trace(path, source_lines, out, printed):
    trace = Trace(path, None, printed=list(printed))
    trace.model = _unwrap(_to_node(out["model"], path, source_lines, trace))
    trace.criteria = [_to_node(c, path, source_lines, None) for c in out["criteria"].values()]
    return trace


def _unwrap(node):
    while node.name in TRANSPARENT and len(node.children) == 1:
        node = node.children[0]
    return node


def _lines(table):
    return [int(v) for v in table.values()] if table is not None else []


def _to_node(t, path, source_lines, trace):
    built, added = _lines(t["lines"]), _lines(t["add_lines"])
    outer = (added or built or [0])[-1]
    inner = built[0] if built else outer
    args = [t["args"][i + 1] for i in range(int(t["n"]))]
    while args and args[-1] is None:
        args.pop()
    mods = [tuple(m.values()) for m in t["mods"].values()]
    if t["bias_removed"] and ("noBias",) not in mods:
        mods.append(("noBias",))
    node = Node(str(t["name"]), args, mods, origin=Origin(path, line=outer, inner_line=inner),
                lua=source_lines[outer - 1].strip() if 0 < outer <= len(source_lines) else "")
    node.init = {k: list(v.values()) for k, v in t["init"].items()}
    if trace is not None and node.name not in TRANSPARENT and node.name not in registry.REGISTRY:
        trace.unknown.append((node.name, node.where))
    node.children = [_to_node(c, path, source_lines, trace) for c in t["children"].values()]
    return node


def torch7_table(trace, input_shape):
    """Every module of the trace with its depth, output shape and parameter count, from the
    Torch7 rules alone; stops (returning the reason) at a module the rules cannot size."""
    from ..model.shapes import ShapeError, infer, param_count
    record, problem = [], None
    try:
        infer(trace.model, tuple(input_shape), record)
    except (ShapeError, registry.ArgumentError, KeyError) as exc:
        problem = str(exc)
    depth = {id(trace.model): 0}
    for node in trace.model.walk():
        for child in node.children:
            depth[id(child)] = depth[id(node)] + 1
    rows = [{"depth": depth[id(n)], "module": n, "output_shape": shape,
             "params": param_count(n) if n.name in registry.REGISTRY else None} for n, shape in record]
    return rows, problem
