"""The module table: every rule in one record, THNN's ceil rule in the built pooling layers."""
import json

import pytest
import torch
from click.testing import CliRunner

from enet_port.cli import main
from enet_port.model import registry
from enet_port.model.build import build_node
from enet_port.model.modules import no_macs, no_tensors, same_shape
from enet_port.model.shapes import infer, param_count
from enet_port.model.tree import Node


def test_a_record_without_a_rule_fails_when_registered():
    with pytest.raises(TypeError):
        registry.register("nn.NotARealModule", [], build=lambda a, n: None, shape=same_shape, tensors=no_tensors)
    assert "nn.NotARealModule" not in registry.REGISTRY
    with pytest.raises(KeyError, match="unknown Torch7 module 'nn.NotARealModule'"):
        param_count(Node("nn.NotARealModule", []))  # never a silent 0


def thnn_max_pool(x, k, d):
    """THNN SpatialMaxPooling, ceil mode, no padding, written out: windows start at i*d, end at
    min(i*d + k, size); an empty window gives -inf."""
    size = x.shape[-1]
    out_size = -(-(size - k) // d) + 1  # ceil((size - k) / d) + 1; no padding: nothing dropped
    out = torch.full((out_size, out_size), float("-inf"))
    for i in range(out_size):
        for j in range(out_size):
            window = x[i * d:min(i * d + k, size), j * d:min(j * d + k, size)]
            if window.numel():
                out[i, j] = window.max()
    return out


def test_ceil_pooling_layer_follows_thnn_when_the_stride_exceeds_the_kernel():
    node = Node("nn.SpatialMaxPooling", [2, 2, 3, 3], [("ceil",)])
    x = torch.arange(81.0).view(1, 1, 9, 9)
    assert infer(node, (1, 9, 9)) == (1, 4, 4)
    got = build_node(node)(x)
    assert got.shape == (1, 1, 4, 4)
    assert torch.equal(got[0, 0], thnn_max_pool(x[0, 0], 2, 3))
    avg = build_node(Node("nn.SpatialAveragePooling", [2, 2, 3, 3], [("ceil",)]))(x)
    assert avg.shape == (1, 1, 4, 4) and torch.isnan(avg[0, 0, 3]).all()  # THNN: 0 / 0


def test_summary_of_that_pooling_runs(tmp_path):
    spec = {"name": "p", "recipe": "regimes-55", "input": [3, 9, 9], "classifier": [],
            "features": [{"nn.SpatialMaxPooling": [2, 2, 3, 3], "modifiers": ["ceil"]}]}
    path = tmp_path / "p.json"
    path.write_text(json.dumps(spec))
    result = CliRunner().invoke(main, ["summary", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["layers"][0]["output_shape"] == [3, 4, 4]


def test_lua_fields_come_from_the_record():
    node = Node("cudnn.SpatialMaxPooling", [3, 3, 2, 2], [("ceil",), ("floor",)])
    fields = registry.lookup(node.name).lua_fields(registry.resolve_args(node), node)
    assert fields == {"kW": 3, "kH": 3, "dW": 2, "dH": 2, "padW": 0, "padH": 0, "ceil_mode": False}


def test_nn_convolutions_default_padH_to_padW_and_cudnn_to_zero():
    """nn.SpatialConvolution.__init: self.padH = padH or self.padW (the dilated one passes its
    padH there too); cudnn's constructors default padH to 0. 8x8, 3x3 kernel, padW 1 given."""
    x = torch.zeros(1, 3, 8, 8)
    cases = {"nn.SpatialConvolution": [3, 4, 3, 3, 1, 1, 1], "cudnn.SpatialConvolution": [3, 4, 3, 3, 1, 1, 1],
             "nn.SpatialDilatedConvolution": [3, 4, 3, 3, 1, 1, 1], "cudnn.SpatialDilatedConvolution": [3, 4, 3, 3, 1, 1, 1]}
    expected = {"nn.SpatialConvolution": (8, 8), "cudnn.SpatialConvolution": (6, 8),
                "nn.SpatialDilatedConvolution": (8, 8), "cudnn.SpatialDilatedConvolution": (6, 8)}
    for name, args in cases.items():
        node = Node(name, args)
        assert infer(node, (3, 8, 8))[1:] == expected[name], name
        assert tuple(build_node(node)(x).shape[2:]) == expected[name], name


def test_spatial_dropout_stochastic_inference_keeps_dropping_in_evaluation():
    """SpatialDropout.lua: updateOutput drops channels if self.train or self.stochastic_inference,
    else multiplies by 1 - p."""
    x = torch.ones(4, 64, 2, 2)
    plain = build_node(Node("nn.SpatialDropout", [0.5])).eval()
    assert torch.equal(plain(x), x * 0.5)
    torch.manual_seed(0)
    stochastic = build_node(Node("nn.SpatialDropout", [0.5, True])).eval()(x)
    assert set(stochastic.unique().tolist()) == {0.0, 1.0}  # whole channels dropped, none rescaled
