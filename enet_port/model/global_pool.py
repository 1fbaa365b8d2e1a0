"""Global average pooling at a crop size other than the spec's input (a deliberate deviation).

Lua counterpart: the last line of every ENet/ResNet model file,
``features:add(cudnn.SpatialAveragePooling(7, 7, 1, 1, 0, 0)) -- global average pooling 1x1``:
7 is 224 / 32, so at ``-cropSize 128`` the last feature map is 4x4 and Torch7 itself would stop
("input image smaller than kernel size"). An average pooling whose window covers its whole input
at the spec's own input size (kernel = feature map, no padding) is global pooling by
construction; at another input size its kernel becomes that size's feature map, and so does its
stride where the spec wrote the stride equal to the kernel (the stride of a window that covers
its input changes nothing). Any other pooling is left as written.
"""
from dataclasses import dataclass

from .registry import resolve_args
from .shapes import ShapeError, infer

AVERAGE_POOLINGS = ("nn.SpatialAveragePooling", "cudnn.SpatialAveragePooling")


@dataclass(frozen=True)
class FittedPool:
    where: str  # spec file: json path
    kernel: tuple  # (kW, kH) as written
    fitted: tuple  # (kW, kH) at the run's input size

    def __str__(self):
        return f"{self.where}: {self.kernel[0]}x{self.kernel[1]} -> {self.fitted[0]}x{self.fitted[1]}"


def _covers_input(node, shape):
    if node.name not in AVERAGE_POOLINGS or not isinstance(shape, tuple) or len(shape) != 3:
        return False
    a = resolve_args(node)
    return (a["kW"], a["kH"]) == (shape[2], shape[1]) and a["padW"] == a["padH"] == 0


def _walk(parts, input_shape, visit):
    shape = tuple(input_shape)
    for part in parts:
        for node in part.children:
            shape = infer(node, shape, inputs={}, visit=visit)


def global_pools(parts, input_shape):
    """The average poolings of ``parts`` (the model's Sequentials) that cover their whole input
    at ``input_shape``; empty when the model does not take that shape."""
    found = []
    try:
        _walk(parts, input_shape, lambda node, shape: _covers_input(node, shape) and found.append(node))
    except ShapeError:
        return []
    return found


def fit_global_pools(parts, spec_input, input_shape):
    """Give each global pooling of the spec (at ``spec_input``) the kernel of its feature map at
    ``input_shape``, in place; returns the :class:`FittedPool` list (empty: nothing changed)."""
    if tuple(input_shape) == tuple(spec_input):
        return []
    pools = {id(n) for n in global_pools(parts, spec_input)}
    fitted = []

    def fit(node, shape):
        if id(node) not in pools or not isinstance(shape, tuple) or len(shape) != 3:
            return
        old = list(node.args)
        new = [shape[2], shape[1]] + old[2:]
        for i in (2, 3):  # a stride written equal to the kernel follows it
            if i < len(old) and old[i] == old[i - 2]:
                new[i] = new[i - 2]
        if new != old:
            node.args = new
            fitted.append(FittedPool(node.where, (old[0], old[1]), (new[0], new[1])))

    try:
        _walk(parts, input_shape, fit)
    except ShapeError:
        pass  # the shape check that follows names the module that refuses
    return fitted


def note(fitted, input_shape):
    """The one ``note:`` line a run prints when :func:`fit_global_pools` changed something."""
    where = "; ".join(str(f) for f in fitted)
    return (f"note: global average pooling fitted to the {input_shape[-2]}x{input_shape[-1]} input "
            f"({where}): the spec's window covers the whole feature map at its own input size "
            "(a deliberate deviation; Torch7 would refuse the smaller map)")
