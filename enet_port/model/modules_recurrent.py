"""Records of jcjohnson/torch-rnn's modules, ports of the classes it defines in its own files:
``LSTM.lua`` (``__init(input_dim, hidden_dim)``; fields input_dim, hidden_dim, weight
(D + H) x 4H, bias 4H), ``VanillaRNN.lua`` (the same, weight (D + H) x H, bias H) and
``TemporalAdapter.lua`` (``__init(module)``: its module is the entry's one child; stored as the
``net`` Sequential of two Views around it, see t7/convert.py).

A sample is a sequence T x D (the batched tensor N x T x D, torch-rnn's own layout); each
module's output is T x H. torch-rnn's class is named ``nn.LSTM``, as the rnn package's is; the
module table keeps it as ``torch-rnn.LSTM`` and a ``.t7`` file's ``nn.LSTM`` is read as it when it
has torch-rnn's fields (``weight`` and ``hidden_dim``: t7/convert.py). ``nn.VanillaRNN`` and
``nn.TemporalAdapter`` are flagged ``port_of``: the tracer takes a project's class of that name as
the record.
"""
from . import layers_recurrent
from .modules import no_macs, no_tensors
from .registry import Param, at_least, register
from .shapes import ShapeError, format_shape

_TORCH_RNN = "jcjohnson/torch-rnn "


def _sequence_shape(a, node, shape, infer_child):
    if isinstance(shape, list) or len(shape) != 2 or shape[1] != a["input_dim"]:
        raise ShapeError(f"{node.name} expects a sequence T x {a['input_dim']}, gets {format_shape(shape)}")
    return (shape[0], a["hidden_dim"])


def _sequence_record(name, gates, layer, source):
    """torch-rnn's LSTM (4 gates) and VanillaRNN (1): weight (D + H) x gates*H, bias gates*H."""
    register(name, [Param("input_dim", "int"), Param("hidden_dim", "int")],
             build=lambda a, n: layer(a["input_dim"], a["hidden_dim"]), shape=_sequence_shape,
             tensors=lambda a, n: {"weight": [a["input_dim"] + a["hidden_dim"], gates * a["hidden_dim"]],
                                   "bias": [gates * a["hidden_dim"]]},
             macs=lambda a, i, o: i[0] * (a["input_dim"] + a["hidden_dim"]) * gates * a["hidden_dim"],
             # its buffers (cell, gates, h0, c0, ...) are not parameters: a forward starts from zeros
             t7_state=lambda f, version: {k: f.get(k) for k in ("weight", "bias")},
             check=lambda a, n: at_least(a, n, 1, "input_dim", "hidden_dim"), port_of=source)


_sequence_record("torch-rnn.LSTM", 4, layers_recurrent.LSTM, "")
_sequence_record("nn.VanillaRNN", 1, layers_recurrent.VanillaRNN, _TORCH_RNN + "VanillaRNN.lua")


def _adapter_shape(a, node, shape, infer_child):
    if len(node.children) != 1:
        raise ShapeError(f"{node.name} wraps one module, not {len(node.children)}")
    if isinstance(shape, list) or len(shape) < 2:
        raise ShapeError(f"{node.name} expects a sequence (T x ...), gets {format_shape(shape)}")
    step = infer_child(node.children[0], shape[1:])
    if isinstance(step, list):
        raise ShapeError(f"{node.name}: its module gives a table, not a tensor per step")
    return (shape[0],) + tuple(step)


register("nn.TemporalAdapter", [], build=lambda a, n: layers_recurrent.TemporalAdapter(), shape=_adapter_shape,
         tensors=no_tensors, macs=no_macs, container=True, port_of=_TORCH_RNN + "TemporalAdapter.lua")
