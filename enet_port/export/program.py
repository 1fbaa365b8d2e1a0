"""A built model as a ``torch.export`` ExportedProgram, the graph both file formats start from.

Lua counterpart: none (Torch7 had no graph export). A module that cannot be exported is refused
in one line naming its Torch7 type and its spec entry (``file: features[3]: nn.X ...``), found by
exporting the model's Torch7 modules one at a time on the inputs an eager pass gave them.
"""
import torch
from torch.export import Dim

from ..model.layers import Torch7Dropout
from .extra import ExportError

DIMS = ("batch", "channels", "height", "width")


def example_input(input_shape, batch, dynamic):
    """A random input of ``batch`` x ``input_shape``; a dynamic export traces a batch of two,
    because torch.export fixes every dimension of size 1 it meets. An index input (``()``: one
    class index per sample, nn.OneHot's) gets index 1, valid for any class count."""
    n = max(batch, 2) if dynamic else batch
    return torch.ones(n) if len(input_shape) == 0 else torch.rand(n, *input_shape)


def export_program(model, x, dynamic=False):
    """``torch.export.export`` of ``model`` (in evaluation mode) on ``x``; with ``dynamic`` the batch
    and spatial dimensions are symbolic wherever the model allows it (``Dim.AUTO``)."""
    model.eval()
    refuse_random(model)
    # torch.export cannot solve some size rules symbolically (a classifier's View after pooling):
    # such a model gets a symbolic batch alone
    candidates = [(0, *range(2, x.dim())), (0,)] if dynamic else [()]
    for dims in candidates:
        shapes = ({d: Dim.AUTO for d in dims},) if dims else None
        try:
            return torch.export.export(model, (x,), dynamic_shapes=shapes, strict=False)
        except Exception as exc:  # any tracing failure: find the module, or say what failed
            failure = exc
    raise locate_refusal(model, x, failure, torch.export.export) from None


def refuse_random(model):
    """Dropout with ``stochasticInference`` keeps dropping in evaluation: its graph would be random."""
    for module in model.modules():
        if isinstance(module, Torch7Dropout) and module.stochastic and module.p > 0:
            raise ExportError(_where(module), f"{_name(module)}: stochasticInference keeps dropping in "
                                              "evaluation; an exported graph would be random")


def dynamic_dims(program):
    """The names (``DIMS``) of the input dimensions the exported graph leaves symbolic."""
    signature = program.graph_signature
    users = set(signature.user_inputs)
    value = next(n.meta["val"] for n in program.graph.nodes if n.op == "placeholder" and n.name in users)
    return [DIMS[i] for i, size in enumerate(value.shape) if not isinstance(size, int)]


def locate_refusal(model, x, exc, export_one):
    """The :class:`ExportError` for the first Torch7 module of ``model`` that ``export_one(module,
    args)`` fails on, run on the input it gets in an eager pass; else one naming ``exc``."""
    for module, args in _leaf_calls(model, x):
        try:
            export_one(module, args)
        except Exception as inner:
            return ExportError(_where(module), f"{_name(module)} does not export: {_first_line(inner)}")
    return ExportError(_where(model), f"the model does not export: {_first_line(exc)}")


def _leaf_calls(model, x):
    """``(module, inputs)`` of every Torch7 module without Torch7 children, in call order."""
    calls = []
    leaves = [m for m in model.modules() if hasattr(m, "t7_node")
              and not any(hasattr(c, "t7_node") for c in m.children())]
    hooks = [m.register_forward_pre_hook(lambda m, args: calls.append((m, args))) for m in leaves]
    try:
        with torch.no_grad():
            model(x)
    finally:
        for hook in hooks:
            hook.remove()
    return calls


def _where(module):
    node = getattr(module, "t7_node", None)
    return node.where if node is not None else None


def _name(module):
    node = getattr(module, "t7_node", None)
    return node.name if node is not None else type(module).__name__


def _first_line(exc):
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"
