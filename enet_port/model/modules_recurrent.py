"""Records of jcjohnson/torch-rnn's modules, ports of the classes it defines in its own files:
``LSTM.lua`` (``__init(input_dim, hidden_dim)``; fields input_dim, hidden_dim, weight
(D + H) x 4H, bias 4H), ``GRU.lua`` (the same, weight (D + H) x 3H, bias 3H; in its later
versions), ``VanillaRNN.lua`` (the same, weight (D + H) x H, bias H) and
``TemporalAdapter.lua`` (``__init(module)``: its module is the entry's one child; stored as the
``net`` Sequential of two Views around it, see t7/convert.py); and the rnn package's adaptations
of torch-rnn's LSTM and GRU, ``SeqLSTM.lua`` and ``SeqGRU.lua``.

A sample is a sequence T x D (the batched tensor N x T x D, torch-rnn's own layout); each
module's output is T x H. torch-rnn's classes ``nn.LSTM`` and ``nn.GRU`` have the rnn package's
names; the module table keeps them as ``torch_rnn.LSTM`` and ``torch_rnn.GRU``: a ``.t7`` file's
``nn.LSTM``/``nn.GRU`` is read as them when it has torch-rnn's fields (``weight`` and
``hidden_dim``: t7/torch_rnn.py), and the tracer takes a project's own class of either name as
them (registry.PROJECT_CLASSES). torch-rnn's four are flagged
``port_of``: the tracer takes a project's class of that name as the record.
"""
from . import layers_recurrent
from .modules import no_macs, no_tensors
from .registry import ArgumentError, FieldError, Param, at_least, register
from .shapes import ShapeError, format_shape, only_child

_TORCH_RNN = "jcjohnson/torch-rnn "


def _sequence_shape(d_name, h_name):
    def shape_rule(a, node, shape, infer_child):
        if isinstance(shape, list) or len(shape) != 2 or shape[1] != a[d_name]:
            raise ShapeError(f"{node.name} expects a sequence T x {a[d_name]}, gets {format_shape(shape)}")
        return (shape[0], a[h_name])
    return shape_rule


def _sequence_record(name, params, gates, layer, **rules):
    """torch-rnn's LSTM (4 gates) and VanillaRNN (1), rnn's SeqLSTM (4): weight (D + H) x
    gates*H, bias gates*H; ``params`` names D and H first."""
    d, h = params[0].name, params[1].name
    register(name, params, build=lambda a, n: layer(a[d], a[h]), shape=_sequence_shape(d, h),
             tensors=lambda a, n: {"weight": [a[d] + a[h], gates * a[h]], "bias": [gates * a[h]]},
             macs=lambda a, i, o: i[0] * (a[d] + a[h]) * gates * a[h],
             # its buffers (cell, gates, h0, c0, ...) are not parameters: a forward starts from zeros
             t7_state=lambda f, version: {k: f.get(k) for k in ("weight", "bias")}, **rules)


_TORCH_RNN_DIMS = [Param("input_dim", "int"), Param("hidden_dim", "int")]
_sequence_record("torch_rnn.LSTM", _TORCH_RNN_DIMS, 4, layers_recurrent.LSTM,
                 check=lambda a, n: at_least(a, n, 1, "input_dim", "hidden_dim"), port_of=_TORCH_RNN + "LSTM.lua")
_sequence_record("torch_rnn.GRU", _TORCH_RNN_DIMS, 3, layers_recurrent.SequenceGRU,
                 check=lambda a, n: at_least(a, n, 1, "input_dim", "hidden_dim"), port_of=_TORCH_RNN + "GRU.lua")
_sequence_record("nn.VanillaRNN", _TORCH_RNN_DIMS, 1, layers_recurrent.VanillaRNN,
                 check=lambda a, n: at_least(a, n, 1, "input_dim", "hidden_dim"),
                 port_of=_TORCH_RNN + "VanillaRNN.lua")


def _seq_lstm_check(a, node):
    at_least(a, node, 1, "inputsize", "hiddensize", "outputsize")
    if a["outputsize"] != a["hiddensize"]:
        raise ArgumentError(f"{node.name}: an output size other than the hidden size (SeqLSTMP's projection) "
                            "is not supported")


def _seq_lstm_fields(f):
    """SeqLSTM.lua stores inputsize, hiddensize (absent before SeqLSTMP: the outputsize) and
    outputsize; ``maskzero`` (its own zero-step masking) is not ported."""
    if f.get("maskzero"):
        raise FieldError("nn.SeqLSTM with maskzero is not supported")
    return {"hiddensize": f.get("hiddensize") or f.get("outputsize")}


def _seq_gru_fields(f):
    if f.get("maskzero"):
        raise FieldError("nn.SeqGRU with maskzero is not supported")
    return {}


# rnn's SeqGRU(inputSize, outputSize): torch-rnn's GRU layout, its gates read r, u (layers_recurrent.py)
_sequence_record("nn.SeqGRU", [Param("inputSize", "int"), Param("outputSize", "int")], 3,
                 lambda d, h: layers_recurrent.SequenceGRU(d, h, seq_gru=True), from_fields=_seq_gru_fields,
                 check=lambda a, n: at_least(a, n, 1, "inputSize", "outputSize"))


# rnn's SeqLSTM(inputsize, hiddensize, outputsize): torch-rnn's LSTM, same weight layout and
# gate order; its T x N x D input (batchfirst false) is the port's batch-first N x T x D
_sequence_record("nn.SeqLSTM", [Param("inputsize", "int"), Param("hiddensize", "int"),
                                Param("outputsize", "int", lambda a: a["hiddensize"])], 4, layers_recurrent.LSTM,
                 check=_seq_lstm_check, from_fields=_seq_lstm_fields)


def _adapter_shape(a, node, shape, infer_child):
    child = only_child(node)
    if isinstance(shape, list) or len(shape) < 2:
        raise ShapeError(f"{node.name} expects a sequence (T x ...), gets {format_shape(shape)}")
    step = infer_child(child, shape[1:])
    if isinstance(step, list):
        raise ShapeError(f"{node.name}: its module gives a table, not a tensor per step")
    return (shape[0],) + tuple(step)


register("nn.TemporalAdapter", [], build=lambda a, n: layers_recurrent.TemporalAdapter(), shape=_adapter_shape,
         tensors=no_tensors, macs=no_macs, container=True, port_of=_TORCH_RNN + "TemporalAdapter.lua")
