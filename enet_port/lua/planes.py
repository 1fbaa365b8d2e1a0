"""Planes of the 2015 ``nn.BatchNormalization(0)`` / ``nn.SpatialBatchNormalization(0)``.

Lua counterpart: torch/nn's BatchNormalization.lua and SpatialBatchNormalization.lua as of 2015
("without learnable parameters: nn.BatchNormalization(0 [,eps] [,momentum])"): a module built
with 0 had no weight or bias and sized its running statistics from its first input. Model files
of that time (eladhoffer's ImageNet-Training) use it; today's torch/nn asserts instead. A spec
names the planes, so they are read here from the shape rules at the traced input, and the
module is written as the non-affine one it was: ``nn.SpatialBatchNormalization(C, eps,
momentum, false)``.
"""
from ..model.shapes import infer

NAMES = ("nn.BatchNormalization", "nn.SpatialBatchNormalization")
DEFAULTS = (1e-5, 0.1)  # eps, momentum: the 2015 defaults, as today's


def sized(node, shape):
    """An :func:`~enet_port.model.shapes.infer` visitor: a ``nn.X(0)`` batch normalisation
    takes the planes of the input it sees (in place)."""
    if node.name in NAMES and node.args and node.args[0] == 0 and isinstance(shape, tuple) and shape:
        eps, momentum = (list(node.args[1:3]) + [None, None])[:2]
        node.args = [shape[0], DEFAULTS[0] if eps is None else eps,
                     DEFAULTS[1] if momentum is None else momentum, False]


def fill_planes(model, input_shape):
    """Size every ``nn.X(0)`` batch normalisation of ``model`` for ``input_shape``; a
    ShapeError where the model cannot take that input."""
    if any(n.name in NAMES and n.args and n.args[0] == 0 for n in model.walk()):
        infer(model, input_shape, visit=sized)
