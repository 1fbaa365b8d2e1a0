"""Output sizes of a model the sandbox forwards (``net:forward(torch.zeros(1, 4, 84, 84))``).

Lua counterpart: Torch7's ``Module:forward`` on real tensors, which files run to size a layer
from the result (a DQN's ``net:forward(...):nElement()`` gives its Linear's input size). Here the
shape rules (:mod:`enet_port.model.shapes`) give the sizes: the first dimension is taken as the
batch when the rest fits the model's first module, else the whole input is one sample (Torch7's
modules decide by the number of dimensions in the same way).
"""
import json

from ..model import registry
from ..model.shapes import ShapeError, infer
from ..model.tree import Node
from . import planes

MAX_DIMS = 8
MAX_ITEMS = 256  # tensors in one Lua table a module passes on (DenseNet-264's widest block: 64)


def shape_callback(runtime):
    """``shape(json_text, sizes)`` for the sandbox: None where the rules cannot size the model
    (a module they do not know, a tie), ``{error}`` where Torch7's forward would fail, else ``{sizes}``
    or, for a table output, ``{table}``."""
    def shape(text, sizes):
        dims = [sizes[i] for i in range(1, min(len(sizes), MAX_DIMS) + 1)]
        try:
            node = _node(json.loads(text))
        except (ValueError, KeyError, TypeError, RecursionError):
            return None
        answer = _sized(node, dims)
        if answer is None:
            return None
        return runtime.table_from(answer, recursive=True)
    return shape


def sample_shape_callback(runtime):
    """``shape(json_text, value)`` for the walk in forward order (``lua/custom.lua``): the output of
    a module for a per-sample input ``value`` (``{sizes = {...}}`` for a tensor, ``{table = {...}}``
    for a Lua table of them), in the same form; None where the rules cannot size it, ``{error}``
    where Torch7's forward would fail."""
    def shape(text, value):
        try:
            node, given = _node(json.loads(text)), _from_lua(value, 0)
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
            return None
        if given is None or any(n.name not in registry.REGISTRY for n in node.walk()):
            return None
        try:
            out = infer(node, given)
        except (ShapeError, registry.ArgumentError) as exc:
            return runtime.table_from({"error": str(exc)})
        except (KeyError, TypeError, ValueError, IndexError):
            return None
        return runtime.table_from(_to_lua(out), recursive=True)
    return shape


def _from_lua(value, depth):
    """A Lua ``{sizes}``/``{table}`` value as the shape rules take it: a tuple, or a list."""
    if value is None or depth > MAX_DIMS:
        return None
    sizes, items = value["sizes"], value["table"]
    if sizes is not None:
        dims = [sizes[i] for i in range(1, min(len(sizes), MAX_DIMS) + 1)]
        if not all(isinstance(d, (int, float)) and d == int(d) and d >= 1 for d in dims):
            return None
        return tuple(int(d) for d in dims)
    if items is None or not 0 < len(items) <= MAX_ITEMS:
        return None
    out = [_from_lua(items[i], depth + 1) for i in range(1, len(items) + 1)]
    return None if any(o is None for o in out) else out


def _to_lua(shape):
    if isinstance(shape, list):
        return {"table": [_to_lua(s) for s in shape]}
    return {"sizes": list(shape)}


def _sized(node, dims):
    if not all(isinstance(d, (int, float)) and d == int(d) and d >= 0 for d in dims):
        return None
    dims = [int(d) for d in dims]
    if any(n.name not in registry.REGISTRY for n in node.walk()):
        return None
    error = None
    for batch, sample in ((dims[:1], dims[1:]), ([], dims)):
        if not sample:
            continue
        try:
            out = infer(node, tuple(sample), visit=planes.sized)
        except (ShapeError, registry.ArgumentError) as exc:
            error = error or str(exc)
            continue
        except (KeyError, TypeError, ValueError):
            return None
        if isinstance(out, list):
            return {"table": [batch + list(s) for s in out if not isinstance(s, list)]}
        return {"sizes": batch + list(out)}
    return {"error": error} if error else None


def args_and_mods(t):
    """A traced module's arguments (trailing nils dropped, as Lua's varargs drop them) and its
    modifier calls (``:noBias()`` also when the file set ``bias = nil``)."""
    args = list(t["args"])
    while args and args[-1] is None:
        args.pop()
    mods = [tuple(m) for m in t["mods"]]
    if t["bias_removed"] and ("noBias",) not in mods:
        mods.append(("noBias",))
    return args, mods


def _node(t):
    if t["tie"] is not None:  # an unpooling tied to its pooling: the rules need the link (unsized)
        raise KeyError("tie")
    node = Node(t["name"], *args_and_mods(t))
    node.inputs = list(t["inputs"])
    node.children = [_node(c) for c in t["children"]]
    return node
