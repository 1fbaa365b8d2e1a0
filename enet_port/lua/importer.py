"""``enet-port import-lua``: write a spec from a Lua-Torch7 model file.

Lua counterpart: the model file itself. The traced tree becomes a spec: an imagenet-multiGPU.torch
model (``Sequential(features, classifier)``) keeps that split; any other model becomes a features
list with an empty classifier. Each top-level module is one entry carrying its Lua line; a
module that ENet's ``_bottleneck`` would build exactly (dropout counter included) becomes a block
entry named after the alias on its Lua line; anything else is written out module by module.
"""
import copy
import re
from pathlib import Path

from ..model import blocks, registry
from ..model.implied_input import first_implied
from ..model.registry import ArgumentError
from ..model.shapes import ShapeError, format_shape, infer
from ..model.spec import dumps, node_entry  # noqa: F401  (import-lua writes specs with dumps)
from .diff import deep_key
from ..errors import LuaError
from .planes import fill_planes
from .tracer import checked_inputs, trace_lua


DEFAULT_INPUT = (3, 224, 224)
# image sides tried when no input is given and 224x224 does not fit: CIFAR and SVHN, MNIST, Tiny
# ImageNet, STL-10, AlexNet, OverFeat, Inception-v3
USUAL_SIDES = (32, 28, 64, 96, 227, 231, 299)


def import_lua(path, nClasses=1000, opt=None, recipe="regimes-55", input_shape=None, call=None):
    """The spec (a dict) for the model ``path`` builds, for inputs of ``input_shape`` (C, H, W,
    or N, or T x F; a list of them for a graph with several inputs; None: the size the file
    declares, else :func:`pick_input`); ``call`` picks a builder of a returned table
    (:func:`~enet_port.lua.tracer.parse_call`)."""
    trace = trace_lua(path, nClasses=nClasses, opt=opt, call=call,
                      input_shape=DEFAULT_INPUT if input_shape is None else input_shape)
    if input_shape is None and trace.declared_input:
        input_shape = trace.declared_input
        if tuple(input_shape) != DEFAULT_INPUT:  # custom modules are traced again at that size
            trace = trace_lua(path, nClasses=nClasses, opt=opt, call=call, input_shape=input_shape)
    if trace.unknown:
        name, where = trace.unknown[0]
        more = f" (and {len(trace.unknown) - 1} more)" if len(trace.unknown) > 1 else ""
        raise LuaError(where, f"unknown Torch7 module {name}{more}: a spec cannot hold it")
    if input_shape is not None:
        input_shape = check_shapes(trace, input_shape)
    else:
        input_shape = pick_input(trace)
        if input_shape != DEFAULT_INPUT:  # custom modules are traced again on stand-ins of that size
            trace = trace_lua(path, nClasses=nClasses, opt=opt, call=call, input_shape=input_shape)
            check_shapes(trace, input_shape)
    model = _with_class_count(trace.model, _other_count(path, nClasses + 1, opt, call, input_shape), nClasses)
    features, classifier = _split(model)
    dropout = any(n.name == "nn.SpatialDropout" for n in model.walk())
    factory = blocks.BottleneckFactory(dropout=dropout)
    spec = {"name": Path(path).stem, "description": f"Imported from {path} by enet-port import-lua.",
            "lua": str(path), "recipe": recipe, "input": _spec_input(input_shape), "classes": nClasses}
    if not dropout:
        spec["blocks"] = {"dropout": False}
    spec["features"] = [_entry(n, factory) for n in features]
    spec["classifier"] = [node_entry(n, nClasses) for n in classifier]
    return spec, trace


def check_shapes(trace, input_shape, given="--input"):
    """A model whose shapes break at the recorded input makes a spec nothing can load: say so at
    the Lua line of the module that refuses, where Torch7's first forward would have failed.
    Returns the input as the shape rules take it."""
    input_shape = checked_inputs(trace, input_shape)
    visited = []  # infer visits a module before it reads its arguments: the last one refused them
    try:
        fill_planes(trace.model, input_shape)
        infer(trace.model, input_shape, visit=lambda node, shape: visited.append(node))
    except ShapeError as exc:
        where = exc.node.where if exc.node is not None else trace.path
        raise LuaError(where, f"{exc}, for a {format_shape(input_shape)} input ({given})") from None
    except ArgumentError as exc:  # arguments the trace could not carry (a table past the sandbox's limits)
        raise LuaError(visited[-1].where if visited else trace.path, str(exc)) from None
    return input_shape


def pick_input(trace):
    """No input given: the planes the first module implies (or 3) at 224x224, as Torch7 files
    for ImageNet take, else the first usual image side that the shape rules accept (a CIFAR
    model's 32x32). Where none fits, the refusal for 224x224."""
    first = first_implied(trace.model)
    candidates = [DEFAULT_INPUT if first is None else first]  # () : an index per sample (nn.OneHot)
    if len(candidates[0]) == 3:
        candidates += [(candidates[0][0], side, side) for side in USUAL_SIDES]
    refusal = None
    # no --input: the refusal says so, and that the usual sides failed too
    tried = f"the default: no --input given, and no usual side ({', '.join(map(str, USUAL_SIDES))}) fits either"
    for shape in candidates:
        try:
            return check_shapes(trace, shape, tried if len(candidates) > 1 else "the default: no --input given")
        except LuaError as exc:
            refusal = refusal or exc
    raise refusal


def fill_spec_planes(trace, input_shape):
    """For ``diff`` without ``--input``: the planes of 2015 ``nn.BatchNormalization(0)`` modules
    at the spec's input (:mod:`.planes`); a model that cannot take it is left as it is, and
    the comparison shows the difference."""
    try:
        fill_planes(trace.model, checked_inputs(trace, input_shape))
    except (ShapeError, LuaError):
        pass


def _spec_input(input_shape):
    return [list(s) for s in input_shape] if isinstance(input_shape, list) else list(input_shape)


def _other_count(path, nClasses, opt, call, input_shape):
    """The model the file builds for ``nClasses``, or None where it refuses that count (a file
    may accept 1000 classes only); a 2015 ``BatchNormalization(0)`` after the classifier takes
    that count as its planes, as it does in the first trace."""
    try:
        model = trace_lua(path, nClasses=nClasses, opt=opt, call=call, input_shape=input_shape).model
        fill_planes(model, input_shape)
    except (LuaError, ShapeError):
        return None
    return model


def _with_class_count(model, other, nClasses):
    """A copy of ``model`` with ``"$nClasses"`` for every argument that follows the class count:
    ``other``, the same file traced for nClasses + 1, has nClasses + 1 exactly there (a Linear
    outside a classifier part, a network-in-network's last convolution, an auxiliary head). A
    file that builds another structure for another count, or refuses it, keeps its numbers."""
    model = copy.deepcopy(model)
    if other is None:
        return model
    mine, theirs = list(model.walk()), list(other.walk())
    if [n.name for n in mine] != [n.name for n in theirs]:
        return model
    for node, twin in zip(mine, theirs):
        for i, (a, b) in enumerate(zip(node.args, twin.args)):
            if _is_number(a) and a == nClasses and _is_number(b) and b == nClasses + 1:
                node.args[i] = "$nClasses"
    return model


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _split(model):
    parts = model.children
    if model.name == "nn.Sequential" and len(parts) == 2 and all(p.name == "nn.Sequential" for p in parts):
        return parts[0].children, parts[1].children
    return (model.children if model.name == "nn.Sequential" else [model]), []


def _entry(node, factory):
    block = _as_block(node, factory)
    return block if block is not None else node_entry(node)


def _as_block(node, factory):
    """The block entry that rebuilds ``node`` exactly, advancing the factory's counter, or None."""
    if node.name != "nn.Sequential" or len(node.children) != 3 or not node.children[2].args:
        return None
    n_out = node.children[2].args[0]
    first = next((n for n in node.walk() if n.name.endswith("SpatialConvolution")), None)
    if first is None or not first.args:
        return None
    n_in, target = first.args[0], deep_key(node)
    named = [a for a in blocks.ALIASES if re.search(rf"\b{a}\(", node.lua)]
    for alias in sorted(blocks.ALIASES, key=lambda a: a not in named):
        for down in (False, True):
            args = [n_in, n_out] + ([True] if down else [])
            trial = copy.deepcopy(factory)
            try:
                candidate = trial(alias, args)
            except blocks.BlockError:
                continue
            if deep_key(candidate) == target:
                factory.built, factory.dropout = trial.built, trial.dropout
                return {alias: args, "lua": node.lua}
    return None


def init_calls(trace):
    """How many modules had their weights set after construction (the spec does not keep it)."""
    return sum(1 for n in trace.model.walk() if n.init)


def ported_classes(trace):
    """The project classes the tracer took as records flagged ``port_of`` (lua/nn.lua), in model
    order, by their Lua names, with the file each record ports: their own updateOutput was not traced."""
    ports = {n.name: getattr(registry.REGISTRY.get(n.name), "port_of", "") for n in trace.model.walk()}
    lua_names = {record: lua for lua, record in registry.PROJECT_CLASSES.items()}  # torch-rnn's nn.LSTM
    return [(lua_names.get(name, name), port) for name, port in ports.items() if port]
