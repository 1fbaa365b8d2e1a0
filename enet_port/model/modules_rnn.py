"""Records of the ``rnn`` package's modules (Element-Research/rnn): ``FastLSTM``, ``Sequencer``,
``Recursor``, ``MaskZero``, ``LookupTableMaskZero``; dpnn's ``OneHot``.

Signatures and fields from rnn's ``FastLSTM.lua`` (inputSize, outputSize, rho=9999; its weights
are those of its ``i2g`` Linear and ``o2g`` LinearNoBias), ``Sequencer.lua`` (module),
``Recursor.lua`` (module, rho), ``MaskZero.lua`` (module, nInputDim) and
``LookupTableMaskZero.lua`` (nIndex, nOutput). The module argument of
the three decorators is the entry's one child, so a spec writes their other arguments only
(``nn.MaskZero(lstm, 1)`` is ``{"nn.MaskZero": [1], "children": [lstm]}``). A sequence sample is
T x ... (the batched tensor N x T x ...) or a table of T steps; a step module's shape rule is
the one of one step.
"""
from . import layers_rnn
from .modules import no_macs, no_tensors
from .modules_temporal import _lookup_shape
from .registry import FieldError, Param, at_least, register
from .shapes import ShapeError, format_shape, only_child


def _lstm_shape(a, node, shape, infer_child):
    if isinstance(shape, list) or len(shape) != 1 or shape[0] != a["inputSize"]:
        raise ShapeError(f"{node.name} expects one step of {a['inputSize']} inputs, gets {format_shape(shape)}")
    return (a["outputSize"],)


def _lstm_tensors(a, node):
    n_in, n_out = a["inputSize"], a["outputSize"]
    return {"i2g.weight": [4 * n_out, n_in], "i2g.bias": [4 * n_out], "o2g.weight": [4 * n_out, n_out]}


def _lstm_from_fields(f):
    for flag, what in (("bn", "batch normalisation"), ("maskzero", "maskZero()")):
        if f.get(flag):
            raise FieldError(f"nn.FastLSTM with {what} is not supported")
    return {}


def _lstm_state(f, version):
    """The weights live in the i2g and o2g modules the FastLSTM holds."""
    return {"i2g_weight": f.get("i2g.weight"), "i2g_bias": f.get("i2g.bias"), "o2g_weight": f.get("o2g.weight")}


register("nn.FastLSTM", [Param("inputSize", "int"), Param("outputSize", "int"), Param("rho", "int", 9999)],
         build=lambda a, n: layers_rnn.FastLSTM(a["inputSize"], a["outputSize"]), shape=_lstm_shape,
         tensors=_lstm_tensors, macs=lambda a, i, o: 4 * a["outputSize"] * (a["inputSize"] + a["outputSize"]),
         from_fields=_lstm_from_fields, t7_state=_lstm_state,
         check=lambda a, n: at_least(a, n, 1, "inputSize", "outputSize", "rho"))


def _sequencer_shape(a, node, shape, infer_child):
    child = only_child(node)
    if isinstance(shape, list):
        return [infer_child(child, step) for step in shape]
    if len(shape) < 1:  # T x ..., or T indices (rnn's examples: a LookupTable as the step's first module)
        raise ShapeError(f"{node.name} expects a sequence (T x ...), gets {format_shape(shape)}")
    step = infer_child(child, shape[1:])
    if isinstance(step, list):
        raise ShapeError(f"{node.name}: its module gives a table per step; give the sequence as a table")
    return (shape[0],) + step


def _sequencer_fields(f):
    remember = f.get("_remember", "neither")
    remember = remember.decode() if isinstance(remember, bytes) else remember
    if remember != "neither":
        raise FieldError(f"nn.Sequencer with remember('{remember}') is not supported (only 'neither', the default)")
    return {}


_DECORATOR = dict(tensors=no_tensors, macs=no_macs, container=True)
register("nn.Sequencer", [], build=lambda a, n: layers_rnn.Sequencer(), shape=_sequencer_shape,
         from_fields=_sequencer_fields, **_DECORATOR)
register("nn.Recursor", [Param("rho", "int", None)], build=lambda a, n: layers_rnn.Recursor(),
         shape=lambda a, n, s, ic: ic(only_child(n), s), **_DECORATOR)
register("nn.MaskZero", [Param("nInputDim", "int")], build=lambda a, n: layers_rnn.MaskZero(),
         shape=lambda a, n, s, ic: ic(only_child(n), s), check=lambda a, n: at_least(a, n, 1, "nInputDim"), **_DECORATOR)


def _one_hot_shape(a, node, shape, infer_child):
    if isinstance(shape, list):
        raise ShapeError(f"{node.name} expects a tensor of indices, gets a table")
    return tuple(shape) + (a["outputSize"],)


# dpnn's nn.OneHot, and char-rnn's class OneHot in .t7 files (t7/convert.py's aliases: fields
# outputSize and a cached identity matrix _eye, which the port does not need)
register("nn.OneHot", [Param("outputSize", "int")], build=lambda a, n: layers_rnn.OneHot(a["outputSize"]),
         shape=_one_hot_shape, tensors=no_tensors, macs=no_macs, t7_state=lambda f, version: {},
         check=lambda a, n: at_least(a, n, 1, "outputSize"))


# rnn's LookupTableMaskZero(nIndex, nOutput): LookupTable(nIndex + 1, nOutput) read at index + 1, index
# 0 giving zeros; like LookupTable, a .t7 file gives its sizes by the weight's
register("nn.LookupTableMaskZero", [Param("nIndex", "int", field=False), Param("nOutput", "int", field=False)],
         build=lambda a, n: layers_rnn.LookupTableMaskZero(a["nIndex"], a["nOutput"]), shape=_lookup_shape,
         tensors=lambda a, n: {"weight": [a["nIndex"] + 1, a["nOutput"]]}, macs=no_macs,
         from_fields=lambda f: {"nIndex": f["weight"].shape[0] - 1, "nOutput": f["weight"].shape[1]},
         check=lambda a, n: at_least(a, n, 1, "nIndex", "nOutput"))
