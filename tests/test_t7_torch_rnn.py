"""A torch-rnn checkpoint (``cv/checkpoint_N.t7``: ``{model = nn.LanguageModel, opt, ...}``) of our
own, written with tests/t7writer.py in the field names and layouts of torch-rnn's LanguageModel.lua,
LSTM.lua, VanillaRNN.lua (and GRU.lua, which its later versions and forks use): imported as the LanguageModel's net, its View pairs as TemporalAdapters,
the forward checked against the equations of LSTM.lua/VanillaRNN.lua written out here step by step
(weight rows 1..D multiply x, rows D+1..D+H the previous h; LSTM gates in the order i, f, o, g;
GRU's u, r, candidate)."""
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from enet_port.cli import main
from enet_port.t7.load import import_t7
from enet_port.t7.reader import T7Error

sys.path.insert(0, str(Path(__file__).parent))
from t7writer import Object, Storage, Tensor, dumps  # noqa: E402

V, D, H, BATCH, STEPS = 6, 3, 4, 2, 5  # the stored Views keep the last batch's N*T = 10


def module(name, **fields):
    return Object(name, {"train": False, "output": Tensor(np.zeros(0)), **fields})


def view(dims, *sizes):
    return module("nn.View", size=Storage(np.array(sizes, dtype=np.int64)), numElements=-1, numInputDims=dims)


def rnn(rng, kind, d):
    gates = {"lstm": 4, "gru": 3, "rnn": 1}[kind]
    weight, bias = rng.standard_normal((d + H, gates * H)) * 0.5, rng.standard_normal(gates * H) * 0.5
    name = {"lstm": "nn.LSTM", "gru": "nn.GRU", "rnn": "nn.VanillaRNN"}[kind]
    stored = module(name, input_dim=d, hidden_dim=H, weight=Tensor(weight), bias=Tensor(bias),
                    h0=Tensor(np.zeros((BATCH, H))), remember_states=True, cell=Tensor(np.zeros(0)))
    return stored, ("rnn", kind, weight, bias)


def over_time(inner, adapters):
    """LanguageModel.lua's View(1, 1, -1), module, View(1, -1) run in its net; or, as its versions
    with TemporalAdapter.lua write it, one nn.TemporalAdapter holding that run in its ``net``
    (its __init never calls its parent's: no train or output fields)."""
    views = [view(3, BATCH * STEPS, -1), inner, view(2, BATCH, STEPS, -1)]
    if not adapters:
        return views
    return [Object("nn.TemporalAdapter", {"view_in": views[0], "view_out": views[2],
                                          "net": module("nn.Sequential", modules=views)})]


def batchnorm(rng, adapters):
    w, b, mean, var = rng.standard_normal(H), rng.standard_normal(H), rng.standard_normal(H), rng.random(H) + 0.5
    stored = module("nn.BatchNormalization", weight=Tensor(w), bias=Tensor(b), running_mean=Tensor(mean),
                    running_var=Tensor(var), eps=1e-5, momentum=0.1, affine=True)
    return over_time(stored, adapters), ("bn", w, b, mean, var)


def checkpoint(kind, with_bn, rng, adapters=False):
    """LanguageModel.lua's net for two layers, and the steps the reference forward takes."""
    table = rng.standard_normal((V, D))
    modules, steps = [module("nn.LookupTable", weight=Tensor(table), paddingValue=0)], [("lookup", table)]
    for layer in range(2):
        stored, step = rnn(rng, kind, D if layer == 0 else H)
        modules.append(stored)
        steps.append(step)
        if with_bn:
            stored_bn, step = batchnorm(rng, adapters)
            modules += stored_bn
            steps.append(step)
        modules.append(module("nn.Dropout", p=0.25, v2=True, noise=Tensor(np.zeros(0))))
    weight, bias = rng.standard_normal((V, H)), rng.standard_normal(V)
    modules += over_time(module("nn.Linear", weight=Tensor(weight), bias=Tensor(bias)), adapters)
    last = modules[-1].fields
    view1, view2 = (modules[-3], modules[-1]) if not adapters else (last["view_in"], last["view_out"])
    steps.append(("linear", weight, bias))
    net = module("nn.Sequential", modules=modules)
    lm = Object("nn.LanguageModel", {
        "idx_to_token": {i: chr(96 + i) for i in range(1, V + 1)}, "token_to_idx": {chr(96 + i): i for i in range(1, V + 1)},
        "vocab_size": V, "wordvec_dim": D, "rnn_size": H, "num_layers": 2, "dropout": 0.25,
        "batchnorm": int(with_bn), "model_type": kind, "net": net, "rnns": [modules[1]], "view1": view1, "view2": view2,
        "bn_view_in": [], "bn_view_out": []})
    return {"model": lm, "opt": {"seq_length": STEPS, "batch_size": BATCH}, "i": 100}, steps


def reference(steps, ids):
    """The forward of LanguageModel.lua's net, each module's equations written out in numpy."""
    x = None
    for step in steps:
        if step[0] == "lookup":
            x = step[1][ids - 1]  # N x T x D; Lua indices count from 1
        elif step[0] == "rnn":
            x = _rnn(step[1], step[2], step[3], x)
        elif step[0] == "bn":  # evaluation: the running statistics
            _, w, b, mean, var = step
            x = (x - mean) / np.sqrt(var + 1e-5) * w + b
        else:
            x = x @ step[1].T + step[2]
    return x


def _rnn(kind, weight, bias, x):
    n, t, d = x.shape
    wx, wh = weight[:d], weight[d:]
    h, c, out = np.zeros((n, H)), np.zeros((n, H)), np.zeros((n, t, H))
    sigmoid = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    for s in range(t):
        a = x[:, s] @ wx + h @ wh + bias
        if kind == "rnn":
            h = np.tanh(a)
        elif kind == "gru":  # GRU.lua: u, r from x and h; the candidate sees r * h; h = (1 - u) h + u hc
            u, r = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H])
            hc = np.tanh(x[:, s] @ wx[:, 2 * H:] + bias[2 * H:] + (r * h) @ wh[:, 2 * H:])
            h = (1 - u) * h + u * hc
        else:
            i, f, o, g = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), sigmoid(a[:, 2 * H:3 * H]), np.tanh(a[:, 3 * H:])
            c = f * c + i * g
            h = o * np.tanh(c)
        out[:, s] = h
    return out


@pytest.mark.parametrize("kind, with_bn, adapters", [
    ("lstm", False, False), ("lstm", True, False), ("rnn", False, False), ("rnn", True, False), ("gru", False, False),
    ("lstm", True, True)])
def test_a_torch_rnn_checkpoint_imports_as_its_net_and_computes_its_equations(tmp_path, kind, with_bn, adapters):
    path = tmp_path / "checkpoint_100.t7"
    saved, steps = checkpoint(kind, with_bn, np.random.default_rng(3), adapters)
    path.write_bytes(dumps(saved))
    imported = import_t7(path, (7,))  # sequences of 7 steps, not the 5 the stored Views remember
    ids = np.array([[1, 6, 2, 2, 5, 3, 4], [4, 4, 1, 6, 3, 2, 5]])
    expected = reference(steps, ids)
    with torch.no_grad():
        got = imported.model(torch.tensor(ids, dtype=torch.float32))
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-4, atol=1e-5)
    names = [next(iter(e)) for e in imported.spec["features"]]
    rnn_name = {"lstm": "torch_rnn.LSTM", "gru": "torch_rnn.GRU", "rnn": "nn.VanillaRNN"}[kind]
    per_layer = ["nn.TemporalAdapter"] * with_bn + ["nn.Dropout"]
    assert names == ["nn.LookupTable"] + ([rnn_name] + per_layer) * 2 + ["nn.TemporalAdapter"]
    assert imported.spec["features"][-1]["children"] == [{"nn.Linear": [H, V]}]
    assert "nn.LanguageModel" in imported.spec["description"]


def test_without_input_a_sequence_of_one_index_is_chosen_and_counted(tmp_path):
    path = tmp_path / "checkpoint_1.t7"
    path.write_bytes(dumps(checkpoint("lstm", False, np.random.default_rng(4))[0]))
    out = tmp_path / "lm.json"
    result = CliRunner().invoke(main, ["import-t7", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert import_t7(path).spec["input"] == [1]
    summary = CliRunner().invoke(main, ["summary", str(out)])
    # by hand: LookupTable 6x3; LSTM (3+4) x 16 + 16; LSTM (4+4) x 16 + 16; Linear 4x6 + 6
    params = V * D + (D + H) * 4 * H + 4 * H + (H + H) * 4 * H + 4 * H + H * V + V
    assert params == 18 + 128 + 144 + 30 and summary.exit_code == 0 and f"{params:,}" in summary.output, summary.output


def test_a_stray_view_in_the_net_is_refused_in_one_line(tmp_path):
    saved, _ = checkpoint("rnn", False, np.random.default_rng(5))
    modules = saved["model"].fields["net"].fields["modules"]
    del modules[-1]  # the Linear's second View gone: modules[6] is View(numInputDims 3), then Linear, then nothing
    path = tmp_path / "cut.t7"
    path.write_bytes(dumps(saved))
    with pytest.raises(T7Error, match=r"cut.t7: model: nn.LanguageModel: net.modules\[6\] is a View outside"):
        import_t7(path)


def test_a_new_module_starts_from_its_lua_reset_biases():
    """LSTM.lua / SeqLSTM.lua reset: bias zero but 1 for the forget gate (rows H+1..2H); SeqGRU.lua:
    zero but 1 for its second block (u); torch-rnn's GRU.lua: N(0, std) for all (not all zero)."""
    from enet_port.model.layers_recurrent import LSTM, SequenceGRU
    ones = lambda blocks, hot: torch.cat([torch.full((H,), float(b == hot)) for b in range(blocks)])  # noqa: E731
    assert torch.equal(LSTM(D, H).bias.detach(), ones(4, 1))
    assert torch.equal(SequenceGRU(D, H, seq_gru=True).bias.detach(), ones(3, 1))
    assert SequenceGRU(D, H).bias.detach().abs().min() > 0


def test_an_error_inside_a_temporal_adapter_names_its_net_place(tmp_path):
    """TemporalAdapter.lua keeps its module at net.modules[2], between its two Views."""
    saved, _ = checkpoint("rnn", False, np.random.default_rng(6), adapters=True)
    saved["model"].fields["net"].fields["modules"][-1].fields["net"].fields["modules"][1] = module("nn.Linear")
    path = tmp_path / "adapter.t7"
    path.write_bytes(dumps(saved))
    with pytest.raises(T7Error, match=r"adapter.t7: model.net.modules\[6\].net.modules\[2\]: nn.Linear"):
        import_t7(path)


def test_an_error_in_a_net_read_anew_names_the_module_as_stored(tmp_path):
    """Without adapters the net holds LookupTable, RNN, Dropout, RNN, Dropout, View, Linear, View:
    the Linear is net.modules[7] in the file (the converter reads its three as one adapter)."""
    saved, _ = checkpoint("rnn", False, np.random.default_rng(7))
    saved["model"].fields["net"].fields["modules"][6] = module("nn.Linear")
    path = tmp_path / "views.t7"
    path.write_bytes(dumps(saved))
    with pytest.raises(T7Error, match=r"views.t7: model.net.modules\[7\]: nn.Linear"):
        import_t7(path)
