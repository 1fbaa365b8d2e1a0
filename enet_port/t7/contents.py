"""What a stored object holds when it is not a module: the model of a checkpoint table, or one line
saying what the file holds instead (a tensor, a table of data, a criterion).

Lua counterpart: what ``torch.save(path, x)`` was given. Files named ``.t7`` hold anything Lua
values can be: a model, ``{model = model, optimState = ...}`` (a training checkpoint), a dataset
(``{data = tensor, labels = tensor}``), a single tensor. A table whose values hold exactly one
module, itself or in tables inside it up to three deep (char-rnn's ``{protos = {rnn = ...,
criterion = ...}, opt = ..., vocab = ...}``), is read as that module (its keys are named in the
places of errors); so is the one under the key ``model`` of a table holding others (rnn's
recurrent-language-model.lua saves ``{model = nn.Serial(lm), targetmodule = nn.SplitTable(1),
criterion, opt, ...}``: the targetmodule prepares targets); any other non-module is
refused, saying what it holds. A table of ``modules`` (and gradInput, output) without a class
is an nn.Sequential's fields saved without its class header (neuflow's face.net): read as one.
"""
import numpy as np

from .objects import LuaFunction, TorchObject
from .reader import T7Error

MODULE_PACKAGES = ("nn", "cudnn", "cunn", "inn", "nnx", "dpnn", "rnn", "nngraph")
MOST_KEYS = 6
CHECKPOINT_DEPTH = 3  # tables searched for the model: checkpoint.protos.rnn


def model_of(obj, path):
    """(the module to import, its place in the file) of the stored object ``obj``."""
    if isinstance(obj, TorchObject) and _is_module(obj):
        return obj, ""
    if isinstance(obj, TorchObject) and _name(obj).endswith("Criterion"):
        raise T7Error(path, f"not a model but a criterion ({_name(obj)})")
    if _classless_sequential(obj):
        return TorchObject(b"nn.Sequential", obj), ""
    found = _modules_in(obj, "", CHECKPOINT_DEPTH)
    named = [f for f in found if f[0] == "model"]
    if len(found) == 1 or len(named) == 1:  # rnn's xplog: model beside its targetmodule (a SplitTable)
        return (named or found)[0][1], (named or found)[0][0]
    if found:
        raise T7Error(path, f"a Lua table holding {len(found)} modules "
                            f"({', '.join(f'{k}: {_name(v)}' for k, v in found[:MOST_KEYS])}), not one model")
    raise T7Error(path, f"not a model but {describe(obj)}")


def _modules_in(obj, place, depth):
    """(place, module) of every module in the plain tables of ``obj``, ``depth`` tables deep:
    char-rnn's checkpoint keeps its network at ``protos.rnn`` beside its criterion."""
    if not isinstance(obj, (dict, list)) or depth == 0:
        return []
    found = []
    for key, value in (obj.items() if isinstance(obj, dict) else enumerate(obj, 1)):
        inner = f"{place}.{_key(key)}" if place else _key(key)
        if isinstance(value, TorchObject) and _is_module(value):
            found.append((inner, value))
        elif not isinstance(value, TorchObject):
            found += _modules_in(value, inner, depth - 1)
    return found


def _classless_sequential(obj):
    """An nn.Sequential's field table stored without its class (neuflow's 2011 face.net: a table
    of modules, gradInput and output): a ``modules`` array of modules and no other module."""
    if not isinstance(obj, dict) or not isinstance(obj.get(b"modules"), list) or not obj[b"modules"]:
        return False
    modules = obj[b"modules"]
    others = [v for k, v in obj.items() if k != b"modules" and isinstance(v, TorchObject) and _is_module(v)]
    return not others and all(isinstance(m, TorchObject) and _is_module(m) for m in modules)


def describe(value):
    """A short phrase for a stored value: ``a tensor 3x4 (float64)``, ``a Lua table (data: a
    tensor 2x1x4x4 (float64), labels: ...)``."""
    if isinstance(value, np.ndarray):
        return f"a tensor {'x'.join(map(str, value.shape)) or 'of no elements'} ({value.dtype})"
    if isinstance(value, TorchObject):
        return f"a {_name(value)} object"
    if isinstance(value, (dict, list)):
        items = list(value.items()) if isinstance(value, dict) else list(enumerate(value, 1))
        if not items:
            return "an empty Lua table"
        shown = ", ".join(f"{_key(k)}: {_short(v)}" for k, v in items[:MOST_KEYS])
        more = f", ... {len(items) - MOST_KEYS} more" if len(items) > MOST_KEYS else ""
        return f"a Lua table of {_entries(len(items))} ({shown}{more})"
    return _short(value)


def _short(value):
    if isinstance(value, np.ndarray):
        return f"a tensor {'x'.join(map(str, value.shape)) or 'of no elements'}"
    if isinstance(value, (dict, list)):
        return f"a Lua table of {_entries(len(value))}"
    if isinstance(value, TorchObject):
        return _name(value)
    if isinstance(value, LuaFunction):
        return "a Lua function"
    if isinstance(value, bytes):
        return "a string"
    if isinstance(value, bool) or value is None:
        return str(value).lower() if value is not None else "nil"
    return f"the number {value:g}" if isinstance(value, (int, float)) else type(value).__name__


def _entries(n):
    return f"{n} entry" if n == 1 else f"{n} entries"


def _is_module(obj):
    name = _name(obj)
    return name.split(".")[0] in MODULE_PACKAGES and not name.endswith("Criterion") and name != "nngraph.Node"


def _name(obj):
    return obj.torch_typename().decode(errors="backslashreplace")


def _key(key):
    if isinstance(key, bytes):
        return key.decode(errors="backslashreplace")
    return f"[{key}]" if isinstance(key, int) else str(key)
