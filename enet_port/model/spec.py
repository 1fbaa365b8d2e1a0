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

Input size: a spec is written for its ``input``; built for another (``-cropSize``), a global
average pooling (window = the whole feature map at ``input``) is fitted to the new feature map
(:mod:`enet_port.model.global_pool`, a deliberate deviation); nothing else changes.

Experiment files (lists of runs of specs) have their grammar in :mod:`enet_port.train.experiment`.
"""
import json
import math
import sys
from dataclasses import dataclass

from .. import limits, userpaths
from ..errors import SpecError
from . import blocks, inits, registry, spec_graph
from .shapes import ShapeError, infer, param_count
from .global_pool import fit_global_pools
from .spec_expand import Expander
from .tree import Node, Origin

TOP_KEYS = {"name", "description", "lua", "recipe", "input", "classes", "imageSize", "init", "blocks",
            "features", "classifier"}
REQUIRED_KEYS = ("name", "recipe", "features", "classifier")


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
        """One shape (a tuple), or one per input (a list of tuples) for a graph with several."""
        shape = self.data.get("input", (3, 224, 224))
        return [tuple(s) for s in shape] if shape and isinstance(shape[0], list) else tuple(shape)

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
        raw = userpaths.read_bytes(path)
    except OSError as exc:
        raise SpecError(path, "", f"cannot read: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(path, f"byte {exc.start}", f"not UTF-8 text (a spec is JSON, which is UTF-8): "
                                                   f"{raw[exc.start:exc.start + 1]!r} (a Latin-1 file? save it as UTF-8)") from None
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
    shapes = _input_shapes(data.get("input", [3, 224, 224]))
    if shapes is None:
        raise SpecError(path, "input", "must be [C, H, W] (or [N], [T, F], [C, T, H, W]) with positive whole numbers, "
                                       "[] (one index per sample), or a list of such, one per input of a "
                                       "graph with several")
    if any(math.prod(s) > limits.value(limits.ACTIVATION) for s in shapes):
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


def _input_shapes(value):
    """The input shapes of a spec's ``input`` (one or, for a graph with several inputs, a list),
    or None when it is neither; ``[]`` is one class index per sample (what nn.OneHot takes)."""
    if not isinstance(value, list):
        return None
    shapes = value if value and all(isinstance(v, list) for v in value) else [value]
    if all(len(s) <= 4 and all(_positive_int(v) for v in s) for s in shapes):  # 4: a volumetric clip
        return shapes
    return None


def _positive_int(value):
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def expand(spec, classes=None, input_shape=None, features_only=False):
    """The model's Node tree, checked against Torch7 shape rules for ``input_shape``."""
    classes = classes or spec.classes
    factory = blocks.BottleneckFactory(dropout=spec.data.get("blocks", {}).get("dropout", True))
    expander = Expander(spec.path, {"$nClasses": classes}, factory)
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
    model.fitted_pools = fit_global_pools(model_parts(model), spec.input, input_shape or spec.input)
    check_shapes(model, input_shape or spec.input)
    return model


def output_shape(spec, classes=None, input_shape=None):
    """The model's output for one sample of ``input_shape`` (the spec's input by default), for
    a spec path or :class:`Spec`."""
    spec = spec if isinstance(spec, Spec) else load_spec(spec)
    return check_shapes(expand(spec, classes, input_shape), input_shape or spec.input)


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
    several = isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], (list, tuple))
    shape, inputs = ([tuple(s) for s in input_shape] if several else tuple(input_shape)), {}
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
