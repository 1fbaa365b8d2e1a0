"""Records of Torch7's table modules: CMulTable, CSubTable, CMaxTable, ParallelTable, Parallel,
SelectTable, NarrowTable, FlattenTable, DepthConcat.

Signatures from torch/nn's ``X.lua`` files. Shapes are per sample; a table is a list of shapes.
"""
from . import layers_tables
from .modules import _cadd_shape, no_macs, no_tensors
from .registry import Param, at_least, register
from .shapes import ShapeError, format_shape, sample_dim

_NO_PARAMS = dict(tensors=no_tensors, macs=no_macs)


def _csub_shape(a, node, shapes, infer_child):
    if not isinstance(shapes, list) or len(shapes) != 2:
        raise ShapeError(f"{node.name} needs a table of two tensors, gets {format_shape(shapes)}")
    return _cadd_shape(a, node, shapes, infer_child)


register("nn.CMulTable", [], build=lambda a, n: layers_tables.CMulTable(), shape=_cadd_shape, **_NO_PARAMS)
register("nn.CSubTable", [], build=lambda a, n: layers_tables.CSubTable(), shape=_csub_shape, **_NO_PARAMS)
register("nn.CMaxTable", [], build=lambda a, n: layers_tables.CMaxTable(), shape=_cadd_shape, **_NO_PARAMS)


def _table(node, shapes):
    if not isinstance(shapes, list):
        raise ShapeError(f"{node.name} expects a table, gets {format_shape(shapes)}")
    return shapes


def _parallel_table_shape(a, node, shapes, infer_child):
    shapes = _table(node, shapes)
    if len(shapes) < len(node.children):
        raise ShapeError(f"{node.name} has {len(node.children)} modules but gets a table of {len(shapes)}")
    return [infer_child(child, s) for child, s in zip(node.children, shapes)]


def _parallel_shape(a, node, shape, infer_child):
    """Module i gets ``input:select(inputDimension, i)``; outputs join along outputDimension
    (both dims of the batched tensor)."""
    if isinstance(shape, list):
        raise ShapeError(f"{node.name} expects a tensor, gets a table")
    split = sample_dim(a["inputDimension"], node)
    if split >= len(shape) or shape[split] != len(node.children):
        raise ShapeError(f"{node.name}({a['inputDimension']}, {a['outputDimension']}) has "
                         f"{len(node.children)} modules for input {format_shape(shape)}")
    part = tuple(shape[:split]) + tuple(shape[split + 1:])
    outs = [infer_child(child, part) for child in node.children]
    join = sample_dim(a["outputDimension"], node)
    if any(isinstance(o, list) or len(o) <= join for o in outs):
        raise ShapeError(f"{node.name} cannot join {format_shape(outs)} along dim {a['outputDimension']}")
    rest = {o[:join] + o[join + 1:] for o in outs}
    if len(rest) != 1:
        raise ShapeError(f"{node.name} cannot join {format_shape(outs)} along dim {a['outputDimension']}")
    return outs[0][:join] + (sum(o[join] for o in outs),) + outs[0][join + 1:]


_CONTAINER = dict(_NO_PARAMS, container=True)
register("nn.ParallelTable", [], build=lambda a, n: layers_tables.ParallelTable(),
         shape=_parallel_table_shape, **_CONTAINER)
register("nn.Parallel", [Param("inputDimension", "int"), Param("outputDimension", "int")],
         build=lambda a, n: layers_tables.Parallel(a["inputDimension"], a["outputDimension"]),
         shape=_parallel_shape, **_CONTAINER)


def _select_shape(a, node, shapes, infer_child):
    shapes, index = _table(node, shapes), a["index"]
    position = index - 1 if index > 0 else len(shapes) + index
    if index == 0 or not 0 <= position < len(shapes):
        raise ShapeError(f"{node.name}({index}) is outside a table of {len(shapes)}")
    return shapes[position]


def _narrow_table_shape(a, node, shapes, infer_child):
    shapes = _table(node, shapes)
    first, length = a["offset"] - 1, a["length"]
    if first < 0 or length < 1 or first + length > len(shapes):
        raise ShapeError(f"{node.name}({a['offset']}, {length}) is outside a table of {len(shapes)}")
    return shapes[first:first + length]


register("nn.SelectTable", [Param("index", "int")], build=lambda a, n: layers_tables.SelectTable(a["index"]),
         shape=_select_shape, **_NO_PARAMS)
register("nn.NarrowTable", [Param("offset", "int"), Param("length", "int", 1)],
         build=lambda a, n: layers_tables.NarrowTable(a["offset"], a["length"]),
         shape=_narrow_table_shape, **_NO_PARAMS)
def _flat_shapes(shapes):
    """Shapes are tuples and tables lists: FlattenTable's depth-first order over the lists."""
    return [leaf for s in shapes for leaf in (_flat_shapes(s) if isinstance(s, list) else [s])]


register("nn.FlattenTable", [], build=lambda a, n: layers_tables.FlattenTable(),
         shape=lambda a, n, s, ic: _flat_shapes(_table(n, s)), **_NO_PARAMS)


def _depth_concat_shape(a, node, shape, infer_child):
    """Sizes add up along ``dimension``; every other size is the largest among the branches."""
    outs = [infer_child(child, shape) for child in node.children]
    join = sample_dim(a["dimension"], node)
    if not outs or any(isinstance(o, list) or len(o) != len(outs[0]) or len(o) <= join for o in outs):
        raise ShapeError(f"{node.name}({a['dimension']}) cannot join {format_shape(outs)}")
    return tuple(sum(o[d] for o in outs) if d == join else max(o[d] for o in outs)
                 for d in range(len(outs[0])))


register("nn.DepthConcat", [Param("dimension", "int")],
         build=lambda a, n: layers_tables.DepthConcat(a["dimension"]),
         shape=_depth_concat_shape, check=lambda a, n: at_least(a, n, 1, "dimension"), **_CONTAINER)
