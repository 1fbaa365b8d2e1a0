"""Run a Lua-Torch7 model file in a sandboxed Lua 5.1 VM and record the model it builds.

Lua counterpart: ``th`` running a model file (imagenet-multiGPU.torch ``models/<netType>.lua``
through ``createModel(nGPU)``, or an ENet ``encoder.lua``-style script that returns a model).
The file runs for real in lupa's Lua 5.1 (Torch7's LuaJIT semantics: doubles, global ``unpack``)
against the stand-ins of ``enet_port/lua/torch7.lua``; ``enet_port/lua/sandbox.lua`` keeps it
away from files, processes, sockets and C modules and under a time and memory limit, inside a
child process under OS limits (:mod:`enet_port.lua.child`, :mod:`enet_port.lua.isolate`) whose
answer is checked (:mod:`enet_port.lua.answer`) before it becomes Nodes. The result
is a :class:`~enet_port.tree.Node` tree with the Lua line behind every module, comparable with a
spec's tree.
"""
from dataclasses import dataclass, field

from .. import limits, userpaths
from ..errors import LuaError
from ..model import registry
from ..model.tree import Node, Origin
from .answer import MAX_PRINTED, check_model, check_schedule
from .child import lua_text
from .isolate import run_child
from .sizing import args_and_mods

TRANSPARENT = {"nn.DataParallelTable"}  # multi-GPU wrappers: the model is their child


@dataclass
class Trace:
    path: str
    model: Node
    unknown: list = field(default_factory=list)   # (name, where)
    printed: list = field(default_factory=list)
    criteria: list = field(default_factory=list)
    loaded: list = field(default_factory=list)    # (class, file): class files the file never required
    declared_input: tuple = None  # the input size the file's returned table declares (InputSize)


def parse_opt(pairs):
    """``key=value`` strings -> dict; numbers and true/false/nil are Lua values, the rest strings."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.isidentifier():
            raise LuaError("--opt", f"'{pair}' is not key=value")
        out[key] = _lua_scalar(value)
    return out


def parse_call(name, args):
    """``--call NAME`` and ``--args LUA`` as the request's choice of builder (None: automatic)."""
    if name is None:
        if args is not None:
            raise LuaError("--args", "--args needs --call NAME (the function to pass them to)")
        return None
    if not all(part.isidentifier() for part in name.split(".")):
        raise LuaError("--call", f"'{name}' is not a Lua function name")
    return {"name": name, "args": args}


def _lua_scalar(text):
    if text in ("true", "false"):
        return text == "true"
    if text == "nil":
        return None
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def trace_lua(path, nClasses=1000, opt=None, nGPU=1, seconds=None, max_memory=None, call=None,
              input_shape=None):
    """Run ``path`` and return its :class:`Trace`; any failure is a one-line :class:`LuaError`.

    ``seconds`` (CPU time) and ``max_memory`` (bytes of Lua heap) default to the limits of
    :mod:`enet_port.limits`; the Lua runs in a child process under them. ``call`` (from
    :func:`parse_call`) names the builder of a returned table and its Lua arguments.
    ``input_shape`` (a per-sample shape, or a list of them for a graph's inputs) sizes the
    stand-ins custom modules are traced on (None: their sizes are unknown)."""
    request, source = _request("model", path, nClasses, opt, nGPU, seconds, max_memory)
    request["call"] = call
    request["input"] = _input_list(input_shape)
    answer = _run(request)
    result = check_model(answer, request["path"], request["limits"]["depth"], request["limits"]["modules"])
    trace = _to_trace(request["path"], source.splitlines(), result, answer["printed"])
    trace.loaded = [tuple(pair) for pair in answer["loaded"]]
    return trace


def lua_schedule(path, epochs, opt=None, seconds=None):
    """Call the file's ``paramsForEpoch`` for epochs 1..epochs, in order, as train.lua does.

    Returns one dict per epoch: ``lr``, ``wd`` (None where the Lua returned none), ``new_regime``.
    """
    request, _ = _request("schedule", path, 1000, opt, 1, seconds, 64 << 20, epochs)
    return check_schedule(_run(request), request["path"], epochs)


def _input_list(input_shape):
    if input_shape is None:
        return None
    shapes = input_shape if isinstance(input_shape, list) else [input_shape]
    return [[int(d) for d in shape] for shape in shapes]


def _request(job, path, nClasses, opt, nGPU, seconds, max_memory, epochs=0):
    path = str(path)
    source = _read_source(path)
    modules, depth = limits.value(limits.MODULES), limits.value(limits.DEPTH)
    request = {"job": job, "path": path, "source": source, "nClasses": nClasses, "opt": dict(opt or {}),
               "nGPU": nGPU, "epochs": epochs,
               "seconds": seconds or limits.value(limits.LUA_SECONDS),
               "max_memory": max_memory or int(limits.value(limits.LUA_MEMORY_MB) * (1 << 20)),
               "max_output": int(limits.value(limits.LUA_OUTPUT_MB) * (1 << 20)),
               "max_source": int(limits.value(limits.LUA_SOURCE_MB) * (1 << 20)),
               "memory_hint": limits.hint(limits.LUA_MEMORY_MB),
               "limits": {"seconds": 0, "depth": depth, "modules": modules, "printed": MAX_PRINTED,
                          "depth_hint": limits.hint(limits.DEPTH), "modules_hint": limits.hint(limits.MODULES)}}
    request["limits"]["seconds"] = request["seconds"]
    return request, source


def _read_source(path):
    most = int(limits.value(limits.LUA_SOURCE_MB) * (1 << 20))
    try:
        data = userpaths.read_bytes(path, most)
        if len(data) > most:
            raise LuaError(path, f"larger than {most >> 20} MiB ({limits.hint(limits.LUA_SOURCE_MB)})")
        return lua_text(data)
    except OSError as exc:
        raise LuaError(path, f"cannot read: {getattr(exc, 'strerror', None) or exc}") from None


def _run(request):
    """The child's answer; the wall clock allows for a busy machine (CPU time is the real limit)."""
    wall = 2 * request["seconds"] + 3
    return run_child(request, wall, limits.hint(limits.LUA_SECONDS), limits.hint(limits.LUA_OUTPUT_MB))


def _to_trace(path, source_lines, result, printed):
    trace, raw = Trace(path, None, printed=list(printed)), {}
    trace.declared_input = tuple(result["input"]) if result["input"] else None
    trace.model = _unwrap(_to_node(result["model"], path, source_lines, trace, raw))
    _link(trace.model, raw)
    trace.criteria = [_to_node(c, path, source_lines, None, {}) for c in result["criteria"]]
    return trace


def _link(root, raw):
    """The Lua's ties (``nn.SpatialMaxUnpooling(pool)``) and shared parameters (``clone('weight',
    ...)``, ``share``) as Node.tie / Node.id / Node.share; ids are named after the module type,
    numbered in model order. A link to a module outside the model cannot be written down."""
    nodes = list(root.walk())
    by_uid = {raw[id(n)]["uid"]: n for n in nodes}
    named = {}

    def name(target, node, what):
        if target not in by_uid:
            raise LuaError(node.where, f"the tracer does not support {what} a module that is not part of the model")
        source = by_uid[target]
        if not source.id:
            kind = source.name.split(".")[-1]
            named[kind] = named.get(kind, 0) + 1
            source.id = f"{kind}{named[kind]}"
        return source
    for node in nodes:
        t = raw[id(node)]
        if t["tie"] is not None:
            node.tie = name(t["tie"], node, "an unpooling tied to")
        if t["share"] is not None:
            source = name(t["share"]["uid"], node, "sharing parameters with")
            node.share = {"id": source.id, "fields": list(t["share"]["fields"])}


def _unwrap(node):
    while node.name in TRANSPARENT and len(node.children) == 1:
        node = node.children[0]
    return node


def _to_node(t, path, source_lines, trace, raw):
    built, added = t["lines"], t["add_lines"]
    outer = (added or built or [0])[-1]
    inner = built[0] if built else outer
    args, mods = args_and_mods(t)
    node = Node(t["name"], args, mods, origin=Origin(path, line=outer, inner_line=inner),
                lua=source_lines[outer - 1].strip() if 0 < outer <= len(source_lines) else "")
    node.init = {k: list(v) for k, v in t["init"].items()}
    node.inputs = list(t["inputs"])
    raw[id(node)] = t
    if trace is not None and node.name not in TRANSPARENT and node.name not in registry.REGISTRY:
        trace.unknown.append((node.name, node.where))
    node.children = [_to_node(c, path, source_lines, trace, raw) for c in t["children"]]
    return node


def torch7_table(trace, input_shape):
    """Every module of the trace with its depth, output shape and parameter count, from the
    Torch7 rules alone; stops (returning the reason) at a module the rules cannot size."""
    from ..model.shapes import ShapeError, infer, param_count
    from .planes import sized
    record, problem = [], None
    try:
        infer(trace.model, checked_inputs(trace, input_shape), record, visit=sized)
    except (ShapeError, registry.ArgumentError, KeyError) as exc:
        problem = str(exc)
    depth = {id(trace.model): 0}
    for node in trace.model.walk():
        for child in node.children:
            depth[id(child)] = depth[id(node)] + 1
    rows = [{"depth": depth[id(n)], "module": n, "output_shape": shape,
             "params": param_count(n) if n.name in registry.REGISTRY else None} for n, shape in record]
    return rows, problem


def input_count(model):
    """How many inputs the model's forward takes: those of the nngraph ``gModule`` it starts
    with (itself, or the first module of Sequentials), else one."""
    node = model
    while node.name == "nn.Sequential" and node.children:
        node = node.children[0]
    return len(node.args[0]) if node.name == "nn.gModule" and node.args else 1


def checked_inputs(trace, input_shape):
    """``input_shape`` (one shape, or a list with one per graph input) as the shape rules take
    it, refused in one line when the count differs from the model's inputs."""
    several = isinstance(input_shape, list)
    given, wanted = (len(input_shape) if several else 1), input_count(trace.model)
    if given != wanted:
        raise LuaError(trace.path, f"the model takes {wanted} input{'s' if wanted != 1 else ''}, "
                                   f"--input gives {given}: give --input once per graph input, in order")
    return [tuple(s) for s in input_shape] if several else tuple(input_shape)
