"""char-rnn's one-hot LSTM step (issue 19, part B): a model file that uses a global class defined
in a sibling folder of the project root (char-rnn's ``model/LSTM.lua`` and ``util/OneHot.lua``,
loaded by ``train.lua``), a class whose updateOutput reads rows of ``torch.eye(n)`` (traced as
nn.OneHot), and graph inputs of one index per sample (``--input index``). Files:
tests/lua/onehot_project, written for these tests. Counts by hand: an LSTM layer with input n and
hidden h has 4h(n + h) + 8h parameters; the forward is checked against an LSTM step written here
with the gates in the order the cell splits them (i, f, o, g)."""
import json
import shutil
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from enet_port.cli import main
from enet_port.errors import LuaError
from enet_port.export import program
from enet_port.lua.tracer import parse_call, trace_lua
from enet_port.model.build import build

PROJECT = Path(__file__).parent / "lua" / "onehot_project"
CELL = PROJECT / "model" / "cell.lua"
SYMBOLS, HIDDEN = 11, 6
CALL = ["--call", "build", "--args", f"{SYMBOLS}, {HIDDEN}, 2"]
SIZES = ["--input", "index"] + ["--input", str(HIDDEN)] * 4


def lstm_layer(n, h):
    return 4 * h * (n + h) + 8 * h


def imported(tmp_path, cell=CELL):
    out = tmp_path / "cell.json"
    result = CliRunner().invoke(main, ["import-lua", str(cell), *CALL, *SIZES, "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out, result


def test_the_class_of_the_project_root_is_loaded_and_the_count_is_the_hand_count(tmp_path):
    out, result = imported(tmp_path)
    assert "uses Symbols without requiring it; loaded ../util/Symbols.lua of the project root" in result.stderr
    spec = json.loads(out.read_text())
    assert spec["input"] == [[], [HIDDEN], [HIDDEN], [HIDDEN], [HIDDEN]]
    model = build(out)
    expected = lstm_layer(SYMBOLS, HIDDEN) + lstm_layer(HIDDEN, HIDDEN) + HIDDEN * SYMBOLS + SYMBOLS
    assert sum(p.numel() for p in model.parameters()) == expected == 869
    same = CliRunner().invoke(main, ["diff", str(out), str(CELL), *CALL])  # traced at the spec's inputs
    assert same.exit_code == 0 and same.output.startswith("identical"), same.output


def lstm_step(x, c, h, i2h, h2h):
    sums = x @ i2h.weight.T + i2h.bias + h @ h2h.weight.T + h2h.bias
    i, f, o, g = sums.view(-1, 4, HIDDEN).unbind(1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return c, torch.sigmoid(o) * torch.tanh(c)


def test_the_imported_step_computes_an_lstm_step_on_one_hot_rows(tmp_path):
    out, _ = imported(tmp_path)
    torch.manual_seed(0)
    model = build(out).eval()
    ids = torch.tensor([3.0, 1.0, 11.0])
    states = [torch.randn(3, HIDDEN) for _ in range(4)]
    got = model([ids] + states)
    i2h1, h2h1, i2h2, h2h2, decoder = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    x = torch.zeros(3, SYMBOLS)
    x[torch.arange(3), ids.long() - 1] = 1
    c1, h1 = lstm_step(x, states[0], states[1], i2h1, h2h1)
    c2, h2 = lstm_step(h1, states[2], states[3], i2h2, h2h2)
    logits = h2 @ decoder.weight.T + decoder.bias
    for a, b in zip(got, [c1, h1, c2, h2, torch.log_softmax(logits, 1)]):
        torch.testing.assert_close(a, b)
    with pytest.raises(ValueError, match=r"nn.OneHot\(11\): the input must hold whole indices 1..11"):
        model([torch.tensor([0.0, 1.0, 2.0])] + states)


def test_index_is_an_input_spelling_and_a_wrong_one_is_refused(tmp_path):
    result = CliRunner().invoke(main, ["trace", str(CELL), *CALL, *SIZES])
    assert result.exit_code == 0 and "shapes stop" not in result.output, result.output
    assert f"total parameters: {869:,}" in result.output
    vector = CliRunner().invoke(main, ["trace", str(CELL), *CALL, "--input", str(SYMBOLS), *SIZES[2:]])
    assert f"nn.Linear expects {SYMBOLS} inputs, gets {SYMBOLS}x{SYMBOLS}" in vector.output
    bad = CliRunner().invoke(main, ["trace", str(CELL), *CALL, "--input", "indices", *SIZES[2:]])
    assert bad.exit_code == 2 and "or 'index' (one index per sample)" in bad.output


def test_without_the_class_file_it_is_torch7s_own_failure(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(PROJECT, project)
    (project / "util" / "Symbols.lua").unlink()
    with pytest.raises(LuaError, match=r"cell\.lua:\d+: Torch7 itself would fail here \(attempt to call global "
                                       r"'Symbols' \(a nil value\)\): the file neither defines nor requires Symbols"):
        trace_lua(project / "model" / "cell.lua", call=parse_call("build", "11, 6, 2"),
                  input_shape=[()] + [(HIDDEN,)] * 4)


def test_any_other_index_is_refused_at_its_line(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(PROJECT, project)
    path = project / "util" / "Symbols.lua"
    path.write_text(path.read_text().replace("self._eye:double():index(1,", "self._eye:double():index(2,"))
    with pytest.raises(LuaError, match=r"Symbols\.lua:13: the tracer does not support :index\(\) other than the "
                                       r"rows of torch\.eye\(n\)"):
        trace_lua(project / "model" / "cell.lua", call=parse_call("build", "11, 6, 2"),
                  input_shape=[()] + [(HIDDEN,)] * 4)


def test_a_model_that_starts_with_nn_onehot_takes_one_index_per_sample_by_itself(tmp_path):
    lua = tmp_path / "classifier.lua"
    lua.write_text("require 'nn'\nlocal net = nn.Sequential()\nnet:add(nn.OneHot(7))\n"
                   "net:add(nn.Linear(7, 3))\nreturn net:add(nn.LogSoftMax())\n")
    out = tmp_path / "classifier.json"
    result = CliRunner().invoke(main, ["import-lua", str(lua), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "the spec records one index per sample" in result.stderr
    assert json.loads(out.read_text())["input"] == []
    summary = CliRunner().invoke(main, ["summary", str(out)])
    assert summary.exit_code == 0 and f"{7 * 3 + 3:,}" in summary.output and "on ()" in summary.output
    model = build(out).eval()
    ids = program.example_input((), 2, dynamic=False)  # an export's example: index 1
    (fc,) = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    torch.testing.assert_close(model(ids), torch.log_softmax(fc.weight[:, 0] + fc.bias, 0).expand(2, 3))
