"""Malformed specs fail before any work with one line naming the file and the JSON path."""
import copy
import json
import re

import pytest
from click.testing import CliRunner

from enet_port.cli import main
from conftest import ROOT, spec_json

V2 = spec_json(ROOT / "specs" / "v2.json")


def mutated(change):
    data = copy.deepcopy(V2)
    change(data)
    return json.dumps(data)


CASES = [
    ("bad_json", '{"name": "x",,}', r"line 1 column 14: invalid JSON"),
    ("unknown_module", mutated(lambda d: d["features"].__setitem__(7, {"nn.SpatialFoo": [1]})),
     r"features\[7\]: unknown Torch7 module 'nn.SpatialFoo'"),
    ("too_many_args", mutated(lambda d: d["features"][3].__setitem__("nn.PReLU", [16, 2])),
     r"features\[3\].nn.PReLU: nn.PReLU: takes at most 1 arguments, got 2"),
    ("wrong_type", mutated(lambda d: d["features"][2].__setitem__("nn.SpatialBatchNormalization", [16, "big"])),
     r"features\[2\].nn.SpatialBatchNormalization\[1\]: unknown variable 'big'"),
    ("not_whole", mutated(lambda d: d["features"][2].__setitem__("nn.SpatialBatchNormalization", [16.5])),
     r"features\[2\].nn.SpatialBatchNormalization: argument nOutput must be a whole number"),
    ("channel_mismatch", mutated(lambda d: d["features"][2].__setitem__("nn.SpatialBatchNormalization", [32, 1e-3])),
     r"features\[2\]: nn.SpatialBatchNormalization expects 32 input planes, gets 16"),
    ("block_mismatch", mutated(lambda d: d["features"].__setitem__(6, {"bottleneck": [32, 128, True]})),
     r"features\[6\]: cudnn.SpatialConvolution expects 32 input planes, gets 64"),
    ("loop_without_body", mutated(lambda d: d["features"][5].pop("body")),
     r"features\[5\]: a loop needs a non-empty 'body' list"),
    ("unknown_top_key", mutated(lambda d: d.__setitem__("featurez", [])), r"featurez: unknown key"),
    ("unknown_entry_key", mutated(lambda d: d["features"][4].__setitem__("colour", 1)),
     r"features\[4\]: unknown key 'colour'"),
    ("two_names", mutated(lambda d: d["features"][3].__setitem__("nn.ReLU", [])),
     r"features\[3\]: an entry needs exactly one module name"),
    ("bad_modifier", mutated(lambda d: d["features"][3].__setitem__("modifiers", ["ceil"])),
     r"features\[3\].modifiers\[0\]: nn.PReLU has no modifier 'ceil'"),
    ("children_on_leaf", mutated(lambda d: d["features"][3].__setitem__("children", [])),
     r"features\[3\].children: nn.PReLU is not a container"),
    ("unknown_recipe", mutated(lambda d: d.__setitem__("recipe", "fast")), r"recipe: unknown recipe 'fast'"),
    ("missing_classifier", mutated(lambda d: d.pop("classifier")), r"classifier: missing"),
    ("classifier_width", mutated(lambda d: d["classifier"][1].__setitem__("nn.Linear", [256, "$nClasses"])),
     r"classifier\[1\]: nn.Linear expects 256 inputs, gets 128"),
]




def with_arg(index, name, literal):
    """v2 with a raw JSON literal (Infinity, 1e400, ...) as the last argument of features[index]."""
    return mutated(lambda d: d["features"][index][name].append("@")).replace('"@"', literal)


def features(*entries):
    """A spec with just these feature entries and no classifier."""
    return mutated(lambda d: (d.__setitem__("features", list(entries)), d.__setitem__("classifier", [])))


def nested(levels):
    entry = {"nn.Identity": []}
    for _ in range(levels):
        entry = {"nn.Sequential": [], "children": [entry]}
    return features(entry)


CONV = "cudnn.SpatialConvolution"
POOL = "nn.SpatialMaxPooling"
HOSTILE = [
    ("infinity", with_arg(2, "nn.SpatialBatchNormalization", "Infinity"),
     r"features\[2\].nn.SpatialBatchNormalization\[2\]: an argument must be a finite number"),
    ("nan", with_arg(2, "nn.SpatialBatchNormalization", "NaN"), r"nn.SpatialBatchNormalization\[2\]: an argument must be"),
    ("1e400", with_arg(2, "nn.SpatialBatchNormalization", "1e400"), r"\[2\]: an argument must be a finite number"),
    ("10**400", with_arg(3, "nn.PReLU", "1" + "0" * 400), r"features\[3\].nn.PReLU\[1\]: .*at most 2\^53"),
    ("10**5000", with_arg(3, "nn.PReLU", "1" + "0" * 5000), r"x.json: invalid JSON: a number has more than 4300 digits"),
    ("recipe_list", mutated(lambda d: d.__setitem__("recipe", ["a"])), r"recipe: must be a recipe name"),
    ("init_list", mutated(lambda d: d.__setitem__("init", [])), r"init: must be one of"),
    ("empty_modifier", mutated(lambda d: d["features"][3].__setitem__("modifiers", [[]])),
     r"features\[3\].modifiers\[0\]: a modifier is a name or \[name, argument...\]"),
    ("lua_number", mutated(lambda d: d.__setitem__("lua", 5)), r"lua: must be a string"),
    ("join_10", mutated(lambda d: d["features"][1].__setitem__("nn.JoinTable", [10])),
     r"features\[1\]: nn.JoinTable: dimension 10 is out of range for \{13x112x112, 3x112x112\}"),
    ("join_minus_10", mutated(lambda d: d["features"][1].__setitem__("nn.JoinTable", [-10])),
     r"features\[1\]: nn.JoinTable: dimension -10 is out of range"),
    ("padding_100", features({"nn.Padding": [100, 1]}), r"features\[0\]: nn.Padding: dimension 100 is out of range for 3x224x224"),
    ("view_two_minus_one", mutated(lambda d: d["classifier"][0].__setitem__("nn.View", [-1, -1])),
     r"classifier\[0\].nn.View: nn.View: at most one size may be -1"),
    ("zero_stride", features({CONV: [3, 8, 3, 3, 0, 1]}), r"features\[0\].cudnn.SpatialConvolution: .*dW must be at least 1, got 0"),
    ("negative_channels", features({CONV: [3, -8, 3, 3]}), r"nOutputPlane must be at least 1, got -8"),
    ("negative_kernel", features({CONV: [3, 8, -3, 3]}), r"kW must be at least 1, got -3"),
    ("negative_padding", features({CONV: [3, 8, 3, 3, 1, 1, -1, 0]}), r"padW must be at least 0, got -1"),
    ("pool_pad", features({POOL: [2, 2, 2, 2, 2, 2], "modifiers": ["ceil"]}),
     r"nn.SpatialMaxPooling: pad should be smaller than half of kernel size \(padW 2, padH 2, kW 2, kH 2\)"),
    ("bn_eps", mutated(lambda d: d["features"][2].__setitem__("nn.SpatialBatchNormalization", [16, -1])),
     r"features\[2\].nn.SpatialBatchNormalization: .*eps must be at least 0, got -1"),
    ("dropout_5", features({"nn.Dropout": [5]}), r"nn.Dropout: illegal percentage, must be 0 <= p < 1, got 5"),
    ("children_300", nested(300), r"features\[0\](.children\[0\])+.children: nesting deeper than 100 levels \(set ENET_PORT_MAX_DEPTH"),
    ("json_2000", features("@").replace('"@"', "[" * 2000 + "]" * 2000), r"nested too deeply"),
    ("json_100000", features("@").replace('"@"', "[" * 100000 + "]" * 100000), r"nested too deeply"),
    ("loop_1e8", features({"for": [1, 100000000], "body": [{"nn.Identity": []}]}),
     r"features\[0\]\(i=10001\): the spec expands to more than 20000 modules \(set ENET_PORT_MAX_MODULES"),
    ("empty_loops", features({"for": [1, 10**15], "body": [{"for": [1, 0], "body": [{"nn.Identity": []}]}]}),
     r"the spec expands to more than 20000 modules"),
    ("huge_input", mutated(lambda d: d.__setitem__("input", [3, 10**400, 224])),
     r"input: more than 1,073,741,824 numbers per sample \(set ENET_PORT_MAX_ACTIVATION"),
    ("huge_padding", features({"nn.SpatialZeroPadding": [10**6]}, {CONV: [3, 8, 3, 3]}),
     r"features\[0\]: nn.SpatialZeroPadding outputs 3x2000224x2000224, more than 1,073,741,824 numbers"),
    ("huge_conv", features({CONV: [3, 10**7, 3, 3]}),
     r"features\[0\]: the model has more than 200,000,000 parameters \(set ENET_PORT_MAX_PARAMETERS"),
]
CASES += HOSTILE


@pytest.mark.parametrize("text,pattern", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_malformed_spec_gives_one_line_and_exit_2(tmp_path, text, pattern):
    path = tmp_path / "x.json"
    path.write_text(text)
    result = CliRunner().invoke(main, ["summary", str(path)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"enet-port: {path}: ")
    assert re.search(pattern, lines[0]), lines[0]
    assert "Traceback" not in result.output


def test_missing_spec_file(tmp_path):
    result = CliRunner().invoke(main, ["summary", str(tmp_path / "none.json")])
    assert result.exit_code == 2 and "none.json: cannot read" in result.stderr
