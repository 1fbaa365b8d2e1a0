"""The tracer's child process: one Lua job under OS limits, answered as JSON text on a pipe.

Lua counterpart: none (``th`` ran model files in its own process, with full rights). Started by
:mod:`enet_port.lua.isolate` from a forkserver that has this module (and the module table)
imported. Before any user code runs the process limits itself: CPU seconds (``RLIMIT_CPU``), its
address space (``RLIMIT_AS``: the Lua heap, the print lines and the answer all count) and no
file writes (``RLIMIT_FSIZE`` 0). Everything it sends back is one message: ``{"error": [where,
message]}`` or ``{"printed": [...], "loaded": [[class, file], ...], "result": <the JSON text the
sandbox wrote>}`` (``loaded``: :mod:`enet_port.lua.classfiles`); the parent
checks it before use. The one thing the child reads for the Lua code is the model file's own
folder (:func:`_reader`: ``paths.dofile``, ``require 'models.x'``), read-only, under the same limits.
"""
import json
import math
import os
import re
import resource
import signal
import stat
from pathlib import Path

from ..errors import LuaError
from ..model import decorators, modules, registry  # noqa: F401  (modules fills the registry)
from ..model.shapes import param_tensors
from ..model.tree import Node
from .classfiles import class_finder
from .sizing import sample_shape_callback, shape_callback

LUA_DIR = Path(__file__).parent
MAX_MESSAGE = 1000  # characters of a Lua error message
HEADROOM = 512 << 20  # address space for Python's own work beside the Lua heap
OUT_OF_MEMORY = b'{"error": [null, "memory limit exceeded (outside Lua)"]}'


def main(conn, request):
    """Entry point in the child: limit the process, run the job, send one message."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it kills us
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    try:
        _limit(request["seconds"], request["max_memory"] + 2 * request["max_output"])
        message = _answer(request)
    except MemoryError:
        message = OUT_OF_MEMORY
    except LuaError as exc:
        message = json.dumps({"error": [exc.where, exc.message]}).encode()
    except Exception as exc:  # never a traceback on the user's terminal: one line, as every error
        message = json.dumps({"error": [request["path"], f"tracer failure: {type(exc).__name__}: {exc}"]}).encode()
    conn.send_bytes(message)
    conn.close()


def _limit(seconds, memory):
    cpu = math.ceil(seconds) + 1  # the Lua hook stops Lua code at `seconds`; this stops the rest
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    used = _address_space()
    if used:
        resource.setrlimit(resource.RLIMIT_AS, (used + memory + HEADROOM,) * 2)


def _address_space():
    try:
        return int(Path("/proc/self/statm").read_text().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0  # no /proc: the Lua allocator limit and the parent's wall clock still hold


def _answer(request):
    import lupa.lua51 as lua51
    path, printed = request["path"], []
    runtime = lua51.LuaRuntime(max_memory=request["max_memory"], register_eval=False, register_builtins=False,
                               unpack_returned_tuples=True, attribute_filter=_no_attributes)
    runtime.globals().string.dump = None
    compile_ = runtime.globals().loadstring
    chunks = runtime.table_from({name: compile_((LUA_DIR / f"{name}.lua").read_text(), f"=enet_port/lua/{name}.lua")
                                 for name in ("torch7", "nn", "nngraph", "custom", "custom_walk", "symbolic",
                                              "symbolic_sizes", "symbolic_index", "nninit", "luajit", "image",
                                              "builders", "global_classes", "xlua", "sys", "nn_names", "nn_args",
                                              "dpnn")})
    chunks.shape, chunks.sample_shape = shape_callback(runtime), sample_shape_callback(runtime)
    run = compile_((LUA_DIR / "sandbox.lua").read_text(), "=enet_port/lua/sandbox.lua")()
    opt = runtime.table_from({"nGPU": request["nGPU"], "nClasses": request["nClasses"], **request["opt"]})
    limits = runtime.table_from(request["limits"])
    folder = os.path.realpath(os.path.dirname(os.path.abspath(path)))
    read, roots = _reader(path, request["max_source"])
    find_class, loaded = class_finder(folder, lambda place, target: _read_inside(place, target, request["max_source"]),
                                      os.path.basename(path), lambda root: root in roots or roots.append(root))
    try:
        # short chunk names: Lua cuts long ones ("...ls/net.lua:12:"); _located restores the path
        result = run(request["job"], request["source"], os.path.basename(path), chunks, _fields_callback(runtime), opt,
                     request["nClasses"], request["nGPU"], limits, printed.append, request["epochs"],
                     read, runtime.table_from(request.get("call") or {}),
                     _inputs(runtime, request.get("input")), find_class)
    except lua51.LuaMemoryError:
        raise LuaError(path, f"memory limit of {request['max_memory'] >> 20} MiB exceeded "
                             f"({request['memory_hint']})") from None
    except lua51.LuaError as exc:
        raise LuaError(*_located(path, str(exc))) from None
    finally:  # lupa's own cleanup allocates: at the Lua limit it would abort the process
        runtime.set_max_memory(0)
    return (b'{"printed": ' + json.dumps(printed).encode() + b', "loaded": ' + json.dumps(loaded).encode()
            + b', "result": ' + result.encode("ascii") + b"}")


def _inputs(runtime, shapes):
    """The model's input as the walk in forward order takes it (``lua/custom.lua``): one
    per-sample shape ``{sizes}``, several (a graph's inputs) a ``{table}`` of them; None: unknown."""
    if not shapes:
        return None
    values = [{"sizes": list(s)} for s in shapes]
    return runtime.table_from(values[0] if len(values) == 1 else {"table": values}, recursive=True)


def _reader(model_path, most):
    """(``read``, ``roots``): ``read(name, as_module)`` -> (text, file) or (None, why): a Lua file
    of the model's folder, ``file`` its path from there.

    ``as_module`` reads ``require``'s names (``models.x`` or ``models/x``, as Lua's ``./?.lua``
    from the folder, else with the first part dropped: from the project root when the model file
    is in ``models/``, or a flat copy of the project's files), then from each folder of ``roots``
    (the folder above, once a class the model file uses was found there: lua/classfiles.py). Nothing
    outside those folders (after resolving links) and nothing but regular files is read."""
    folder = os.path.realpath(os.path.dirname(os.path.abspath(model_path)))
    roots = []

    def read(name, as_module):
        if not isinstance(name, str) or not name or "\0" in name:
            return None, "not a file name"
        candidates = [name]
        if as_module:
            parts = name.replace(".", "/").split("/")
            candidates = ["/".join(parts) + ".lua"]
            # require 'models/x' from the project root, the model file in models/; or a copy of
            # the project's files in one folder (Torch7 would need the layout, not other files)
            if len(parts) > 1:
                candidates.append("/".join(parts[1:]) + ".lua")
        places = [(folder, c) for c in candidates] + [(root, candidates[0]) for root in roots if as_module]
        for place, candidate in places:
            target = os.path.realpath(os.path.join(place, candidate))
            if os.path.commonpath([place, target]) != place:
                return None, f"'{name}' is outside the model file's folder (the only one the tracer reads)"
            if os.path.isfile(target):
                text, why = _read_regular(target, name, most)
                return (text, os.path.relpath(target, folder)) if text is not None else (None, why)
        return None, f"'{name}' is not a file in the model file's folder"
    return read, roots


def _read_inside(folder, target, most):
    """The text of a file of the folder (after resolving links), else None."""
    real = os.path.realpath(target)
    if os.path.commonpath([folder, real]) != folder:
        return None
    return _read_regular(real, target, most)[0]


def _read_regular(target, name, most):
    try:
        fd = os.open(target, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                return None, f"'{name}' is not a regular file"
            data = file.read(most + 1)
    except OSError as exc:
        return None, f"cannot read '{name}': {exc.strerror}"
    if len(data) > most:
        return None, f"'{name}' is larger than {most >> 20} MiB"
    return lua_text(data), target


def lua_text(data):
    """A Lua file's bytes as text: UTF-8, else Latin-1 (Lua reads bytes, so an old file with an
    accented name in a comment runs in Torch7; every byte maps, and the lines stay where they are)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _located(path, message):
    """Lua's ``chunk:line: msg`` -> (``file:line``, msg) so errors read like every other; chunks
    are named by their path relative to the model file's folder (the model file: its name)."""
    message = message.split("\nstack traceback:", 1)[0].strip().replace("\n", " ")[:MAX_MESSAGE]
    chunk, line, rest = (message.split(":", 2) + ["", ""])[:3]
    if not line.isdigit() or not chunk:
        return path, message
    file = path if chunk == os.path.basename(path) else os.path.normpath(os.path.join(os.path.dirname(path), chunk))
    if not os.path.isfile(file):  # an --opt expression, or a message that only looks located
        return path, message
    return f"{file}:{line}", _unsupported(rest.strip())


# Lua 5.1's and LuaJIT's own globals: one the sandbox leaves out (io, dofile) exists in Torch7
LUA_GLOBALS = frozenset("""assert collectgarbage dofile error gcinfo getfenv getmetatable ipairs load loadfile
    loadstring module newproxy next pairs pcall print rawequal rawget rawset require select setfenv setmetatable
    tonumber tostring type unpack xpcall coroutine debug io math os package string table jit bit _G""".split())


def _unsupported(message):
    """Lua's "attempt to call method 'X' (a nil value)": a Torch7 call the stand-ins lack; a
    global the file never sets (char-rnn's OneHot, a tutorial's params) is Torch7's own failure."""
    match = re.match(r"attempt to (call|index) (method|field|global) '(\w+)' \(a nil value\)$", message)
    if not match:
        return message
    action, kind, name = match.groups()
    if kind == "global":
        if name in LUA_GLOBALS:  # left out by the sandbox (io, dofile): Torch7 has it
            return message
        return (f"Torch7 itself would fail here ({message}): the file neither defines nor requires "
                f"{name} (the project's entry point must have loaded it before this file)")
    if action == "index":
        return message
    if kind == "field" and name[0].isupper():  # nn.Foo the file never defines
        return (f"Torch7 itself would fail here ({message}): {name} is not a module of the package "
                f"and the file neither defines nor requires it")
    return f"the tracer does not support {':' if kind == 'method' else ''}{name}() (Lua: {message})"


def _no_attributes(obj, name, is_setting):
    raise AttributeError("Python attributes are not reachable from the sandbox")


def _fields_callback(runtime):
    """Torch7 fields of a freshly built module (its record's ``lua_fields``) and the sizes of its
    parameter tensors; ``error`` when the arguments do not fit the Torch7 signature (or the
    class is a decorator the port refuses); ``decorator`` for one imported as its module;
    ``port`` when the record ports a class a project defines in its own file (``port_of``);
    ``port_name`` the record a project's own class of this name is (``registry.PROJECT_CLASSES``);
    ``container`` when the record is a container (its children are walked, not its fields)."""
    def fields(name, args, n):
        if name in decorators.TRANSPARENT:  # recorded as the module it decorates (lua/nn.lua)
            return runtime.table_from({"decorator": True})
        if decorators.refusal(name):
            return runtime.table_from({"error": decorators.refusal(name)})
        if name not in registry.REGISTRY:
            return None
        node = Node(name, [_argument(args, i + 1) for i in range(int(n))])
        port = bool(registry.lookup(name).port_of)  # nn.lua takes a torch.class of this name as the record
        # a project's own class of this name is another record (nn.lua's ported; the package's stays)
        port_name = {"port_name": registry.PROJECT_CLASSES[name]} if name in registry.PROJECT_CLASSES else {}
        try:
            values = registry.lookup(name).lua_fields(registry.resolve_args(node, lenient=True), node)
            tensors = param_tensors(node)
        except registry.ArgumentError as exc:
            message = str(exc)
            return runtime.table_from({"error": message if message.startswith(name) else f"{name}: {message}",
                                       "port": port, **port_name})
        return runtime.table_from({"values": values, "tensors": tensors, "port": port, **port_name,
                                   "container": registry.lookup(name).container}, recursive=True)
    return fields


def _argument(args, i):
    try:
        value = args[i]
    except UnicodeDecodeError:
        return "<string>"  # not UTF-8: it can only be a wrong argument, reported as such
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    import lupa.lua51 as lua51
    if lua51.lua_type(value) == "table":  # a Lua table of numbers: nn.Transpose({2, 3}), a graph's positions
        items = [_argument(value, j) for j in range(1, min(len(value), 256) + 1)]
        if all(isinstance(v, (int, float, list)) and not isinstance(v, bool) for v in items):
            return items
    return f"<{type(value).__name__}>"
