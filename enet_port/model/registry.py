"""The Torch7 module table: one :class:`ModuleType` record per Torch7 module type.

A record holds everything enet-port knows of one Torch7 type (``nn.X`` and ``cudnn.X`` are
separate records, because their defaults differ): the Lua constructor signature with torch/nn's
or cudnn.torch's defaults, the modifiers it accepts, the PyTorch builder, the Torch7 output-shape
rule, the parameter tensors its ``__init`` allocates, its multiply-accumulate count and the
fields Lua code reads after construction. :func:`register` demands every rule, so a record with
a rule missing fails when the table is imported, never later as a silent 0. The records
themselves are in :mod:`enet_port.model.modules`; an unknown name is an error, never a fallback.
"""
import math
from dataclasses import dataclass

REQUIRED = object()
MAX_NUMBER = 2 ** 53  # Lua numbers are doubles: whole numbers are exact up to here


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # 'int', 'number', 'bool', 'any' (Lua truthiness), 'ints' (the rest, View),
    #            'pairs' (the rest, each a Lua table {a, b} of whole numbers, Transpose)
    default: object = REQUIRED  # a value, REQUIRED, or a function of the arguments so far
    field: bool = True  # Torch7 stores it under the same name (self.kW = kW)
    tail: str = ""  # 'ints' only: a trailing true/false is this argument (Reshape's batchMode)


@dataclass(frozen=True)
class ModuleType:
    """All rules take the resolved arguments ``a`` (a dict by parameter name) and the Node."""
    name: str
    params: tuple
    build: object      # build(a, node) -> nn.Module
    shape: object      # shape(a, node, in_shape, infer_child) -> out_shape (per sample)
    tensors: object    # tensors(a, node) -> {Torch7 field: sizes} of the parameters
    macs: object       # macs(a, in_shape, out_shape) -> multiply-accumulates per sample
    modifiers: tuple = ()
    container: bool = False
    fields: object = None  # fields(a, node) -> extra Torch7 fields (beside params and tensors)
    from_fields: object = None  # from_fields(f) -> {param: value} for params a .t7 file does not
    #                             store under their own name (f: the stored fields, tensors as arrays)
    t7_state: object = None  # t7_state(f, version) -> {PyTorch name: array}, when not stored by name
    ties: tuple = ()  # the types a spec entry of this type must be tied to ("tie": NAME)
    check: object = None   # check(a, node) raises ArgumentError for values Torch7 refuses or breaks on
    any_layout: bool = False  # takes a tensor whose batch dimension nn.Transpose moved (shapes.BatchMoved)
    port_of: str = ""  # a port of a class a project defines in its own file (named here): the
    #                    tracer takes a torch.class of this name as this record (lua/nn.lua)

    def lua_fields(self, a, node):
        """The scalar fields a Torch7 instance has after construction (what Lua code reads)."""
        out = {p.name: a[p.name] for p in self.params if p.field and not isinstance(a[p.name], list)}
        out.update(self.fields(a, node) if self.fields else {})
        return out


REGISTRY = {}
# a project's own class whose name another record has: the record it is taken as (lua/nn.lua).
# torch-rnn's LSTM.lua and GRU.lua define nn.LSTM and nn.GRU, the rnn package's names.
PROJECT_CLASSES = {"nn.LSTM": "torch_rnn.LSTM", "nn.GRU": "torch_rnn.GRU"}


def register(name, params, *, build, shape, tensors, macs, modifiers=(), container=False, fields=None,
             from_fields=None, t7_state=None, ties=(), check=None, any_layout=False, port_of=""):
    """Add the record for ``name``; every rule is a required keyword."""
    if name in REGISTRY:
        raise ValueError(f"Torch7 module {name} registered twice")
    for rule_name, rule in (("build", build), ("shape", shape), ("tensors", tensors), ("macs", macs)):
        if not callable(rule):
            raise TypeError(f"Torch7 module {name}: the {rule_name} rule is not callable")
    REGISTRY[name] = ModuleType(name, tuple(params), build, shape, tensors, macs, tuple(modifiers),
                                container, fields, from_fields, t7_state, tuple(ties), check, any_layout,
                                port_of)


def lookup(name):
    """The record for ``name``; KeyError with a readable message otherwise."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown Torch7 module '{name}'") from None


def base_name(name):
    """``cudnn.SpatialConvolution`` -> ``SpatialConvolution``."""
    return name.split(".", 1)[-1]


def ceil_mode(node):
    """Torch7 pooling: ``:ceil()`` and ``:floor()`` set ``ceil_mode``; the last call wins.
    The one place the pooling mode is decided (build, shapes, diff and the tracer ask here)."""
    calls = [m[0] for m in node.modifiers if m[0] in ("ceil", "floor")]
    return bool(calls) and calls[-1] == "ceil"


class ArgumentError(ValueError):
    """Arguments that do not fit a module's Torch7 signature."""


def resolve_args(node, lenient=False):
    """The node's arguments by parameter name, defaults filled in, types checked.

    ``lenient`` ignores extra arguments, as a Lua constructor call does."""
    mtype = lookup(node.name)
    args, given = {}, list(node.args)
    if lenient and not any(p.kind in REST for p in mtype.params):
        given = given[:len(mtype.params)]
    for i, param in enumerate(mtype.params):
        if param.kind in REST:
            _rest(param, given[i:], args)
            break
        value = given[i] if i < len(given) else None
        if value is None:
            if param.default is REQUIRED:
                raise ArgumentError(f"{node.name}: missing argument #{i + 1} ({param.name})")
            value = param.default(args) if callable(param.default) else param.default
        else:
            value = _check(param, value)
        args[param.name] = value
    if len(given) > len(mtype.params) and not any(p.kind in REST for p in mtype.params):
        raise ArgumentError(f"{node.name}: takes at most {len(mtype.params)} arguments, "
                            f"got {len(given)}")
    if mtype.check:
        mtype.check(args, node)
    return args


REST = ("ints", "pairs")


def _rest(param, values, args):
    """A parameter that takes all remaining arguments (Lua's ``...``)."""
    if param.tail:
        args[param.tail] = values.pop() if values and isinstance(values[-1], bool) else None
    if param.kind == "pairs":
        args[param.name] = [_pair(param, v) for v in values]
    else:
        args[param.name] = [_check(param, v) for v in values]
    return args


def _pair(param, value):
    if not (isinstance(value, (list, tuple)) and len(value) == 2):
        raise ArgumentError(f"argument {param.name}: each is a pair {{a, b}}, got {value!r}")
    return tuple(_check(Param(param.name, "int"), v) for v in value)


def at_least(a, node, low, *names):
    """For check rules: each named argument (when given) is at least ``low``."""
    for name in names:
        if a.get(name) is not None and a[name] < low:
            raise ArgumentError(f"{node.name}: argument {name} must be at least {low}, got {a[name]:g}")


def _check(param, value):
    if param.kind == "any":
        return value
    if isinstance(value, (list, tuple)):
        raise ArgumentError(f"argument {param.name} must be a single value, got the table {value!r}")
    if param.kind == "bool":
        if not isinstance(value, bool):
            raise ArgumentError(f"argument {param.name} must be true or false, got {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ArgumentError(f"argument {param.name} must be a number, got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ArgumentError(f"argument {param.name} must be a finite number, got {value!r}")
    if abs(value) > MAX_NUMBER:
        raise ArgumentError(f"argument {param.name} is out of range (at most 2^53 in size), got {value:.3g}")
    if param.kind in ("int", "ints"):
        if float(value) != int(value):
            raise ArgumentError(f"argument {param.name} must be a whole number, got {value!r}")
        return int(value)
    return float(value)


class FieldError(ValueError):
    """A stored Torch7 instance whose fields do not give its constructor arguments."""


def args_from_fields(mtype, f):
    """The constructor arguments of a stored instance (a ``.t7`` file's fields ``f``): the
    record's ``from_fields`` values, else the field of the parameter's name, else the default.
    Trailing arguments equal to their defaults are left out, as one writes the Lua call."""
    given = mtype.from_fields(f) if mtype.from_fields else {}
    args, values = [], {}
    for param in mtype.params:
        if param.kind in REST:
            return args + list(given.get(param.name, []))
        if param.name in given:
            value = given[param.name]
        elif param.field and f.get(param.name) is not None:
            value = f[param.name]
        elif param.default is REQUIRED:
            raise FieldError(f"{mtype.name}: no stored field gives argument {param.name}")
        else:
            value = param.default(values) if callable(param.default) else param.default
        values[param.name] = value
        args.append(value)
    while args and _is_default(mtype.params[len(args) - 1], args, values):
        args.pop()
    return args


def _is_default(param, args, values):
    if param.default is REQUIRED:
        return False
    default = param.default(values) if callable(param.default) else param.default
    return args[-1] == default and isinstance(args[-1], bool) == isinstance(default, bool)


def modifiers_from_fields(mtype, args_node, f):
    """The modifier calls a stored instance shows: ``ceil_mode`` -> ``:ceil()``, a nil ``bias``
    the constructor would have made -> ``:noBias()``, ``numInputDims`` -> ``:setNumInputDims(n)``,
    ``count_include_pad`` false -> ``:setCountExcludePad()``."""
    out = []
    if "ceil" in mtype.modifiers and f.get("ceil_mode"):
        out.append(("ceil",))
    if "setCountExcludePad" in mtype.modifiers and f.get("count_include_pad") is False:
        out.append(("setCountExcludePad",))
    if "setNumInputDims" in mtype.modifiers and f.get("numInputDims") is not None:
        out.append(("setNumInputDims", int(f["numInputDims"])))
    if "noBias" in mtype.modifiers and f.get("bias") is None and \
            "bias" in mtype.tensors(resolve_args(args_node), args_node):
        out.append(("noBias",))
    return out
