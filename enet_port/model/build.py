"""The interpreter: a spec (or a Node tree) becomes an ``nn.Sequential`` with Torch7 semantics.

Lua counterpart: running a model file's ``createModel`` (imagenet-multiGPU.torch ``models/``):
every Node becomes the module its registry entry builds, containers get their children in
``:add`` order, and the spec's ``init`` runs last, as a model file's init loop does. Every module
keeps its Node as ``module.t7_node`` so that :func:`origin` leads back to the spec entry and the
Lua line.
"""
import torch.nn as nn

from . import inits, registry
from .spec import Spec, expand, load_spec
from .spec_graph import share_pairs, tensor_field


def build_node(node, built=None):
    """The PyTorch module for one Node and its children; a tied node (``node.tie``) gets the
    module built for the node it refers to, which comes earlier in the tree."""
    built = {} if built is None else built
    module = registry.lookup(node.name).build(registry.resolve_args(node), node)
    if node.tie is not None:
        module.tie(built[id(node.tie)])
    built[id(node)] = module
    for child in node.children:
        module.append(build_node(child, built))
    module.t7_node = node
    return module


def build(spec, classes=None, input_shape=None, features_only=False):
    """``nn.Sequential(features, classifier)`` for a spec path or :class:`Spec`."""
    if not isinstance(spec, Spec):
        spec = load_spec(spec)
    tree = expand(spec, classes=classes, input_shape=input_shape, features_only=features_only)
    model = share_parameters(build_node(tree))
    inits.INITS[spec.data.get("init", "torch7")].apply_to_module(model)
    return model


def share_parameters(model):
    """Each clone (a Node with ``share``) uses its source's Parameter objects, as Lua's
    ``clone('weight', 'bias')`` makes the clone's tensors views of the source's storage."""
    built = {}
    for module in model.modules():
        node = getattr(module, "t7_node", None)
        if node is not None:
            built[id(node)] = module
    by_id = {m.t7_node.id: m for m in built.values() if m.t7_node.id}
    for module in list(built.values()):
        if not module.t7_node.share:
            continue
        source = by_id[module.t7_node.share["id"]]
        fields = {tensor_field(f) for f in module.t7_node.share["fields"]}
        for theirs, mine in share_pairs(source.t7_node, module.t7_node):
            for field in fields:
                if isinstance(getattr(built[id(theirs)], field, None), nn.Parameter):
                    setattr(built[id(mine)], field, getattr(built[id(theirs)], field))
    return model


def origin(module):
    """``(where, lua)`` of a built module: its spec JSON path and the Lua line it mirrors
    (``module.t7_node.origin`` has the parts)."""
    node = getattr(module, "t7_node", None)
    if node is None:
        raise ValueError(f"{type(module).__name__} was not built from a spec")
    return node.where, node.lua
