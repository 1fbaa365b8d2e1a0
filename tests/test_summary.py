"""``enet-port summary`` reproduces the authors' operation counts and prints what it promises."""
import json

import pytest
from click.testing import CliRunner

from enet_port.cli import main

# G-ops quoted by the ENet authors (reference/enet-facts.md), a MAC counted as two operations.
# ENet's figure is matched less tightly: we count convolution and Linear MACs only.
AUTHORS = [
    ("specs/resnet18.json", [], 3.6, 0.03),
    ("specs/v12.json", [], 1.6, 0.05),
    ("specs/resnet18.json", ["--input", "3x540x960", "--features-only"], 38.0, 0.03),
    ("specs/v12.json", ["--input", "3x540x960", "--features-only"], 16.9, 0.10),
]


def run_json(*args):
    result = CliRunner().invoke(main, ["summary", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("spec,extra,gops,tolerance", AUTHORS)
def test_reproduces_the_authors_gops(spec, extra, gops, tolerance):
    summary = run_json(spec, *extra)
    assert abs(summary["macs"] * 2 / 1e9 - gops) / gops < tolerance


def test_json_layers_add_up_and_resnet_conv1_is_right():
    summary = run_json("specs/resnet18.json")
    layers = summary["layers"]
    assert {"name", "output_shape", "params", "macs"} <= set(layers[0])
    assert sum(l["params"] for l in layers) == summary["params"] == 11689512
    assert sum(l["macs"] for l in layers) == summary["macs"]
    # conv1: 64 outputs of 112x112, each 3*7*7 MACs
    assert layers[0]["macs"] == 64 * 112 * 112 * 3 * 7 * 7 and layers[0]["output_shape"] == [64, 112, 112]
    assert layers[-1]["output_shape"] == [1000]


def test_table_has_a_row_per_entry_and_totals():
    result = CliRunner().invoke(main, ["summary", "specs/v7.json", "--classes", "10"])
    assert result.exit_code == 0
    lines = result.stdout.strip().splitlines()
    # v7: 4 initial-block entries, 1+5+1+5+1+5+1 bottlenecks, avg pool; View, Linear, LogSoftMax
    assert len(lines) == 1 + 4 + 19 + 1 + 3 + 1
    assert "features:add(bottleneck(16, 64, true))" in lines[5]
    assert lines[-1].startswith("total") and "nn.Linear(512, 10)" in result.stdout


def test_depth_expands_inner_modules():
    flat = run_json("specs/v2.json")
    deep = run_json("specs/v2.json", "--depth", "1")
    assert len(deep["layers"]) > len(flat["layers"])


def test_bad_input_option_is_a_usage_error():
    result = CliRunner().invoke(main, ["summary", "specs/v2.json", "--input", "224x224"])
    assert result.exit_code == 2 and "CxHxW" in result.output
