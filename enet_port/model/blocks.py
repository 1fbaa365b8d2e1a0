"""The ENet bottleneck family: ``_bottleneck`` and its ``moses.bindn`` aliases.

Ports ``_bottleneck(internal_scale, use_relu, asymetric, dilated, input, output, downsample)``
of ENet's ``encoder.lua`` (e-lab/ENet-training) module for module, including its closure
counter ``ct``: the first five bottlenecks built in one model get ``SpatialDropout(0.01)``,
every later one ``SpatialDropout(0.1)``. A spec names an alias with Lua's remaining arguments,
``{"bottleneck": [64, 128, true]}``, and gets the same module tree the Lua call returns.
"""
from .tree import Node, Origin

# alias -> the four arguments _.bindn fixes: internal_scale, use_relu, asymetric, dilated
ALIASES = {
    "bottleneck": (4, True, False, False),
    "cbottleneck": (4, True, False, False),
    "ibottleneck": (1, True, False, False),
    "wbottleneck": (4, True, 5, False),
    "xbottleneck": (4, True, 7, False),
    "dbottleneck": (4, True, False, 2),
    "xdbottleneck": (4, True, False, 4),
    "xxdbottleneck": (4, True, False, 8),
    "xxxdbottleneck": (4, True, False, 16),
    "xxxxdbottleneck": (4, True, False, 32),
}

EARLY_DROPOUT, LATE_DROPOUT, EARLY_COUNT = 0.01, 0.1, 5


class BlockError(ValueError):
    """Arguments that the Lua ``_bottleneck`` would reject or turn into nonsense."""


class BottleneckFactory:
    """One per model, like the Lua file's ``local ct = 0``; ``dropout=False`` drops the
    ``SpatialDropout`` line (ENet V14)."""

    def __init__(self, dropout=True):
        self.built = 0
        self.dropout = dropout

    def __call__(self, alias, args, origin=Origin(), lua=""):
        if alias not in ALIASES:
            raise BlockError(f"unknown block '{alias}'")
        if not 2 <= len(args) <= 3:
            raise BlockError(f"{alias} takes (input, output[, downsample]), got {len(args)} arguments")
        for value in args[:2]:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise BlockError(f"{alias}: input and output must be positive numbers, got {value!r}")
        downsample = len(args) == 3 and args[2] not in (None, False)
        node = self._bottleneck(*ALIASES[alias], int(args[0]), int(args[1]), downsample)
        for inner in node.walk():
            inner.origin, inner.lua = origin, lua
        node.label = f"{alias}({', '.join(_lua_value(a) for a in args)})"
        return node

    def _bottleneck(self, internal_scale, use_relu, asymetric, dilated, n_in, n_out, downsample):
        if n_out % internal_scale:
            raise BlockError(f"output {n_out} is not divisible by internal_scale {internal_scale}")
        internal = n_out // internal_scale
        s = 2 if downsample else 1
        main = [conv(n_in, internal, s, s, s, s, 0, 0, bias=False), bn(internal)]
        main += [Node("nn.PReLU", [internal])] if use_relu else []
        main += _middle(internal, asymetric, dilated)
        main += [bn(internal)] + ([Node("nn.PReLU", [internal])] if use_relu else [])
        main += [conv(internal, n_out, 1, 1, 1, 1, 0, 0, bias=False), bn(n_out)]
        if self.dropout:
            p = EARLY_DROPOUT if self.built < EARLY_COUNT else LATE_DROPOUT
            main.append(Node("nn.SpatialDropout", [p]))
        self.built += 1
        other = [Node("nn.Identity", [])]
        other += [Node("nn.SpatialMaxPooling", [2, 2, 2, 2])] if downsample else []
        other += [Node("nn.Padding", [1, n_out - n_in, 3])] if n_in != n_out else []
        branches = Node("nn.ConcatTable", [], children=[
            Node("nn.Sequential", [], children=main), Node("nn.Sequential", [], children=other)])
        return Node("nn.Sequential", [], children=[branches, Node("nn.CAddTable", []),
                                                   Node("nn.PReLU", [n_out])])


def _middle(internal, asymetric, dilated):
    if not asymetric and not dilated:
        return [conv(internal, internal, 3, 3, 1, 1, 1, 1)]
    if asymetric:
        pad = (asymetric - 1) // 2
        return [conv(internal, internal, asymetric, 1, 1, 1, pad, 0, bias=False),
                conv(internal, internal, 1, asymetric, 1, 1, 0, pad)]
    return [Node("nn.SpatialDilatedConvolution",
                 [internal, internal, 3, 3, 1, 1, dilated, dilated, dilated, dilated])]


def _lua_value(value):
    return ("true" if value else "false") if isinstance(value, bool) else str(int(value))


def conv(*args, bias=True):
    return Node("cudnn.SpatialConvolution", list(args), [] if bias else [("noBias",)])


def bn(n):
    return Node("nn.SpatialBatchNormalization", [n, 1e-3])
