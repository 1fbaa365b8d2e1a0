"""jcjohnson/torch-rnn's classes in a ``.t7`` checkpoint (``cv/checkpoint_N.t7``: ``{model =
nn.LanguageModel, opt, ...}``): what the converter reads in their place.

Lua counterpart: ``LanguageModel.lua`` (its ``net``: LookupTable(V, D), per layer an nn.LSTM or
nn.VanillaRNN, optionally View(1, 1, -1):setNumInputDims(3), BatchNormalization(H),
View(1, -1):setNumInputDims(2), then Dropout; last View, Linear(H, V), View) and
``TemporalAdapter.lua`` (its ``net``: View, module, View). The LanguageModel's forward resizes
each pair of Views to N*T and back (``resetSize``) before running ``net``, so a stored View keeps
the sizes of the last batch trained; read as written they would fix that batch. Instead each
View(numInputDims 3), module, View(numInputDims 2) run of ``net`` is read as the module in an
``nn.TemporalAdapter`` (the module over the N*T rows), which is what the pair computes.
torch-rnn's ``nn.LSTM`` and ``nn.GRU`` (fields weight, hidden_dim) are the records
``torch_rnn.LSTM`` and ``torch_rnn.GRU``; the rnn package's classes keep their names.
"""
from .objects import TorchObject


def _fields(obj):
    table = obj._obj if isinstance(obj._obj, dict) else {}
    return {(k.decode(errors="backslashreplace") if isinstance(k, bytes) else k): v for k, v in table.items()}


def record_name(name, f):
    """The module table's name for a stored class ``name`` with fields ``f``."""
    if name in ("nn.LSTM", "nn.GRU") and "hidden_dim" in f and "weight" in f:
        return "torch_rnn." + name[3:]
    return name


def language_model_net(f, error, place):
    """The LanguageModel's ``net``, its View pairs read as TemporalAdapters (a new Sequential).
    Each new object's ``stored_places`` gives its children's places in the file (``place`` is
    the LanguageModel's): an error names the module as stored, not as renumbered here."""
    net = f.get("net")
    if not isinstance(net, TorchObject) or net.torch_typename() != b"nn.Sequential":
        raise error("nn.LanguageModel without its net (an nn.Sequential)")
    modules = _array(_fields(net).get("modules"))
    if modules is None:
        raise error("nn.LanguageModel: its net has no modules list")
    out, places, i = [], [], 0

    def stored(k):  # net.modules[k] in the file, k counted from 1
        return f"{place}.net.modules[{k}]".lstrip(".")

    while i < len(modules):
        places.append(stored(i + 1))
        if _view(modules[i], 3) and i + 2 < len(modules) and _view(modules[i + 2], 2):
            adapter = {b"net": TorchObject(b"nn.Sequential", {b"modules": modules[i:i + 3]}), b"train": False}
            out.append(TorchObject(b"nn.TemporalAdapter", adapter))
            out[-1].stored_places = [stored(i + 2)]
            i += 3
        elif _view(modules[i], 3) or _view(modules[i], 2):
            raise error(f"nn.LanguageModel: net.modules[{i + 1}] is a View outside a View, module, View run "
                        "(LanguageModel.lua's views around its Linear and BatchNormalization)")
        else:
            out.append(modules[i])
            i += 1
    sequential = TorchObject(b"nn.Sequential", {**net._obj, b"modules": out})
    sequential.stored_places = places
    return sequential


def adapter_child(f, error):
    """The module a TemporalAdapter wraps: ``net.modules[2]``, between its two Views."""
    net = f.get("net")
    modules = _array(_fields(net).get("modules")) if isinstance(net, TorchObject) else None
    if not modules or len(modules) != 3 or not (_view(modules[0], 3) and _view(modules[2], 2)):
        raise error("nn.TemporalAdapter: its net is not View, module, View (TemporalAdapter.lua)")
    return modules[1]


def _view(obj, dims):
    return isinstance(obj, TorchObject) and obj.torch_typename() == b"nn.View" and \
        _fields(obj).get("numInputDims") == dims


def _array(value):
    if isinstance(value, dict) and value and set(value) == set(range(1, len(value) + 1)):
        return [value[i] for i in range(1, len(value) + 1)]
    return value if isinstance(value, list) else None
