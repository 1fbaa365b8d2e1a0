"""Output shapes, parameter counts and MACs from the Torch7 rules alone (no PyTorch).

The walk is here; each module type's own rule is in its record (:mod:`enet_port.model.modules`).
The size formulas shared by several records are the ones of torch/nn's ``updateOutput``
(THNN SpatialConvolutionMM, SpatialMaxPooling, SpatialAveragePooling). Shapes are per sample (no
batch dimension); a table of tensors is a list of shapes. Used to check specs before building,
by the Lua tracer, by ``summary`` and by the parity tests against the PyTorch models.
"""
import math

from .. import limits
from .registry import lookup, resolve_args


class BatchMoved(tuple):
    """The per-sample shape of a tensor whose batch dimension ``nn.Transpose`` moved from Lua
    dim 1 to Lua dim ``batch + 1`` (cuda-convnet2's planes x height x width x batch: batch 3).
    The sample's sizes stay in the tensor's order; only records marked ``any_layout`` (point-wise
    modules, containers that pass it on, nn.Transpose, ccn2's modules) take one, so no other
    rule reads the batch as a plane or a row."""

    def __new__(cls, sizes, batch):
        out = super().__new__(cls, sizes)
        out.batch = batch
        return out

    def __getnewargs__(self):
        return tuple(self), self.batch


def batch_dim(shape):
    """0-based position of the batch dimension in the whole tensor (0: batch first)."""
    return getattr(shape, "batch", 0)


class ShapeError(ValueError):
    """A module that cannot take the shape its predecessor gives; ``node`` is the innermost
    module that refused (set by :func:`infer`), so errors inside containers and graphs name it."""

    node = None


def infer(node, shape, record=None, inputs=None, visit=None):
    """Output shape of ``node`` for a per-sample input ``shape``; ``record`` collects
    ``(node, output shape)`` for the node and every module inside it, in walk order; ``inputs``
    collects the input shape of every node with an id, and a tied node's rules see the input
    shape of the node it is tied to as ``a["tie_input"]`` (None when not known); ``visit(node,
    shape)`` is called with every node's input shape before its rule runs (it may change the
    node's arguments: :mod:`enet_port.model.global_pool`)."""
    if visit is not None:
        visit(node, shape)
    mtype = lookup(node.name)
    if batch_dim(shape) and not mtype.any_layout:
        exc = ShapeError(f"{node.name} gets a {format_shape(shape)} tensor (B: the batch, moved by "
                         f"nn.Transpose): it would read the batch as a plane or a row; only point-wise "
                         f"modules, nn.Transpose and ccn2's modules take one")
        exc.node = node
        raise exc
    a = resolve_args(node)
    inputs = {} if inputs is None else inputs
    if node.id:
        inputs[node.id] = shape
    if node.tie is not None:
        a["tie_input"] = inputs.get(node.tie.id)
    slot = None
    if record is not None:
        slot = len(record)
        record.append((node, None))
    try:
        out = mtype.shape(a, node, shape, lambda child, s: infer(child, s, record, inputs, visit))
    except ShapeError as exc:
        exc.node = exc.node or node
        raise
    except TypeError:  # a rule for one tensor given a table: Torch7 fails in updateOutput
        if not isinstance(shape, list):
            raise
        raise ShapeError(f"{node.name} takes a tensor, gets a table of {len(shape)} "
                         f"(e.g. several graph outputs or a ConcatTable before it)") from None
    check_size(out, node)
    if record is not None:
        record[slot] = (node, out)
    return out


def check_size(shape, node):
    """Refuse an output no machine could hold (a 10^6 padding, a 10^7-channel convolution) while
    it is still a shape: the limit is per sample, on every module's output."""
    most = limits.value(limits.ACTIVATION)
    for s in shape if isinstance(shape, list) else [shape]:
        if not isinstance(s, list) and math.prod(s) > most:
            raise ShapeError(f"{node.name} outputs {format_shape(s)}, more than {most:,} numbers per sample "
                             f"({limits.hint(limits.ACTIVATION)})")


def param_tensors(node):
    """The parameter tensors Torch7's constructor allocates: field name -> sizes."""
    return lookup(node.name).tensors(resolve_args(node), node)


def param_count(node):
    """Trainable numbers the module itself owns (children not included)."""
    return sum(math.prod(sizes) for sizes in param_tensors(node).values())


def macs(node, in_shape, out_shape):
    """Multiply-accumulates per sample of the module itself (children not included)."""
    return lookup(node.name).macs(resolve_args(node), in_shape, out_shape)


def tensor(shape, dims, node):
    if isinstance(shape, list) or len(shape) != dims:
        raise ShapeError(f"{node.name} expects a {dims}-D sample, gets {format_shape(shape)}")
    return shape


def planes(shape, expected, node):
    if shape[0] != expected:
        raise ShapeError(f"{node.name} expects {expected} input planes, gets {shape[0]} "
                         f"(shape {format_shape(shape)})")


def out_size(size, k, d, pad, dil, ceil, node):
    """THNN's output size; in ceil mode a last window that would start in the padding is
    dropped only when the module is padded (THNN's ``if (padW || padH)``)."""
    span = (size + 2 * pad - dil * (k - 1) - 1) / d
    out = (math.ceil(span) if ceil else math.floor(span)) + 1
    if ceil and pad and (out - 1) * d >= size + pad:
        out -= 1
    if out < 1:
        raise ShapeError(f"{node.name}: input {size} too small for kernel {k}")
    return out


def sample_dim(batched_lua_dim, node):
    """Lua dim of the batched tensor -> index into the per-sample shape."""
    if batched_lua_dim < 2:
        raise ShapeError(f"{node.name} works along the batch dimension")
    return batched_lua_dim - 2


def only_child(node):
    """The one module a container that takes a module argument holds (Sequencer, MapTable...)."""
    if len(node.children) != 1:
        raise ShapeError(f"{node.name} holds one module, not {len(node.children)}")
    return node.children[0]


def format_shape(shape):
    if isinstance(shape, list):
        return "{" + ", ".join(format_shape(s) for s in shape) + "}"
    if batch_dim(shape):
        sizes = [str(s) for s in shape]
        return "x".join(sizes[:shape.batch] + ["B"] + sizes[shape.batch:])
    return "x".join(str(s) for s in shape) if shape else "()"  # (): one number (an index) per sample
