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
