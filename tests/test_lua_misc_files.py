"""Causes found on the third corpus of real Torch7 files (issue 19, round two: torch/demos,
tutorials, the rnn package's examples, torch-rnn, neuraltalk2), each on a file of our own written
in the style of the public ones (tests/lua/misc). Expected values come from torch/nn's, torch/sys's
and rnn's rules and the layer sizes, never from our output."""
import json

import torch
import torch.nn.functional as F

from enet_port.lua.tracer import trace_lua
from enet_port.model.build import build
from conftest import ROOT
from test_lua_conventions import run

LUA = ROOT / "tests" / "lua" / "misc"


def conv(cin, cout, k):
    return cout * cin * k * k + cout


def linear(cin, cout):
    return cout * cin + cout


def fast_lstm(n_in, n_out):  # rnn's FastLSTM: i2g Linear(n_in, 4 n_out) and o2g LinearNoBias(n_out, 4 n_out)
    return linear(n_in, 4 * n_out) + 4 * n_out * n_out


def params(spec):
    return sum(p.numel() for p in build(spec).parameters())


def test_a_demo_script_with_sys_and_cmdline_builds_its_default_model(tmp_path):
    out = tmp_path / "m.json"
    code, output = run("import-lua", LUA / "demo_script.lua", "--input", "1x16x16", "-o", out)
    assert code == 0, output
    # -model convnet by default: conv 1->6 5x5, pooling to 6x6x6, Linear 216 -> 10
    assert params(out) == conv(1, 6, 5) + linear(216, 10)
    printed = trace_lua(LUA / "demo_script.lua", input_shape=(1, 16, 16)).printed
    # torch/sys's red and reset codes around the banner; fpath gives the folder and the file name
    assert printed == ["\\x1b[0;31m==> building convnet in ./demo_script\\x1b[0m", "built in\ttrue\tfalse"]


def test_opt_values_reach_the_options_cmdline_parses(tmp_path):
    out = tmp_path / "m.json"
    code, output = run("import-lua", LUA / "demo_script.lua", "--input", "1x16x16", "--opt", "model=mlp",
                       "--opt", "hidden=20", "-o", out)
    assert code == 0, output
    assert params(out) == linear(256, 20) + linear(20, 10)
    printed = trace_lua(LUA / "demo_script.lua", opt={"full": True}, input_shape=(1, 16, 16)).printed
    assert printed[-1] == "built in\ttrue\ttrue"


def test_a_shell_command_through_sys_is_refused_at_its_line(tmp_path):
    lua = tmp_path / "m.lua"
    lua.write_text("require 'nn'\nlocal files = sys.execute('ls data')\nreturn nn.Sequential()\n")
    code, output = run("import-lua", lua)
    assert code != 0 and output.count("\n") == 1, output
    assert f"{lua}:2: the tracer does not support sys.execute() (it runs a shell command)" in output, output


def test_a_script_reading_th_arg_sees_no_arguments(tmp_path):
    # th sets the global arg to the script's command line: none here, so #arg is 0 and arg[1] nil
    lua = tmp_path / "m.lua"
    lua.write_text("require 'nn'\nlocal n = (arg[1] == nil and #arg == 0) and 4 or 9\n"
                   "return nn.Sequential():add(nn.Linear(3, n))\n")
    out = tmp_path / "m.json"
    code, output = run("import-lua", lua, "--input", "3", "-o", out)
    assert code == 0, output
    assert params(out) == linear(3, 4)


def test_a_cmdline_option_without_a_name_is_refused_at_its_line(tmp_path):
    # torch7's CmdLine reads the name as a string ('-n'): a number there is a mistake in the file
    lua = tmp_path / "m.lua"
    lua.write_text("require 'nn'\nlocal cmd = torch.CmdLine()\ncmd:option(12, 3)\nreturn nn.Sequential()\n")
    code, output = run("import-lua", lua)
    assert code != 0 and output.count("\n") == 1, output
    assert f"{lua}:3: torch.CmdLine:option: the option name must be a string" in output, output


def test_require_rnn_and_a_sequencer_holding_its_step_module(tmp_path):
    out = tmp_path / "m.json"
    code, output = run("import-lua", LUA / "seq_rnn.lua", "--input", "5x6", "-o", out)
    assert code == 0, output
    spec = json.loads(out.read_text())
    (entry,) = spec["features"]
    assert entry["nn.Sequencer"] == [] and len(entry["children"]) == 1, entry
    assert params(out) == fast_lstm(6, 8) + fast_lstm(8, 8) + linear(8, 4)
    code, output = run("diff", out, LUA / "seq_rnn.lua")
    assert code == 0 and output.startswith("identical"), output


def test_a_criterion_of_the_rnn_package_is_not_torch7s_failure(tmp_path):
    lua = tmp_path / "m.lua"
    lua.write_text("require 'rnn'\nlocal m = nn.Sequencer(nn.Linear(3, 2))\n"
                   "criterion = nn.SequencerCriterion(nn.ClassNLLCriterion())\nreturn m\n")
    code, output = run("import-lua", lua, "--input", "4x3")
    assert code == 0, output


def test_word_indices_through_a_lookup_table_and_an_lstm(tmp_path):
    out = tmp_path / "m.json"
    code, output = run("import-lua", LUA / "embed_rnn.lua", "--input", "7", "-o", out)
    assert code == 0, output
    model = build(out).eval()
    assert sum(p.numel() for p in model.parameters()) == 50 * 6 + fast_lstm(6, 8) + linear(8, 4)
    words = torch.tensor([[1, 5, 50, 2, 2, 9, 3], [7, 7, 1, 50, 4, 4, 8]])
    with torch.no_grad():
        scores = model(words)
    assert scores.shape == (2, 7, 4)
    # the first step by hand: row w of the weight for word w (counted from 1), one LSTM step from zeros
    table, lstm, lin = model[0], model[1][0][0], model[1][0][1]
    x = table.weight[words[:, 0] - 1]
    i, g, f, o = (x @ lstm.i2g_weight.t() + lstm.i2g_bias).view(2, 4, 8).unbind(1)
    h = torch.sigmoid(o) * torch.tanh(torch.sigmoid(i) * torch.tanh(g))
    assert torch.allclose(scores[:, 0], F.log_softmax(lin(h), 1), atol=1e-6)


def test_lookup_table_padding_row_gets_no_gradient_and_max_norm_renormalises(tmp_path):
    from enet_port.model.layers_rnn import LookupTable
    table = LookupTable(6, 3, padding_value=2)
    table.weight.data = torch.arange(18.0).view(6, 3)
    out = table(torch.tensor([2, 3, 2]))
    assert torch.equal(out, torch.tensor([[3.0, 4, 5], [6, 7, 8], [3, 4, 5]]))
    out.sum().backward()
    assert table.weight.grad[1].abs().sum() == 0 and table.weight.grad[2].tolist() == [1, 1, 1]
    capped = LookupTable(6, 3, max_norm=1.0)
    capped.weight.data = torch.full((6, 3), 2.0)
    with torch.no_grad():
        row = capped(torch.tensor([4]))[0]
    # LookupTable:renorm: the rows read scaled to maxNorm / (norm + 1e-7), the weight changed in place
    assert torch.allclose(row, torch.full((3,), 2.0) * (1.0 / (12 ** 0.5 + 1e-7)))
    assert torch.allclose(capped.weight[3], row) and capped.weight[0].tolist() == [2.0, 2.0, 2.0]


def test_a_model_class_is_built_with_call_and_its_settings(tmp_path):
    out = tmp_path / "m.json"
    code, output = run("import-lua", LUA / "class_model.lua", "--call", "nn.TinyTagger", "--args",
                       "{vocab_size=30, num_tags=5}", "--input", "9", "-o", out)
    assert code == 0, output
    model = build(out).eval()
    # embedding 30 x 4 (wordvec_size's default), TemporalConvolution 4 -> 8 over 3 frames, 8 -> 5 over 1
    assert sum(p.numel() for p in model.parameters()) == 30 * 4 + (8 * 4 * 3 + 8) + (5 * 8 + 5)
    with torch.no_grad():
        assert model(torch.tensor([[3, 1, 30, 2, 2, 9, 4, 4, 1]])).shape == (1, 7, 5)
    code, output = run("import-lua", LUA / "class_model.lua", "--call", "nn.NoSuchTagger", "--input", "9")
    assert code != 0 and "--call nn.NoSuchTagger: no such function" in output, output


def test_data_packages_load_and_their_functions_are_refused_at_the_line(tmp_path):
    lua = tmp_path / "m.lua"
    lua.write_text("local cjson = require 'cjson'\nlocal hdf5 = require 'hdf5'\nlocal m = nn.Sequential():add(nn.ReLU())\n"
                   "local f = hdf5.open('data.h5', 'r')\nreturn m\n")
    code, output = run("import-lua", lua)
    assert code != 0 and output.count("\n") == 1, output
    assert f"{lua}:4: the tracer does not support hdf5.open() (it reads or writes data files)" in output, output


def test_ceil_called_on_the_pooling_class_changes_no_instance(tmp_path):
    out = tmp_path / "m.json"
    code, output = run("import-lua", LUA / "class_ceil.lua", "--nClasses", 10, "--input", "3x11x11", "-o", out)
    assert code == 0, output
    pooling = next(e for e in json.loads(out.read_text())["features"] if "nn.SpatialMaxPooling" in e)
    assert pooling["nn.SpatialMaxPooling"] == [2, 2, 2, 2] and "modifiers" not in pooling, pooling
    model = build(out).eval()
    assert sum(p.numel() for p in model.parameters()) == conv(3, 4, 3) + linear(64, 10)
    with torch.no_grad():
        assert model(torch.randn(2, 3, 11, 11)).shape == (2, 10)


def test_a_connection_table_of_hundreds_of_rows(tmp_path):
    out = tmp_path / "m.json"
    code, output = run("import-lua", LUA / "big_table.lua", "--input", "1x16x16", "-o", out)
    assert code == 0, output
    table = next(e for e in json.loads(out.read_text())["features"] if "nn.SpatialConvolutionMap" in e)
    rows = table["nn.SpatialConvolutionMap"][0]
    # nn.tables.random(8, 96, 3): 3 distinct inputs of 1..8 for each output 1..96, in output order
    assert len(rows) == 288 and [r[1] for r in rows] == [o for o in range(1, 97) for _ in range(3)]
    assert all(len({r[0] for r in rows[3 * k:3 * k + 3]}) == 3 and all(1 <= r[0] <= 8 for r in rows)
               for k in range(96))
    model = build(out).eval()
    # one 3x3 kernel per row and a bias per output map
    assert sum(p.numel() for p in model.parameters()) == conv(1, 8, 5) + (288 * 9 + 96) + linear(1536, 10)
    with torch.no_grad():
        assert model(torch.randn(2, 1, 16, 16)).shape == (2, 10)


def test_a_table_past_the_limit_is_refused_in_one_line(tmp_path):
    lua = tmp_path / "m.lua"
    lua.write_text("model = nn.Sequential()\nmodel:add(nn.SpatialConvolutionMap(nn.tables.full(80, 60), 3, 3))\n")
    code, output = run("import-lua", lua, "--input", "80x8x8")
    assert code != 0 and output.count("\n") == 1 and "Traceback" not in output, output
    assert "connTable" in output and str(lua) in output, output


def test_a_table_past_the_tracers_4096_rows_is_refused_at_its_line(tmp_path):
    # 5000 rows: past what the sandbox carries (4096 items a list); the refusal names the module's line
    lua = tmp_path / "m.lua"
    lua.write_text("require 'nn'\nlocal t = {}\nfor i = 1, 5000 do t[i] = {i, 1} end\nlocal m = nn.Sequential()\n"
                   "m:add(nn.SpatialConvolutionMap(t, 3, 3))\nreturn m\n")
    code, output = run("import-lua", lua, "--input", "5000x8x8")
    assert code != 0 and output.count("\n") == 1, output
    assert f"{lua}:5: nn.SpatialConvolutionMap: connTable" in output, output
