"""Records of the rnn package's (Element-Research/rnn) step modules ``GRU``, ``LSTM``,
``Recurrent`` and ``Recurrence``.

Signatures and fields from rnn's ``GRU.lua`` (``__init(inputSize, outputSize, rho=9999, p=0)``;
fields inputSize, outputSize, p; its weights in ``i2g`` Linear(in, 2 out), ``o2g``
LinearNoBias(out, 2 out) and, inside its ``recurrentModule``, the candidate's Linear(in, out) and
LinearNoBias(out, out)) and ``LSTM.lua`` (``__init(inputSize, outputSize=inputSize, rho=9999,
cell2gate=true)``; fields inputSize, outputSize, cell2gate and its parts ``inputGate``,
``forgetGate``, ``hiddenLayer``, ``outputGate``: each a Sequential whose ParallelTable holds
Linear(in, out), LinearNoBias(out, out) and, in the three gates, the peephole CMul(out)).
A step's sample is a vector of inputSize, as FastLSTM's (modules_rnn.py). GRU's p > 0 (Bayesian
dropout GRU) and the LSTM of rnn's first versions (its output2gate a Linear with a bias) are
refused. ``Recurrent.lua`` (``__init(start, input, feedback, transfer=Sigmoid, rho, merge=
CAddTable)``; a number or size as ``start`` is ``nn.Add(start)``): a container whose children are
its ``modules``, {start, input, feedback, transfer, merge}; its own argument is rho.
``Recurrence.lua`` (``__init(recurrentModule, outputSize, nInputDim, rho=9999)``; stored
outputSize is the table {outputSize}): its module is the entry's one child, given {x, h} per step.
"""
import numpy as np

from . import layers_recurrent
from .modules import no_macs, no_tensors
from .modules_rnn import _lstm_shape
from .registry import ArgumentError, FieldError, Param, at_least, register
from .shapes import ShapeError

_STEP = [Param("inputSize", "int"), Param("outputSize", "int"), Param("rho", "int", 9999)]


def _gru_check(a, node):
    at_least(a, node, 1, "inputSize", "outputSize", "rho")
    if a["p"] != 0:
        raise ArgumentError(f"{node.name}: p = {a['p']:g} (the Bayesian GRU's dropouts) is not supported, only p = 0")


def _modules(obj):
    """Every module inside a stored module, depth first (its ``modules`` lists)."""
    inner = obj["modules"] if obj is not None else None
    inner = list(inner.values()) if isinstance(inner, dict) else inner or []
    for m in inner:
        yield m
        yield from _modules(m)


def _weights(obj, name, rows, cols, skip=()):
    """The first ``name`` module's weight of rows x cols inside ``obj`` (not one in ``skip``)."""
    for m in _modules(obj):
        if m.torch_typename().decode() == name and m not in skip and np.shape(m["weight"]) == (rows, cols):
            return m
    raise FieldError(f"no {name}({cols}, {rows}) inside the stored module")


def _gru_state(f, version):
    """i2g and o2g are fields; the candidate's layers are found in the step (recurrentModule)."""
    n_in, n_out = int(f["inputSize"]), int(f["outputSize"])
    modules = f.get("modules")
    step = f.get("recurrentModule") or (modules[0] if isinstance(modules, list) and modules else None)
    skip = (f.get("i2g"), f.get("o2g"))
    i2h, o2h = _weights(step, "nn.Linear", n_out, n_in, skip), _weights(step, "nn.LinearNoBias", n_out, n_out, skip)
    return {"i2g_weight": f.get("i2g.weight"), "i2g_bias": f.get("i2g.bias"), "o2g_weight": f.get("o2g.weight"),
            "i2h_weight": i2h["weight"], "i2h_bias": i2h["bias"], "o2h_weight": o2h["weight"]}


register("nn.GRU", _STEP + [Param("p", "number", 0.0)],
         build=lambda a, n: layers_recurrent.GRU(a["inputSize"], a["outputSize"]), shape=_lstm_shape,
         tensors=lambda a, n: {"i2g.weight": [2 * a["outputSize"], a["inputSize"]], "i2g.bias": [2 * a["outputSize"]],
                               "o2g.weight": [2 * a["outputSize"], a["outputSize"]],
                               "i2h.weight": [a["outputSize"], a["inputSize"]], "i2h.bias": [a["outputSize"]],
                               "o2h.weight": [a["outputSize"], a["outputSize"]]},
         macs=lambda a, i, o: 3 * a["outputSize"] * (a["inputSize"] + a["outputSize"]),
         t7_state=_gru_state, check=_gru_check)


_LSTM_PARTS = ("inputGate", "forgetGate", "hiddenLayer", "outputGate")


def _lstm_parts(f):
    """Each part's ParallelTable modules: Linear, LinearNoBias and (gates, cell2gate) CMul."""
    for name in _LSTM_PARTS:
        tables = [m for m in _modules(f.get(name)) if m.torch_typename() == b"nn.ParallelTable"]
        if len(tables) != 1:
            raise FieldError(f"its {name} holds no ParallelTable of its layers (rnn's LSTM.lua)")
        layers = list(_modules(tables[0]))
        wanted = 3 if f.get("cell2gate") is not False and name != "hiddenLayer" else 2
        if len(layers) != wanted:
            raise FieldError(f"its {name}'s ParallelTable holds {len(layers)} modules, not {wanted} "
                             "(Linear, LinearNoBias" + (", CMul)" if wanted == 3 else ")"))
        if layers[1].torch_typename() != b"nn.LinearNoBias":
            raise FieldError("nn.LSTM of rnn's first versions (a Linear with a bias from the output to the gates) "
                             "is not supported")
        yield name, layers


def _lstm_state(f, version):
    parts = dict(_lstm_parts(f))
    gates = [parts[name] for name in _LSTM_PARTS]
    state = {"i2g_weight": np.concatenate([g[0]["weight"] for g in gates]),
             "i2g_bias": np.concatenate([g[0]["bias"] for g in gates]),
             "o2g_weight": np.concatenate([g[1]["weight"] for g in gates])}
    if f.get("cell2gate") is not False:
        peepholes = [parts[name][2]["weight"] for name in ("inputGate", "forgetGate", "outputGate")]
        state["c2g_weight"] = np.concatenate([np.ravel(w) for w in peepholes])
    return state


def _lstm_tensors(a, node):
    n_in, n_out = a["inputSize"], a["outputSize"]
    out = {"i2g.weight": [4 * n_out, n_in], "i2g.bias": [4 * n_out], "o2g.weight": [4 * n_out, n_out]}
    return {**out, "c2g.weight": [3 * n_out]} if a["cell2gate"] else out


register("nn.LSTM", [Param("inputSize", "int"), Param("outputSize", "int", lambda a: a["inputSize"]),
                     Param("rho", "int", 9999), Param("cell2gate", "bool", True)],
         build=lambda a, n: layers_recurrent.PeepholeLSTM(a["inputSize"], a["outputSize"], a["cell2gate"]),
         shape=_lstm_shape, tensors=_lstm_tensors,
         macs=lambda a, i, o: 4 * a["outputSize"] * (a["inputSize"] + a["outputSize"]),
         t7_state=_lstm_state,
         check=lambda a, n: at_least(a, n, 1, "inputSize", "outputSize", "rho"))


def _recurrent_shape(a, node, shape, infer_child):
    """Both of Recurrent.lua's step modules must give the same output: the first step's
    transfer(start(input(x))) and the later steps' transfer(merge{input(x), feedback(h)})."""
    if len(node.children) != 5:
        raise ShapeError(f"{node.name} holds start, input, feedback, transfer and merge modules, "
                         f"not {len(node.children)} modules")
    start, inp, feedback, transfer, merge = node.children
    x = infer_child(inp, shape)
    first = infer_child(transfer, infer_child(start, x))
    later = infer_child(transfer, infer_child(merge, [x, infer_child(feedback, first)]))
    if later != first:
        raise ShapeError(f"{node.name}: its later steps give {later}, its first step {first}")
    return first


register("nn.Recurrent", [Param("rho", "int", 9999)], build=lambda a, n: layers_recurrent.Recurrent(),
         shape=_recurrent_shape, tensors=no_tensors, macs=no_macs, container=True,
         check=lambda a, n: at_least(a, n, 1, "rho"))


def _recurrence_shape(a, node, shape, infer_child):
    if len(node.children) != 1:
        raise ShapeError(f"{node.name} holds one recurrent module, not {len(node.children)}")
    out = infer_child(node.children[0], [shape, (a["outputSize"],)])
    if out != (a["outputSize"],):
        raise ShapeError(f"{node.name}: its module gives {out} for {{input, output}}, not the {a['outputSize']} "
                         "outputs it feeds back")
    return out


def _recurrence_fields(f):
    """Recurrence.lua keeps outputSize as the table {n} (or a LongStorage): one size only here."""
    size = np.ravel(np.asarray(f.get("outputSize"), dtype=object))
    if size.size != 1:
        raise FieldError(f"nn.Recurrence with an output of sizes {list(size)} is not supported (one vector only)")
    return {"outputSize": int(size[0])}


register("nn.Recurrence", [Param("outputSize", "int"), Param("nInputDim", "int"), Param("rho", "int", 9999)],
         build=lambda a, n: layers_recurrent.Recurrence(a["outputSize"]), shape=_recurrence_shape,
         tensors=no_tensors, macs=no_macs, container=True, from_fields=_recurrence_fields,
         check=lambda a, n: at_least(a, n, 1, "outputSize", "nInputDim", "rho"))
