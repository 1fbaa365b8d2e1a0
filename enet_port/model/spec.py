"""Spec files: load, validate and expand ``specs/*.json`` into a :class:`~enet_port.tree.Node` tree.

The Lua counterpart is a model file's ``createModel`` (imagenet-multiGPU.torch ``models/``):
``features:add(...)`` lines, a classifier, ``model = nn.Sequential():add(features):add(classifier)``.

Grammar (the one place it is written down):

    spec      := {"name": str, "description": str, "lua": path, "recipe": recipe name,
                  "input": [C, H, W], "classes": int, "imageSize": int, "init": "torch7" | "fb.resnet.torch",
                  "blocks": {"dropout": bool}, "features": [entry...], "classifier": [entry...]}
    entry     := module | block | loop | graph
    module    := {TORCH7_NAME: [arg...], "modifiers": [mod...], "children": [entry...], "lua": str,
                  "id": NAME, "share": share, "tie": NAME}
    block     := {ALIAS: [input, output, downsample?], "lua": str}      (ALIAS: enet_port.blocks)
    loop      := {"for": [first, last], "body": [entry...], "lua": str}  (Lua: for i = first,last do)
    graph     := {"nn.gModule": {"inputs": [name...], "outputs": [name...], "nodes": [node...]},
                  "lua": str, "id": str}
    node      := module | block | graph, plus {"name": str, "inputs": [name...]}
    share     := {"id": str, "fields": [TORCH7_FIELD...]}
    mod       := "noBias" | "ceil" | "floor" | ["setNumInputDims", n]
    arg       := number | true | false | null | "$nClasses" | [number...]   (a Lua table {a, b})

``TORCH7_NAME`` is a key of :data:`enet_port.registry.REGISTRY` (``nn.X`` or ``cudnn.X``);
arguments are Torch7's positional arguments in Torch7 order; ``children`` only on containers
(``nn.Sequential``, ``nn.ConcatTable``), standing for their ``:add`` calls.

A ``graph`` is nngraph's ``nn.gModule(inputs, outputs)``: ``nodes`` in the order the Lua creates
them, each a module entry with a unique ``name`` and the ``inputs`` it is called on (Lua
``local c = nn.X(...)(b)`` is ``{"name": "c", "nn.X": [...], "inputs": ["b"]}``; ``nn.X()({a, b})``
has ``"inputs": ["a", "b"]`` and its module receives the table {a, b}). Graph inputs are the
nodes made by ``nn.Identity()()`` (``"inputs": []``), listed in ``inputs`` in the order of
``nn.gModule``'s first table; ``outputs`` likewise. A node reads only earlier nodes (no cycles),
every node leads to an output, and one input/output means a tensor, several a table.

``id`` names a module; ``share`` on a later module of the same type (Lua
``src:clone('weight', 'bias', 'gradWeight', 'gradBias')`` or ``m:share(src, ...)``) makes it use
the source's tensors: the built model holds one Parameter for both. Fields are Torch7 names;
``gradX`` is accepted and shares with ``X``. A container shares module by module.


Tied modules: Lua passes one module to another's constructor (``nn.SpatialMaxUnpooling(pool)``
unpools with the indices of *that* ``nn.SpatialMaxPooling``). The spec names the first with
``"id": NAME`` (unique in the spec, so not inside a loop) and refers to it from the second,
``{"nn.SpatialMaxUnpooling": [], "tie": NAME}``; the tied entry must come earlier and be of a
type the record allows (its ``ties``), and a type with ``ties`` must have a ``"tie"``.

Every problem is reported as ``file: json.path: message`` before anything is built.
"""
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

from .. import limits
from ..errors import SpecError
from . import blocks, inits, registry, spec_graph
from .shapes import ShapeError, infer, param_count
from .tree import Node, Origin

TOP_KEYS = {"name", "description", "lua", "recipe", "input", "classes", "imageSize", "init", "blocks",
            "features", "classifier"}
REQUIRED_KEYS = ("name", "recipe", "features", "classifier")
ENTRY_KEYS = {"modifiers", "children", "lua", "id", "share", "tie"}
VARIABLES = ("$nClasses",)


@dataclass
class Spec:
    path: str
    data: dict

    @property
    def name(self):
        return self.data["name"]

    @property
    def recipe(self):
        return self.data["recipe"]

    @property
    def input(self):
        return tuple(self.data.get("input", (3, 224, 224)))

    @property
    def classes(self):
        return self.data.get("classes", 1000)

    @property
    def image_size(self):
        """A model file's ``model.imageSize`` (None when unset): it overrides ``-imageSize``."""
        return self.data.get("imageSize")

    @property
    def lua(self):
        return self.data.get("lua")


def load_spec(path):
    """Read and validate the top level of a spec file."""
    path = str(path)
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise SpecError(path, "", f"cannot read: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SpecError(path, f"line {exc.lineno} column {exc.colno}", f"invalid JSON: {exc.msg}") from None
    except RecursionError:
        raise SpecError(path, "", "invalid JSON: nested too deeply for Python's reader") from None
    except ValueError:  # the only one json raises beside JSONDecodeError: Python's int digit limit
        raise SpecError(path, "", f"invalid JSON: a number has more than {sys.get_int_max_str_digits()} digits") from None
    if not isinstance(data, dict):
        raise SpecError(path, "$", "a spec is a JSON object")
    _check_top(path, data)
    return Spec(path, data)


def _check_top(path, data):
    for key in data:
        if key not in TOP_KEYS:
            raise SpecError(path, key, f"unknown key (known: {', '.join(sorted(TOP_KEYS))})")
    for key in REQUIRED_KEYS:
        if key not in data:
            raise SpecError(path, key, "missing")
    for key in ("features", "classifier"):
        if not isinstance(data[key], list):
            raise SpecError(path, key, "must be a list of entries")
    if not isinstance(data["recipe"], str):
        raise SpecError(path, "recipe", "must be a recipe name (see `enet-port schedule`)")
    if not isinstance(data.get("init", "torch7"), str) or data.get("init", "torch7") not in inits.INITS:
        raise SpecError(path, "init", f"must be one of {', '.join(sorted(inits.INITS))}")
    shape = data.get("input", [3, 224, 224])
    if not (isinstance(shape, list) and len(shape) == 3 and all(_positive_int(v) for v in shape)):
        raise SpecError(path, "input", "must be [C, H, W] with positive whole numbers")
    if math.prod(shape) > limits.value(limits.ACTIVATION):
        raise SpecError(path, "input", f"more than {limits.value(limits.ACTIVATION):,} numbers per sample "
                                       f"({limits.hint(limits.ACTIVATION)})")
    for key, default in (("classes", 1000), ("imageSize", 1)):
        if not _positive_int(data.get(key, default)):
            raise SpecError(path, key, "must be a positive whole number")
    for key in ("name", "description", "lua"):
        if key in data and not isinstance(data[key], str):
            raise SpecError(path, key, "must be a string")
    options = data.get("blocks", {})
    if not isinstance(options, dict) or set(options) - {"dropout"} or \
            not isinstance(options.get("dropout", True), bool):
        raise SpecError(path, "blocks", "only {\"dropout\": true|false} is known")


def _positive_int(value):
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def expand(spec, classes=None, input_shape=None, features_only=False):
    """The model's Node tree, checked against Torch7 shape rules for ``input_shape``."""
    classes = classes or spec.classes
    factory = blocks.BottleneckFactory(dropout=spec.data.get("blocks", {}).get("dropout", True))
    expander = _Expander(spec.path, {"$nClasses": classes}, factory)
    features = Node("nn.Sequential", [], children=expander.entries(spec.data["features"], "features"),
                    origin=Origin(spec.path, "features"))
    classifier = Node("nn.Sequential", [], children=expander.entries(spec.data["classifier"], "classifier"),
                      origin=Origin(spec.path, "classifier"))
    if features_only or not classifier.children:
        model = features  # a flat Sequential, as a model file without a classifier builds
    else:
        model = Node("nn.Sequential", [], children=[features, classifier], origin=Origin(spec.path))
    spec_graph.check_shares(model, expander.error)
    inits.INITS[spec.data.get("init", "torch7")].apply_to_nodes(model)
    check_parameters(model)
    check_shapes(model, input_shape or spec.input)
    return model


def check_parameters(model):
    """Refuse a model over the parameter limit before anything is allocated; the module that
    crosses it is named."""
    most, total = limits.value(limits.PARAMETERS), 0
    for node in model.walk():
        total += param_count(node)
        if total > most:
            raise SpecError(node.origin.file, node.origin.json_path,
                            f"the model has more than {most:,} parameters ({limits.hint(limits.PARAMETERS)})")


def check_shapes(model, input_shape):
    """Run the Torch7 shape rules entry by entry; the first failure names its JSON path."""
    shape, inputs = tuple(input_shape), {}
    for part in model_parts(model):
        for node in part.children:
            try:
                shape = infer(node, shape, inputs=inputs)
            except (ShapeError, registry.ArgumentError) as exc:
                where = getattr(exc, "node", None) or node
                if not where.origin.json_path:
                    where = node
                raise SpecError(where.origin.file, where.origin.json_path, str(exc)) from None
    return shape


def is_flat(model):
    """True when the model is the features Sequential itself (no classifier part)."""
    return model.origin.json_path == "features"


def model_parts(model):
    """[features, classifier], or [features] for a spec without classifier (or features only)."""
    return [model] if is_flat(model) else model.children


class _Expander:
    """Entries -> Nodes. Expansion is bounded: each module, block module and loop pass counts
    against the module limit, and ``children`` nesting against the depth limit, so a spec is
    refused (naming the entry that crossed the limit) before it can exhaust time or memory."""

    def __init__(self, path, variables, factory):
        self.path, self.variables, self.factory = path, variables, factory
        self.ids = {}  # "id" -> Node, in entry order
        self.max_modules, self.max_depth = limits.value(limits.MODULES), limits.value(limits.DEPTH)
        self.count = 0

    def error(self, json_path, message):
        return SpecError(self.path, json_path, message)

    def counted(self, json_path, n=1):
        self.count += n
        if self.count > self.max_modules:
            raise self.error(json_path, f"the spec expands to more than {self.max_modules} modules "
                                        f"({limits.hint(limits.MODULES)})")

    def entries(self, items, json_path, depth=1):
        if not isinstance(items, list):
            raise self.error(json_path, "must be a list of entries")
        if depth > self.max_depth:
            raise self.error(json_path, f"nesting deeper than {self.max_depth} levels ({limits.hint(limits.DEPTH)})")
        nodes = []
        for i, item in enumerate(items):
            nodes.extend(self.entry(item, f"{json_path}[{i}]", depth))
        return nodes

    def entry(self, item, json_path, depth):
        if not isinstance(item, dict):
            raise self.error(json_path, "an entry is a JSON object")
        if "for" in item:
            return self.loop(item, json_path, depth)
        if "nn.gModule" in item:
            return [spec_graph.expand_graph(self, item, json_path, depth)]
        names = [k for k in item if k not in ENTRY_KEYS]
        known = [k for k in names if k in registry.REGISTRY or k in blocks.ALIASES]
        if len(known) == 1 and len(names) > 1:
            raise self.error(json_path, f"unknown key '{next(k for k in names if k not in known)}'")
        if len(names) != 1:
            raise self.error(json_path, f"an entry needs exactly one module name, found {names or 'none'}")
        name = names[0]
        args = self.arguments(item[name], f"{json_path}.{name}")
        origin, lua = Origin(self.path, json_path), item.get("lua", "")
        if name in blocks.ALIASES:
            self.no_extra_keys(item, json_path, {"lua", name})
            try:
                block = self.factory(name, args, origin, lua)
            except blocks.BlockError as exc:
                raise self.error(json_path, str(exc)) from None
            self.counted(json_path, sum(1 for _ in block.walk()))
            return [block]
        return [self.module(name, args, item, json_path, origin, lua, depth)]

    def module(self, name, args, item, json_path, origin, lua, depth):
        try:
            mtype = registry.lookup(name)
        except KeyError as exc:
            raise self.error(json_path, exc.args[0]) from None
        self.counted(json_path)
        node = Node(name, args, self.modifiers(item.get("modifiers", []), mtype, json_path),
                    origin=origin, lua=lua)
        self.link(node, item, mtype, json_path)
        if "share" in item:
            node.share = spec_graph.parse_share(self, item["share"], f"{json_path}.share")
        if "children" in item:
            if not mtype.container:
                raise self.error(f"{json_path}.children", f"{name} is not a container")
            node.children = self.entries(item["children"], f"{json_path}.children", depth + 1)
        try:
            registry.resolve_args(node)
        except registry.ArgumentError as exc:
            raise self.error(f"{json_path}.{name}", str(exc)) from None
        return node

    def link(self, node, item, mtype, json_path):
        """The entry's "id" and "tie" (see the module docstring)."""
        if "tie" in item or mtype.ties:
            name = item.get("tie")
            if not mtype.ties:
                raise self.error(f"{json_path}.tie", f"{mtype.name} takes no tie")
            if not isinstance(name, str) or name not in self.ids:
                raise self.error(f"{json_path}.tie", f"{mtype.name} needs \"tie\": the id of an earlier "
                                 f"{' or '.join(mtype.ties)} entry" + (f" (no earlier id {name!r})" if name else ""))
            if self.ids[name].name not in mtype.ties:
                raise self.error(f"{json_path}.tie", f"{name!r} is a {self.ids[name].name}, "
                                 f"{mtype.name} ties to {' or '.join(mtype.ties)}")
            node.tie = self.ids[name]
        if "id" in item:
            name = item["id"]
            if not isinstance(name, str) or not name:
                raise self.error(f"{json_path}.id", "an id is a non-empty string")
            if name in self.ids:
                raise self.error(f"{json_path}.id", f"id {name!r} used twice (ids are unique, also in loops)")
            node.id, self.ids[name] = name, node

    def loop(self, item, json_path, depth):
        self.no_extra_keys(item, json_path, {"for", "body", "lua"})
        bounds = item["for"]
        if not (isinstance(bounds, list) and len(bounds) == 2 and all(_whole(b) for b in bounds)):
            raise self.error(f"{json_path}.for", "must be [first, last] whole numbers")
        if not item.get("body"):
            raise self.error(json_path, "a loop needs a non-empty 'body' list")
        nodes = []
        for i in range(bounds[0], bounds[1] + 1):
            self.counted(f"{json_path}(i={i})")
            nodes.extend(self.entries(item["body"], f"{json_path}(i={i}).body", depth))
        return nodes

    def arguments(self, args, json_path):
        if not isinstance(args, list):
            raise self.error(json_path, "arguments must be a list")
        out = []
        for i, arg in enumerate(args):
            if isinstance(arg, str):
                if arg not in self.variables:
                    raise self.error(f"{json_path}[{i}]", f"unknown variable {arg!r} (known: {', '.join(VARIABLES)})")
                arg = self.variables[arg]
            elif isinstance(arg, list):
                if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and _lua_number(v) for v in arg):
                    raise self.error(f"{json_path}[{i}]", f"a table argument holds numbers only, not {arg!r}")
            elif arg is not None and not isinstance(arg, (bool, int, float)):
                raise self.error(f"{json_path}[{i}]",
                                 f"an argument is a number, true, false, null or a list of numbers, not {arg!r}")
            elif isinstance(arg, (int, float)) and not isinstance(arg, bool) and not _lua_number(arg):
                raise self.error(f"{json_path}[{i}]", "an argument must be a finite number of at most 2^53 "
                                                       "in size (a Lua double)")
            out.append(arg)
        return out

    def modifiers(self, mods, mtype, json_path):
        if not isinstance(mods, list):
            raise self.error(f"{json_path}.modifiers", "must be a list")
        out = []
        for i, mod in enumerate(mods):
            mod = (mod,) if isinstance(mod, str) else tuple(mod) if isinstance(mod, list) else ()
            if not mod or not isinstance(mod[0], str):
                raise self.error(f"{json_path}.modifiers[{i}]", "a modifier is a name or [name, argument...]")
            if mod[0] not in mtype.modifiers:
                raise self.error(f"{json_path}.modifiers[{i}]",
                                 f"{mtype.name} has no modifier {mod[0]!r} (allowed: {', '.join(mtype.modifiers) or 'none'})")
            out.append(mod)
        return out

    def no_extra_keys(self, item, json_path, allowed):
        for key in item:
            if key not in allowed:
                raise self.error(json_path, f"unknown key '{key}'")


def _whole(value):
    return isinstance(value, int) and not isinstance(value, bool)


def dumps(spec):
    """JSON with one entry per line at the top level, like the hand-written specs."""
    lines = ["{"]
    keys = list(spec)
    for i, key in enumerate(keys):
        comma = "," if i < len(keys) - 1 else ""
        value = spec[key]
        if key in ("features", "classifier") and value:
            items = ",\n".join(f"    {json.dumps(e)}" for e in value)
            lines.append(f'  "{key}": [\n{items}\n  ]{comma}')
        else:
            lines.append(f'  "{key}": {json.dumps(value)}{comma}')
    return "\n".join(lines + ["}"]) + "\n"


def node_entry(node, classes=None):
    """A Node as a spec entry (the inverse of the expander): Torch7 name and arguments,
    modifiers, id/tie/share, children and the Lua line; a Linear to ``classes`` outputs in a
    classifier says ``$nClasses``; an ``nn.gModule`` is a graph entry."""
    if node.name == "nn.gModule":
        return spec_graph.graph_entry(node, node_entry)
    args = list(node.args)
    if classes and node.name == "nn.Linear" and len(args) >= 2 and args[1] == classes:
        args[1] = "$nClasses"
    out = {node.name: args}
    if node.modifiers:
        out["modifiers"] = [m[0] if len(m) == 1 else list(m) for m in node.modifiers]
    if node.id:
        out["id"] = node.id
    if node.tie is not None:
        out["tie"] = node.tie.id
    if node.share:
        out["share"] = dict(node.share)
    if node.children:
        out["children"] = [node_entry(c) for c in node.children]
    if node.lua:
        out["lua"] = node.lua
    return out


def _lua_number(value):
    """What a Lua double holds exactly: finite, whole numbers up to 2^53."""
    if isinstance(value, float):
        return math.isfinite(value) and abs(value) <= registry.MAX_NUMBER
    return abs(value) <= registry.MAX_NUMBER
