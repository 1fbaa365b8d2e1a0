"""nngraph graphs and shared parameters in specs: the Node form, the built forward against a
hand-written PyTorch module, one Parameter for a Lua clone, and one-line errors for bad graphs."""
import copy
import json
import re

import pytest
import torch
import torch.nn as nn
from click.testing import CliRunner

from enet_port.cli import main
from enet_port.model.build import build
from enet_port.model.spec import Spec, expand
from enet_port.model.tree import share_links
from conftest import copy_torchvision_weights

CONV = [4, 4, 3, 3, 1, 1, 1, 1]
# local x = nn.Identity()(); local c1 = conv(x); ...; local c2 = conv:clone('weight', 'bias')(r1)
# return nn.gModule({x}, {nn.ReLU()(nn.CAddTable()({c2, x}))})
RESIDUAL = {
    "name": "residual", "recipe": "regimes-55", "input": [4, 6, 6], "classes": 3,
    "features": [{"nn.gModule": {"inputs": ["x"], "outputs": ["out"], "nodes": [
        {"name": "x", "nn.Identity": [], "inputs": []},
        {"name": "c1", "nn.SpatialConvolution": CONV, "inputs": ["x"], "id": "conv"},
        {"name": "r1", "nn.ReLU": [True], "inputs": ["c1"]},
        {"name": "c2", "nn.SpatialConvolution": CONV, "inputs": ["r1"]},
        {"name": "sum", "nn.CAddTable": [], "inputs": ["c2", "x"]},
        {"name": "out", "nn.ReLU": [], "inputs": ["sum"]}]}, "lua": "nn.gModule({x}, {out})"}],
    "classifier": [{"nn.View": [144]}, {"nn.Linear": [144, "$nClasses"]}]}


def spec(data, path="g.json"):
    return Spec(path, copy.deepcopy(data))


def with_share(data, fields=("weight", "bias")):
    data = copy.deepcopy(data)
    data["features"][0]["nn.gModule"]["nodes"][3]["share"] = {"id": "conv", "fields": list(fields)}
    return data


class HandResidual(nn.Module):
    def __init__(self, shared):
        super().__init__()
        self.c1 = nn.Conv2d(4, 4, 3, padding=1)
        self.c2 = self.c1 if shared else nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x):
        return torch.relu(self.c2(torch.relu(self.c1(x))) + x)


def test_graph_node_form():
    tree = expand(spec(with_share(RESIDUAL)))
    graph = tree.children[0].children[0]
    assert graph.name == "nn.gModule" and graph.args == [[0], [5]]
    assert [c.inputs for c in graph.children] == [[], [0], [1], [2], [3, 0], [4]]
    assert graph.children[1].id == "conv" and graph.children[3].share == {"id": "conv", "fields": ["weight", "bias"]}
    positions = {id(n): i for i, n in enumerate(tree.walk())}
    assert share_links(tree) == {positions[id(graph.children[3])]: (positions[id(graph.children[1])],
                                                                    ("weight", "bias"))}


@pytest.mark.parametrize("shared", [False, True])
def test_residual_graph_equals_hand_written_module(shared):
    data = with_share(RESIDUAL) if shared else RESIDUAL
    model = build(spec(data)).eval()
    graph = model[0][0]
    hand = HandResidual(shared)
    with torch.no_grad():
        hand.c1.weight.copy_(graph[1].weight)
        hand.c1.bias.copy_(graph[1].bias)
        if not shared:
            hand.c2.weight.copy_(graph[3].weight)
            hand.c2.bias.copy_(graph[3].bias)
    x = torch.randn(2, 4, 6, 6)
    assert torch.allclose(graph(x), hand(x), atol=1e-6)
    assert model(x).shape == (2, 3)


def test_clone_shares_parameters_through_an_sgd_step():
    model = build(spec(with_share(RESIDUAL, ("weight", "bias", "gradWeight", "gradBias"))))
    graph = model[0][0]
    assert graph[1].weight is graph[3].weight and graph[1].bias is graph[3].bias
    assert sum(p.numel() for p in model.parameters()) == (4 * 4 * 9 + 4) + (144 * 3 + 3)
    hand = HandResidual(shared=True)
    with torch.no_grad():
        hand.c1.weight.copy_(graph[1].weight)
        hand.c1.bias.copy_(graph[1].bias)
    x = torch.randn(2, 4, 6, 6)
    for module in (graph, hand):
        opt = torch.optim.SGD(module.parameters(), lr=0.1)
        module(x).square().sum().backward()
        opt.step()
    assert torch.allclose(graph[3].weight, hand.c1.weight, atol=1e-5)  # both uses' gradients, one tensor
    assert torch.equal(graph[1].weight, graph[3].weight)


def test_two_inputs_and_two_outputs_are_tables():
    data = {"name": "two", "recipe": "regimes-55", "input": [2, 3, 3], "features": [], "classifier": []}
    graph = {"nn.gModule": {"inputs": ["a", "b"], "outputs": ["j", "a2"], "nodes": [
        {"name": "a", "nn.Identity": [], "inputs": []},
        {"name": "b", "nn.Identity": [], "inputs": []},
        {"name": "j", "nn.JoinTable": [2], "inputs": ["b", "a"]},
        {"name": "a2", "nn.MulConstant": [2], "inputs": ["a"]}]}}
    split = {"nn.ConcatTable": [], "children": [{"nn.Identity": []}, {"nn.MulConstant": [3]}]}
    data["features"] = [split, graph]
    model = build(spec(data))
    x = torch.randn(1, 2, 3, 3)
    j, a2 = model(x)  # a = x, b = 3x
    assert torch.allclose(j, torch.cat([3 * x, x], 1)) and torch.equal(a2, 2 * x)


def bad(change):
    data = copy.deepcopy(RESIDUAL)
    change(data["features"][0]["nn.gModule"])
    return data


NODES = "features\\[0\\].nn.gModule.nodes"
BAD_GRAPHS = [
    ("unknown_input", bad(lambda g: g["nodes"][2].__setitem__("inputs", ["c9"])),
     rf"{NODES}\[2\].inputs\[0\]: unknown node 'c9'"),
    ("cycle", bad(lambda g: g["nodes"][1].__setitem__("inputs", ["r1"])),
     rf"{NODES}\[1\].inputs\[0\]: node 'r1' is not defined before this node \(a cycle"),
    ("self_loop", bad(lambda g: g["nodes"][2].__setitem__("inputs", ["r1"])), rf"{NODES}\[2\].inputs\[0\]: .*cycle"),
    ("same_input_twice", bad(lambda g: g["nodes"][4].__setitem__("inputs", ["x", "x"])),
     rf"{NODES}\[4\].inputs\[1\]: node 'x' is an input twice"),
    ("unused_node", bad(lambda g: g["nodes"].insert(3, {"name": "dead", "nn.Tanh": [], "inputs": ["r1"]})),
     rf"{NODES}\[3\]: node 'dead' does not lead to any output"),
    ("missing_output", bad(lambda g: g.pop("outputs")),
     r"features\[0\].nn.gModule.outputs: missing or empty"),
    ("unknown_output", bad(lambda g: g.__setitem__("outputs", ["nope"])),
     r"features\[0\].nn.gModule.outputs\[0\]: unknown node 'nope'"),
    ("orphan", bad(lambda g: g["nodes"][4].__setitem__("inputs", [])),
     rf"{NODES}\[4\]: node 'sum' reads nothing and is not a graph input"),
    ("duplicate_name", bad(lambda g: g["nodes"][2].__setitem__("name", "c1")),
     rf"{NODES}\[2\].name: node name 'c1' is used twice"),
    ("shape_inside", bad(lambda g: g["nodes"][3].__setitem__("nn.SpatialConvolution", [8, 4, 3, 3])),
     rf"{NODES}\[3\]: nn.SpatialConvolution expects 8 input planes, gets 4"),
    ("share_unknown_id", with_share(bad(lambda g: g["nodes"][1].pop("id"))),
     rf"{NODES}\[3\].share: no earlier module has id 'conv'"),
    ("share_sizes", with_share(bad(lambda g: g["nodes"][3].__setitem__("nn.SpatialConvolution", [4, 4, 1, 1]))),
     rf"{NODES}\[3\].share: nn.SpatialConvolution 'weight' has sizes \[4, 4, 1, 1\] here and \[4, 4, 3, 3\]"),
    ("share_type", with_share(bad(lambda g: g["nodes"][3].__setitem__("cudnn.SpatialConvolution",
                                                                      g["nodes"][3].pop("nn.SpatialConvolution")))),
     rf"{NODES}\[3\].share: cudnn.SpatialConvolution does not have the modules of nn.SpatialConvolution"),
    ("share_field", with_share(RESIDUAL, ["running_mean"]),
     rf"{NODES}\[3\].share: nn.SpatialConvolution has none of \['running_mean'\]"),
]


@pytest.mark.parametrize("data,pattern", [c[1:] for c in BAD_GRAPHS], ids=[c[0] for c in BAD_GRAPHS])
def test_bad_graph_gives_one_line_and_exit_2(tmp_path, data, pattern):
    path = tmp_path / "g.json"
    path.write_text(json.dumps(data))
    result = CliRunner().invoke(main, ["summary", str(path)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"enet-port: {path}: "), result.stderr
    assert re.search(pattern, lines[0]), lines[0]


def test_summary_of_a_graph_counts_a_shared_weight_once(tmp_path):
    path = tmp_path / "g.json"
    path.write_text(json.dumps(with_share(RESIDUAL)))
    result = CliRunner().invoke(main, ["summary", str(path)])
    assert result.exit_code == 0, result.output
    total = [line for line in result.output.splitlines() if line.startswith("total")][0]
    assert f"{148 + 435:,}" in total


def test_resnet18_graph_equals_torchvision():
    torchvision = pytest.importorskip("torchvision")
    torch.manual_seed(0)
    ours = build("tests/specs/resnet18_graph.json").eval()
    theirs = torchvision.models.resnet18().eval()
    assert sum(p.numel() for p in ours.parameters()) == sum(p.numel() for p in theirs.parameters())
    assert len(copy_torchvision_weights(ours, theirs)) == 20 + 20 + 1
    with torch.no_grad():
        x = torch.randn(2, 3, 224, 224)
        assert torch.allclose(ours(x), theirs(x), atol=1e-4, rtol=1e-4)
