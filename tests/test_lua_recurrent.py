"""Recurrent modules in Lua files of our own: the rnn package's GRU, LSTM, SeqLSTM and SeqGRU after
``require 'rnn'`` (tests/lua/rnn_steps), and a torch-rnn-style project that defines its own
nn.LSTM, nn.VanillaRNN, nn.GRU and nn.TemporalAdapter classes (tests/lua/torch_rnn_project), which
the tracer takes as the records torch_rnn.LSTM, nn.VanillaRNN, torch_rnn.GRU and nn.TemporalAdapter. Parameter
counts by hand from the modules' weight layouts, never from our output."""
import json

import torch

from enet_port.model.build import build
from conftest import ROOT
from test_lua_conventions import run

LUA = ROOT / "tests" / "lua"


def params(spec):
    return sum(p.numel() for p in build(spec).parameters())


def test_rnn_gru_lstm_and_seq_lstm_are_counted_by_their_layers(tmp_path):
    out = tmp_path / "m.json"
    code, output = run("import-lua", LUA / "rnn_steps" / "gru_lstm.lua", "--input", "5x6", "-o", out)
    assert code == 0, output
    gru = (6 * 16 + 16 + 8 * 16) + (6 * 8 + 8 + 8 * 8)  # i2g, o2g; the candidate's Linear, LinearNoBias
    lstm = 4 * (8 * 8 + 8 + 8 * 8)  # four Linear(8, 8) and four LinearNoBias(8, 8)
    peepholes = 3 * 8  # the CMul(8) of the input, forget and output gates
    seq_lstm = (8 + 8) * 32 + 32  # weight (D + H) x 4H and bias 4H
    seq_gru = (8 + 4) * 12 + 12  # weight (D + H) x 3H and bias 3H
    assert params(out) == gru + lstm + (lstm + peepholes) + seq_lstm + seq_gru == 2172
    features = json.loads(out.read_text())["features"]
    assert features[2]["children"][0]["nn.LSTM"] == [8, 8, 9999, False]
    code, output = run("diff", out, LUA / "rnn_steps" / "gru_lstm.lua", "--input", "5x6")
    assert code == 0 and output.startswith("identical"), output


def test_a_torch_rnn_project_s_own_classes_are_taken_as_records(tmp_path):
    out = tmp_path / "m.json"
    code, output = run("import-lua", LUA / "torch_rnn_project" / "char_model.lua", "--input", "7", "-o", out)
    assert code == 0, output
    for name in ("nn.LSTM", "nn.VanillaRNN", "nn.GRU", "nn.TemporalAdapter"):
        assert f"uses {name}, a class its project defines; taken as enet-port's record" in output, output
    names = [next(iter(e)) for e in json.loads(out.read_text())["features"]]
    assert names == ["nn.LookupTable", "torch_rnn.LSTM", "nn.TemporalAdapter", "nn.Dropout", "nn.VanillaRNN",
                     "torch_rnn.GRU", "nn.TemporalAdapter"]
    # LookupTable 12 x 5; LSTM (5 + 16) x 64 + 64; BatchNormalization(16) weight and bias;
    # VanillaRNN (16 + 16) x 16 + 16; GRU (16 + 16) x 48 + 48; Linear(16, 12)
    assert params(out) == 12 * 5 + (21 * 64 + 64) + 2 * 16 + (32 * 16 + 16) + (32 * 48 + 48) + (16 * 12 + 12) == 3816


def test_rnn_recurrent_holds_its_five_modules_and_runs_its_two_step_rules(tmp_path):
    out = tmp_path / "m.json"
    code, output = run("import-lua", LUA / "rnn_steps" / "recurrent.lua", "--input", "4", "-o", out)
    assert code == 0, output
    step = json.loads(out.read_text())["features"][0]["children"][0]["children"][0]
    assert step["nn.Recurrent"] == [5]
    # start nn.Add(6) made from the size, transfer given, merge CAddTable by default
    assert [next(iter(c)) for c in step["children"]] == ["nn.Add", "nn.LookupTable", "nn.Linear", "nn.Sigmoid",
                                                         "nn.CAddTable"]
    assert params(out) == 6 + 10 * 6 + (6 * 6 + 6) + (6 * 10 + 10) == 178
    model = build(out).eval()
    # in model order: Add's bias, the LookupTable, the feedback Linear, the output Linear
    bias, table, w, b, v, c = (p.detach() for p in model.parameters())
    ids = torch.tensor([[3.0, 1.0, 10.0, 4.0], [2.0, 2.0, 7.0, 5.0]])
    h, expected = None, []
    for t in range(4):  # Recurrent.lua: sigmoid(start + input(x)) first, sigmoid(input(x) + feedback(h)) after
        x = table[ids[:, t].long() - 1]
        h = torch.sigmoid(x + bias) if h is None else torch.sigmoid(x + h @ w.T + b)
        expected.append(torch.log_softmax(h @ v.T + c, 1))
    with torch.no_grad():
        torch.testing.assert_close(model(ids), torch.stack(expected, 1))


def test_rnn_recurrence_holds_its_step_module_as_its_child(tmp_path):
    out = tmp_path / "m.json"
    code, output = run("import-lua", LUA / "rnn_steps" / "recurrence.lua", "--input", "5x4", "-o", out)
    assert code == 0, output
    recurrence = json.loads(out.read_text())["features"][0]["children"][0]
    assert recurrence["nn.Recurrence"] == [6, 1] and len(recurrence["children"]) == 1
    assert params(out) == (4 * 6 + 6) + (6 * 6 + 6) == 72  # the step's Linear(4, 6) and Linear(6, 6)
    model = build(out).eval()
    w, b, u, c = (p.detach() for p in model.parameters())
    x, h, expected = torch.randn(2, 5, 4), torch.zeros(2, 6), []
    for t in range(5):  # Recurrence.lua: output(t) = module{input(t), output(t-1)}, output(0) zeros
        h = torch.sigmoid(x[:, t] @ w.T + b + h @ u.T + c)
        expected.append(h)
    with torch.no_grad():
        torch.testing.assert_close(model(x), torch.stack(expected, 1))
