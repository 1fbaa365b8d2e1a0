"""``import-t7`` and ``load_t7``: a Torch7 file's model as a spec, a built module and its weights.

Lua counterpart: ``torch.load(file)`` of a ``model_N.t7``/``model-best.net``. The converted tree
(:mod:`.convert`) becomes a spec of the ``specs/`` grammar: ``Sequential(features, classifier)``
keeps that split, any other model is a features list. The spec is checked with the Torch7 shape
rules for the input the file shows (its stored input, a cudnn ``iSize``) or the one given; the
model is built from the spec by the interpreter and the stored tensors are copied in, module by
module; a module that lacks a tensor its PyTorch twin has, or has one of another size, is an
error. The model is in evaluation mode when the file was saved so (``train`` false).
"""
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .. import userpaths
from ..atomic import atomic_write, atomic_write_text
from ..model import registry
from ..model.build import build
from ..model.spec import Spec, dumps, node_entry
from ..model.tree import Node, Origin, lua_call
from .convert import convert
from .inputs import pick_input
from .reader import T7Error, read_t7
from .tensors import inflated


@dataclass
class Imported:
    spec: dict
    model: torch.nn.Module
    train: bool


def import_t7(path, input_shape=None, recipe="regimes-55", dtype=torch.float32):
    """The spec (a dict) and the built model, weights loaded, of a Torch7 file."""
    path = str(path)
    _check_file(path)
    converted = convert(read_t7(path), path)
    tree = spec_tree(converted.tree, path)
    refuse_views(tree, converted.tensors)
    shape, out = pick_input(tree, converted, input_shape, path)
    spec = _spec(path, tree, shape, out, recipe, converted.note)
    model = build(Spec(path, spec)).to(dtype)
    copy_tensors(model, tree, converted.tensors)
    model.train(converted.train)
    return Imported(spec, model, converted.train)


def load_t7(path, dtype=torch.float32, input_shape=None):
    """The ``nn.Module`` of a Torch7 ``.t7``/``.net`` file, weights loaded, in evaluation mode
    when the file was saved in evaluation mode."""
    return import_t7(path, input_shape, dtype=dtype).model


def load_t7_state(path, model):
    """Copy the weights of a Torch7 file into ``model`` (built from a spec of the same structure,
    e.g. the one ``import-t7`` wrote): the ``-retrain FILE.t7`` hook."""
    path = str(path)
    _check_file(path)
    converted = convert(read_t7(path), path)
    tree = spec_tree(converted.tree, path)
    refuse_views(tree, converted.tensors)
    copy_tensors(model, tree, converted.tensors)
    return model


def write_import(path, output, input_shape=None, recipe="regimes-55"):
    """``import-t7 FILE -o OUT.json``: the spec at OUT.json and the weights at OUT.pt (the
    ``{"model": state_dict}`` that ``-retrain`` loads). Returns the two paths."""
    spec_path, weights_path = Path(output), Path(output).with_suffix(".pt")
    userpaths.check_outputs({"the spec": spec_path, "the weights": weights_path}, {"the input": path})
    imported = import_t7(path, input_shape, recipe)
    state = {k: v.detach().clone() for k, v in imported.model.state_dict().items()}
    atomic_write(weights_path, lambda f: torch.save({"model": state, "source": str(path),
                                                     "train": imported.train}, f))
    atomic_write_text(spec_path, dumps(imported.spec))
    return spec_path, weights_path


def _check_file(path):
    """A FIFO or device would block the reader: refused before it opens the file."""
    try:
        userpaths.check_regular(path)
    except OSError:
        pass  # missing or unreadable: the reader says so in its own words


def spec_tree(root, path):
    """The tree as a spec expands it: ``Sequential(features, classifier)`` when the file's model
    is a Sequential of two Sequentials, else the features Sequential alone."""
    parts = root.children
    if root.name == "nn.Sequential" and len(parts) == 2 and all(p.name == "nn.Sequential" for p in parts):
        features = Node("nn.Sequential", [], children=parts[0].children, origin=Origin(path, "features"))
        classifier = Node("nn.Sequential", [], children=parts[1].children, origin=Origin(path, "classifier"))
        return Node("nn.Sequential", [], children=[features, classifier], origin=Origin(path))
    children = root.children if root.name == "nn.Sequential" else [root]
    return Node("nn.Sequential", [], children=children, origin=Origin(path, "features"))


def _spec(path, tree, shape, out, recipe, note=""):
    classes = out[0] if isinstance(out, tuple) and out else None
    flat = tree.origin.json_path == "features"
    features, classifier = ([tree], []) if flat else tree.children
    said = f" ({note})" if note else ""
    spec = {"name": Path(path).stem, "description": f"Imported from {path}{said} by enet-port import-t7.",
            "recipe": recipe, "input": [list(s) for s in shape] if isinstance(shape, list) else list(shape)}
    if classes:
        spec["classes"] = classes
    spec["features"] = [node_entry(n) for n in (features[0].children if flat else features.children)]
    spec["classifier"] = [] if flat else [node_entry(n, classes) for n in classifier.children]
    return spec


def refuse_views(tree, tensors):
    """Before anything is built: a module's parameter stored as a stride-0 or overlapping view
    (a few bytes in the file standing for a big tensor) is refused; Torch7 parameters own their
    elements, and the file must pay for the model it asks for."""
    for node in tree.walk():
        names = registry.lookup(node.name).tensors(registry.resolve_args(node), node)
        for name, value in tensors.get(id(node), {}).items():
            if name in names and inflated(value):
                raise T7Error(node.where, f"{node.name}: stored {name} is a {_fmt(value.shape)} view of "
                                          "fewer stored elements (stride 0 or overlapping), not a parameter")


def copy_tensors(model, tree, tensors):
    """Copy each converted node's stored tensors into the module built for the same place."""
    built = {id(m.t7_node): m for m in model.modules() if hasattr(m, "t7_node")}
    ours, theirs = list(model.t7_node.walk()), list(tree.walk())
    if len(ours) != len(theirs):
        raise T7Error(tree.origin.file, f"the file holds {len(theirs)} modules, the model {len(ours)}")
    for mine, stored in zip(ours, theirs):
        if mine.name != stored.name or registry.resolve_args(mine) != registry.resolve_args(stored):
            raise T7Error(stored.where, f"the file has {lua_call(stored)}, the model {lua_call(mine)}")
        _copy_module(built[id(mine)], stored, tensors.get(id(stored), {}))


def _copy_module(module, node, stored):
    derived = module._non_persistent_buffers_set  # made from the arguments (a connection table's planes)
    targets = list(module.named_parameters(recurse=False)) + \
        [(n, b) for n, b in module.named_buffers(recurse=False) if n not in derived]
    for name, target in targets:
        if name == "num_batches_tracked":  # PyTorch's own counter; Torch7 has none
            continue
        value = stored.get(name)
        if not isinstance(value, np.ndarray) or value.size == 0:
            raise T7Error(node.where, f"{node.name} has no stored {name}")
        value = torch.from_numpy(np.ascontiguousarray(value)).to(target.dtype)
        if value.numel() != target.numel():
            raise T7Error(node.where, f"{node.name}: stored {name} is {_fmt(value.shape)}, "
                                      f"{lua_call(node)} needs {_fmt(target.shape)}")
        with torch.no_grad():
            target.copy_(value.reshape(target.shape))  # SpatialConvolutionMM keeps a 2-D weight


def _fmt(shape):
    return "x".join(str(s) for s in shape)
