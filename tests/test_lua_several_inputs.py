"""Issue 19 item 4: graphs with several inputs sized with one ``--input`` per input (trace,
import-lua, diff). Parameter counts by hand: an LSTM layer with input n and hidden h has
4h(n + h) + 8h parameters (i2h and h2h Linears, both with biases)."""
import json
from pathlib import Path

from click.testing import CliRunner

from enet_port.cli import main
from enet_port.model.shapes import param_count
from enet_port.model.spec import expand, load_spec

LUA = Path(__file__).parent / "lua"
LSTM = str(LUA / "custom_modules" / "lstm_builders.lua")
GRU = str(LUA / "several_inputs" / "gru_cell.lua")
CHAR_RNN = ["--call", "lstm", "--args", "65, 128, 2, 0"]


def lstm_layer(n, h):
    return 4 * h * (n + h) + 8 * h


def inputs(*shapes):
    return [a for s in shapes for a in ("--input", s)]


def test_trace_sizes_each_graph_input_of_a_two_layer_lstm():
    result = CliRunner().invoke(main, ["trace", LSTM, *CHAR_RNN, *inputs("65", "128", "128", "128", "128")])
    assert result.exit_code == 0, result.output
    expected = lstm_layer(65, 128) + lstm_layer(128, 128) + 128 * 65 + 65  # + the projection to 65
    assert f"total parameters: {expected:,}" in result.output and "shapes stop" not in result.output
    assert "nn.LogSoftMax()  ->  65  params 0" in result.output


def test_each_input_reaches_its_own_graph_input():
    good = CliRunner().invoke(main, ["trace", GRU, *inputs("10", "6")])
    assert good.exit_code == 0, good.output
    assert f"total parameters: {3 * (10 * 6 + 6) + 3 * (6 * 6 + 6):,}" in good.output  # three of each Linear
    swapped = CliRunner().invoke(main, ["trace", GRU, *inputs("6", "10")])
    assert "shapes stop: nn.Linear expects 10 inputs, gets 6" in swapped.output


def test_a_count_that_does_not_match_names_both_counts():
    for command in (["trace", LSTM, *CHAR_RNN], ["import-lua", LSTM, *CHAR_RNN]):
        result = CliRunner().invoke(main, command + inputs("65", "128"))
        assert result.exit_code != 0
        assert "the model takes 5 inputs, --input gives 2" in result.output, result.output
    one = CliRunner().invoke(main, ["trace", GRU])  # the 3x224x224 default is one input
    assert "the model takes 2 inputs, --input gives 1" in one.output


def test_import_lua_records_every_input_and_diff_reads_it_back(tmp_path):
    out = tmp_path / "cell.json"
    one_layer = ["--call", "lstm", "--args", "65, 128, 1, 0"]
    result = CliRunner().invoke(main, ["import-lua", LSTM, *one_layer, *inputs("65", "128", "128"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["input"] == [[65], [128], [128]]
    tree = expand(load_spec(out))
    assert sum(param_count(n) for n in tree.walk()) == lstm_layer(65, 128) + 128 * 65 + 65
    same = CliRunner().invoke(main, ["diff", str(out), LSTM, *one_layer])
    assert same.exit_code == 0 and same.output.startswith("identical"), same.output
    sized = CliRunner().invoke(main, ["diff", str(out), LSTM, *one_layer, *inputs("65", "128", "128")])
    assert sized.exit_code == 0, sized.output
    wrong = CliRunner().invoke(main, ["diff", str(out), LSTM, *one_layer, *inputs("65")])
    assert wrong.exit_code == 2 and "the model takes 3 inputs, --input gives 1" in wrong.output


def test_vectors_and_sequences_are_valid_inputs():
    seq = CliRunner().invoke(main, ["trace", GRU, "--input", "20x13"])
    assert "is not N, TxF" not in seq.output
    bad = CliRunner().invoke(main, ["trace", GRU, "--input", "1x2x3x4x5"])  # 4 sizes: a volumetric clip
    assert bad.exit_code == 2 and "is not N, TxF, CxHxW or CxTxHxW" in bad.output
